#!/usr/bin/env python3
"""Writes tests/vectors/sessions.json: scripted pacer sessions with hand-derived expectations.

Every step's `expect` below was worked out by hand from the policy in core/src/pacer.rs (the
arithmetic is in the comment beside it), not recorded from the engine. `why` names the rule a step
pins. Run `python3 tests/vectors/make_sessions.py` after editing; `cargo test -p pacekeeper --test
sessions` replays the file.

GCRA arithmetic used in the comments: a limit of A per P ms with burst B keeps its theoretical
arrival time (tat) in units of 1/A ms; one request costs T = P units, the tolerance is tau = B*P.
A request at t is admitted when max(tat, t*A) + T - tau <= t*A, i.e. at ceil((tat + T - tau)/A).
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))

from sessions_dsl import sessions  # noqa: E402
import sessions_pacing  # noqa: E402,F401  (each module appends its sessions, in this order)
import sessions_learning  # noqa: E402,F401
import sessions_retries  # noqa: E402,F401

doc = {
    "$schema": "./schema.json",
    "kind": "sessions",
    "cases": sessions,
}
(HERE / "sessions.json").write_text(json.dumps(doc, indent=1) + "\n")
print(f"{len(sessions)} sessions, {sum(len(s['steps']) for s in sessions)} hand-checked steps")
