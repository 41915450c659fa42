"""Python: one decision through Redis on loopback, sequentially from one process.
pacekeeper's script (EVALSHA over redis-py; arguments from the core's codec, encoded once) beside
the `limits` package's Redis storage (moving window and fixed window), against the same server.
Usage: python bench.py <port> <n> <keys-json> <args-json> <sha1>"""
import json
import sys
import time

import redis
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

port, n, keys, args, sha = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]


def timed(label, fn):
    for _ in range(500):
        fn()
    lat = []
    t0 = time.perf_counter_ns()
    for _ in range(n):
        t = time.perf_counter_ns()
        fn()
        lat.append(time.perf_counter_ns() - t)
    total = (time.perf_counter_ns() - t0) / 1e9
    lat.sort()
    print(f"{label:<46} n={n:>6}  p50 {lat[n // 2] / 1000:>7.1f} µs  p99 {lat[n * 99 // 100] / 1000:>7.1f} µs  {n / total:>7.0f} decisions/s")


client = redis.Redis(port=port)
timed("python pacekeeper script, 1 limit (redis-py)", lambda: client.evalsha(sha, 2, *keys, *args))
storage = RedisStorage(f"redis://127.0.0.1:{port}")
item = RateLimitItemPerSecond(1_000_000_000)
mw = MovingWindowRateLimiter(storage)
timed("python limits 5.8 moving window (Redis)", lambda: mw.hit(item, "bench-moving"))
fw = FixedWindowRateLimiter(storage)
timed("python limits 5.8 fixed window (Redis)", lambda: fw.hit(item, "bench-fixed"))
