#!/usr/bin/env python3
"""`make demo`, live part: 60 messages from 15 threads against the loopback server (Genesys
profile: burst 10, then 20 requests/s per token), sent by a naive retry loop, urllib3's Retry, and
pacekeeper (told the limits, and learning them from the headers), with an oracle that knows the
server's limits as the yardstick. Prints the table a user sees in the first minute (< 60 s)."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import outcome  # noqa: E402

CLIENTS = [
    ("oracle", "oracle (knows the limits)"),
    ("fixed-5s", "naive: sleep 5 s (÷4), retry"),
    ("urllib3-retry", "urllib3 Retry (Retry-After)"),
    ("pk-learning", "pacekeeper, no limits given"),
    ("pk-configured", "pacekeeper, limits given"),
]


def main() -> int:
    if shutil.which("node") is None:
        print("demo: node is not installed; the live run needs the loopback server (tests/server)")
        return 1
    burst, rate, messages = 10, 20, 60
    outcome.CELL_DEADLINE_S = 20.0
    print(f"\nlive run: {messages} messages from 15 threads, loopback server (genesys profile), "
          f"burst {burst} then {rate}/s per token")
    srv = outcome.Server("genesys", burst, rate, outcome.SKEW_MS)
    rows = []
    t0 = time.monotonic()
    try:
        outcome.run_cell(srv, "genesys", "warmup", "oracle", 0.0, 0, burst, rate)
        for name, label in CLIENTS:
            cell = outcome.run_cell(srv, "genesys", "messaging", name, 0.0, 1, burst, rate,
                                    messages=messages)
            rows.append((label, cell))
    finally:
        srv.close()
    oracle = rows[0][1]["wall_s"]
    print(f"\n  {'client':32s} {'time':>7s} {'vs oracle':>9s} {'429s':>5s} {'early':>6s} {'lost':>5s} {'dup':>4s}")
    for label, c in rows:
        print(f"  {label:32s} {c['wall_s']:6.2f}s {c['wall_s'] / oracle:8.2f}x {c['throttled']:5d} "
              f"{c['early']:6d} {c['lost']:5d} {c['duplicated']:4d}")
    print("\n  429s and early retries (a retry before the instant the server named) are counted by the server.")
    print(f"  live run took {time.monotonic() - t0:.1f} s; the full matrix: make bench-outcome (BENCHMARKS.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
