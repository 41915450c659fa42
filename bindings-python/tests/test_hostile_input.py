"""Hostile input at the boundary (issue 12): any value into every public constructor and method
gives a result or a coded error of the right class, never an uncoded exception, a hang or
unbounded memory; serde and argument errors are classified by one rule (API.md)."""

from __future__ import annotations

import time
import tracemalloc
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pacekeeper as pk
from pacekeeper import Backoff, Limiter, PacekeeperError, PacekeeperTypeError, RetryBudget, RetryState

CODES = set(pk.error_codes())
# Per call. Generous for a loaded 2-core CI machine; a hang is seconds, not this.
CALL_BOUND_S = 0.1

LONE = "\ud800"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, 1, 2**31 - 1, 2**32 - 1, 2**32, 2**53 - 1, 2**53, 2**63, 2**64 - 1, 2**64, -1, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1.5, 2.0, 1e300, float("nan"), float("inf"), -float("inf")]),
    st.text(max_size=20),
    st.sampled_from([LONE, "a\udfffb", "", "auto", "full", "epoch_seconds", "x" * 300]),
    st.binary(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.sampled_from(["amount", "period_ms", "burst", "records", "sizes", "max_batch_records", "limits", "status", "x", LONE]), inner, max_size=4),
    ),
    max_leaves=12,
)

# A small pool of objects of the package's own types, so methods also get the right kind of value.
READING = pk.parse_headers(429, [("Retry-After", "1")], now=0)
kinds = st.one_of(values, st.sampled_from([READING, RetryState(0, 1), RetryBudget(), Backoff(), Limiter()]))

LIMITS = [{"amount": 5, "period_ms": 1000}]


def entry_points() -> dict[str, Callable[..., Any]]:
    limiter = Limiter(LIMITS, max_in_flight=4)
    backoff = Backoff()
    return {
        "parse_headers": lambda a, b, c: pk.parse_headers(a, b, c),
        "parse_headers_opts": lambda a, b, c: pk.parse_headers(429, [], now=a, max_wait_ms=b, reset_mode=c),
        "Limiter": lambda a, b, c: Limiter(a, learn=b, adaptive=c),
        "Limiter_in_flight": lambda a, b, c: Limiter(a, max_in_flight=b),
        "Limiter.from_dict": lambda a, b, c: Limiter.from_dict(a),
        "check": lambda a, b, c: limiter.check(a, b, now=c),
        "peek": lambda a, b, c: limiter.peek(a, b, now=c),
        "reserve": lambda a, b, c: limiter.reserve(a, b, now=c),
        "observe": lambda a, b, c: limiter.observe(a, b, now=c),
        "block_until": lambda a, b, c: limiter.block_until(a, b),
        "acquire": lambda a, b, c: limiter.acquire(a),
        "release": lambda a, b, c: limiter.release(a),
        "prune": lambda a, b, c: limiter.prune(now=a),
        "Backoff": lambda a, b, c: Backoff(base_ms=a, multiplier=b, jitter=c),
        "Backoff_more": lambda a, b, c: Backoff(max_attempts=a, retry_statuses=b, max_wait_ms=c),
        "decide": lambda a, b, c: backoff.decide(a, b, now=c),
        "decide_budget": lambda a, b, c: backoff.decide(RetryState(0, 1), None, now=a, budget=b),
        "delay_ms": lambda a, b, c: backoff.delay_ms(a, b, c),
        "schedule": lambda a, b, c: backoff.schedule(a, b),
        "RetryState": lambda a, b, c: RetryState(a, b),
        "RetryBudget": lambda a, b, c: RetryBudget(capacity=a, tokens=b, retry_cost=c),
        "Reading.from_dict": lambda a, b, c: pk.Reading.from_dict(a),
        "plan": lambda a, b, c: pk.plan(a, now=b),
        "plan_request": lambda a, b, c: pk.plan({"records": a, "max_batch_records": b, "limits": c}, now=0),
        "replan": lambda a, b, c: pk.replan({"records": 10}, a, b, now=c),
        "Plan.from_dict": lambda a, b, c: pk.Plan.from_dict(a),
        "Pacer": lambda a, b, c: pk.Pacer(limits=a, key=b, max_wait_ms=c).limiter,
    }


