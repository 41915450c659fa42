#!/usr/bin/env python3
"""Outcome benchmark: how fast does a job finish, and at what cost to the server?

Runs the project's loopback server (tests/server/server.mjs, one Node subprocess per profile) in
every profile x workload x client, with and without injected faults, and reports per cell: wall
time, ratio to the oracle in the same run, 429s, early retries (both from the server's /__stats),
lost and duplicated records (from the server's record of what it accepted).

    make bench-outcome                        # the full run (~17 min here), table + docs/outcome.svg
    .venv/bin/python bench/outcome/outcome.py --profiles genesys --workloads messaging
    .venv/bin/python bench/outcome/outcome.py --smoke   # what `make test-outcome` runs

Time scaling (see BENCHMARKS.md): the server runs at burst 10 and 50 requests/s per token for
messaging and WFM polling, 10/s for the bulk and herd workloads (10x and 2x the real Genesys rate
of 5/s), so the whole matrix finishes in minutes. Client-side constants of the hand-written
policies (5 s fixed delay, tenacity's 1 s multiplier, urllib3's backoff factor) are divided by
the same factor. What cannot be scaled: every header the server sends
is in whole seconds (Retry-After: N, inin-ratelimit-reset, X-RateLimit-Reset in epoch seconds,
an HTTP-date), so a 429 still costs at least 1 s to any client that honours it.

Clients (clients.py): the oracle, the floor of a learning client (oracle-after-429: knows nothing
before a token's first 429, then the limits exactly; run on the profiles without rate headers),
pacekeeper configured and learning (``pacekeeper.Pacer`` over
requests), pacekeeper through the real Genesys SDKs (Python ``PureCloudPlatformClientV2`` with
``pacekeeper.genesys.install``, Node ``purecloud-platform-client-v2`` with ``installGenesys`` in
node_sdk.mjs; both against the genesys profile only), and the hand-written retry loops.

Faults: the server has no fault injection, so faults are injected in the client transport (the
same seeded sequence for every client): 10 % of requests fail with a ConnectionError, half of
them before the request leaves (the server never sees it), half after the server answered (the
response is lost, so a retry can duplicate a record).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import os
import shutil
import sys
import time
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The parts (bench/outcome/): params.py (the matrix and its rates), loopback_server.py (the server
# subprocess), transport.py (faults, deadline-bounded sleeps), clients.py (the oracle, pacekeeper,
# the hand-written loops), workloads.py (the jobs and their lost/duplicated records), report.py
# (targets, tables), chart.py (the SVG). Cells and the command line are here; demo.py uses
# Server, SKEW_MS, CELL_DEADLINE_S and run_cell from this module. CELL_DEADLINE_S: this module's
# copy is the one run_cell reads (set by --deadline and by demo.py).
from clients import make_client  # noqa: E402
from loopback_server import Server  # noqa: E402
from params import (  # noqa: E402
    BURST,
    CELL_DEADLINE_S,
    CLIENTS,
    FLOOR_CLIENT,
    FLOOR_PROFILES,
    PROFILES,
    RATES,
    REAL_RATE,
    SDK_CLIENTS,
    SDK_PROFILES,
    SKEW_MS,
    WORKLOADS,
)
from report import check_targets, markdown  # noqa: E402
from transport import Transport  # noqa: E402
from workloads import CELL_START, records_of, workload  # noqa: E402


# --- the matrix --------------------------------------------------------------------------------------


def run_cell(srv: Server, profile: str, wl: str, client_name: str, faults: float, seed: int,
             burst: int, rate: float, messages: int = 100) -> Dict[str, Any]:
    srv.control("POST", "/__reset", {"burst": burst, "ratePerSec": rate})
    transport = Transport(srv.url, faults, seed, time.monotonic() + CELL_DEADLINE_S)
    client = make_client(client_name, transport, burst, rate, rate / REAL_RATE)
    if hasattr(client, "run_external"):  # the Node SDK client: the workload runs in Node
        ext = client.run_external(wl, messages)
        wall = ext["wall_s"]
        records = records_of(wl, srv, messages, ext["failed_polls"])
    else:
        CELL_START[0] = time.monotonic()
        records = workload(wl, client, srv, messages)
        wall = time.monotonic() - CELL_START[0]
    st = srv.control("GET", "/__stats")
    return {
        "profile": profile, "workload": wl, "client": client_name, "faults": faults, "rate": rate,
        "wall_s": round(wall, 3), "requests": st["requests"], "throttled": st["throttled"],
        "early": st["earlyRetries"], "lockout_extensions": st["lockoutExtensions"],
        "budget_violations": st["budgetViolations"], "lost": records["lost"],
        "duplicated": records["duplicated"], "injected": transport.faults_before + transport.faults_after,
        "timed_out": wall > CELL_DEADLINE_S,
    }


def run_matrix(profiles: List[str], workloads: List[str], clients: List[str], fault_rates: List[float],
               burst: int, rates: Dict[str, float], log: Callable[..., None] = print) -> List[Dict[str, Any]]:
    results = []
    for profile in profiles:
        srv = Server(profile, burst, 50, SKEW_MS)
        here = [c for c in clients if (c not in SDK_CLIENTS or profile in SDK_PROFILES)
                and (c != FLOOR_CLIENT or profile in FLOOR_PROFILES)]
        try:
            for name in here:
                run_cell(srv, profile, "warmup", name, 0.0, 0, burst, 50)
            for faults in fault_rates:
                for wl in workloads:
                    oracle_wall = None
                    for ci, name in enumerate(here):
                        seed = zlib.crc32(f"{profile}/{wl}/{faults}".encode())  # the same faults for every client
                        cell = run_cell(srv, profile, wl, name, faults, seed, burst, rates[wl])
                        if name == "oracle":
                            oracle_wall = cell["wall_s"]
                        cell["ratio"] = round(cell["wall_s"] / oracle_wall, 3) if oracle_wall else None
                        results.append(cell)
                        log(f"{profile:19s} {wl:9s} faults={faults:.0%} {name:14s} wall {cell['wall_s']:7.3f} s"
                            f"  x{cell['ratio'] if cell['ratio'] is not None else '-':<6}"
                            f" 429s {cell['throttled']:4d}  early {cell['early']:3d}"
                            f"  lost {cell['lost']:3d}  dup {cell['duplicated']:3d}", flush=True)
        finally:
            srv.close()
    return results


def main(argv: Optional[List[str]] = None) -> int:
    global CELL_DEADLINE_S
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", default=",".join(PROFILES))
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--faults", default="0,0.1", help="fault rates, comma-separated")
    ap.add_argument("--burst", type=int, default=BURST)
    ap.add_argument("--rate", type=float, help="requests/s per token for every workload (default: %s; "
                    "real Genesys: 5)" % ", ".join(f"{k} {v}" for k, v in RATES.items()))
    ap.add_argument("--deadline", type=float, default=CELL_DEADLINE_S,
                    help="seconds a cell may run; a client that would sleep past it stops (lost)")
    ap.add_argument("--jobs", type=int, default=4,
                    help="profiles run in parallel, each with its own server (the clients mostly sleep)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--markdown", help="write the tables here")
    ap.add_argument("--svg", help="draw the chart here")
    ap.add_argument("--smoke", action="store_true",
                    help="the `make test-outcome` subset with hard asserts (messaging, genesys)")
    args = ap.parse_args(argv)

    if shutil.which("node") is None:
        msg = "outcome: node is not installed (the loopback server is Node)"
        if os.environ.get("CI") == "true":
            print(msg + ": FAILED (CI=true)", file=sys.stderr)
            return 1
        print(msg + ": skipped", file=sys.stderr)
        return 0

    CELL_DEADLINE_S = args.deadline
    rates = {wl: args.rate for wl in WORKLOADS} if args.rate else dict(RATES)
    if args.smoke:
        return smoke(args.burst, rates)

    clients = args.clients.split(",")
    if "oracle" not in clients:
        clients.insert(0, "oracle")
    t0 = time.monotonic()
    profiles = args.profiles.split(",")
    run = functools.partial(run_matrix, workloads=args.workloads.split(","), clients=clients,
                            fault_rates=[float(f) for f in args.faults.split(",")], burst=args.burst, rates=rates)
    if args.jobs > 1 and len(profiles) > 1:
        # The strict profile takes longest (doubling lockouts): start it first, report in order.
        first = sorted(profiles, key=lambda p: p != "strict")
        with concurrent.futures.ProcessPoolExecutor(min(args.jobs, len(profiles))) as pool:
            parts = dict(zip(first, pool.map(run, [[p] for p in first])))
        results = [r for p in profiles for r in parts[p]]
    else:
        results = run(profiles)
    md = markdown(results, clients)
    misses = check_targets(results)
    print(md)
    print(f"full run: {time.monotonic() - t0:.0f} s; burst {args.burst}; requests/s per token: {rates}")
    print(f"targets missed: {len(misses)}")
    for m in misses:
        print("  " + m)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"burst": args.burst, "rates": rates, "results": results,
                                               "misses": misses}, indent=1))
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(md + "\ntargets missed:\n" + "".join(f"- {m}\n" for m in misses))
    if args.svg:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from chart import write_svg

        write_svg(results, clients, args.svg)
    return 0


def smoke(burst: int, rates: Dict[str, float]) -> int:
    """messaging against the genesys profile: the oracle, pacekeeper configured, the naive
    fixed-delay loop. Hard asserts: 0 lost and 0 duplicated for pacekeeper and the oracle, 0 early
    retries for pacekeeper (configured and learning), fewer 429s than the naive loop (which must
    see some: else the server is not rate-limiting and the test could not fail)."""
    results = run_matrix(["genesys"], ["messaging"], ["oracle", "pk-configured", "pk-learning", "fixed-5s"],
                         [0.0], burst, rates)
    by = {r["client"]: r for r in results}
    failures = []
    for name in ("oracle", "pk-configured", "pk-learning"):
        if by[name]["lost"] or by[name]["duplicated"]:
            failures.append(f"{name}: lost {by[name]['lost']}, duplicated {by[name]['duplicated']}")
    naive = by["fixed-5s"]
    if naive["throttled"] == 0:
        failures.append("fixed-5s saw no 429: the server is not rate-limiting (the test cannot fail)")
    for name in ("pk-configured", "pk-learning"):
        pk = by[name]
        if pk["early"]:
            failures.append(f"{name}: {pk['early']} early retries")
        if naive["throttled"] and not pk["throttled"] < naive["throttled"]:
            failures.append(f"{name}: {pk['throttled']} x 429, not fewer than fixed-5s ({naive['throttled']})")
    for f in failures:
        print("test-outcome FAILED: " + f, file=sys.stderr)
    if not failures:
        print("test-outcome: OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
