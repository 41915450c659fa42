"""PacerCore in shared mode (``shared={...}``): consult steps carrying the EVALSHA keys and args,
the store's replies (six ints: code, wait_us, lease, reason, now_us, expire_ms), the outbox and the
events. The same cases as tests/js/pacer-shared.test.cjs."""

from __future__ import annotations

import hashlib

import pytest

from pacekeeper import _native

NOW = 1_700_000_000_000
LIMITS = [{"amount": 10, "period_ms": 1000, "burst": 1}]


def test_script_and_sha1() -> None:
    script = _native.shared_script()
    assert "redis.call" in script
    assert _native.shared_script_sha1() == hashlib.sha1(script.encode()).hexdigest()


def test_consult_allow_release() -> None:
    p = _native.PacerCore(limits=LIMITS, shared={"heartbeat_ms": 0})
    s = p.begin("tenant-a", 1, now=NOW)
    assert s.action == "consult"
    assert s.keys == ["pk:{tenant-a}:s", "pk:{tenant-a}:l"]
    assert s.args == ["1", "a", "0", "600000000", "1", "30000000", "0", "10000000", "1", "100000", "1"]
    assert s.until is None and s.reason is None
    assert s.to_dict() == {"action": "consult", "ticket": s.ticket}
    g = p.consulted(s.ticket, [0, 0, 7, 0, NOW * 1000, 700000], now=NOW)
    assert (g.action, g.ticket, g.keys) == ("go", s.ticket, None)
    assert p.poll_store() is None
    reading = _native.parse_headers(200, [], now=NOW + 5)
    assert p.finish(s.ticket, reading, now=NOW + 5).action == "done"
    c = p.poll_store()
    assert c is not None
    assert c["keys"] == ["pk:{tenant-a}:s", "pk:{tenant-a}:l"]
    assert c["args"][:6] == ["1", "r", "0", "600000000", "0", "7"]
    assert p.poll_store() is None
    p.store_done([4, 0, 1, 0, NOW * 1000, 0], now=NOW + 6)
    assert p.poll_event() is None


@pytest.mark.parametrize("key", ["a{b}c", "x\x00y", "üñí😀,:;", "%7B"])
def test_any_key_text(key: str) -> None:
    p = _native.PacerCore(shared={})
    s = p.begin(key, 1, now=NOW)
    tag = key.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")
    assert s.keys == [f"pk:{{{tag}}}:s", f"pk:{{{tag}}}:l"]


def test_reserved_then_go_and_wait_asks_again() -> None:
    p = _native.PacerCore(limits=LIMITS, shared={"caller_clock": True})
    s = p.begin("k", 1, now=NOW)
    assert s.args[2] == str(NOW * 1000)
    w = p.consulted(s.ticket, [1, 250_000, 3, 1, NOW * 1000, 1000], now=NOW)
    assert (w.action, w.until) == ("wait", NOW + 250)
    assert p.resume(s.ticket, now=NOW + 250).action == "go"
    s2 = p.begin("k", 1, now=NOW + 300)
    w2 = p.consulted(s2.ticket, (2, 2_000_000, 0, 4, 1, 0), now=NOW + 300)
    assert (w2.action, w2.until) == ("wait", NOW + 2300)
    assert p.lane("k")["floor"] == NOW + 2300
    assert p.resume(s2.ticket, now=NOW + 2300).action == "consult"