ENTRY = entry_points()


def coded_or_result(name: str, args: tuple) -> None:
    fn = ENTRY[name]
    start = time.perf_counter()
    try:
        fn(*args)
    except PacekeeperError as e:
        assert e.code in CODES, (name, args, e.code)
        # The class follows the code: TypeError for invalid_argument, ValueError otherwise.
        assert isinstance(e, PacekeeperTypeError) == (e.code == "invalid_argument"), (name, args, e)
    except TypeError as e:  # pragma: no cover - the failure this test exists for
        # Python's own arity errors cannot happen here (every entry point takes 3 arguments).
        pytest.fail(f"{name}{args!r}: uncoded TypeError {e!r}")
    except Exception as e:  # pragma: no cover
        pytest.fail(f"{name}{args!r}: uncoded {type(e).__name__}: {e!r}")
    elapsed = time.perf_counter() - start
    if elapsed > CALL_BOUND_S:
        # One more timed try: a loaded machine may stall one call; a hang stalls both.
        start = time.perf_counter()
        try:
            fn(*args)
        except PacekeeperError:
            pass
        again = time.perf_counter() - start
        assert again <= CALL_BOUND_S, f"{name}{args!r} took {elapsed * 1000:.0f} ms then {again * 1000:.0f} ms (bound {CALL_BOUND_S * 1000:.0f} ms)"


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(ENTRY)), a=kinds, b=kinds, c=kinds)
def test_any_value_gives_a_result_or_a_coded_error(name: str, a: Any, b: Any, c: Any) -> None:
    coded_or_result(name, (a, b, c))


def test_no_unbounded_memory_on_repeated_hostile_calls() -> None:
    # The same hostile calls many times: Python-visible memory stays flat (no leak per call).
    limiter = Limiter(LIMITS)
    calls: list[Callable[[], Any]] = [
        lambda: limiter.check("k" + LONE, 1.5),
        lambda: Limiter([{"amount": 1.5, "period_ms": 1}]),
        lambda: pk.parse_headers(429, [("Retry-After", LONE * 100)], "x" * 1000),
        lambda: Backoff().decide("state", None),  # type: ignore[arg-type]
        lambda: pk.plan({"records": -1}),
    ]
    tracemalloc.start()
    try:
        for _ in range(200):
            for call in calls:
                try:
                    call()
                except PacekeeperError:
                    pass
        base, _ = tracemalloc.get_traced_memory()
        for _ in range(2000):
            for call in calls:
                try:
                    call()
                except PacekeeperError:
                    pass
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert after - base < 256 * 1024, f"grew {after - base} bytes over 10,000 hostile calls"


