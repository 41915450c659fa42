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
            except requests.ConnectionError:
                continue
            finally:
                self._answered(st)
            if r.status_code != 429:
                return ok(r)
        return False


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


def make_client(name: str, transport: Transport, burst: int, rate: float, scale: float) -> Any:
    if name == "oracle":
        return Oracle(transport, burst, rate)
    if name in ("pk-configured", "pk-learning"):
        return PacekeeperClient(transport, name == "pk-configured", burst, rate)
    if name == "fixed-5s":
        return FixedRetry(transport, scale)
    if name == "tenacity-exp":
        return TenacityExp(transport, scale)
    if name == "urllib3-retry":
        return Urllib3Retry(transport, scale)
    raise ValueError(f"unknown client {name!r}")
