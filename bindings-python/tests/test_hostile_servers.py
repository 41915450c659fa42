"""Hostile servers (issue 12) against the requests adapter and the httpx transports: bodies are
read only when needed, at most a few KB, within the request's timeout; a successful streamed body
is never touched; every wait is at most ``max_wait_ms`` whatever its source; a server value never
raises out of an adapter. The server is a loopback one started here (127.0.0.1, a free port)."""

from __future__ import annotations

import asyncio
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
import requests

import pacekeeper as pk
from pacekeeper.httpx import AsyncPacekeeperTransport, PacekeeperTransport
from pacekeeper.requests import PacekeeperAdapter

# A misbehaving body ends on its own after this long (so a regression fails instead of hanging).
SERVER_LIMIT_S = 8.0
CHUNK = b"x" * 65536
HINT = b'{"message":"Rate limit exceeded the maximum. Retry the request in [2] seconds","code":"too.many.requests.retry.after","status":429}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # bodies end when the connection closes

    def log_message(self, *args: Any) -> None:
        pass

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def _endless(self, piece: bytes, pause: float) -> None:
        end = time.monotonic() + SERVER_LIMIT_S
        try:
            while time.monotonic() < end:
                self.wfile.write(piece)
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
        except OSError:
            pass  # the client went away: what we want

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.hits[path] = self.server.hits.get(path, 0) + 1  # type: ignore[attr-defined]
        if path == "/trickle429":
            self._head(429, {"Content-Type": "application/json"})
            self._endless(b" ", 0.05)
        elif path == "/endless429":
            self._head(429, {"Content-Type": "text/plain"})
            self._endless(CHUNK, 0)
        elif path == "/endless200":
            self._head(200, {"Content-Type": "application/octet-stream"})
            self._endless(CHUNK, 0)
        elif path == "/genesys429":
            # No Retry-After: the wait is only in the body; 10 KB of padding after it.
            body = HINT + b" " * 10_000
            self._head(429, {"Content-Type": "application/json", "Content-Length": str(len(body))})
            self.wfile.write(body)
        elif path == "/huge-window":
            # A learnt policy with a 49.7-day window and nothing left.
            self._head(200, {"RateLimit-Policy": '"d";q=1;w=4294967', "RateLimit": '"d";r=0;t=4294967', "Content-Length": "2"})
            self.wfile.write(b"ok")
        elif path == "/weird":
            self._head(
                429,
                {
                    "Retry-After": "99999999999999999999999999",
                    "RateLimit-Policy": '"d";q=1;w=99999999999999999999',
                    "X-RateLimit-Reset": "-5",
                    "X-RateLimit-Remaining": "1e400",
                    "Content-Length": "0",
                },
            )
        elif path == "/status600":
            self._head(600, {"Content-Length": "0"})
        else:
            self._head(200, {"Content-Length": "2"})
            self.wfile.write(b"ok")


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.hits = {}  # type: ignore[attr-defined]
    srv.lock = threading.Lock()  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"  # type: ignore[attr-defined]
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def fast_backoff(**kw: Any) -> pk.Backoff:
    return pk.Backoff(base_ms=1, cap_ms=10, **kw)


def requests_session(clock: pk.FakeClock, **kw: Any) -> requests.Session:
    s = requests.Session()
    pacer = pk.Pacer(backoff=kw.pop("backoff", fast_backoff(max_attempts=2)), clock=clock, **kw)
    s.mount("http://", PacekeeperAdapter(pacer))
    return s


class Measure:
    """Elapsed seconds and the peak of Python-allocated memory (tracemalloc) of a block."""

    def __enter__(self) -> "Measure":
        tracemalloc.start()
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.elapsed = time.monotonic() - self.start
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


# --- requests -------------------------------------------------------------------------------


def test_requests_trickled_429_body_is_read_within_the_timeout(server: Any) -> None:
    clock = pk.FakeClock()
    with Measure() as m:
        r = requests_session(clock).get(server.url + "/trickle429", timeout=(2, 0.5), stream=True)
        r.close()
    assert r.status_code == 429
    # Two attempts, each reading the body for at most the 0.5 s read timeout.
    assert m.elapsed < 4.0, m.elapsed


def test_requests_endless_200_streamed_body_is_not_touched(server: Any) -> None:
    with Measure() as m:
        r = requests_session(pk.FakeClock()).get(server.url + "/endless200", timeout=5, stream=True)
        first = next(r.iter_content(1000))
        r.close()
    assert r.status_code == 200 and first == b"x" * 1000
    assert m.elapsed < 2.0, m.elapsed
    assert m.peak < 2 * 1024 * 1024, m.peak


def test_requests_endless_429_body_is_bounded_in_memory(server: Any) -> None:
    with Measure() as m:
        r = requests_session(pk.FakeClock(), backoff=fast_backoff(max_attempts=3)).get(
            server.url + "/endless429", timeout=(2, 1), stream=True
        )
        r.close()
    assert r.status_code == 429
    assert m.peak < 4 * 1024 * 1024, m.peak
    assert m.elapsed < 4.0, m.elapsed


