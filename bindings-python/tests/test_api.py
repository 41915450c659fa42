"""The Python surface: types, defaults, errors with codes, immutability, header inputs."""

from __future__ import annotations

import email.message
import pickle

import httpx
import pytest
import requests.structures
import urllib3
from hypothesis import given, settings
from hypothesis import strategies as st

import pacekeeper as pk
from pacekeeper import Backoff, Limiter, PacekeeperError, PacekeeperTypeError, RetryState

NOW = 1_700_000_000_000


def test_error_classes() -> None:
    assert issubclass(PacekeeperError, ValueError)
    assert issubclass(PacekeeperTypeError, TypeError)
    assert issubclass(PacekeeperTypeError, PacekeeperError)
    e = pickle.loads(pickle.dumps(PacekeeperError("x", "invalid_cost")))
    assert e.code == "invalid_cost"


@pytest.mark.parametrize(
    ("call", "cls", "code"),
    [
        (lambda: Limiter([{"amount": 0, "period_ms": 1000}]), PacekeeperError, "invalid_limit"),
        (lambda: Limiter([{"amount": 1, "period_ms": 1}] * 4), PacekeeperError, "too_many_limits"),
        (lambda: Limiter([{"amount": 1, "period_ms": 1, "bogus": 1}]), PacekeeperTypeError, "invalid_argument"),
        (lambda: Limiter([{"amount": -1, "period_ms": 1}]), PacekeeperError, "invalid_number"),
        (lambda: Limiter([{"amount": 1.5, "period_ms": 1}]), PacekeeperError, "invalid_number"),
        (lambda: Limiter(5), PacekeeperTypeError, "invalid_argument"),
        (lambda: Limiter().check("k", 0, now=NOW), PacekeeperError, "invalid_cost"),
        (lambda: Limiter().check("", now=NOW), PacekeeperError, "invalid_key"),
        (lambda: Limiter().check(3, now=NOW), PacekeeperTypeError, "invalid_argument"),  # type: ignore[arg-type]
        (lambda: Limiter().check("k", now=-1), PacekeeperError, "invalid_number"),
        (lambda: Limiter().check("k", now=float("nan")), PacekeeperError, "invalid_number"),
        (lambda: Limiter().check("k", now=2.5), PacekeeperError, "invalid_number"),
        (lambda: Limiter().check("k", now=2**64), PacekeeperError, "invalid_number"),
        (lambda: Limiter().check("k", now="1"), PacekeeperTypeError, "invalid_argument"),  # type: ignore[arg-type]
        (lambda: Limiter().check("k", now=True), PacekeeperTypeError, "invalid_argument"),
        (lambda: Limiter().observe("k", {"status": 429}), PacekeeperTypeError, "invalid_argument"),  # type: ignore[arg-type]
        (lambda: Backoff(multiplier=0.5), PacekeeperError, "invalid_policy"),
        (lambda: Backoff(jitter="sometimes"), PacekeeperTypeError, "invalid_argument"),
        (lambda: Backoff(nope=1), PacekeeperTypeError, "invalid_argument"),
        (lambda: Backoff(retry_statuses=[700]), PacekeeperError, "invalid_status"),
        (lambda: pk.parse_headers(99, []), PacekeeperError, "invalid_status"),
        (lambda: pk.parse_headers(70000, []), PacekeeperError, "invalid_status"),
        (lambda: pk.parse_headers(200, "Retry-After: 1"), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.parse_headers(200, [("a",)]), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.parse_headers(200, [("a", 1)]), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.parse_headers(200, [], max_wait_ms=0), PacekeeperError, "invalid_option"),
        (lambda: pk.parse_headers(200, [], reset_mode="weird"), PacekeeperError, "invalid_option"),
        (lambda: pk.plan({"records": 10, "max_batch_records": 0}), PacekeeperError, "invalid_batch"),
        (lambda: pk.plan({"records": 10}), PacekeeperTypeError, "invalid_argument"),
        (lambda: pk.plan([1]), PacekeeperTypeError, "invalid_argument"),  # type: ignore[arg-type]
        (lambda: Backoff().decide(RetryState(0, 0), "x"), PacekeeperTypeError, "invalid_argument"),  # type: ignore[arg-type]
    ],
)
def test_invalid_input_raises_with_code(call, cls, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(cls) as info:
        call()
    assert info.value.code == code
    assert info.value.code in pk.error_codes()
    if code == "invalid_argument":
        assert isinstance(info.value, TypeError)
    else:
        assert not isinstance(info.value, TypeError)


def test_verdicts_and_defaults() -> None:
    lim = Limiter([{"amount": 1, "period_ms": 1000, "burst": 2}])
    assert lim.config["limits"] == [{"amount": 1, "period_ms": 1000, "burst": 2}]
    assert Limiter([{"amount": 3, "period_ms": 1000}]).config["limits"][0]["burst"] == 3
    a = lim.check("k", now=NOW)
    assert a.decision == "allow" and a.allowed and bool(a) and a.remaining == 1 and a.until is None
    assert a.to_dict() == {"decision": "allow", "remaining": 1}
    lim.check("k", now=NOW)
    w = lim.check("k", now=NOW)
    assert not w and w.to_dict() == {"decision": "wait", "until": NOW + 1000, "wait_ms": 1000}
    assert (w.until, w.wait_ms, w.remaining) == (NOW + 1000, 1000, None)
    n = lim.check("k", 3, now=NOW)
    assert n.to_dict() == {"decision": "never", "cost": 3, "capacity": 2}
    with pytest.raises(AttributeError):
        w.until = 5  # type: ignore[misc]
    assert len(lim) == 1
    # now defaults to the system clock
    fresh = Limiter([{"amount": 1, "period_ms": 60_000}])
    assert fresh.check("x").allowed
    later = fresh.check("x")
    assert later.decision == "wait" and abs(later.until - pk.now_ms() - 60_000) < 5_000  # type: ignore[operator]


def test_reading_attributes_match_to_dict() -> None:
    r = pk.parse_headers(
        429,
        {"Retry-After": "30", "RateLimit-Policy": '"burst";q=15;w=15', "X-RateLimit-Limit": "abc"},
        now=NOW,
    )
    d = r.to_dict()
    for name, value in d.items():
        got = getattr(r, name)
        if isinstance(got, list):
            got = [x.to_dict() for x in got]
        assert got == value, name
    assert r.throttled and r.wait_ms == 30_000 and r.wait_source == "retry_after"
    assert r.policies[0].quota == 15 and r.policies[0].window_s == 15
    assert pk.Reading.from_dict(d) == r


def headers_variants():  # type: ignore[no-untyped-def]
    msg = email.message.Message()
    msg["Retry-After"] = "7"
    msg["X-RateLimit-Remaining"] = "0"
    pairs = [("Retry-After", "7"), ("X-RateLimit-Remaining", "0")]
    return [
        pairs,
        tuple(pairs),
        [list(p) for p in pairs],
        dict(pairs),
        {"Retry-After": ["7"], "X-RateLimit-Remaining": "0"},
        [(b"Retry-After", b"7"), ("X-RateLimit-Remaining", "0")],
        requests.structures.CaseInsensitiveDict(dict(pairs)),
        httpx.Headers(pairs),
        urllib3.HTTPHeaderDict(dict(pairs)),
        msg,
    ]


@pytest.mark.parametrize("headers", headers_variants(), ids=lambda h: type(h).__name__)
def test_header_inputs(headers) -> None:  # type: ignore[no-untyped-def]
    r = pk.parse_headers(429, headers, now=NOW)
    assert r.wait_ms == 7000 and r.remaining == 0


def test_repeated_headers_are_kept() -> None:
    h = httpx.Headers([("Retry-After", "5"), ("Retry-After", "9")])
    assert pk.parse_headers(429, h, now=NOW).retry_after_ms == 9000


def test_backoff_and_state() -> None:
    b = Backoff(jitter="none", base_ms=100, cap_ms=1000)
    assert b.policy["jitter"] == "none"
    assert b.schedule(1, 5) == [100, 200, 400, 800, 1000]
    assert b.delay_ms(2, 100, 7) == 200
    st_ = RetryState(started_at=NOW, seed=2**64 - 1)
    assert st_.seed == 2**64 - 1
    d = b.decide(st_, pk.parse_headers(503, [], now=NOW), now=NOW)
    assert d.to_dict() == {"decision": "retry", "at": NOW + 100, "delay_ms": 100, "attempt": 2, "reason": "backoff"}
    assert st_.attempts == 1
    assert b.decide(st_, pk.parse_headers(200, [], now=NOW), now=NOW).decision == "done"
    gu = b.decide(RetryState(NOW, 1), pk.parse_headers(404, [], now=NOW), now=NOW)
    assert (gu.decision, gu.reason, gu.attempts) == ("give_up", "not_retryable", 1)
    net = b.decide(RetryState(NOW, 1), None, now=NOW)
    assert net.decision == "retry"


def test_plan_and_replan() -> None:
    req = {"records": 10_000, "max_batch_records": 500, "limits": [{"amount": 5, "period_ms": 1000, "burst": 15}]}
    p = pk.plan(req, now=NOW)
    assert len(p) == 20 and p.batches[0].send_at == NOW and p.batches[-1].end == 10_000
    assert pk.Plan.from_dict(p.to_dict()) == p
    r = pk.replan(req, p, [{"status": "done", "index": i} for i in range(10)], now=NOW + 5000)
    assert [b.index for b in r.batches] == list(range(10, 20))


@settings(max_examples=200, deadline=None)
@given(
    status=st.integers(min_value=-10, max_value=1000),
    headers=st.lists(st.tuples(st.sampled_from(["Retry-After", "X-RateLimit-Reset", "RateLimit", "inin-ratelimit-count", "Date"]), st.text(max_size=30)), max_size=5),
    now=st.integers(min_value=0, max_value=2**64 - 1),
)
def test_parse_never_crashes(status: int, headers: list[tuple[str, str]], now: int) -> None:
    try:
        r = pk.parse_headers(status, headers, now=now)
    except PacekeeperError as e:
        assert e.code in ("invalid_status", "invalid_number")
    else:
        assert r.status == status


ANY = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["amount", "period_ms", "burst", "x"]), st.integers(min_value=-5, max_value=2**40), max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(key=ANY, cost=ANY, now=ANY, limits=st.one_of(ANY, st.lists(ANY, max_size=4)))
def test_limiter_never_crashes_on_garbage(key, cost, now, limits) -> None:  # type: ignore[no-untyped-def]
    try:
        lim = Limiter(limits)
        lim.check(key, cost, now=now)
        lim.reserve(key, cost, now=now)
        lim.block_until(key, now)
    except PacekeeperError as e:
        assert e.code in pk.error_codes()


