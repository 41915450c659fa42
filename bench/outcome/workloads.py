"""The workloads (bulk contacts, messaging, a herd of tenants, WFM polling, a warmup): jobs run by
worker threads, and the lost and duplicated records read back from the server."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Dict, List

from loopback_server import Server
from transport import DeadlineExceeded


CELL_START = [0.0]


def run_threads(groups: List[List[Callable[[], bool]]], workers_per_group: int) -> int:
    """Each group is a queue served by ``workers_per_group`` threads; all start together.
    Returns the number of failed jobs. The cell's clock starts when the threads are released."""
    failed = [0]
    lock = threading.Lock()
    start = threading.Barrier(len(groups) * workers_per_group)

    def worker(q: "queue.Queue[Callable[[], bool]]") -> None:
        if start.wait() == 0:
            CELL_START[0] = time.monotonic()
        while True:
            try:
                job = q.get_nowait()
            except queue.Empty:
                return
            try:
                success = job()
            except DeadlineExceeded:
                success = False
            except Exception:  # noqa: BLE001 - a client that crashes loses the record
                success = False
            if not success:
                with lock:
                    failed[0] += 1

    threads = []
    for jobs in groups:
        q: "queue.Queue[Callable[[], bool]]" = queue.Queue()
        for j in jobs:
            q.put(j)
        threads += [threading.Thread(target=worker, args=(q,)) for _ in range(workers_per_group)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failed[0]


def workload(name: str, client: Any, srv: Server, messages: int = 100) -> Dict[str, int]:
    """Runs one workload; returns lost and duplicated records (from the server's records)."""
    if name == "bulk":  # 10,000 contacts per tenant in batches of 500, 3 tenants, 2 workers each
        tenants, contacts, batch = 3, 10_000, 500
        groups = []
        for t in range(tenants):
            jobs = []
            for b in range(contacts // batch):
                body = [{"id": f"c-{t}-{i:05d}", "data": {"n": i}} for i in range(b * batch, (b + 1) * batch)]
                jobs.append(lambda t=t, body=body: client.call(
                    "POST", f"/api/v2/outbound/contactlists/list-{t}/contacts", f"bulk-{t}", body))
            groups.append(jobs)
        run_threads(groups, 2)
        lost = dup = 0
        for t in range(tenants):
            c = srv.control("GET", f"/__contacts/list-{t}")
            lost += contacts - c["unique"]
            dup += c["duplicates"]
        return {"lost": lost, "duplicated": dup}
    if name in ("messaging", "herd"):
        if name == "messaging":  # 100 sends from 15 concurrent workers, one token
            plan, workers = [("messaging-app", messages)], 15
        else:  # a herd: 20 tenants x 20 messages, 3 workers each, all released at once
            plan, workers = [(f"herd-{t:02d}", 20) for t in range(20)], 3
        groups = []
        for token, n in plan:
            groups.append([
                (lambda token=token, i=i: client.call(
                    "POST", "/api/v2/conversations/messages/agentless", token,
                    {"id": f"{token}-{i:03d}", "to": {"id": "+15550100"}, "text": f"message {i}"}))
                for i in range(n)
            ])
        run_threads(groups, workers)
        m = srv.control("GET", "/__messages")
        return {"lost": sum(n for _, n in plan) - m["unique"], "duplicated": m["duplicates"]}
    if name == "wfm":  # 5 business units on one token: create a schedule, then poll it 12 times
        bus, polls = 5, 12
        failed_polls = [0]
        lock = threading.Lock()

        def unit(bu: int) -> bool:
            path = f"/api/v2/workforcemanagement/businessunits/bu-{bu}/weeks/2026-11-30/schedules"
            try:
                created = client.call("POST", path, "wfm-app", {"description": f"bu {bu}"})
            except DeadlineExceeded:
                created = False
            for _ in range(polls):
                try:
                    good = client.call("GET", path, "wfm-app")
                except DeadlineExceeded:
                    good = False
                if not good:
                    with lock:
                        failed_polls[0] += 1
            return created

        run_threads([[lambda bu=bu: unit(bu)] for bu in range(bus)], 1)
        created = srv.control("GET", "/__stats")["schedulesCreated"]
        return {"lost": max(0, bus - created) + failed_polls[0], "duplicated": max(0, created - bus)}
    if name == "warmup":  # not measured: imports, connections, the server's JIT
        run_threads([[lambda i=i: client.call("GET", "/api/v2/ping", f"warmup-{i % 3}") for i in range(30)]], 3)
        return {"lost": 0, "duplicated": 0}
    raise ValueError(f"unknown workload {name!r}")


def records_of(name: str, srv: Server, messages: int = 100, failed_polls: int = 0) -> Dict[str, int]:
    """Lost and duplicated records of a workload another process ran (the Node SDK client), read
    back from the server as ``workload`` does; ``failed_polls``: WFM polls that failed."""
    if name == "bulk":
        lost = dup = 0
        for t in range(3):
            c = srv.control("GET", f"/__contacts/list-{t}")
            lost += 10_000 - c["unique"]
            dup += c["duplicates"]
        return {"lost": lost, "duplicated": dup}
    if name in ("messaging", "herd"):
        total = messages if name == "messaging" else 20 * 20
        m = srv.control("GET", "/__messages")
        return {"lost": total - m["unique"], "duplicated": m["duplicates"]}
    if name == "wfm":
        created = srv.control("GET", "/__stats")["schedulesCreated"]
        return {"lost": max(0, 5 - created) + failed_polls, "duplicated": max(0, created - 5)}
    return {"lost": 0, "duplicated": 0}

