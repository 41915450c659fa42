#!/usr/bin/env python3
"""Bulk contact sync: 10,000 contacts in batches of 500 for several tenants, through the real
Genesys Cloud Python SDK (PureCloudPlatformClientV2) with pacekeeper installed.

    python examples/python/bulk_sync.py                 # starts the loopback test server
    python examples/python/bulk_sync.py --url http://127.0.0.1:PORT --tenants 3

Each tenant has its own access token (so its own rate limit on the server) and its own thread.
The only pacekeeper line a sync script needs is ``pacekeeper.genesys.install(api_client)``.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import PureCloudPlatformClientV2 as sdk  # noqa: E402
from _server import LocalServer  # noqa: E402

import pacekeeper  # noqa: E402
from pacekeeper import genesys  # noqa: E402

try:
    from tqdm import tqdm
except ImportError:  # a plain text bar
    tqdm = None


class TextBar:
    def __init__(self, total: int) -> None:
        self.total, self.n, self.lock = total, 0, threading.Lock()

    def update(self, k: int) -> None:
        with self.lock:
            self.n += k
            filled = 40 * self.n // self.total
            print(f"\r[{'#' * filled}{'.' * (40 - filled)}] {self.n}/{self.total}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        print(file=sys.stderr)


def contact(i: int, tenant: int) -> sdk.WritableDialerContact:
    c = sdk.WritableDialerContact()
    c.id = f"t{tenant}-c{i:05d}"
    c.contact_list_id = f"list-{tenant}"
    c.data = {"firstName": f"Contact {i}", "phone": f"+1555{i:07d}"}
    return c


def sync_tenant(url: str, tenant: int, records: int, batch: int, bar: object, pacers: list) -> None:
    client = sdk.ApiClient(host=url)
    client.access_token = f"token-of-tenant-{tenant}"
    pacers.append(genesys.install(client))  # the one-line change
    api = sdk.OutboundApi(client)
    plan = pacekeeper.plan({"records": records, "max_batch_records": batch})
    for b in plan.batches:
        body = [contact(i, tenant) for i in range(b.start, b.end)]
        api.post_outbound_contactlist_contacts(f"list-{tenant}", body)
        bar.update(b.end - b.start)  # type: ignore[attr-defined]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running test server (default: start one)")
    ap.add_argument("--tenants", type=int, default=3)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--burst", type=int, default=15, help="server burst (when started here)")
    ap.add_argument("--rate-per-sec", type=float, default=5, help="server rate (when started here)")
    ap.add_argument("--profile", default="genesys")
    ap.add_argument("--no-bar", action="store_true")
    args = ap.parse_args()

    with LocalServer(args.url, profile=args.profile, burst=args.burst, rate_per_sec=args.rate_per_sec) as server:
        total = args.tenants * args.records
        bar = TextBar(total) if (tqdm is None or args.no_bar) else tqdm(total=total, unit="contact", file=sys.stderr)
        pacers: list = []
        errors: list = []

        def run(t: int) -> None:
            try:
                sync_tenant(server.url, t, args.records, args.batch, bar, pacers)
            except BaseException as e:  # noqa: BLE001 - reported in the summary
                errors.append((t, e))

        start = time.monotonic()
        threads = [threading.Thread(target=run, args=(t,)) for t in range(args.tenants)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - start
        bar.close()  # type: ignore[attr-defined]

        stats = server.get("/__stats")
        lost = duplicated = 0
        for t in range(args.tenants):
            c = server.get(f"/__contacts/list-{t}")
            lost += args.records - c["unique"]
            duplicated += c["duplicates"]
        sent = sum(p.stats.requests for p in pacers)
        waits = sum(p.stats.waits for p in pacers)
        waited = sum(p.stats.waited_s for p in pacers)
        retries = sum(p.stats.retries for p in pacers)
        print("bulk sync summary")
        print(f"  tenants            {args.tenants} x {args.records} contacts in batches of {args.batch}")
        print(f"  time               {elapsed:.2f} s")
        print(f"  requests           {stats['requests']} (pacekeeper sent {sent})")
        print(f"  429s               {stats['throttled']}")
        print(f"  retries            {retries}")
        print(f"  waits              {waits} ({waited:.2f} s in all)")
        print(f"  early retries      {stats['earlyRetries']}")
        print(f"  records lost       {lost}")
        print(f"  records duplicated  {duplicated}")
        for t, e in errors:
            print(f"  tenant {t} failed: {e!r}")
        ok = not errors and lost == 0 and duplicated == 0 and stats["earlyRetries"] == 0 and stats["requests"] == sent
        print("  result             " + ("OK" if ok else "FAILED"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