@settings(max_examples=200, deadline=None)
@given(policy=st.dictionaries(st.sampled_from(["base_ms", "multiplier", "cap_ms", "jitter", "max_attempts", "deadline_ms", "retry_statuses", "hint_spread_percent", "max_wait_ms", "bogus"]), ANY, max_size=4), seed=ANY, n=ANY)
def test_backoff_never_crashes_on_garbage(policy, seed, n) -> None:  # type: ignore[no-untyped-def]
    try:
        b = Backoff(**policy)
        b.schedule(seed, n)
        b.decide(RetryState(0, seed), pk.parse_headers(429, [("Retry-After", "1")], now=0), now=n)
    except PacekeeperError as e:
        assert e.code in pk.error_codes()


def test_schedule_stops_at_the_core_attempt_limit() -> None:
    # The core's attempt limit (1,000) bounds n, in every runtime: beyond it invalid_number
    # (tests/vectors/errors.json), never a silently shorter list.
    b = Backoff()
    full = b.schedule(7, 1000)
    assert len(full) == 1000
    assert b.schedule(7, 999) == full[:999]
    for n in (1001, 10001, 2**64 - 1):
        with pytest.raises(pk.PacekeeperError) as e:
            b.schedule(7, n)
        assert e.value.code == "invalid_number"


def test_reprs_use_python_spelling() -> None:
    r = pk.parse_headers(429, [("Retry-After", "1")], now=0)
    assert repr(r) == (
        "Reading(limit=None, remaining=None, source=None, status=429, throttled=True, wait_ms=1000, "
        "wait_source='retry_after')"
    )
    d = Backoff().decide(RetryState(0, 1), r, now=0)
    for obj in (d, RetryState(0, 1), pk.RetryBudget(), Backoff()):
        text = repr(obj)
        assert "Some(" not in text and "true" not in text and "{ " not in text, text
    assert repr(pk.RetryBudget(capacity=3)).startswith("RetryBudget(capacity=3, ")
