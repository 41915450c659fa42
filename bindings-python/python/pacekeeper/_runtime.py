"""The paced, retrying send loop that every helper shares.

Times: the engine takes integer epoch ms; the clock sleeps float seconds.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional, Sequence, Tuple, Type, TypeVar, Union

from ._clock import SYSTEM_CLOCK, Clock
from ._errors import PacekeeperError, PacekeeperTypeError
from ._extract import ResponseInfo, response_info
from ._native import Backoff, Limiter, Reading, RetryBudget, RetryState, parse_headers
from ._redact import redact_exception

__all__ = ["Pacer", "PacerStats", "GiveUp"]

_NO_RESPONSE = object()
#: A response whose reading the engine could not make (e.g. a status outside 100..=599).
_UNREADABLE = object()

T = TypeVar("T")
LimitSpec = Union[dict, Any]


@dataclass
class PacerStats:
    """Counters of a :class:`Pacer` (thread-safe updates): requests sent, 429s seen, retries,
    waits before sending and their total in seconds."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0
    network_errors: int = 0
    waits: int = 0
    waited_s: float = 0.0
    gave_up: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: float) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict:
        with self._lock:
            return {
                "requests": self.requests,
                "throttled": self.throttled,
                "retries": self.retries,
                "network_errors": self.network_errors,
                "waits": self.waits,
                "waited_s": round(self.waited_s, 3),
                "gave_up": self.gave_up,
            }


class GiveUp(Exception):
    """Raised by :meth:`Pacer.call` when the engine gives up on a call that ended without a
    response (the last network error is its ``__cause__``, redacted: its request carries no
    credential header and its URL and message no credential parameter)."""

    def __init__(self, decision: Any) -> None:
        super().__init__(f"gave up: {decision.reason} after {decision.attempts} attempts")
        self.decision = decision


def read_response(info: ResponseInfo, now: int, max_wait_ms: Optional[int] = None) -> Optional[Reading]:
    """The reading of a response. A server value never raises: when the engine cannot read the
    headers (e.g. one that is not text), the bare status is used; ``None`` when even the
    status is unusable."""
    try:
        return parse_headers(info.status, info.headers, info.body, now=now, max_wait_ms=max_wait_ms)
    except PacekeeperError:
        try:
            return parse_headers(info.status, (), None, now=now, max_wait_ms=max_wait_ms)
        except PacekeeperError:
            return None


