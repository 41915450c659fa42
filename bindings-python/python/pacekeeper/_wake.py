"""Wake-ups for a pacer's sleepers. A finish or a cancel can move booked slots earlier (a count
that says more is left, a probe window that widened, a place given up); a sleeper on a clock with
``wait_on(cond, seconds)`` (the system clock) wakes and asks the core again instead of sleeping
to the slot it was first given. A clock without it (a ``FakeClock``) just sleeps."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Dict, List, Optional, Set, Tuple


def _settle(fut: "asyncio.Future[None]") -> None:
    if not fut.done():
        fut.set_result(None)


class _Sleepers:
    """One key's sleepers: threads on a condition (over the waker's one lock), tasks on futures,
    and ``gen``, the count of the key's wake-ups."""

    __slots__ = ("cv", "gen", "futs")

    def __init__(self, lock: threading.Lock) -> None:
        self.cv = threading.Condition(lock)
        self.gen = 0
        self.futs: Set[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]] = set()


class Waker:
    """The sleepers of one pacer, by key: a finish or a cancel moves only its own key's slots
    (the core rebooks that key's queue alone), so it wakes that key's sleepers, not every
    thread of the pacer (a herd of tenants would otherwise wake all of them on every answer).
    A sleeper reads its key's ``gen`` before asking the core, and does not sleep if it moved
    since. ``wake()`` with no key wakes every key's sleepers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: Dict[str, _Sleepers] = {}

    def _of(self, key: str) -> _Sleepers:
        s = self._keys.get(key)
        if s is None:
            with self._lock:
                s = self._keys.setdefault(key, _Sleepers(self._lock))
        return s

    def gen(self, key: str) -> int:
        return self._of(key).gen

    def wake(self, key: Optional[str] = None) -> None:
        futs: List[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]] = []
        with self._lock:
            if key is None:
                woken = list(self._keys.values())
            else:
                one = self._keys.get(key)
                woken = [] if one is None else [one]
            for s in woken:
                s.gen += 1
                s.cv.notify_all()
                futs.extend(s.futs)
        for loop, fut in futs:
            try:
                loop.call_soon_threadsafe(_settle, fut)
            except RuntimeError:  # its loop is closed
                pass

    def nap(self, clock: Any, wait: float, gen: int, key: str) -> float:
        """Sleeps ``wait`` s, or less when ``key`` is woken after ``gen``; returns the seconds slept."""
        t0 = clock.now_ms()
        wait_on = getattr(clock, "wait_on", None)
        if wait_on is None:
            clock.sleep(wait)
        else:
            s = self._of(key)
            with s.cv:
                if s.gen == gen:
                    wait_on(s.cv, wait)
        return max(0, clock.now_ms() - t0) / 1000.0

    async def nap_async(self, clock: Any, wait: float, gen: int, key: str) -> float:
        t0 = clock.now_ms()
        if getattr(clock, "wait_on", None) is None:
            await clock.sleep_async(wait)
        else:
            s = self._of(key)
            loop = asyncio.get_running_loop()
            entry = (loop, loop.create_future())
            with self._lock:
                live = s.gen == gen
                if live:
                    s.futs.add(entry)
            try:
                if live:
                    await asyncio.wait((entry[1],), timeout=wait)
            finally:
                with self._lock:
                    s.futs.discard(entry)
        return max(0, clock.now_ms() - t0) / 1000.0
