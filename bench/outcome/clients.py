"""The clients compared: the oracle, pacekeeper (configured and learning) and the hand-written retry
loops (fixed delay, tenacity, urllib3's Retry). Each ``call`` returns True when the operation
succeeded."""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Dict, List

import requests

from params import MAX_ATTEMPTS
from transport import DeadlineExceeded, Transport


def ok(r: Any) -> bool:
    return isinstance(r, requests.Response) and 200 <= r.status_code < 300


class Oracle:
    """Knows the server's burst B and rate R: the server's GCRA (emission interval T = 1/R)
    accepts a request arriving at a when its theoretical arrival time tat <= a + (B-1)*T, and
    an accepted request sets tat = max(tat, a) + T. The oracle mirrors that with the one bound it
    can know: a request has arrived by the time its answer is back. So it keeps tat_c, the GCRA
    over the answered requests at their answer times (an upper bound of the server's, as the
    GCRA is monotone in arrival times), and sends when n_f, the requests in flight, is below B and
    now >= tat_c + (n_f - B + 1)*T: then whatever order they arrive in, it is accepted. Never
    reads a header; on a 429 or a network error it simply goes again when the bound allows."""

    name = "oracle"

    def __init__(self, transport: Transport, burst: int, rate: float) -> None:
        self.t = transport
        self.burst, self.interval = burst, 1.0 / rate
        self.cond = threading.Condition()
        self.tokens: Dict[str, List[float]] = {}  # token -> [tat_c, in flight]

    def _acquire(self, token: str) -> List[float]:
        with self.cond:
            st = self.tokens.setdefault(token, [-math.inf, 0])
            while True:
                now = time.monotonic()
                if now > self.t.deadline:
                    raise DeadlineExceeded()
                if st[1] < self.burst:
                    at = st[0] + (st[1] - self.burst + 1) * self.interval
                    if now >= at:
                        st[1] += 1
                        return st
                    self.cond.wait(at - now)
                else:
                    self.cond.wait(0.05)

    def _answered(self, st: List[float]) -> None:
        with self.cond:
            st[0] = max(st[0], time.monotonic()) + self.interval
            st[1] -= 1
            self.cond.notify_all()

    def call(self, method: str, path: str, token: str, body: Any = None) -> bool:
        for _ in range(30):
            st = self._acquire(token)
            try:
                r = self.t.send(method, path, token, body)
                self._seen(token, r)
            except requests.ConnectionError:
                continue
            finally:
                self._answered(st)
            if r.status_code != 429:
                return ok(r)
        return False

    def _seen(self, token: str, r: requests.Response) -> None:
        """A response, before its answer is booked (the oracle reads nothing of it)."""


class OracleAfter429(Oracle):
    """The floor of a client that starts knowing nothing and is never early: until a token's
    first 429 it sends one request at a time, as fast as the answers come (a second request in
    flight could reach the server inside a lockout the first one's 429 announces: an early
    retry, which the targets forbid); every 429 holds the token until the wait it names
    (Retry-After, an HTTP-date against the answer's Date, the Genesys body: pacekeeper's parse,
    the instant pacekeeper never sends before); from its first 429 on it knows the server's burst
    and rate exactly and paces as the oracle does. A learning client can beat it only by luck
    (guessing a rate it was never told), so a target this client misses is out of reach by
    construction for a client that learns and is never early."""

    name = "oracle-after-429"

    def __init__(self, transport: Transport, burst: int, rate: float) -> None:
        super().__init__(transport, burst, rate)
        import pacekeeper

        self.parse = pacekeeper.parse_headers
        self.hold: Dict[str, float] = {}  # token -> monotonic instant; present once a 429 came

    def _acquire(self, token: str) -> List[float]:
        with self.cond:
            st = self.tokens.setdefault(token, [-math.inf, 0])
            while token not in self.hold:  # blind: one request at a time
                if st[1] < 1:
                    st[1] += 1
                    return st
                self.t.check(0.05)
                self.cond.wait(0.05)
            while (wait := self.hold[token] - time.monotonic()) > 0:  # the 429's wait (it may grow)
                self.t.check(wait)
                self.cond.wait(wait)
            return super()._acquire(token)

    def _seen(self, token: str, r: requests.Response) -> None:
        """Every 429 holds the token until the wait it names (the one header this client reads)."""
        if r.status_code == 429:
            reading = self.parse(429, dict(r.headers), r.content)
            until = time.monotonic() + (reading.wait_ms or 0) / 1000.0
            with self.cond:
                self.hold[token] = max(self.hold.get(token, -math.inf), until)


