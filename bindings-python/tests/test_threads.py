"""Many threads hammering one limiter with real time never get more than its budget."""

from __future__ import annotations

import bisect
import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

import pacekeeper as pk


def admitted_times(limiter: pk.Limiter, threads: int, seconds: float, key: str = "k") -> list[int]:
    admitted: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        mine = []
        start.wait()
        while time.monotonic() < stop_at:
            now = pk.now_ms()
            if limiter.check(key, now=now).allowed:
                mine.append(now)
        with lock:
            admitted.extend(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=30)
    return sorted(admitted)


def max_in_window(times: list[int], window_ms: int) -> int:
    best = 0
    for i, t in enumerate(times):
        j = bisect.bisect_left(times, t + window_ms)
        best = max(best, j - i)
    return best


@settings(max_examples=6, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=200),
    period_ms=st.sampled_from([10, 50, 100, 250]),
    burst=st.integers(min_value=1, max_value=50),
    threads=st.integers(min_value=2, max_value=12),
)
def test_threads_never_exceed_budget(amount: int, period_ms: int, burst: int, threads: int) -> None:
    limiter = pk.Limiter([{"amount": amount, "period_ms": period_ms, "burst": burst}])
    times = admitted_times(limiter, threads, 0.25)
    assert times, "nothing admitted"
    for window in (1, 10, 100, 250):
        # GCRA: at most burst + amount·W/period in any window of W ms (+1 for the edge token).
        allowed = burst + (amount * window) // period_ms + 1
        assert max_in_window(times, window) <= allowed, (window, allowed)
    total_budget = burst + amount * (times[-1] - times[0]) // period_ms + 1
    assert len(times) <= total_budget


def test_shared_limiter_admits_its_whole_burst_and_no_more() -> None:
    # A burst of 100 at a crawl: 16 threads race for it; exactly 100 get through.
    limiter = pk.Limiter([{"amount": 1, "period_ms": 3_600_000, "burst": 100}])
    times = admitted_times(limiter, 16, 0.2)
    assert len(times) == 100


def test_plan_releases_the_gil() -> None:
    # Another Python thread keeps running *while* a large plan is computed natively.
    ticks: list[float] = []
    done = threading.Event()

    def ticker() -> None:
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    time.sleep(0.01)
    try:
        start = time.perf_counter()
        p = pk.plan({"records": 500_000_000, "max_batch_records": 500, "limits": [{"amount": 300, "period_ms": 60_000, "burst": 15}]}, now=0)
        end = time.perf_counter()
    finally:
        done.set()
        t.join()
    assert len(p) == 1_000_000
    assert end - start > 0.03, "the plan was too quick to tell"
    inside = [x for x in ticks if start + 0.01 < x < end - 0.01]
    assert len(inside) >= 3, (end - start, len(inside))
