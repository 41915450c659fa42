#!/usr/bin/env python3
"""Messaging sender: 100 messages from 15 threads against a server that allows a burst of 15,
then 1 per second. pacekeeper is told nothing about the limit: it learns it from the headers
(``inin-ratelimit-allowed/-count/-reset``), so the threads stop at the burst and wait for the
server's reset instead of stampeding into 429s.

    python examples/python/messaging.py                  # starts the loopback test server
    python examples/python/messaging.py --rate-per-sec 20 --messages 100   # a faster run
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from _server import LocalServer  # noqa: E402

import pacekeeper  # noqa: E402
from pacekeeper.requests import PacekeeperAdapter  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running test server (default: start one)")
    ap.add_argument("--messages", type=int, default=100)
    ap.add_argument("--threads", type=int, default=15)
    ap.add_argument("--burst", type=int, default=15)
    ap.add_argument("--rate-per-sec", type=float, default=1)
    ap.add_argument("--profile", default="genesys")
    args = ap.parse_args()

    with LocalServer(args.url, profile=args.profile, burst=args.burst, rate_per_sec=args.rate_per_sec) as server:
        # No limits configured: the limiter learns them from the responses.
        adapter = PacekeeperAdapter(limiter=pacekeeper.Limiter(learn=True), backoff=pacekeeper.Backoff(max_attempts=30))
        session = requests.Session()
        session.mount("http://", adapter)
        todo: "queue.Queue[int]" = queue.Queue()
        for i in range(args.messages):
            todo.put(i)
        failures: list = []
        learned: dict = {}

        def worker() -> None:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                body = {"id": f"msg-{i:04d}", "to": {"id": "+15550100"}, "text": f"Message {i}"}
                try:
                    r = session.post(
                        server.url + "/api/v2/conversations/messages/agentless",
                        json=body,
                        headers={"Authorization": "Bearer messaging-app"},
                        timeout=60,
                    )
                    r.raise_for_status()
                    learned.setdefault("limit", r.headers.get("inin-ratelimit-allowed"))
                except Exception as e:  # noqa: BLE001 - reported in the summary
                    failures.append((i, e))

        start = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
        stats = server.get("/__stats")
        messages = server.get("/__messages")
        s = adapter.pacer.stats
        lost = args.messages - messages["unique"]
        print("messaging summary")
        print(f"  messages           {args.messages} from {args.threads} threads")
        print(f"  limit learnt       {learned.get('limit')} per burst (from inin-ratelimit-allowed)")
        print(f"  time               {elapsed:.2f} s")
        print(f"  requests           {stats['requests']} (pacekeeper sent {s.requests})")
        print(f"  429s               {stats['throttled']}")
        print(f"  retries            {s.retries}")
        print(f"  waits              {s.waits} ({s.waited_s:.2f} s in all)")
        print(f"  early retries      {stats['earlyRetries']}")
        print(f"  budget violations  {stats['budgetViolations']}")
        print(f"  messages lost      {lost}")
        print(f"  duplicated         {messages['duplicates']}")
        for i, e in failures[:5]:
            print(f"  message {i} failed: {e!r}")
        ok = not failures and lost == 0 and messages["duplicates"] == 0 and stats["earlyRetries"] == 0
        print("  result             " + ("OK" if ok else "FAILED"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
