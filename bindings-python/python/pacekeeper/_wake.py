"""Wake-ups for a pacer's sleepers. A finish or a cancel can move booked slots earlier (a count
that says more is left, a probe window that widened, a place given up); a sleeper on a clock with
``wait_on(cond, seconds)`` (the system clock) wakes and asks the core again instead of sleeping
to the slot it was first given. A clock without it (a ``FakeClock``) just sleeps."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Set, Tuple


def _settle(fut: "asyncio.Future[None]") -> None:
    if not fut.done():
        fut.set_result(None)


class Waker:
    """The sleepers of one pacer: threads on a condition, tasks on futures. ``gen`` counts the
    wake-ups; a sleeper reads it before asking the core, and does not sleep if it moved since."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self.gen = 0
        self._futs: Set[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]] = set()

    def wake(self) -> None:
        with self._cv:
            self.gen += 1
            self._cv.notify_all()
            futs = list(self._futs)
        for loop, fut in futs:
            try:
                loop.call_soon_threadsafe(_settle, fut)
            except RuntimeError:  # its loop is closed
                pass

    def nap(self, clock: Any, wait: float, gen: int) -> float:
        """Sleeps ``wait`` s, or less when woken after ``gen``; returns the seconds slept."""
        t0 = clock.now_ms()
        wait_on = getattr(clock, "wait_on", None)
        if wait_on is None:
            clock.sleep(wait)
        else:
            with self._cv:
                if self.gen == gen:
                    wait_on(self._cv, wait)
        return max(0, clock.now_ms() - t0) / 1000.0

    async def nap_async(self, clock: Any, wait: float, gen: int) -> float:
        t0 = clock.now_ms()
        if getattr(clock, "wait_on", None) is None:
            await clock.sleep_async(wait)
        else:
            loop = asyncio.get_running_loop()
            entry = (loop, loop.create_future())
            with self._cv:
                live = self.gen == gen
                if live:
                    self._futs.add(entry)
            try:
                if live:
                    await asyncio.wait((entry[1],), timeout=wait)
            finally:
                with self._cv:
                    self._futs.discard(entry)
        return max(0, clock.now_ms() - t0) / 1000.0
