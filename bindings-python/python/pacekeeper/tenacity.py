"""tenacity helpers: a ``wait`` that honours the server and a ``retry`` predicate for rate limits.

The snippet people already have keeps its shape::

    from tenacity import retry, stop_after_attempt
    from pacekeeper.tenacity import retry_if_rate_limited, wait_pacekeeper

    @retry(wait=wait_pacekeeper(), retry=retry_if_rate_limited(), stop=stop_after_attempt(8))
    def fetch(): ...

:class:`wait_pacekeeper` reads ``Retry-After`` and the other rate-limit headers (and the Genesys
429 body) from the exception or the returned response: the Genesys SDK's ``ApiException``,
``requests``' ``HTTPError``/``Response`` and ``httpx``' ``HTTPStatusError``/``Response``.
The server's word is a floor; without one it falls back to the engine's jittered schedule.
It returns float seconds, as tenacity expects.
"""

from __future__ import annotations

import random
import threading
import weakref
from typing import Any, Collection, Optional

import tenacity as _tenacity

from ._clock import SYSTEM_CLOCK, Clock
from ._extract import response_info
from ._native import Backoff, Reading, RetryBudget, RetryState
from ._runtime import read_response

__all__ = ["reading_of", "retry_if_rate_limited", "wait_pacekeeper"]


def _outcome_object(retry_state: Any) -> Any:
    outcome = retry_state.outcome
    if outcome is None:
        return None
    if outcome.failed:
        return outcome.exception()
    return outcome.result()


def reading_of(obj: Any, *, now: Optional[int] = None, max_wait_ms: Optional[int] = None) -> Optional[Reading]:
    """The :class:`~pacekeeper.Reading` of a response or of an exception carrying one (a server
    value the engine cannot read gives the bare status's reading; it never raises)."""
    info = response_info(obj)
    if info is None:
        return None
    return read_response(info, SYSTEM_CLOCK.now_ms() if now is None else now, max_wait_ms)


class wait_pacekeeper(_tenacity.wait.wait_base):  # type: ignore[misc]
    """A tenacity ``wait``: the engine's decision for the last attempt, in seconds.

    ``backoff`` is a :class:`~pacekeeper.Backoff` (default ``Backoff()``: 500 ms base, ×2,
    60 s cap, full jitter, the server's hint plus 10 % as a floor). Each tenacity call gets its
    own seeded :class:`~pacekeeper.RetryState`, so hints that prove short are escalated.
    When the engine would not retry (e.g. its ``max_attempts`` is lower than tenacity's stop)
    the wait is the jittered schedule, never below the server's hint."""

    def __init__(
        self,
        backoff: Optional[Backoff] = None,
        *,
        clock: Optional[Clock] = None,
        budget: Optional[RetryBudget] = None,
        seed: Optional[int] = None,
    ) -> None:
        self.backoff = backoff if backoff is not None else Backoff()
        self.clock = clock if clock is not None else SYSTEM_CLOCK
        self.budget = budget
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._states: "weakref.WeakKeyDictionary[Any, RetryState]" = weakref.WeakKeyDictionary()
        self.last_decision: Any = None
        #: The longest wait returned, whatever its source: the backoff policy's ``max_wait_ms``.
        self.max_wait_ms: int = self.backoff.policy["max_wait_ms"]

    def _state(self, retry_state: Any) -> RetryState:
        with self._lock:
            st = self._states.get(retry_state)
            if st is None:
                st = RetryState(started_at=self.clock.now_ms(), seed=self._rng.getrandbits(64))
                self._states[retry_state] = st
            return st

    def __call__(self, retry_state: Any) -> float:
        now = self.clock.now_ms()
        cap = self.max_wait_ms
        reading = reading_of(_outcome_object(retry_state), now=now, max_wait_ms=cap)
        state = self._state(retry_state)
        decision = self.backoff.decide(state, reading, now=now, budget=self.budget)
        self.last_decision = decision
        if decision.decision == "retry":
            return min(max(0, decision.at - now), cap) / 1000.0  # type: ignore[operator]
        n = max(1, int(retry_state.attempt_number))
        delay = self.backoff.delay_ms(n, state.prev_delay_ms, state.seed)
        if reading is not None and reading.wait_ms is not None:
            delay = max(delay, reading.wait_ms)
        return min(delay, cap) / 1000.0


class retry_if_rate_limited(_tenacity.retry_base):  # type: ignore[misc]
    """A tenacity ``retry`` predicate: True when the attempt's exception or result is a
    rate-limit response (a 429, or any status the server throttles with a wait, such as a 503
    with ``Retry-After``), or has a status in ``also`` (e.g. ``also=(502, 503, 504)``)."""

    def __init__(self, also: Collection[int] = ()) -> None:
        self.also = frozenset(also)

    def __call__(self, retry_state: Any) -> bool:
        obj = _outcome_object(retry_state)
        info = response_info(obj)
        if info is None:
            return False
        if info.status in self.also:
            return True
        reading = read_response(info, SYSTEM_CLOCK.now_ms())
        return reading is not None and reading.throttled
