"""Clocks for the helpers that sleep. The engine itself never reads a clock.

Conventions: engine calls take and return integer epoch **milliseconds** (``now``, ``until``,
``at``, ``wait_ms``); a clock's ``sleep`` takes float **seconds**, like :func:`time.sleep`.
Inject a :class:`FakeClock` in tests to run paced code instantly and deterministically.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock", "SYSTEM_CLOCK"]


@runtime_checkable
class Clock(Protocol):
    """What the helpers need from time: ``now_ms()`` and sleeping."""

    def now_ms(self) -> int:
        """The current time, integer epoch milliseconds."""
        ...

    def sleep(self, seconds: float) -> None:
        """Blocks the calling thread for ``seconds``."""
        ...

    async def sleep_async(self, seconds: float) -> None:
        """Suspends the calling task for ``seconds``."""
        ...


class SystemClock:
    """Real time: ``time.time_ns() // 1_000_000``, :func:`time.sleep`, :func:`asyncio.sleep`."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def sleep_async(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def wait_on(self, cond: threading.Condition, seconds: float) -> None:
        """Sleeps like :meth:`sleep`, but wakes early when ``cond`` (held by the caller) is
        notified: a :class:`~pacekeeper.Pacer` wakes its sleepers this way when a response may
        have moved their slots earlier. A clock without ``wait_on`` (a :class:`FakeClock`) sleeps."""
        if seconds > 0:
            cond.wait(seconds)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


class FakeClock:
    """A manual clock for tests: sleeping advances it instantly; every sleep is recorded."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = int(start_ms)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now_ms(self) -> int:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Moves time forward by ``seconds`` (rounded up to whole ms)."""
        with self._lock:
            self._now += max(0, -int(-seconds * 1000 // 1))

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
        self.advance(seconds)

    async def sleep_async(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"FakeClock(now_ms={self._now})"
