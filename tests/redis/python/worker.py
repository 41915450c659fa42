"""A Python worker for the cross-runtime herd test: hammers one budget through store_redis.py
(redis-py) for a bounded time, sleeping as told, and prints the server times of its admissions.
Usage: python worker.py <port> <budget> <ms> <request-json> <codec-exe>"""
import json
import sys
import time

import redis

from conftest import Codec, load_shell

port, budget, ms, request, exe = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
codec = Codec(exe)
store = load_shell().RedisStore(redis.Redis(port=port, socket_timeout=1), codec)
admitted = []
end = time.monotonic() + ms / 1000
calls = 0
while time.monotonic() < end and calls < 100_000:
    calls += 1
    r = store.call(budget, request)
    if r["kind"] == "allow":
        admitted.append(r["now_us"])
    else:
        time.sleep(min(r["wait_us"] / 1e6, 0.1))
print(json.dumps(admitted))
codec.close()