@pytest.mark.parametrize(
    "call, cls, code",
    [
        # Issue 12: errors without .code before.
        (lambda: Limiter(learn=1), PacekeeperTypeError, "invalid_argument"),
        (lambda: Limiter(learn="yes"), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.parse_headers(200, [], reset_mode=1), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.parse_headers(200, [], reset_mode=b"auto"), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.parse_headers(200, [], reset_mode="sometimes"), PacekeeperError, "invalid_option"),
        (lambda: Backoff().decide(None, None), PacekeeperTypeError, "invalid_argument"),
        (lambda: Backoff().decide(RetryBudget(), None), PacekeeperTypeError, "invalid_argument"),
        (lambda: Backoff().decide({"attempts": 0}, READING), PacekeeperTypeError, "invalid_argument"),
        (lambda: Limiter().check(42), PacekeeperTypeError, "invalid_argument"),
        # One rule for serde and arguments: a float (or out-of-range integer) for an integer is
        # invalid_number; any other mismatch is invalid_argument.
        (lambda: Limiter([{"amount": 1.5, "period_ms": 1000}]), PacekeeperError, "invalid_number"),
        (lambda: Limiter([{"amount": -1, "period_ms": 1000}]), PacekeeperError, "invalid_number"),
        (lambda: Limiter([{"amount": 2**40, "period_ms": 1000}]), PacekeeperError, "invalid_number"),
        (lambda: Limiter([{"amount": "5", "period_ms": 1000}]), PacekeeperTypeError, "invalid_argument"),
        (lambda: Limiter(max_in_flight=2**40), PacekeeperError, "invalid_number"),
        (lambda: Limiter(max_in_flight=1.5), PacekeeperError, "invalid_number"),
        (lambda: RetryBudget(capacity=1.5), PacekeeperError, "invalid_number"),
        (lambda: RetryBudget(capacity=2**33), PacekeeperError, "invalid_number"),
        (lambda: RetryBudget(capacity="1"), PacekeeperTypeError, "invalid_argument"),
        (lambda: RetryBudget(nope=1), PacekeeperTypeError, "invalid_argument"),
        (lambda: Backoff(base_ms=2.5), PacekeeperError, "invalid_number"),
        (lambda: Backoff(max_attempts=-3), PacekeeperError, "invalid_number"),
        (lambda: Backoff(hint_spread_percent=[1]), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.plan({"records": 2.5}), PacekeeperError, "invalid_number"),
        (lambda: pk.plan({"records": 10, "max_batch_records": 1.5}), PacekeeperError, "invalid_number"),
        (lambda: pk.plan({"records": "10"}), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.Pacer(max_wait_ms=0), PacekeeperError, "invalid_option"),
    ],
)
def test_coded_errors(call: Callable[[], Any], cls: type, code: str) -> None:
    with pytest.raises(cls) as info:
        call()
    assert info.value.code == code


def test_lone_surrogates_are_text_as_in_javascript() -> None:
    # JS strings with lone surrogates cross into Rust as U+FFFD (napi and wasm alike): same here.
    limiter = Limiter([{"amount": 1, "period_ms": 1000}])
    assert limiter.check("a" + LONE, now=0).allowed
    assert not limiter.check("a\ufffd", now=0).allowed  # the same key
    r = pk.parse_headers(429, [("Retry-After" + LONE, "1"), ("X-RateLimit-Limit", LONE)], LONE, now=0)
    assert r.status == 429
    assert pk.parse_headers(429, [("Retry-After", "2")], "Retry the request in [7] seconds" + LONE, now=0).wait_ms == 2000
    with pytest.raises(PacekeeperTypeError):
        pk.plan({"records": 1, LONE: 1})  # an unknown field, named with U+FFFD, not a crash


def test_schedule_limit_is_the_cores() -> None:
    # One rule in the core (backoff::MAX_ATTEMPTS), the same in every runtime (errors.json):
    # up to 1,000 delays, beyond it invalid_number (JS used to return 1,000 delays silently).
    assert len(Backoff().schedule(1, 1000)) == 1000
    assert Backoff().schedule(1, 0) == []
    for n in (1001, 10001, 2**32, 2**64 - 1):
        with pytest.raises(PacekeeperError) as e:
            Backoff().schedule(1, n)
        assert e.value.code == "invalid_number"
        assert not isinstance(e.value, PacekeeperTypeError)


MAX_TIME = 2**53 - 1


