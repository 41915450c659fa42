"""One Python process of the seed scenario (bench/seed/seed.mjs): for every tenant at once (a
thread each), syncs ``contacts`` contacts into the tenant's contact list in batches of ``batch``,
through the Genesys Cloud Python SDK (PureCloudPlatformClientV2) with pacekeeper installed
(``pacekeeper.genesys.install``). ``"store": "redis"`` shares one budget per tenant through Redis
(redis-py); otherwise the process paces with its own in-memory pacer. Prints one JSON line.

    python worker.py '{"url":..., "tenants":[...], "worker":"p1", "contacts":10000, "batch":500,
                       "store":"memory"|"redis", "redis_port":PORT}'
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time

import PureCloudPlatformClientV2 as sdk

import pacekeeper
from pacekeeper import genesys


def main() -> None:
    cfg = json.loads(sys.argv[1])
    store = None
    client = None
    events: list = []
    if cfg["store"] == "redis":
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from pacekeeper.store_redis import RedisStore

        client = redis.Redis(host="127.0.0.1", port=cfg["redis_port"], socket_timeout=0.5,
                             socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        store = RedisStore(client)
    # Ready (imports done, store connected): wait for the orchestrator's go.
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.time()
    per_tenant: dict = {}
    pacers: list = []
    errors: list = []

    def sync(tenant: str) -> None:
        try:
            api_client = sdk.ApiClient(host=cfg["url"])
            api_client.access_token = f"token-{tenant}"
            kwargs: dict = {"key": lambda: f"tenant:{tenant}"}
            if cfg.get("limits"):  # the tenant's documented limit, configured (else the Genesys preset)
                kwargs["limiter"] = pacekeeper.Limiter(cfg["limits"])
            if store is not None:
                kwargs.update(store=store, on_store_event=events.append)
                if cfg.get("shared"):  # camelCase options as given to the Node workers
                    kwargs["shared"] = {re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), k): v
                                        for k, v in cfg["shared"].items()}
            pacers.append(genesys.install(api_client, **kwargs))
            api = sdk.OutboundApi(api_client)
            sent = 0
            for b in pacekeeper.plan({"records": cfg["contacts"], "max_batch_records": cfg["batch"]}).batches:
                body = []
                for i in range(b.start, b.end):
                    c = sdk.WritableDialerContact()
                    c.id = f"{tenant}-{cfg['worker']}-{i}"
                    c.contact_list_id = f"list-{tenant}"
                    c.data = {"n": str(i)}
                    body.append(c)
                api.post_outbound_contactlist_contacts(f"list-{tenant}", body)
                sent += len(body)
            per_tenant[tenant] = sent
        except BaseException as e:  # noqa: BLE001 - reported, the run fails
            errors.append(repr(e))

    threads = [threading.Thread(target=sync, args=(t,)) for t in cfg["tenants"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    retries = sum(p.stats.retries for p in pacers)
    out = {"worker": cfg["worker"], "runtime": "python", "start": round(t0 * 1000), "end": round(time.time() * 1000),
           "retries": retries, "perTenant": per_tenant,
           "storeEvents": [getattr(e, "event", e.get("event") if isinstance(e, dict) else str(e)) for e in events]}
    if client is not None:
        client.close()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
