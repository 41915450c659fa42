"""bindings-python/python/pacekeeper/store_redis.py against a real redis-server (redis-py 8)."""
import asyncio
import json
import signal
import time

import pytest
import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.retry import Retry


def replay(store_call, codec, vectors, run=lambda x: x):
    n = 0
    for case in vectors:
        for i, step in enumerate(case["steps"]):
            expect = case["expect"]["replies"][i]
            if "error" in expect:
                with pytest.raises(ValueError):
                    codec.encode(step["request"], step["now"])
                continue
            got = run(store_call(case["budget"], step["request"], step["now"]))
            assert got == expect, (case["name"], i)
            n += 1
    assert n >= 40


def test_sync_shell_gives_every_vector_s_reply(server, codec, shell, vectors):
    client = redis.Redis(port=server.port, socket_timeout=0.5, socket_connect_timeout=0.5)
    store = shell.RedisStore(client, codec)
    replay(store.call, codec, vectors)
    assert store.evals == 1


def test_async_shell_gives_every_vector_s_reply(server, codec, shell, vectors):
    async def main():
        client = redis.asyncio.Redis(port=server.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        store = shell.AsyncRedisStore(client, codec)
        for case in vectors:
            for i, step in enumerate(case["steps"]):
                expect = case["expect"]["replies"][i]
                if "error" in expect:
                    continue
                assert await store.call(case["budget"], step["request"], step["now"]) == expect
        await client.aclose()
        return store.evals
    assert asyncio.run(main()) == 1


def acquire(**kw):
    r = {"op": "acquire", "cost": 1, "limits": [{"interval_us": 100_000, "burst": 2}], "idle_ttl_us": 10_000_000}
    r.update(kw)
    return r


def test_server_clock_replies_replay_in_the_model_and_flush_falls_back(server, codec, shell):
    client = redis.Redis(port=server.port, socket_timeout=0.5)
    store = shell.RedisStore(client, codec)
    state = {"hash": {}, "leases": {}}
    for i in range(6):
        if i == 3:
            client.script_flush()
        r = store.call("clock", acquire())
        m = codec.step(state, acquire(), r["now_us"])
        assert m["reply"] == r
        state = m["state"]
        stored = {k.decode(): int(v) for k, v in client.hgetall(codec.keys("clock")[0]).items()}
        assert stored == state["hash"]
    assert store.evals == 2
    assert abs(r["now_us"] - time.time() * 1e6) < 2e6


def test_a_lockout_from_one_client_stops_another(server, codec, shell):
    a = shell.RedisStore(redis.Redis(port=server.port, socket_timeout=0.5), codec)
    b = shell.RedisStore(redis.Redis(port=server.port, socket_timeout=0.5), codec)
    a.call("lock", {"op": "lockout", "for_us": 300_000, "idle_ttl_us": 1_000_000})
    r = b.call("lock", acquire())
    assert (r["kind"], r["reason"]) == ("wait", "lockout") and 200_000 < r["wait_us"] <= 300_000


def test_a_paused_or_stopped_store_is_a_bounded_store_error(server, codec, shell):
    # redis-py 6+ retries 3 times by default: a fail-fast store client turns that off.
    client = redis.Redis(port=server.port, socket_timeout=0.2, socket_connect_timeout=0.2,
                         retry=Retry(NoBackoff(), 0))
    store = shell.RedisStore(client, codec)
    assert store.call("down", acquire())["kind"] == "allow"
    server.signal(signal.SIGSTOP)
    t = time.monotonic()
    with pytest.raises(shell.StoreError) as e:
        store.call("down", acquire())
    assert e.value.code == "store_timeout" and time.monotonic() - t < 0.5
    server.signal(signal.SIGCONT)
    server.stop()
    for _ in range(3):
        t = time.monotonic()
        with pytest.raises(shell.StoreError) as e:
            store.call("down", acquire())
        assert e.value.code == "store_unavailable" and time.monotonic() - t < 0.5


def test_two_node_and_two_python_workers_on_one_budget_admit_only_what_one_model_admits(server, codec):
    """4 processes (2 Node over ioredis, 2 Python over redis-py) hammer one budget for 2 s.
    Replayed in server-time order into one core model, every admission is admissible, and they
    reach >= 90 % of the theoretical maximum."""
    import os
    import pathlib
    import subprocess
    import sys

    here = pathlib.Path(__file__).parent
    exe = codec.p.args[0]
    request = {"op": "acquire", "cost": 1, "idle_ttl_us": 10_000_000,
               "limits": [{"interval_us": 10_000, "burst": 5}, {"interval_us": 50_000, "burst": 40}]}
    common = [str(server.port), "herd", "2000", json.dumps(request), exe]
    node = os.environ.get("NODE", "node")
    procs = [subprocess.Popen([node, str(here.parent / "node/worker.js"), *common], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    procs += [subprocess.Popen([sys.executable, str(here / "worker.py"), *common], stdout=subprocess.PIPE, text=True, cwd=here)
              for _ in range(2)]
    per = []
    for p in procs:
        out, _ = p.communicate(timeout=30)
        assert p.returncode == 0
        per.append(json.loads(out))
    assert all(per), f"a worker was starved: {[len(x) for x in per]}"
    admitted = sorted(t for w in per for t in w)
    state = {"hash": {}, "leases": {}}
    for t in admitted:
        m = codec.step(state, request, t)
        assert m["reply"]["kind"] == "allow", t
        state = m["state"]
    span = admitted[-1] - admitted[0]
    most = min(40 + span // 50_000, 5 + span // 10_000)
    assert len(admitted) <= most
    assert len(admitted) * 10 >= most * 9, f"liveness: {len(admitted)} of {most}"
    print(f"4 workers (2 Node, 2 Python): {len(admitted)} admitted of {most}, per worker {[len(x) for x in per]}")