def test_store_errors_by_policy_and_events() -> None:
    d = _native.PacerCore(limits=LIMITS, shared={"peers": 2})
    s = d.begin("k", 1, now=NOW)
    # A store error is never a denial: the degraded share (a half: 5/s) decides. It starts empty
    # (the shared burst may be spent), so the first token is one share interval away.
    w0 = d.consulted(s.ticket, "store_timeout", now=NOW)
    assert (w0.action, w0.until) == ("wait", NOW + 200)
    assert d.resume(s.ticket, now=NOW + 200).action == "go"
    assert d.store_down
    assert d.poll_event() == {"event": "store_down", "policy": "degrade", "peers": 2}
    assert d.poll_event() is None
    w = d.begin("k", 1, now=NOW + 210)
    assert w.action == "wait"
    d.cancel(w.ticket)
    probe = d.begin("k", 1, now=NOW + 1000)
    assert probe.action == "consult"
    assert d.consulted(probe.ticket, [0, 0, 1, 0, 5, 1], now=NOW + 1000).action == "go"
    assert d.poll_event() == {"event": "store_up", "down_for_us": 1_000_000}

    n = _native.PacerCore(limits=LIMITS, shared={"policy": "deny"})
    t = n.begin("k", 1, now=NOW)
    never = n.consulted(t.ticket, "store_unavailable", now=NOW)
    assert (never.action, never.reason, never.capacity) == ("never", "store_denied", 0)
    a = _native.PacerCore(limits=LIMITS, shared={"policy": "allow"})
    u = a.begin("k", 1, now=NOW)
    assert a.consulted(u.ticket, "store_server", now=NOW).action == "go"
    # A reply of the wrong shape is the server's fault: a store error, never an exception.
    b = _native.PacerCore(limits=LIMITS, shared={"policy": "deny"})
    v = b.begin("k", 1, now=NOW)
    assert b.consulted(v.ticket, [b"0", None, 1, 0, 5, 1], now=NOW).reason == "store_denied"


def test_throttle_queues_a_lockout() -> None:
    p = _native.PacerCore(limits=LIMITS, shared={"lease_ttl_ms": 0, "heartbeat_ms": 0})
    s = p.begin("k", 1, now=NOW)
    p.consulted(s.ticket, [0, 0, 0, 0, 1, 1], now=NOW)
    r = _native.parse_headers(429, [("Retry-After", "3")], now=NOW + 10)
    assert p.finish(s.ticket, r, now=NOW + 10).action == "retry"
    c = p.poll_store()
    assert c is not None and c["args"][:8] == ["1", "l", "0", "600000000", "0", "0", "0", "3000000"]
    assert p.poll_store() is None
    p.store_done("store_unavailable", now=NOW + 11)
    e = p.poll_event()
    assert e is not None and e["event"] == "store_down"


def test_heartbeats_count_peers() -> None:
    p = _native.PacerCore(limits=LIMITS, shared={"heartbeat_ms": 2000})
    s = p.begin("k", 1, now=NOW)
    assert p.poll_store() == {
        "keys": ["pk:{k}:s", "pk:{k}:l"],
        "args": ["1", "h", "0", "600000000", "0", "0", "0", "6000000", "0"],
    }
    p.store_done([4, 3, 9, 6, NOW * 1000, 600000], now=NOW)
    # A third of the budget (10/s: one per 300 ms), starting empty.
    w = p.consulted(s.ticket, "store_unavailable", now=NOW)
    assert (w.action, w.until) == ("wait", NOW + 300)
    assert p.poll_event() == {"event": "store_down", "policy": "degrade", "peers": 3}


def test_bad_options_and_answers() -> None:
    with pytest.raises(ValueError) as e:
        _native.PacerCore(shared={"nope": 1})
    with pytest.raises(ValueError) as e:
        _native.PacerCore(shared={"idle_ttl_ms": 0})
    assert getattr(e.value, "code", None) == "invalid_option"
    p = _native.PacerCore(shared={})
    s = p.begin("k", 1, now=NOW)
    with pytest.raises(ValueError) as e:
        p.consulted(s.ticket, "oops", now=NOW)
    assert getattr(e.value, "code", None) == "invalid_option"
    with pytest.raises(TypeError):
        p.consulted(s.ticket, {"a": 1}, now=NOW)
    with pytest.raises(ValueError) as e:
        p.resume(s.ticket, now=NOW)
    assert getattr(e.value, "code", None) == "ticket_state"
    plain = _native.PacerCore(limits=LIMITS)
    assert plain.begin("k", 1, now=NOW).action == "go"
    assert plain.poll_store() is None and plain.poll_event() is None
    assert "shared" not in plain.config
