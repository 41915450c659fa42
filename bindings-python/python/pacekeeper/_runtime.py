"""The paced, retrying send loop that every helper shares: a thin I/O shell over the core's
sans-IO pacer (:class:`pacekeeper.PacerCore`). The shell reads the clock, sleeps, sends, extracts
status/headers/body and reports the outcome; every decision (when to send, wait, retry, probe,
give up; in-flight accounting; learning) is the core's.

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
from ._native import DEFAULT_COST, Backoff, Limiter, PacerCore, Reading, RetryBudget, parse_headers
from ._redact import redact_exception
from ._store_io import StoreIO
from ._wake import Waker

__all__ = ["Pacer", "PacerStats", "GiveUp"]

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
    credential header and its URL and message no credential parameter). ``decision`` is the
    core pacer's :class:`~pacekeeper.After` (``reason``, ``attempts``)."""

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


class Pacer(StoreIO):
    """A paced, retrying send loop over the core pacer (:class:`~pacekeeper.PacerCore`).

    ``limits`` (e.g. ``[{"amount": 1, "period_ms": 1000, "burst": 15}]``; or a ``limiter``,
    whose configured ``limits`` and ``learn`` are used) pace requests per key; without limits
    the core learns each key's rate from the responses and probes keys it knows nothing about.
    ``preset="genesys"`` starts every key from the documented Genesys limit. ``backoff`` is the
    retry policy (``Backoff()`` by default: full jitter, the server's ``Retry-After`` as a
    floor); ``budget`` a :class:`~pacekeeper.RetryBudget` whose configuration seeds the pacer's
    shared budget (the pacer holds its tokens). ``clock`` is injected for tests; ``seed`` seeds
    the jitter. Thread-safe: share one pacer between threads; the async methods are safe to
    share between tasks too. ``core`` is the :class:`~pacekeeper.PacerCore` it drives.

    ``max_wait_ms`` (default: the backoff policy's ``max_wait_ms``) bounds every wait, whatever
    its source: a server hint, a learnt limit or a lockout. The core pacer holds a request at
    most that long and then lets it go as is (the server decides), so no key stays blocked for
    longer.

    ``store`` (e.g. :class:`pacekeeper.store_redis.RedisStore` over your own redis-py client)
    shares each key's budget with every process using the same store: one budget per key,
    learnt lockouts and limits included; ``shared`` holds its options (``lease_ttl_ms``,
    ``idle_ttl_ms``, ``max_reserve_ms``, ``caller_clock``, ``policy`` = ``"degrade"`` (default,
    a local 1/peers share while the store is down) | ``"deny"`` | ``"allow"``,
    ``probe_interval_ms``, ``peers``), the core's defaults for what is left out.
    ``on_store_event(event)`` hears ``store_down`` and ``store_up``. No store: in-memory, per
    process. A store call is bounded by the client's socket timeout; a failure is never a rate
    denial (the policy decides).
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
        preset: Optional[str] = None,
        store: Any = None,
        shared: Optional[dict] = None,
        on_store_event: Optional[Callable[[Any], None]] = None,
    ) -> None:
        if not isinstance(key, str):
            raise PacekeeperTypeError(f"key must be a str, got {type(key).__name__}")
        self.limiter = limiter
        self.backoff = backoff if backoff is not None else Backoff()
        policy = self.backoff.policy
        cap = policy["max_wait_ms"] if max_wait_ms is None else max_wait_ms
        config: dict = {"backoff": policy, "parse": {"max_wait_ms": cap}}
        if limiter is not None:
            lc = limiter.config
            config["limits"], config["learn"] = lc["limits"], lc["learn"]
        else:
            # A list as is; anything else goes to the core as given (a coded error if unusable).
            config["limits"] = [] if limits is None else list(limits) if isinstance(limits, tuple) else limits
        if preset is not None:
            config["preset"] = preset
        if budget is not None:
            config["retry_budget"] = budget.to_dict()
        if store is not None:
            if not callable(getattr(store, "send", None)):
                raise PacekeeperTypeError("store must have send(keys, args) (e.g. pacekeeper.store_redis.RedisStore)")
            if shared is not None and not isinstance(shared, dict):
                raise PacekeeperTypeError(f"shared must be a dict, got {type(shared).__name__}")
            config["shared"] = dict(shared) if shared is not None else {}
        elif shared is not None or on_store_event is not None:
            raise PacekeeperTypeError("shared and on_store_event need a store")
        if on_store_event is not None and not callable(on_store_event):
            raise PacekeeperTypeError("on_store_event must be callable")
        config["seed"] = random.Random(seed).getrandbits(53) if seed is not None else random.getrandbits(53)
        self.core = PacerCore(config)
        self.store = store
        self.on_store_event = on_store_event
        self.max_wait_ms: int = cap
        self.budget = budget
        self.clock: Clock = clock if clock is not None else SYSTEM_CLOCK
        self.key = key
        self.stats = PacerStats()
        self._waker = Waker()  # wakes sleepers when a finish or a cancel may move their slots

    # -- waiting ----------------------------------------------------------------------------

    def _step(self, step: Any, key: str) -> Tuple[int, Optional[float]]:
        """The ticket and the seconds to sleep before resuming (None: go now)."""
        if step.action == "never":
            if getattr(step, "reason", None) == "store_denied":
                raise PacekeeperError("the shared store is unreachable and its policy is deny: nothing is sent", "store_denied")
            raise PacekeeperError(f"a cost above the capacity {step.capacity} can never be sent", "invalid_cost")
        if step.action == "go":
            return step.ticket, None
        return step.ticket, max(0.001, (step.until - self.clock.now_ms()) / 1000.0)

    def _sleep_for(self, ticket: int, wait: float, waited: float, timeout: Optional[float], key: str) -> float:
        """The next sleep (the core caps it at ``max_wait_ms``); over ``timeout``: cancelled."""
        if timeout is not None and waited + wait > timeout:
            self._cancel(ticket, key)
            raise TimeoutError(f"pacekeeper: {key!r} cannot send within {timeout} s")
        return wait

    def _held(self, waited: float) -> None:
        if waited:
            self.stats.add(waits=1, waited_s=waited)

    def _cancel(self, ticket: int, key: Optional[str] = None) -> None:
        """Cancels ``ticket`` and wakes the sleepers of its key (of every key when not given)."""
        self.core.cancel(ticket)
        self._waker.wake(key)

    def _abandon(self, ticket: int, key: str) -> None:
        """Cancels a ticket whose caller gave up on it (an exception while it waited)."""
        try:
            self._cancel(ticket, key)
        except PacekeeperError:  # already gone (finished, cancelled or never issued)
            pass

    def _go(self, step: Any, key: str, timeout: Optional[float], waited: float = 0.0) -> Tuple[int, float]:
        """Sleeps until ``step``'s ticket may go (woken early when a response moves its slot);
        returns it and the seconds waited."""
        gen = self._waker.gen(key)
        ticket, wait = self._step(self._consult(step), key)
        try:
            while wait is not None:
                wait = self._sleep_for(ticket, wait, waited, timeout, key)
                waited += self._waker.nap(self.clock, wait, gen, key)
                gen = self._waker.gen(key)
                ticket, wait = self._step(self._consult(self.core.resume(ticket, now=self.clock.now_ms())), key)
        except TimeoutError:
            raise  # _sleep_for cancelled it
        except BaseException:
            self._abandon(ticket, key)  # interrupted while waiting: its place goes to the next
            raise
        return ticket, waited

    async def _go_async(self, step: Any, key: str, timeout: Optional[float], waited: float = 0.0) -> Tuple[int, float]:
        gen = self._waker.gen(key)
        ticket, wait = self._step(await self._consult_async(step), key)
        try:
            while wait is not None:
                wait = self._sleep_for(ticket, wait, waited, timeout, key)
                waited += await self._waker.nap_async(self.clock, wait, gen, key)
                gen = self._waker.gen(key)
                ticket, wait = self._step(await self._consult_async(self.core.resume(ticket, now=self.clock.now_ms())), key)
        except TimeoutError:
            raise  # _sleep_for cancelled it
        except BaseException:
            self._abandon(ticket, key)  # a cancelled task: its place goes to the next
            raise
        return ticket, waited

    def acquire(self, key: Optional[str] = None, cost: int = DEFAULT_COST, *, timeout: Optional[float] = None) -> float:
        """Blocks until ``key`` may send a request of ``cost``; returns the seconds waited (the
        slot is taken; nothing is reported back). Raises ``TimeoutError`` if that would take
        longer than ``timeout`` seconds."""
        key = key or self.key
        try:
            ticket, waited = self._go(self.core.begin(key, cost, now=self.clock.now_ms()), key, timeout)
            self._cancel(ticket, key)
        finally:
            self._drain()
        self._held(waited)
        return waited

    async def acquire_async(
        self, key: Optional[str] = None, cost: int = DEFAULT_COST, *, timeout: Optional[float] = None
    ) -> float:
        """The asyncio form of :meth:`acquire`."""
        key = key or self.key
        try:
            ticket, waited = await self._go_async(self.core.begin(key, cost, now=self.clock.now_ms()), key, timeout)
            self._cancel(ticket, key)
        finally:
            await self._drain_async()
        self._held(waited)
        return waited

    # -- reading responses ------------------------------------------------------------------

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

    def _outcome(
        self, ticket: int, key: str, result: Any, error: Optional[BaseException], info: Optional[ResponseInfo],
        network_errors: Tuple[Type[BaseException], ...],
    ) -> Tuple[str, Any]:
        """Reports an attempt to the core; ``("return" | "raise" | "give_up", x)`` to end the
        call, or ``("retry", after)``."""
        if info is None and (error is None or not isinstance(error, network_errors)):
            # No response: a value with no usable status is returned as is, an exception that
            # is not a network error is re-raised; neither is retried.
            self._cancel(ticket, key)
            return ("return", result) if error is None else ("raise", error)
        now = self.clock.now_ms()
        reading = None if info is None else self._parse(info, now)
        if info is None:
            self.stats.add(network_errors=1)
        elif reading is None:
            # A response the engine cannot read at all: no retry, the caller gets it as is.
            self._cancel(ticket, key)
            return ("return", result) if error is None else ("raise", error)
        elif reading.throttled:
            self.stats.add(throttled=1)
        after = self.core.finish(ticket, reading, now=now)
        self._waker.wake(key)
        if after.action == "retry":
            self.stats.add(retries=1)
            return "retry", after
        if after.action == "give_up":
            self.stats.add(gave_up=1)
        if error is None:
            return "return", result
        if info is None:
            redact_exception(error)
            return "give_up", after
        return "raise", error

    def _retry_sleep_s(self, after: Any) -> float:
        return max(0, after.at - self.clock.now_ms()) / 1000.0

    # -- the loop ---------------------------------------------------------------------------

    def call(
        self,
        send: Callable[[], T],
        *,
        key: Optional[str] = None,
        cost: int = DEFAULT_COST,
        network_errors: Tuple[Type[BaseException], ...] = (ConnectionError, TimeoutError, OSError),
        discard: Optional[Callable[[Any], None]] = None,
        read_body: Optional[Callable[[Any], Optional[str]]] = None,
    ) -> T:
        """Calls ``send()`` paced and retried by the core pacer: begin, send, finish, then
        sleep and resume while it says retry. A response (or an exception carrying one) that
        the core marks done or gives up on is returned (or re-raised); a network error it gives
        up on raises :class:`GiveUp`. ``discard(response)`` releases a response that is retried
        past (e.g. closes it). ``read_body(response)`` returns at most a few KB of an unread
        body; it is called only for an error response whose headers are throttled without a
        wait (the Genesys body hint), never for a successful one."""
        if self.store is None:
            return self._call(send, key, cost, network_errors, discard, read_body)
        try:
            return self._call(send, key, cost, network_errors, discard, read_body)
        finally:
            self._drain()

    def _call(self, send: Callable[[], T], key: Optional[str], cost: int, network_errors: Tuple[Type[BaseException], ...],
              discard: Optional[Callable[[Any], None]], read_body: Optional[Callable[[Any], Optional[str]]]) -> T:
        key = key or self.key
        step = self.core.begin(key, cost, now=self.clock.now_ms())
        waited = slept = 0.0
        while True:
            ticket, waited = self._go(step, key, None, waited)
            self._held(waited - slept)  # the retry's own sleep is not a pacing wait
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
                error = exc
            what, x = self._outcome(ticket, key, result, error, info, network_errors)
            if what == "return":
                return x  # type: ignore[no-any-return]
            if what == "raise":
                raise x
            if what == "give_up":
                raise GiveUp(x) from error
            self._drain()
            if discard is not None and error is None:
                discard(result)
            slept = waited = self._retry_sleep_s(x)
            self.clock.sleep(waited)
            step = self.core.resume(ticket, now=self.clock.now_ms())

    async def call_async(
        self,
        send: Callable[[], Awaitable[T]],
        *,
        key: Optional[str] = None,
        cost: int = DEFAULT_COST,
        network_errors: Tuple[Type[BaseException], ...] = (ConnectionError, TimeoutError, OSError),
        discard: Optional[Callable[[Any], Awaitable[None]]] = None,
        read_body: Optional[Callable[[Any], Awaitable[Optional[str]]]] = None,
    ) -> T:
        """The asyncio form of :meth:`call` (the same core pacer, the same steps); ``store`` may
        be an :class:`~pacekeeper.store_redis.AsyncRedisStore`."""
        if self.store is None:
            return await self._call_async(send, key, cost, network_errors, discard, read_body)
        try:
            return await self._call_async(send, key, cost, network_errors, discard, read_body)
        finally:
            await self._drain_async()

    async def _call_async(self, send: Callable[[], Awaitable[T]], key: Optional[str], cost: int,
                          network_errors: Tuple[Type[BaseException], ...],
                          discard: Optional[Callable[[Any], Awaitable[None]]],
                          read_body: Optional[Callable[[Any], Awaitable[Optional[str]]]]) -> T:
        key = key or self.key
        step = self.core.begin(key, cost, now=self.clock.now_ms())
        waited = slept = 0.0
        while True:
            ticket, waited = await self._go_async(step, key, None, waited)
            self._held(waited - slept)  # the retry's own sleep is not a pacing wait
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
                error = exc
            what, x = self._outcome(ticket, key, result, error, info, network_errors)
            if what == "return":
                return x  # type: ignore[no-any-return]
            if what == "raise":
                raise x
            if what == "give_up":
                raise GiveUp(x) from error
            await self._drain_async()
            if discard is not None and error is None:
                await discard(result)
            slept = waited = self._retry_sleep_s(x)
            await self.clock.sleep_async(waited)
            step = self.core.resume(ticket, now=self.clock.now_ms())