def test_times_end_at_2_pow_53() -> None:
    # The core's MAX_TIME: no verdict or decision beyond 2^53 - 1. A `now` beyond it is the
    # codec's invalid_number, as in every runtime (tests/vectors/errors.json "check now 2^53").
    limiter = Limiter([{"amount": 1, "period_ms": 1000}])
    assert limiter.check("k", now=MAX_TIME - 1500).allowed
    v = limiter.check("k", now=MAX_TIME - 1500)
    assert (v.decision, v.until, v.wait_ms) == ("wait", MAX_TIME - 500, 1000)
    assert limiter.reserve("k", now=MAX_TIME - 1500).decision == "wait"
    # The next slot would come after the end of time: never, and nothing is booked.
    for now in (MAX_TIME - 1500, MAX_TIME - 1, MAX_TIME):
        assert limiter.reserve("k", now=now).to_dict() == {"decision": "never", "cost": 1, "capacity": 0}
    for now in (MAX_TIME + 1, 2**60, 2**64 - 1):
        with pytest.raises(pk.PacekeeperError) as info:
            limiter.reserve("k", now=now)
        assert info.value.code == "invalid_number"
    b = Backoff()
    throttle = pk.parse_headers(429, [("Retry-After", "100")], now=MAX_TIME)
    for now in (MAX_TIME - 50_000, MAX_TIME):
        d = b.decide(RetryState(now, 1), throttle, now=now)
        assert (d.decision, d.reason) == ("give_up", "deadline")
    d = b.decide(RetryState(0, 1), None, now=MAX_TIME - 100_000)
    assert d.decision == "retry" and d.at <= MAX_TIME and d.at - (MAX_TIME - 100_000) == d.delay_ms


def test_a_saturated_clock_grants_nothing_extra() -> None:
    # 3,000 per second is kept in 1/3,000 ms: past 6.1e15 ms the core's u64 saturated and every
    # check was admitted. Now: the burst, then nothing.
    far = 6_000_000_000_000_000
    for now in (far, MAX_TIME):
        limiter = Limiter([{"amount": 3000, "period_ms": 1000, "burst": 3}])
        allowed = sum(limiter.check("k", now=now).allowed for _ in range(100))
        assert allowed == (3 if now == far else 0), now


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    amount=st.integers(1, 1_000_000),
    period=st.integers(1, 2**31),
    now=st.integers(MAX_TIME - 10**8, MAX_TIME),
    ops=st.lists(st.sampled_from(["check", "reserve", "peek"]), min_size=1, max_size=30),
)
def test_no_result_beyond_2_pow_53(amount: int, period: int, now: int, ops: list[str]) -> None:
    limiter = Limiter([{"amount": amount, "period_ms": period, "burst": min(amount, 3)}])
    admitted = 0
    for op in ops:
        v = getattr(limiter, op)("k", now=now).to_dict()
        if v["decision"] == "wait":
            assert v["until"] <= MAX_TIME and v["until"] - now == v["wait_ms"] > 0
        elif v["decision"] == "allow":
            admitted += op != "peek"
        else:
            assert v == {"decision": "never", "cost": 1, "capacity": 0}
    assert admitted <= 3


def _rss() -> int:
    """Resident memory now (Linux /proc), which also holds the extension's own allocations."""
    import gc

    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"), reason="needs /proc (Linux)")
def test_no_unbounded_native_memory_on_repeated_hostile_calls() -> None:
    # tracemalloc sees Python's allocations only: RSS also sees the Rust side (keys, states,
    # readings). Rounds of hostile calls with big inputs, after a warm-up, keep RSS flat.
    big = "k" * 1_000_000
    limiter = Limiter(LIMITS)

    def round_(tag: str) -> None:
        for i in range(40):
            for call in (
                lambda: limiter.check(big + tag + str(i), now=0),  # over the key limit
                lambda: limiter.check("n" * 240 + tag + str(i), 1000, now=0),  # never fits
                lambda: pk.parse_headers(429, [("RateLimit-Policy", ", ".join(f'"p{j}";q=1;w=1' for j in range(2000)))], big),
                lambda: Backoff().schedule(1, 10**6),
                lambda: pk.plan({"records": 10**7, "max_batch_records": 1}),
                lambda: Limiter(adaptive=[]),
            ):
                try:
                    call()
                except PacekeeperError:
                    pass
        limiter.prune(now=10**12)

    round_("warm")
    before = _rss()
    round_("a")
    round_("b")
    grew = (_rss() - before) / 2**20
    assert grew < 32, f"RSS grew {grew:.1f} MB over two rounds of hostile calls"


def test_delay_ms_is_fast_for_any_attempt_number() -> None:
    b = Backoff(multiplier=1.0)
    start = time.perf_counter()
    b.delay_ms(2**32 - 1, 0, 1)
    assert time.perf_counter() - start < CALL_BOUND_S