class Pacer:
    """Acquire before sending, observe after receiving, retry on the engine's decision.

    ``limiter`` (or ``limits``: e.g. ``[{"amount": 1, "period_ms": 1000, "burst": 15}]``) paces
    requests per key; ``backoff`` decides retries (``Backoff()`` by default: full jitter, the
    server's ``Retry-After`` as a floor). ``clock`` is injected for tests. Thread-safe: share one
    pacer between threads; the async methods are safe to share between tasks too.

    ``max_wait_ms`` (default: the backoff policy's ``max_wait_ms``) bounds every wait, whatever
    its source: a server hint, a learnt limit, an adaptive rate or a lockout. A request held
    that long is sent (the server's answer then decides), so no key stays blocked for longer.
    """

    def __init__(
        self,
        limiter: Optional[Limiter] = None,
        *,
        limits: Sequence[LimitSpec] = (),
        backoff: Optional[Backoff] = None,
        budget: Optional[RetryBudget] = None,
        clock: Optional[Clock] = None,
        key: str = "default",
        seed: Optional[int] = None,
        max_wait_ms: Optional[int] = None,
    ) -> None:
        if not isinstance(key, str):
            raise PacekeeperTypeError(f"key must be a str, got {type(key).__name__}")
        self.limiter = limiter if limiter is not None else Limiter(limits)
        self.backoff = backoff if backoff is not None else Backoff()
        cap = self.backoff.policy["max_wait_ms"] if max_wait_ms is None else max_wait_ms
        parse_headers(200, (), now=0, max_wait_ms=cap)  # the core's range check: raises when invalid
        self.max_wait_ms: int = cap
        self.budget = budget
        self.clock: Clock = clock if clock is not None else SYSTEM_CLOCK
        self.key = key
        self.stats = PacerStats()
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        # Requests in flight race the server's answers, which arrive out of order: a reading's
        # `remaining` is reduced by the other requests in flight (the server may not have
        # counted them yet), and within a quota window it only ever lowers what is left.
        self._lock = threading.Lock()
        self._in_flight: dict = {}

    # -- pacing -----------------------------------------------------------------------------

    def _verdict(self, key: str, cost: int, force: bool = False) -> Tuple[Optional[float], int]:
        """None to go now (counted in flight), else the seconds to wait before asking again.
        ``force``: the request has been held for ``max_wait_ms`` already; it goes now."""
        with self._lock:
            now = self.clock.now_ms()
            v = self.limiter.check(key, cost, now=now)
            if v.decision == "allow" or (force and v.decision == "wait"):
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
                return None, 1
        if v.decision == "never":
            raise PacekeeperError(
                f"cost {v.cost} can never fit a capacity of {v.capacity}", "invalid_cost"
            )
        return max(0.001, (v.until - now) / 1000.0), 0  # type: ignore[operator]

    def _next_wait(self, wait: float, waited: float) -> float:
        """The next sleep: never beyond what is left of ``max_wait_ms`` for this request."""
        return min(wait, max(0.001, self.max_wait_ms / 1000.0 - waited))

    def acquire(self, key: Optional[str] = None, cost: int = 1, *, timeout: Optional[float] = None) -> float:
        """Blocks until ``key`` may send a request of ``cost``; returns the seconds waited.
        Raises ``TimeoutError`` if that would take longer than ``timeout`` seconds."""
        return self._acquire(key or self.key, cost, timeout)[0]

    def _acquire(self, key: str, cost: int, timeout: Optional[float]) -> Tuple[float, int]:
        waited = 0.0
        while True:
            wait, ticket = self._verdict(key, cost, force=waited * 1000.0 >= self.max_wait_ms)
            if wait is None:
                if waited:
                    self.stats.add(waits=1, waited_s=waited)
                return waited, ticket
            wait = self._next_wait(wait, waited)
            if timeout is not None and waited + wait > timeout:
                raise TimeoutError(f"pacekeeper: {key!r} cannot send within {timeout} s")
            self.clock.sleep(wait)
            waited += wait

    async def acquire_async(
        self, key: Optional[str] = None, cost: int = 1, *, timeout: Optional[float] = None
    ) -> float:
        """The asyncio form of :meth:`acquire`."""
        return (await self._acquire_async(key or self.key, cost, timeout))[0]

    async def _acquire_async(self, key: str, cost: int, timeout: Optional[float]) -> Tuple[float, int]:
        waited = 0.0
        while True:
            wait, ticket = self._verdict(key, cost, force=waited * 1000.0 >= self.max_wait_ms)
            if wait is None:
                if waited:
                    self.stats.add(waits=1, waited_s=waited)
                return waited, ticket
            wait = self._next_wait(wait, waited)
            if timeout is not None and waited + wait > timeout:
                raise TimeoutError(f"pacekeeper: {key!r} cannot send within {timeout} s")
            await self.clock.sleep_async(wait)
            waited += wait

    # -- observing --------------------------------------------------------------------------

    def observe(self, key: Optional[str], response: Any, *, sent: bool = False) -> Optional[Reading]:
        """Feeds a response (or an exception carrying one) to the limiter; returns its reading,
        or ``None`` when there is no response. ``sent=True`` marks the answer to a request this
        pacer let through (what :meth:`call` does): it leaves the in-flight count, and a 2xx
        ``remaining`` is reduced by the other requests in flight and never raises what is left
        of the current quota window."""
        info = response if isinstance(response, ResponseInfo) else response_info(response)
        key = key or self.key
        with self._lock:
            if sent:
                self._in_flight[key] = max(0, self._in_flight.get(key, 0) - 1)
            if info is None:
                return None
            now = self.clock.now_ms()
            reading = self._parse(info, now)
            if reading is None:
                return None
            applied = reading
            if sent and not reading.throttled and reading.remaining is not None:
                left = max(0, reading.remaining - self._in_flight.get(key, 0))
                current = self.limiter.peek(key, now=now)
                if current.decision == "wait":
                    left = 0
                elif current.remaining is not None:
                    left = min(left, current.remaining + 1)
                if left != reading.remaining:
                    d = reading.to_dict()
                    d["remaining"] = left
                    applied = Reading.from_dict(d)
            try:
                self.limiter.observe(key, applied, now=now)
            except PacekeeperError:
                pass  # a server value the limiter cannot take: keep going without it
        if reading.throttled:
            self.stats.add(throttled=1)
        return reading

    def _parse(self, info: ResponseInfo, now: int) -> Optional[Reading]:
        return read_response(info, now, self.max_wait_ms)

    def _needs_body(self, info: Optional[ResponseInfo]) -> bool:
        """True when the body could change the reading: an error response whose headers are
        throttled without saying how long to wait (the Genesys body hint). Successful
        responses' bodies are never touched."""
        if info is None or info.body is not None or info.status < 400:
            return False
        reading = self._parse(info, self.clock.now_ms())
        return reading is not None and reading.throttled and reading.wait_ms is None

    def _retry_sleep_s(self, decision: Any) -> float:
        return min(max(0, decision.at - self.clock.now_ms()), self.max_wait_ms) / 1000.0

    def new_state(self) -> RetryState:
        with self._rng_lock:
            seed = self._rng.getrandbits(64)
        return RetryState(started_at=self.clock.now_ms(), seed=seed)

    def decide(self, state: RetryState, reading: Optional[Reading]) -> Any:
        return self.backoff.decide(state, reading, now=self.clock.now_ms(), budget=self.budget)

    # -- the loop ---------------------------------------------------------------------------

    def call(
        self,
        send: Callable[[], T],
        *,
        key: Optional[str] = None,
        cost: int = 1,
        network_errors: Tuple[Type[BaseException], ...] = (ConnectionError, TimeoutError, OSError),
        discard: Optional[Callable[[Any], None]] = None,
        read_body: Optional[Callable[[Any], Optional[str]]] = None,
    ) -> T:
        """Calls ``send()`` paced and retried: acquire, send, observe, then retry while the engine
        says so. A response (or an exception carrying one) that the engine marks done or gives up
        on is returned (or re-raised); a network error it gives up on raises :class:`GiveUp`.
        ``discard(response)`` releases a response that is retried past (e.g. closes it).
        ``read_body(response)`` returns at most a few KB of an unread body; it is called only
        for an error response whose headers are throttled without a wait (the Genesys body
        hint), never for a successful one."""
        key = key or self.key
        state = self.new_state()
        while True:
            self._acquire(key, cost, None)
            self.stats.add(requests=1)
            result: Any = None
            error: Optional[BaseException] = None
            try:
                result = send()
                info = response_info(result)
                if read_body is not None and self._needs_body(info):
                    info = info._replace(body=read_body(result))  # type: ignore[union-attr]
            except BaseException as exc:  # noqa: BLE001 - classified below, re-raised otherwise
                info = response_info(exc)
                if info is None and not isinstance(exc, network_errors):
                    self.observe(key, _NO_RESPONSE, sent=True)
                    raise
                error = exc
            reading = self.observe(key, info if info is not None else _NO_RESPONSE, sent=True)
            if info is None and error is None:
                # A value with no status the engine can use (not a response, or a status
                # outside 100..=599): returned as is, never retried as if the network failed.
                return result  # type: ignore[no-any-return]
            if info is None:
                self.stats.add(network_errors=1)
            elif reading is None:
                # A response the engine cannot read at all: no retry, the caller gets it as is.
                if error is not None:
                    raise error
                return result  # type: ignore[no-any-return]
            decision = self.decide(state, reading)
            if decision.decision == "retry":
                self.stats.add(retries=1)
                if discard is not None and error is None:
                    discard(result)
                self.clock.sleep(self._retry_sleep_s(decision))
                continue
            if decision.decision == "give_up":
                self.stats.add(gave_up=1)
            if error is not None:
                if info is None:
                    redact_exception(error)
                    raise GiveUp(decision) from error
                raise error
            return result  # type: ignore[no-any-return]

    async def call_async(
        self,
        send: Callable[[], Awaitable[T]],
        *,
        key: Optional[str] = None,
        cost: int = 1,
        network_errors: Tuple[Type[BaseException], ...] = (ConnectionError, TimeoutError, OSError),
        discard: Optional[Callable[[Any], Awaitable[None]]] = None,
        read_body: Optional[Callable[[Any], Awaitable[Optional[str]]]] = None,
    ) -> T:
        """The asyncio form of :meth:`call`."""
        key = key or self.key
        state = self.new_state()
        while True:
            await self._acquire_async(key, cost, None)
            self.stats.add(requests=1)
            result: Any = None
            error: Optional[BaseException] = None
            try:
                result = await send()
                info = response_info(result)
                if read_body is not None and self._needs_body(info):
                    info = info._replace(body=await read_body(result))  # type: ignore[union-attr]
            except BaseException as exc:  # noqa: BLE001
                info = response_info(exc)
                if info is None and not isinstance(exc, network_errors):
                    self.observe(key, _NO_RESPONSE, sent=True)
                    raise
                error = exc
            reading = self.observe(key, info if info is not None else _NO_RESPONSE, sent=True)
            if info is None and error is None:
                # A value with no status the engine can use (not a response, or a status
                # outside 100..=599): returned as is, never retried as if the network failed.
                return result  # type: ignore[no-any-return]
            if info is None:
                self.stats.add(network_errors=1)
            elif reading is None:
                # A response the engine cannot read at all: no retry, the caller gets it as is.
                if error is not None:
                    raise error
                return result  # type: ignore[no-any-return]
            decision = self.decide(state, reading)
            if decision.decision == "retry":
                self.stats.add(retries=1)
                if discard is not None and error is None:
                    await discard(result)
                await self.clock.sleep_async(self._retry_sleep_s(decision))
                continue
            if decision.decision == "give_up":
                self.stats.add(gave_up=1)
            if error is not None:
                if info is None:
                    redact_exception(error)
                    raise GiveUp(decision) from error
                raise error
            return result  # type: ignore[no-any-return]
