"""The ``store`` option of pacekeeper's Python shells (``Pacer.call`` / ``call_async``, the
adapters) against a real redis-server: a lockout learnt through one client holds back another,
and a store paused then stopped mid-run keeps every call bounded, says ``store_down``, then
``store_up`` once it is back. Needs the pacekeeper wheel in this venv (make test-redis-shells)."""
import asyncio
import signal
import time

import pytest
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry

import pacekeeper
from pacekeeper import Pacer, PacekeeperError, PacekeeperTypeError
from pacekeeper.store_redis import AsyncRedisStore, RedisStore, StoreError


class Resp:
    def __init__(self, status=200, headers=None):
        self.status_code = status
        self.headers = headers or {}


def client(port, timeout=0.15):
    return redis.Redis(port=port, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))


def event_name(e):
    return e.get("event") if isinstance(e, dict) else getattr(e, "event", None)


def test_bad_arguments_are_coded_errors():
    with pytest.raises(PacekeeperTypeError):
        RedisStore(None)
    with pytest.raises(TypeError):
        RedisStore(object())
    with pytest.raises(PacekeeperTypeError):
        Pacer(store=object())
    with pytest.raises(PacekeeperTypeError):
        Pacer(shared={"policy": "deny"})
    with pytest.raises(PacekeeperError):
        Pacer(store=RedisStore(redis.Redis()), shared={"policy": "sometimes"})
    assert Pacer().store is None  # no store: the in-memory pacer of before
    assert len(pacekeeper._native.shared_script_sha1()) == 40


def test_a_lockout_learnt_through_one_client_holds_back_another(server):
    a = Pacer(store=RedisStore(client(server.port, 0.5)))
    b = Pacer(store=RedisStore(client(server.port, 0.5)))
    answers = iter([Resp(429, {"Retry-After": "2"}), Resp(200)])
    locked = []

    def first():
        r = next(answers)
        if r.status_code == 429:
            locked.append(time.time())
        return r

    # a: a 429 with Retry-After: 2, then the retry (the pacer sleeps it out).
    import threading

    t = threading.Thread(target=lambda: a.call(first, key="tenant-x"))
    t.start()
    while not locked:
        time.sleep(0.01)
    time.sleep(0.2)
    sent = []
    b.call(lambda: sent.append(time.time()) or Resp(200), key="tenant-x")
    t.join(10)
    assert sent[0] >= locked[0] + 2.0 - 0.02, sent[0] - locked[0]
    assert sent[0] < locked[0] + 4.0
    start = time.time()
    b.call(lambda: Resp(200), key="tenant-y")  # another key is not held back
    assert time.time() - start < 1.0


def test_sync_store_paused_then_stopped_bounded_calls_and_events(server):
    events = []
    timeout = 0.15
    pacer = Pacer(limits=[{"amount": 100, "period_ms": 1000, "burst": 10}], store=RedisStore(client(server.port, timeout)),
                  shared={"policy": "degrade", "peers": 2, "probe_interval_ms": 200},
                  on_store_event=lambda e: events.append((e, time.time())))

    def run():
        t0 = time.time()
        pacer.call(lambda: Resp(200), key="budget")
        return time.time() - t0

    for _ in range(10):
        assert run() < timeout
    assert events == []
    server.signal(signal.SIGSTOP)
    worst = max(run() for _ in range(8))
    assert worst < timeout + 0.3, worst
    down = [e for e, _ in events if event_name(e) == "store_down"]
    assert down, events
    server.signal(signal.SIGCONT)
    back = time.time()
    for _ in range(100):
        if any(event_name(e) == "store_up" for e, _ in events):
            break
        run()
        time.sleep(0.02)
    up = [at for e, at in events if event_name(e) == "store_up"]
    assert up, events
    assert up[0] - back < 2.0
    server.stop()
    assert max(run() for _ in range(5)) < timeout + 0.3