def test_requests_genesys_body_hint_is_read_and_the_body_kept(server: Any) -> None:
    clock = pk.FakeClock()
    r = requests_session(clock).get(server.url + "/genesys429", timeout=5)
    assert r.status_code == 429
    # The wait came from the body (no header says it) and the caller still gets the whole body.
    assert clock.sleeps and min(clock.sleeps) >= 2.0
    assert r.content == HINT + b" " * 10_000


def test_requests_every_wait_is_capped_whatever_its_source(server: Any) -> None:
    clock = pk.FakeClock()
    s = requests_session(clock, max_wait_ms=3000)
    for _ in range(3):
        assert s.get(server.url + "/huge-window", timeout=5).status_code == 200
    assert clock.sleeps, "the learnt 49.7-day window must hold requests"
    assert max(clock.sleeps) <= 3.0, clock.sleeps


def test_requests_server_values_never_raise(server: Any) -> None:
    clock = pk.FakeClock()
    s = requests_session(clock, max_wait_ms=5000, backoff=fast_backoff(max_attempts=3))
    assert s.get(server.url + "/weird", timeout=5).status_code == 429
    assert s.get(server.url + "/status600", timeout=5).status_code == 600
    assert all(w <= 5.0 for w in clock.sleeps), clock.sleeps


# --- httpx ----------------------------------------------------------------------------------


def httpx_client(clock: pk.FakeClock, **kw: Any) -> httpx.Client:
    pacer = pk.Pacer(backoff=kw.pop("backoff", fast_backoff(max_attempts=2)), clock=clock, **kw)
    return httpx.Client(transport=PacekeeperTransport(pacer=pacer))


def test_httpx_trickled_429_body_is_read_within_the_timeout(server: Any) -> None:
    with Measure() as m, httpx_client(pk.FakeClock()) as c:
        with c.stream("GET", server.url + "/trickle429", timeout=httpx.Timeout(2, read=0.5)) as r:
            assert r.status_code == 429
    assert m.elapsed < 4.0, m.elapsed


def test_httpx_endless_200_streamed_body_is_not_touched(server: Any) -> None:
    with Measure() as m, httpx_client(pk.FakeClock()) as c:
        with c.stream("GET", server.url + "/endless200", timeout=5) as r:
            assert r.status_code == 200
            assert len(next(r.iter_raw())) > 0
    assert m.elapsed < 2.0, m.elapsed
    assert m.peak < 2 * 1024 * 1024, m.peak


def test_httpx_endless_429_body_is_bounded_in_memory(server: Any) -> None:
    with Measure() as m, httpx_client(pk.FakeClock(), backoff=fast_backoff(max_attempts=3)) as c:
        with c.stream("GET", server.url + "/endless429", timeout=httpx.Timeout(2, read=1)) as r:
            assert r.status_code == 429
    assert m.peak < 4 * 1024 * 1024, m.peak
    assert m.elapsed < 4.0, m.elapsed


def test_httpx_genesys_body_hint_is_read_and_the_body_kept(server: Any) -> None:
    clock = pk.FakeClock()
    with httpx_client(clock) as c:
        r = c.get(server.url + "/genesys429", timeout=5)
    assert r.status_code == 429
    assert clock.sleeps and min(clock.sleeps) >= 2.0
    assert r.content == HINT + b" " * 10_000


def test_httpx_every_wait_is_capped_and_server_values_never_raise(server: Any) -> None:
    clock = pk.FakeClock()
    with httpx_client(clock, max_wait_ms=3000, backoff=fast_backoff(max_attempts=3)) as c:
        for _ in range(3):
            assert c.get(server.url + "/huge-window", timeout=5).status_code == 200
        assert c.get(server.url + "/weird", timeout=5).status_code == 429
    assert clock.sleeps and max(clock.sleeps) <= 3.0, clock.sleeps


def test_httpx_async_bodies_and_caps(server: Any) -> None:
    async def main() -> tuple:
        clock = pk.FakeClock()
        pacer = pk.Pacer(backoff=fast_backoff(max_attempts=2), clock=clock, max_wait_ms=3000)
        async with httpx.AsyncClient(transport=AsyncPacekeeperTransport(pacer=pacer)) as c:
            with Measure() as m:
                async with c.stream("GET", server.url + "/endless429", timeout=httpx.Timeout(2, read=0.5)) as r:
                    assert r.status_code == 429
                async with c.stream("GET", server.url + "/endless200", timeout=5) as r:
                    assert r.status_code == 200
                async with c.stream("GET", server.url + "/trickle429", timeout=httpx.Timeout(2, read=0.5)) as r:
                    assert r.status_code == 429
            g = await c.get(server.url + "/genesys429", timeout=5)
            for _ in range(3):
                await c.get(server.url + "/huge-window", timeout=5)
        return m, g, clock

    m, g, clock = asyncio.run(main())
    assert m.elapsed < 6.0, m.elapsed
    assert m.peak < 4 * 1024 * 1024, m.peak
    assert g.content == HINT + b" " * 10_000
    assert clock.sleeps and max(clock.sleeps) <= 3.0 and 2.0 in [round(s) for s in clock.sleeps]


def test_a_value_without_a_status_is_returned_not_retried() -> None:
    pacer = pk.Pacer(clock=pk.FakeClock())
    calls = []
    assert pacer.call(lambda: calls.append(1) or 42) == 42  # type: ignore[func-returns-value]
    assert calls == [1] and pacer.stats.network_errors == 0
