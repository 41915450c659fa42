"""The scripted pacer sessions (tests/vectors/sessions.json) through ``pacekeeper.PacerCore``:
every step's answer equals its hand-derived ``expect`` exactly (the runner is vector_runner.py,
mirroring core/tests/sessions.rs)."""

from __future__ import annotations

import json
from typing import Any

import pacekeeper as pk
import pytest
from vector_runner import SESSIONS, result, run_session, session_mismatches


def test_session_count() -> None:
    assert len(SESSIONS) >= 20
    assert sum(len(c["steps"]) for c in SESSIONS) >= 100


@pytest.mark.parametrize("case", SESSIONS, ids=[c["name"] for c in SESSIONS])
def test_session(case: dict[str, Any]) -> None:
    assert session_mismatches(case) == []


def test_a_wrong_expectation_is_caught() -> None:
    case = json.loads(json.dumps(SESSIONS[0]))
    case["steps"][0]["expect"] = {"action": "go", "ticket": 99}
    assert len(session_mismatches(case)) == 1
    assert len(run_session(case)) == len(case["steps"])


def test_steps_are_read_through_their_getters() -> None:
    p = pk.PacerCore(limits=[{"amount": 5, "period_ms": 1000, "burst": 1}])
    go = p.begin("k", now=0)
    wait = p.begin("k", now=0)
    assert result(go) == {"action": "go", "ticket": 1} and go.until is None
    assert result(wait) == {"action": "wait", "ticket": 2, "until": 200}
    reading = pk.parse_headers(429, [("Retry-After", "2")], now=100)
    after = p.finish(1, reading, now=100)
    assert after.action == "retry" and after.at is not None and after.at >= 2100
    assert result(after) == after.to_dict()
    never = pk.PacerCore(limits=[{"amount": 5, "period_ms": 1000}]).begin("k", 6, now=0)
    assert result(never) == {"action": "never", "reason": "cost_above_burst", "capacity": 5}


def test_config_defaults_are_the_cores_and_kwargs_win() -> None:
    d = pk.PacerCore().config
    assert d["learn"] is True and d["preset"] is None and d["limits"] == []
    assert pk.PacerCore({"seed": 1}, seed=2).config["seed"] == 2
    g = pk.PacerCore.genesys()
    assert g.config["preset"] == "genesys"
    assert g.learnt("t") is None
    assert g.begin("t", now=0).action == "go"
    assert g.learnt("t") == {"amount": 300, "period_ms": 60000, "burst": 300}


def test_state_round_trips_through_plain_data() -> None:
    p = pk.PacerCore(limits=[{"amount": 1, "period_ms": 1000}])
    assert p.begin("k", now=0).action == "go"
    assert p.begin("k", now=0).to_dict() == {"action": "wait", "ticket": 2, "until": 1000}
    q = pk.PacerCore.from_dict(json.loads(json.dumps(p.to_dict())))
    assert q.open_tickets == 2 and q.lane("k") == p.lane("k")
    # What is in flight travels too: burst 1 with ticket 1 out, ticket 2's slot waits for its answer.
    for core in (p, q):
        assert core.resume(2, now=1000).to_dict() == {"action": "wait", "ticket": 2, "until": 1100}
        # answered at 1000: it may have reached the server then, so the next slot is 2000
        assert core.finish(1, pk.parse_headers(200, [], now=1000), now=1000).action == "done"
        assert core.resume(2, now=1100).to_dict() == {"action": "wait", "ticket": 2, "until": 2000}
        assert core.resume(2, now=2000).to_dict() == {"action": "go", "ticket": 2}
    assert q.to_dict() == p.to_dict()


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda p: p.finish(7, None, now=0), "unknown_ticket"),
        (lambda p: p.cancel(7), "unknown_ticket"),
        (lambda p: p.resume(p.begin("k", now=0).ticket, now=0), "ticket_state"),
        (lambda p: p.begin("", now=0), "invalid_key"),
        (lambda p: p.begin("k", 0, now=0), "invalid_cost"),
        (lambda p: p.finish(1, "429", now=0), "invalid_argument"),
        (lambda p: p.begin("k", now=-1), "invalid_number"),
        (lambda p: pk.PacerCore(max_window=0), "invalid_option"),
        (lambda p: pk.PacerCore(nope=1), "invalid_argument"),
        (lambda p: pk.PacerCore(preset="nope"), "invalid_argument"),
        (lambda p: pk.PacerCore.from_dict({"state": {"keys": {"k": 3}}}), "invalid_argument"),
        (lambda p: pk.PacerCore.from_dict({"state": {"budget": None, "keys": {"k": 3}, "lanes": [],
                                                      "tickets": {}, "next_ticket": 1, "last_now": 0}}),
         "invalid_state"),
    ],
)
def test_bad_input_is_a_coded_error(call: Any, code: str) -> None:
    with pytest.raises(pk.PacekeeperError) as e:
        call(pk.PacerCore())
    assert e.value.code == code
    assert code in pk.error_codes()


def test_the_ticket_codes_are_listed() -> None:
    # error_codes() is the core's ErrorCode::ALL; the mapping passes the core's code through.
    assert {"unknown_ticket", "ticket_state"} <= set(pk.error_codes())
