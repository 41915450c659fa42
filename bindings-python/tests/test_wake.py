"""Sleepers wake when a slot moves earlier, and a waiter interrupted while it sleeps gives its place
up. Real time, bounded: a limit of 1 per 2 s, so a slot moved up saves 2 s, far above scheduling
noise on a loaded machine."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import pacekeeper

SLOW = [{"amount": 1, "period_ms": 2000, "burst": 1}]


def test_a_cancelled_waiter_moves_the_next_one_up_and_wakes_it() -> None:
    async def main() -> None:
        p = pacekeeper.Pacer(limits=SLOW)
        await p.acquire_async("k")  # the slot at 0
        b = asyncio.ensure_future(p.acquire_async("k"))  # booked at +2 s
        await asyncio.sleep(0.05)
        t0 = time.monotonic()
        c = asyncio.ensure_future(p.acquire_async("k"))  # booked at +4 s
        await asyncio.sleep(0.05)
        assert p.core.open_tickets == 2
        b.cancel()
        with pytest.raises(asyncio.CancelledError):
            await b
        await asyncio.wait_for(c, timeout=6)
        waited = time.monotonic() - t0
        # b's slot (+2 s) went to c: woken and sent at about +2 s, not at its first +4 s
        assert 1.5 < waited < 3.5, waited
        assert p.core.open_tickets == 0

    asyncio.run(main())


class _Resp:
    status_code = 200
    headers: dict = {}


def test_a_sleeping_thread_wakes_when_an_answer_frees_its_place() -> None:
    # A new key's probe window lets one request out at a time; a waiter held back by it polls
    # every probe_poll_ms (here 5 s). When the request in flight is answered, the waiter is
    # woken at once instead of sleeping out its poll.
    p = pacekeeper.Pacer(pacekeeper.Limiter(learn=True))
    p.core = pacekeeper.PacerCore({"probe_poll_ms": 5000})
    in_flight, answer = threading.Event(), threading.Event()
    waited = {}

    def slow() -> _Resp:
        in_flight.set()
        assert answer.wait(10)
        return _Resp()

    def second() -> None:
        t0 = time.monotonic()
        p.call(_Resp, key="k")
        waited["s"] = time.monotonic() - t0

    a = threading.Thread(target=lambda: p.call(slow, key="k"))
    a.start()
    assert in_flight.wait(10)
    b = threading.Thread(target=second)
    b.start()
    time.sleep(0.3)
    assert "s" not in waited  # held back by the window
    answer.set()
    a.join(10)
    b.join(10)
    assert not a.is_alive() and not b.is_alive()
    assert waited["s"] < 2.5, waited  # woken by the answer, not after its 5 s poll
    assert p.core.open_tickets == 0


class _Interrupt(BaseException):
    """Stands for KeyboardInterrupt or a task's cancellation (pytest handles the real one)."""


def test_an_interrupted_sleeper_gives_its_place_up() -> None:
    # A waiter whose sleep raises cancels its ticket: it does not hold the key's queue.
    class Boom(pacekeeper.SystemClock):
        def wait_on(self, cond: threading.Condition, seconds: float) -> None:
            raise _Interrupt

    class FakeBoom(pacekeeper.FakeClock):
        def sleep(self, seconds: float) -> None:
            raise _Interrupt

    for clock in (Boom(), FakeBoom()):
        p = pacekeeper.Pacer(limits=SLOW, clock=clock)
        p.acquire("k")
        with pytest.raises(_Interrupt):
            p.acquire("k")  # booked at +2 s, interrupted while asleep
        assert p.core.open_tickets == 0
        now = clock.now_ms()
        step = p.core.begin("k", 1, now=now)  # the +2 s slot is free again: not booked at +4 s
        assert step.action == "wait" and step.until - now <= 2000, step


def test_a_wake_reaches_only_its_own_keys_sleepers() -> None:
    # A finish moves only its own key's slots (the core rebooks that key alone): a herd of
    # tenants sharing a pacer must not wake every thread on every answer.
    from pacekeeper._clock import SYSTEM_CLOCK
    from pacekeeper._wake import Waker

    w = Waker()
    slept: dict = {}

    def sleeper(key: str) -> None:
        slept[key] = w.nap(SYSTEM_CLOCK, 5.0, w.gen(key), key)

    threads = {k: threading.Thread(target=sleeper, args=(k,)) for k in ("a", "b")}
    for t in threads.values():
        t.start()
    time.sleep(0.2)
    w.wake("a")
    threads["a"].join(3)
    assert not threads["a"].is_alive() and slept["a"] < 3
    time.sleep(0.3)
    assert threads["b"].is_alive(), "a wake of key a woke key b's sleeper"
    w.wake()  # no key: every key's sleepers
    threads["b"].join(3)
    assert not threads["b"].is_alive() and slept["b"] < 3
    # a wake after the sleeper read its gen and before it slept: it does not sleep at all
    g = w.gen("c")
    w.wake("c")
    assert w.nap(SYSTEM_CLOCK, 5.0, g, "c") < 1
