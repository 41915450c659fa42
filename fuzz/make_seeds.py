#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (deterministic: run it again, get the same files).

headers: every shared header vector (tests/vectors/headers.json) in the harness's input format
(fuzz/src/harness.rs `headers`); limiter, plan, backoff: a few dozen pseudo-random inputs from
a fixed seed. libFuzzer adds what it finds to fuzz/corpus/<target>/ (`make fuzz`); keep the
committed corpus small (see FUZZING.md).
"""
import hashlib
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def headers_seed(case):
    status = case["status"]
    out = struct.pack("<H", (status - 100) % 65536 if 100 <= status else 65535)
    out += bytes([3]) + struct.pack("<Q", case["now"])
    mode = {"epoch_seconds": 0, "epoch_millis": 1, "delta_seconds": 2, "delta_millis": 3}
    opts = case.get("options", {})
    out += bytes([mode.get(opts.get("reset_mode"), 4)])
    if "max_wait_ms" in opts:
        out += bytes([0, 3]) + struct.pack("<Q", opts["max_wait_ms"])
    else:
        out += bytes([1])
    text = "\n".join(f"{n}:{v}" for n, v in case["headers"])
    if case.get("body") is not None:
        text += "\n---\n" + case["body"]
    return out + text.encode()


def main():
    with open(os.path.join(HERE, "..", "tests", "vectors", "headers.json")) as f:
        for case in json.load(f)["cases"]:
            data = headers_seed(case)
            if len(data) <= 4096:
                write("headers", data)
    rng = random.Random(12)
    for target, n, size in [("limiter", 48, 600), ("plan", 32, 200), ("backoff", 32, 200), ("pacer", 48, 400)]:
        for _ in range(n):
            write(target, bytes(rng.randrange(256) for _ in range(rng.randrange(8, size))))


if __name__ == "__main__":
    main()