class PacekeeperClient:
    """pacekeeper's public API: one shared ``Pacer`` keyed by token, ``Pacer.call`` around the
    send. Configured: the server's limits are given; learning: ``Limiter(learn=True)``."""

    def __init__(self, transport: Transport, configured: bool, burst: int, rate: float) -> None:
        import pacekeeper

        self.t = transport
        self.name = "pk-configured" if configured else "pk-learning"
        limiter = (pacekeeper.Limiter([{"amount": int(rate), "period_ms": 1000, "burst": burst}])
                   if configured else pacekeeper.Limiter(learn=True))
        transport_ = transport

        class DeadlineClock(pacekeeper.SystemClock):  # the system clock; sleeps bounded by the cell
            def sleep(self, seconds: float) -> None:
                transport_.sleep(seconds)

            def wait_on(self, cond: Any, seconds: float) -> None:  # the pacer's wakeable sleep
                transport_.check(seconds)
                super().wait_on(cond, seconds)

        self.pacer = pacekeeper.Pacer(limiter, backoff=pacekeeper.Backoff(max_attempts=30), clock=DeadlineClock())
        self.GiveUp = pacekeeper.GiveUp

    def call(self, method: str, path: str, token: str, body: Any = None) -> bool:
        try:
            r = self.pacer.call(lambda: self.t.send(method, path, token, body), key=token,
                                network_errors=(requests.ConnectionError, requests.Timeout),
                                discard=lambda r: r.close())
        except (self.GiveUp, requests.ConnectionError):
            return False
        return ok(r)


class FixedRetry:
    """The loop people write first: on a 429 or a network error sleep 5 s (scaled) and retry, at
    most 10 attempts."""

    name = "fixed-5s"

    def __init__(self, transport: Transport, scale: float) -> None:
        self.t, self.delay = transport, 5.0 / scale

    def call(self, method: str, path: str, token: str, body: Any = None) -> bool:
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                self.t.sleep(self.delay)
            try:
                r = self.t.send(method, path, token, body)
            except requests.ConnectionError:
                continue
            if r.status_code != 429:
                return ok(r)
        return False


class TenacityExp:
    """tenacity's ``wait_exponential(multiplier=1, max=60)`` (scaled), ``stop_after_attempt(10)``,
    retrying 429s and network errors; headers ignored."""

    name = "tenacity-exp"

    def __init__(self, transport: Transport, scale: float) -> None:
        import tenacity

        self.t = transport
        self.retrying = tenacity.Retrying(
            wait=tenacity.wait_exponential(multiplier=1.0 / scale, max=60.0 / scale),
            stop=tenacity.stop_after_attempt(MAX_ATTEMPTS),
            sleep=transport.sleep,
            retry=(tenacity.retry_if_exception_type(requests.ConnectionError)
                   | tenacity.retry_if_result(lambda r: r.status_code == 429)),
        )

    def call(self, method: str, path: str, token: str, body: Any = None) -> bool:
        try:
            return ok(self.retrying(self.t.send, method, path, token, body))
        except Exception as e:  # noqa: BLE001 - RetryError, or the deadline
            if isinstance(e, DeadlineExceeded):
                raise
            return False


class Urllib3Retry:
    """urllib3's own ``Retry(total=10, backoff_factor=1 (scaled), status_forcelist=[429],
    allowed_methods=None)``: honours ``Retry-After`` (seconds or an HTTP-date read against the
    local clock), otherwise urllib3's exponential backoff (0 on the first retry)."""

    name = "urllib3-retry"

    def __init__(self, transport: Transport, scale: float) -> None:
        from urllib3.util.retry import Retry

        self.t = transport
        self.proto = Retry(total=MAX_ATTEMPTS - 1, backoff_factor=1.0 / scale, status_forcelist=[429],
                           allowed_methods=None, respect_retry_after_header=True, raise_on_status=True)

    def call(self, method: str, path: str, token: str, body: Any = None) -> bool:
        from urllib3.exceptions import MaxRetryError, ProtocolError

        retry = self.proto.new()
        url = self.t.url + path
        while True:
            try:
                r = self.t.send(method, path, token, body)
            except requests.ConnectionError as e:
                try:
                    retry = retry.increment(method, url, error=ProtocolError(str(e)))
                except (MaxRetryError, ProtocolError):
                    return False
                self.t.sleep(retry.get_backoff_time())
                continue
            if not retry.is_retry(method, r.status_code, has_retry_after="Retry-After" in r.headers):
                return ok(r)
            try:
                retry = retry.increment(method, url, response=r.raw)
            except MaxRetryError:
                return False
            # Retry.sleep(response), with the cell's deadline-bounded sleep
            after = retry.get_retry_after(r.raw)
            self.t.sleep(after if after else retry.get_backoff_time())


