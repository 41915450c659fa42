#!/usr/bin/env python3
"""Per-decision cost of pacekeeper's limiter check and header parse, beside pyrate-limiter and
limits (in-memory), in one run. `make bench-python` (installs requirements-bench.txt).

Each figure is the best of several timeit repeats, in ns per call, loop overhead included
(the loop overhead alone is printed too). Budgets are huge so every check is an admission:
the cost of deciding, not of waiting.
"""

from __future__ import annotations

import platform
import sys
import timeit
from typing import Callable

import limits
import pyrate_limiter
from limits import RateLimitItemPerSecond, storage, strategies
from pyrate_limiter import Duration, InMemoryBucket, Rate

import pacekeeper
from pacekeeper import _native

N = 100_000
REPEAT = 5


def ns(fn: Callable[[], object], n: int = N) -> float:
    return min(timeit.repeat(fn, number=n, repeat=REPEAT)) / n * 1e9


def main() -> int:
    now = 1_700_000_000_000
    results: list[tuple[str, float]] = []

    def row(name: str, value: float) -> None:
        results.append((name, value))
        print(f"{name:<58} {value:>10.0f} ns")

    print(f"python {platform.python_version()} on {platform.machine()}; pacekeeper {pacekeeper.__version__}, "
          f"pyrate-limiter {pyrate_limiter.__version__ if hasattr(pyrate_limiter, '__version__') else '4.5.1'}, limits {limits.__version__}")
    row("loop overhead (a Python lambda returning None)", ns(lambda: None))
    noop = _native.version
    row("pyo3 call overhead: _native.version()", ns(noop))

    big = {"amount": 1_000_000, "period_ms": 1, "burst": 1_000_000}  # every check below is an "allow"
    lim = pacekeeper.Limiter([big])
    check = lim.check
    assert N * REPEAT < 1_000_000
    row("pacekeeper Limiter.check(key, now=int)", ns(lambda: check("tenant-a", now=now)))
    assert check("tenant-a", now=now).allowed
    row("pacekeeper Limiter.check(key) (clock read in Rust)", ns(lambda: check("tenant-b")))
    lim2 = pacekeeper.Limiter([big, {"amount": 1_000_000, "period_ms": 1, "burst": 1_000_000}])
    row("pacekeeper Limiter.check, two limits at once", ns(lambda: lim2.check("tenant-a", now=now)))

    pyrate = pyrate_limiter.Limiter(InMemoryBucket([Rate(10**9, Duration.SECOND)]))
    row("pyrate-limiter Limiter.try_acquire (InMemoryBucket)", ns(lambda: pyrate.try_acquire("tenant-a", blocking=False), 50_000))

    mem = storage.MemoryStorage()
    item = RateLimitItemPerSecond(10**9)
    moving = strategies.MovingWindowRateLimiter(mem)
    row("limits MovingWindowRateLimiter.hit (MemoryStorage)", ns(lambda: moving.hit(item, "tenant-a"), 50_000))
    fixed = strategies.FixedWindowRateLimiter(storage.MemoryStorage())
    row("limits FixedWindowRateLimiter.hit (MemoryStorage)", ns(lambda: fixed.hit(item, "tenant-a")))
    sliding = strategies.SlidingWindowCounterRateLimiter(storage.MemoryStorage())
    row("limits SlidingWindowCounterRateLimiter.hit (MemoryStorage)", ns(lambda: sliding.hit(item, "tenant-a")))

    genesys_429 = [("Retry-After", "30"), ("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "300"), ("inin-ratelimit-reset", "30")]
    parse = pacekeeper.parse_headers
    row("pacekeeper parse_headers (Genesys 429, 4 headers, list)", ns(lambda: parse(429, genesys_429, now=now)))
    as_dict = dict(genesys_429)
    row("pacekeeper parse_headers (Genesys 429, 4 headers, dict)", ns(lambda: parse(429, as_dict, now=now)))
    ietf = [("RateLimit-Policy", '"burst";q=15;w=3, "sustained";q=300;w=60'), ("RateLimit", '"burst";r=0;t=2')]
    row("pacekeeper parse_headers (IETF structured fields)", ns(lambda: parse(429, ietf, now=now)))

    def py_parse(headers: dict) -> tuple:
        # What a hand-written client does: Retry-After seconds and the inin trio, nothing else.
        ra = headers.get("Retry-After")
        wait = int(ra) * 1000 if ra and ra.isdigit() else None
        allowed = int(headers.get("inin-ratelimit-allowed", 0))
        count = int(headers.get("inin-ratelimit-count", 0))
        return wait, allowed - count

    row("reference: hand-written Python parse of the same 4 headers", ns(lambda: py_parse(as_dict)))

    d = dict(results)
    print()
    for label, name in (("check(key, now=int)", "pacekeeper Limiter.check(key, now=int)"),
                        ("check(key)", "pacekeeper Limiter.check(key) (clock read in Rust)")):
        best = d[name]
        for other, col in (("pyrate-limiter", "pyrate-limiter Limiter.try_acquire (InMemoryBucket)"),
                           ("limits moving window", "limits MovingWindowRateLimiter.hit (MemoryStorage)"),
                           ("limits sliding window counter", "limits SlidingWindowCounterRateLimiter.hit (MemoryStorage)"),
                           ("limits fixed window", "limits FixedWindowRateLimiter.hit (MemoryStorage)")):
            print(f"{label} speed-up vs {other}: {d[col] / best:.1f}x")
    print(f"pyo3 call overhead minus loop overhead: {d['pyo3 call overhead: _native.version()'] - d['loop overhead (a Python lambda returning None)']:.0f} ns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
