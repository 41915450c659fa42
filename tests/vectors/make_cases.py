#!/usr/bin/env python3
"""Writes the inputs and hand-written `assert` blocks of the shared vectors.

Run `python3 tests/vectors/make_cases.py && PACEKEEPER_BLESS=1 cargo test -p pacekeeper --test vectors`
to regenerate: the bless step fills each case's exact `expect` from the engine, and refuses to
write anything unless every hand-written `assert` holds. Existing `expect` blocks are kept for
cases whose inputs did not change, so a diff shows exactly what moved.

The cases themselves are built in cases/ (one module per vector file; vendors.py is the part of
headers.json for other vendors' header families).
"""
import json
import os

from cases.backoff import backoff_cases
from cases.bucket import bucket_cases
from cases.headers import headers_cases
from cases.plan import plan_cases

HERE = os.path.dirname(os.path.abspath(__file__))


def write(kind, cases):
    path = os.path.join(HERE, f"{kind}.json")
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            for case in json.load(f).get("cases", []):
                old[case["name"]] = case
    names = set()
    for case in cases:
        assert case["name"] not in names, case["name"]
        names.add(case["name"])
        prev = old.get(case["name"])
        if prev and "expect" in prev:
            same = {k: v for k, v in prev.items() if k != "expect"} == case
            if same:
                case["expect"] = prev["expect"]
    with open(path, "w") as f:
        json.dump({"$schema": "./schema.json", "kind": kind, "cases": cases}, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return len(cases)


if __name__ == "__main__":
    total = 0
    for kind, fn in [("headers", headers_cases), ("bucket", bucket_cases), ("backoff", backoff_cases),
                     ("plan", plan_cases)]:
        n = write(kind, fn())
        print(f"{kind}: {n} cases")
        total += n
    print(f"total: {total}")