class GenesysPySdk:
    """The real Genesys Cloud Python SDK (``PureCloudPlatformClientV2``) with pacekeeper installed
    the documented way, ``pacekeeper.genesys.install(api_client, pacer=...)``: the Genesys preset
    (300 requests/min per token, refined from ``inin-ratelimit-*``), no limits configured, one
    ``ApiClient`` per token (a tenant) sharing one ``Pacer`` (one bucket per token), the SDK's
    hidden urllib3 retry switched off by the adapter. Requests go through ``ApiClient.call_api``
    (the SDK's own request path, auth and (de)serialisation; the typed API methods call it too)
    with the benchmark's JSON bodies, so the server's record ids are the same as for the other
    clients. Faults: the SDK's HTTP client is wrapped below pacekeeper with the same seeded
    sequence as the other clients' transport (a urllib3 ``ProtocolError`` before the request
    leaves or after the answer)."""

    name = "genesys-py-sdk"

    def __init__(self, transport: Transport) -> None:
        import pacekeeper
        from pacekeeper import genesys

        self.t = transport
        self.genesys = genesys
        self.lock = threading.Lock()
        self.clients: Dict[str, Any] = {}

        class DeadlineClock(pacekeeper.SystemClock):
            def sleep(self, seconds: float) -> None:
                transport.sleep(seconds)

            def wait_on(self, cond: Any, seconds: float) -> None:
                transport.check(seconds)
                super().wait_on(cond, seconds)

        self.pacer = pacekeeper.Pacer(None, backoff=pacekeeper.Backoff(max_attempts=30),
                                      clock=DeadlineClock(), preset="genesys")

    def _client(self, token: str) -> Any:
        with self.lock:
            c = self.clients.get(token)
            if c is None:
                import PureCloudPlatformClientV2 as sdk
                from PureCloudPlatformClientV2.abstract_http_client import AbstractHttpClient
                from urllib3.exceptions import ProtocolError

                c = sdk.ApiClient(host=self.t.url)
                c.access_token = token
                inner = c.get_http_client()
                t = self.t

                class Faulty(AbstractHttpClient):  # type: ignore[misc]
                    rest_client = inner.rest_client  # the adapter switches its hidden retry off

                    def request(self, options: Any) -> Any:
                        if time.monotonic() > t.deadline:
                            raise DeadlineExceeded()
                        before, after = t.draw_fault()
                        if before:
                            raise ProtocolError("injected: connection reset before the request was sent")
                        r = inner.request(options)
                        if after:
                            raise ProtocolError("injected: connection reset before the response arrived")
                        return r

                c.set_http_client(Faulty())
                self.genesys.install(c, pacer=self.pacer)
                self.clients[token] = c
            return c

    def call(self, method: str, path: str, token: str, body: Any = None) -> bool:
        from PureCloudPlatformClientV2.rest import ApiException

        c = self._client(token)
        try:
            c.call_api(path, method, header_params={"Accept": "application/json",
                                                    "Content-Type": "application/json"},
                       body=body, response_type="object", auth_settings=["PureCloud OAuth"])
        except ApiException:
            return False
        except Exception as e:  # noqa: BLE001 - a network error pacekeeper gave up on
            if isinstance(e, DeadlineExceeded):
                raise
            return False
        return True


class NodeSdk:
    """The real Genesys Cloud Node SDK (``purecloud-platform-client-v2`` 262, the newest the
    project tests) with ``installGenesys(client, { pacer })``: ``node_sdk.mjs`` runs the whole
    workload in one Node process (the same jobs, bodies and concurrency as async workers) and
    reports its wall time; the faults are the cell's seeded sequence, drawn here in advance."""

    name = "genesys-node-sdk"

    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def run_external(self, wl: str, messages: int) -> Dict[str, Any]:
        import json
        import subprocess
        from pathlib import Path

        draws = []
        for _ in range(4000):  # more than any workload sends
            before, after = self.t.draw_fault()
            draws.append("b" if before else "a" if after else ".")
        self.t.faults_before = self.t.faults_after = 0
        left_ms = max(0.0, self.t.deadline - time.monotonic()) * 1000
        script = Path(__file__).resolve().parent / "node_sdk.mjs"
        arg = json.dumps({"url": self.t.url, "workload": wl, "messages": messages,
                          "deadline_ms": int(left_ms), "faults": "".join(draws)})
        out = subprocess.run(["node", str(script), arg], capture_output=True, text=True,
                             timeout=left_ms / 1000 + 30)
        if out.returncode != 0:
            raise RuntimeError(f"node_sdk.mjs failed: {out.stderr.strip()[-2000:]}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        self.t.faults_before, self.t.faults_after = r["faults_before"], r["faults_after"]
        return r

    def call(self, method: str, path: str, token: str, body: Any = None) -> bool:
        raise NotImplementedError("the Node SDK client runs whole workloads (run_external)")


def make_client(name: str, transport: Transport, burst: int, rate: float, scale: float) -> Any:
    if name == "oracle":
        return Oracle(transport, burst, rate)
    if name == "oracle-after-429":
        return OracleAfter429(transport, burst, rate)
    if name in ("pk-configured", "pk-learning"):
        return PacekeeperClient(transport, name == "pk-configured", burst, rate)
    if name == "fixed-5s":
        return FixedRetry(transport, scale)
    if name == "tenacity-exp":
        return TenacityExp(transport, scale)
    if name == "urllib3-retry":
        return Urllib3Retry(transport, scale)
    if name == "genesys-py-sdk":
        return GenesysPySdk(transport)
    if name == "genesys-node-sdk":
        return NodeSdk(transport)
    raise ValueError(f"unknown client {name!r}")