def test_async_store_shares_a_budget_and_stays_bounded_when_stopped(server):
    async def main():
        c = redis.asyncio.Redis(port=server.port, socket_timeout=0.15, socket_connect_timeout=0.15, retry=Retry(NoBackoff(), 0))
        events = []
        pacer = Pacer(limits=[{"amount": 20, "period_ms": 1000, "burst": 2}], store=AsyncRedisStore(c),
                      on_store_event=events.append)

        async def ok():
            return Resp(200)

        t0 = time.time()
        for _ in range(6):
            await pacer.call_async(ok, key="shared")
        paced = time.time() - t0
        server.stop()
        t1 = time.time()
        for _ in range(3):
            await pacer.call_async(ok, key="shared")
        await c.aclose()
        return paced, time.time() - t1, events

    paced, down, events = asyncio.run(main())
    assert paced >= 0.18, paced  # 2 at once, then one per 50 ms
    assert down < 1.5, down
    assert any(event_name(e) == "store_down" for e in events), events


def test_a_sync_call_with_an_async_store_is_a_clear_error(server):
    pacer = Pacer(store=AsyncRedisStore(redis.asyncio.Redis(port=server.port)))
    with pytest.raises(PacekeeperTypeError):
        pacer.call(lambda: Resp(200), key="k")


def test_policy_deny_refuses_with_store_denied(server):
    pacer = Pacer(store=RedisStore(client(server.port, 0.1)), shared={"policy": "deny"})
    pacer.call(lambda: Resp(200), key="k")
    server.stop()
    sent = []
    with pytest.raises(PacekeeperError) as e:
        pacer.call(lambda: sent.append(1) or Resp(200), key="k")
    assert e.value.code == "store_denied"
    assert sent == []


def test_store_error_codes_are_never_denials(server):
    store = RedisStore(client(server.port, 0.1))
    server.signal(signal.SIGSTOP)
    with pytest.raises(StoreError) as e:
        store.send(["{a}:1", "{a}:2"], ["x"])
    assert e.value.code == "store_timeout"


def test_the_httpx_transport_and_a_pacer_over_two_clients_share_one_budget(server):
    import httpx

    from pacekeeper.httpx import PacekeeperTransport

    limits = [{"amount": 20, "period_ms": 1000, "burst": 2}]
    sent = []

    def handler(request):
        sent.append(time.time())
        return httpx.Response(200, text="ok")

    transport = PacekeeperTransport(httpx.MockTransport(handler), limits=limits, key=lambda r: "api",
                                    store=RedisStore(client(server.port, 0.5)))
    pacer = Pacer(limits=limits, store=RedisStore(client(server.port, 0.5)))
    t0 = time.time()
    with httpx.Client(transport=transport) as http:
        for _ in range(3):
            assert http.get("http://127.0.0.1:9/x").status_code == 200
            pacer.call(lambda: sent.append(time.time()) or Resp(200), key="api")
    # 6 requests on one budget of burst 2, then one per 50 ms: at least 4 intervals.
    assert time.time() - t0 >= 0.19, time.time() - t0
    assert len(sent) == 6


def test_the_readme_s_python_store_example_runs_against_a_real_server(server, monkeypatch):
    import http.server
    import pathlib
    import re
    import threading

    readme = (pathlib.Path(__file__).resolve().parents[3] / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "RedisStore" in b)

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *a):
            pass

    api = http.server.HTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{server.port}")
    scope = {"url": f"http://127.0.0.1:{api.server_address[1]}/"}
    try:
        exec(compile(block, "README.md", "exec"), scope)
    finally:
        api.shutdown()
    assert scope["response"].status_code == 200
    assert scope["pacer"].store is not None


def test_the_requests_adapter_and_a_pacer_over_two_clients_share_one_budget(server):
    import http.server
    import threading

    import requests

    from pacekeeper.requests import PacekeeperAdapter

    sent = []

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            sent.append(time.time())
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *a):
            pass

    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    limits = [{"amount": 20, "period_ms": 1000, "burst": 2}]
    adapter = PacekeeperAdapter(limits=limits, key=lambda r: "api", store=RedisStore(client(server.port, 0.5)))
    pacer = Pacer(limits=limits, store=RedisStore(client(server.port, 0.5)))
    session = requests.Session()
    session.mount("http://", adapter)
    t0 = time.time()
    try:
        for _ in range(3):
            assert session.get(f"http://127.0.0.1:{api.server_address[1]}/x", timeout=5).status_code == 200
            pacer.call(lambda: sent.append(time.time()) or Resp(200), key="api")
    finally:
        api.shutdown()
    # 6 requests on one budget of burst 2, then one per 50 ms: at least 4 intervals.
    assert time.time() - t0 >= 0.19, time.time() - t0
    assert len(sent) == 6
