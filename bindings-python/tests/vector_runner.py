"""Runs the shared vectors (tests/vectors/*.json) through the package's public API. Mirrors
core/tests/vectors.rs and core/tests/sessions.rs. No pytest here: ``python vector_runner.py`` replays every case in any
interpreter the wheel is installed in (test_abi3.py) and prints a JSON summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pacekeeper
from pacekeeper import Backoff, Limiter, PacekeeperError, RetryBudget, RetryState

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"


def cases(kind: str) -> list[dict[str, Any]]:
    return json.loads((VECTORS / f"{kind}.json").read_text(encoding="utf-8"))["cases"]


def via_getters(obj: Any) -> Any:
    """The core's JSON shape of a result, rebuilt from the attributes users read (``.status``,
    ``.decision``, ``.wait_ms``, ``.policies[0].quota`` ...): ``to_dict()`` only names the fields."""
    if isinstance(obj, list):
        return [via_getters(x) for x in obj]
    if not hasattr(obj, "to_dict"):
        return obj
    return {name: via_getters(getattr(obj, name)) for name in obj.to_dict()}


def result(r: Any) -> Any:
    """What a case compares: the result read through its getters, which must also agree with
    ``to_dict()`` (a mismatch fails the case)."""
    if not hasattr(r, "to_dict"):
        return r
    got = via_getters(r)
    if got != r.to_dict():
        return {"getters_disagree_with_to_dict": {"getters": got, "to_dict": r.to_dict()}}
    return got


def out(fn: Any) -> Any:
    try:
        r = fn()
    except PacekeeperError as e:
        return {"error": e.code}
    return result(r)


def parse(r: dict[str, Any], now: int, options: dict[str, Any] | None = None) -> pacekeeper.Reading:
    return pacekeeper.parse_headers(
        r["status"], [tuple(p) for p in r.get("headers", [])], r.get("body"), now=now, **(options or {})
    )


def run_headers(c: dict[str, Any]) -> Any:
    return out(lambda: parse(c, c["now"], c.get("options")))


def run_bucket(c: dict[str, Any]) -> Any:
    config = c["config"]
    kwargs = {k: v for k, v in config.items() if k != "limits"}
    try:
        limiter = Limiter(config.get("limits", []), **kwargs)
    except PacekeeperError as e:
        return {"error": e.code}
    results = []
    for step in c["steps"]:
        key, now, cost = step.get("key", ""), step.get("now", 0), step.get("cost", 1)
        op = step["op"]
        if op == "check":
            r = out(lambda: limiter.check(key, cost, now=now))
        elif op == "peek":
            r = out(lambda: limiter.peek(key, cost, now=now))
        elif op == "reserve":
            r = out(lambda: limiter.reserve(key, cost, now=now))
        elif op == "observe":
            r = out(lambda: limiter.observe(key, parse(step["response"], now), now=now))
        elif op == "block_until":
            r = out(lambda: limiter.block_until(key, step.get("until", 0)))
        elif op == "acquire":
            r = out(lambda: limiter.acquire(key))
        elif op == "release":
            r = out(lambda: limiter.release(key))
        elif op == "prune":
            r = limiter.prune(now=now)
        elif op == "restore":
            # Round-trip the whole state through JSON, as a process restart would.
            limiter = Limiter.from_dict(json.loads(json.dumps(limiter.to_dict())))
            r = len(limiter)
        else:
            raise AssertionError(f"unknown op {op}")
        results.append(r)
    return results


def run_backoff(c: dict[str, Any]) -> Any:
    try:
        backoff = Backoff(**c["policy"])
    except PacekeeperError as e:
        return {"error": e.code}
    seed = c.get("seed", 0)
    result: dict[str, Any] = {}
    if "schedule" in c:
        result["schedule"] = backoff.schedule(seed, c["schedule"])
    budget = RetryBudget(**c["budget"]) if "budget" in c else None
    state = RetryState(started_at=c.get("started_at", 0), seed=seed)
    decisions = []
    for step in c.get("steps", []):
        now = step.get("now", 0)
        response = step.get("response")

        def decide() -> Any:
            reading = None if response is None else parse(response, now)
            return backoff.decide(state, reading, now=now, budget=budget)

        d = out(decide)
        if budget is not None:
            d["budget_tokens"] = budget.tokens
        decisions.append(d)
    result["decisions"] = decisions
    return result


def run_plan(c: dict[str, Any]) -> Any:
    req, now = c["request"], c.get("now", 0)
    try:
        prev = pacekeeper.plan(req, now=now)
    except PacekeeperError as e:
        return [{"error": e.code}]
    results: list[Any] = [result(prev)]
    for rp in c.get("replans", []):
        try:
            prev = pacekeeper.replan(req, prev, rp["outcomes"], now=rp.get("now", 0))
            results.append(result(prev))
        except PacekeeperError as e:
            results.append({"error": e.code})
            break
    return results


def run_session(c: dict[str, Any]) -> list[Any]:
    """One scripted pacer session (tests/vectors/sessions.json, mirrors core/tests/sessions.rs):
    every step's answer through :class:`pacekeeper.PacerCore`, in the vectors' JSON shape."""
    config = c["config"]
    pacer = pacekeeper.PacerCore(config)
    options = config.get("parse")
    results: list[Any] = []
    for step in c["steps"]:
        op, now, ticket = step["op"], step.get("now", 0), step.get("ticket", 0)
        if op == "begin":
            r = out(lambda: pacer.begin(step["key"], step.get("cost", 1), now=now))
        elif op == "resume":
            r = out(lambda: pacer.resume(ticket, now=now))
        elif op == "cancel":
            r = out(lambda: pacer.cancel(ticket))
            if r is None:
                r = {"action": "cancelled"}
        elif op == "finish":
            response = step.get("response")

            def finish() -> Any:
                reading = None if response is None else parse(response, now, options)
                return pacer.finish(ticket, reading, now=now)

            r = out(finish)
        elif op == "learnt":
            r = pacer.learnt(step["key"])
        else:
            raise AssertionError(f"unknown op {op}")
        results.append(r)
    return results


SESSIONS = cases("sessions")


def session_mismatches(c: dict[str, Any]) -> list[str]:
    got = run_session(c)
    return [
        f"{c['name']} step {i} ({s['op']} at {s.get('now')}): expected {s['expect']}, got {g} — {s['why']}"
        for i, (s, g) in enumerate(zip(c["steps"], got))
        if g != s["expect"]
    ]


RUNNERS = {"headers": run_headers, "bucket": run_bucket, "backoff": run_backoff, "plan": run_plan}
ALL = [(kind, c) for kind in RUNNERS for c in cases(kind)]


def main() -> None:
    mismatches = [f"{kind}/{c['name']}" for kind, c in ALL if RUNNERS[kind](c) != c["expect"]]
    mismatches += [m for c in SESSIONS for m in session_mismatches(c)]
    steps = sum(len(c["steps"]) for c in SESSIONS)
    summary = {"version": pacekeeper.__version__, "cases": len(ALL), "session_steps": steps, "mismatches": mismatches}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
