"""Batch-plan cases (plan.json): requests, byte and count limits, replans."""
from .common import NOW, err


def plan_cases():
    c = []

    def case(name, request, now=NOW, replans=(), a=None):
        d = {"name": name, "request": request, "now": now, "replans": list(replans)}
        if a is not None:
            d["assert"] = a
        return d

    per_min = [{"amount": 300, "period_ms": 60000, "burst": 300}]
    c.append(case("10,000 contacts in 500s under 300/min", {"records": 10000, "max_batch_records": 500,
                                                          "limits": per_min},
                  a=[{"duration_ms": 0, "batches": [{"index": 0, "start": 0, "end": 500, "send_at": NOW}]}]))
    c.append(case("10,000 contacts, burst 1 at 300/min", {"records": 10000, "max_batch_records": 500,
                                                        "limits": [{"amount": 300, "period_ms": 60000, "burst": 1}]},
                  a=[{"duration_ms": 3800, "finish_at": NOW + 3800,
                      "batches": [{"send_at": NOW}, {"send_at": NOW + 200}]}]))
    c.append(case("messaging: 100 sends, burst 15 then 1/s", {"records": 100, "max_batch_records": 1,
                                                            "limits": [{"amount": 1, "period_ms": 1000, "burst": 15}]},
                  a=[{"duration_ms": 85000}]))
    c.append(case("1000 per request", {"records": 2500, "max_batch_records": 1000, "limits": per_min},
                  a=[{"batches": [{"start": 0, "end": 1000}, {"start": 1000, "end": 2000},
                                  {"start": 2000, "end": 2500}]}]))
    c.append(case("no records", {"records": 0, "max_batch_records": 500, "limits": per_min},
                  a=[{"batches": [], "duration_ms": 0}]))
    c.append(case("no limits", {"records": 1200, "max_batch_records": 500}, a=[{"duration_ms": 0}]))
    c.append(case("byte limit", {"sizes": [40, 40, 40, 10, 90, 5], "max_batch_records": 500, "max_batch_bytes": 100,
                                 "overhead_bytes": 2, "limits": per_min},
                  a=[{"batches": [{"start": 0, "end": 2, "bytes": 82}, {"start": 2, "end": 4, "bytes": 52},
                                  {"start": 4, "end": 6, "bytes": 97}]}]))
    c.append(case("count and byte limits together", {"sizes": [1] * 7, "max_batch_records": 3, "max_batch_bytes": 100},
                  a=[{"batches": [{"end": 3}, {"end": 6}, {"end": 7}]}]))
    c.append(case("record above byte limit", {"sizes": [10, 200], "max_batch_records": 5, "max_batch_bytes": 100},
                  a=[err("invalid_batch")]))
    c.append(case("batch size 0", {"records": 10, "max_batch_records": 0}, a=[err("invalid_batch")]))
    c.append(case("batch bytes beyond 2^53 - 1 are refused", {"sizes": [2 ** 52, 2 ** 52], "max_batch_records": 5},
                  a=[err("invalid_batch")]))
    c.append(case("batch bytes at 2^53 - 1 are fine", {"sizes": [2 ** 52 - 1, 2 ** 52], "max_batch_records": 5},
                  a=[{"batches": [{"bytes": 2 ** 53 - 1}]}]))
    c.append(case("too many batches", {"records": 10 ** 12, "max_batch_records": 1}, a=[err("invalid_batch")]))
    c.append(case("cost per batch 2", {"records": 6, "max_batch_records": 1, "cost_per_batch": 2,
                                       "limits": [{"amount": 2, "period_ms": 1000, "burst": 2}]},
                  a=[{"duration_ms": 5000}]))
    c.append(case("cost per batch above burst", {"records": 6, "max_batch_records": 1, "cost_per_batch": 3,
                                                 "limits": [{"amount": 2, "period_ms": 1000, "burst": 2}]},
                  a=[err("invalid_cost")]))
    c.append(case("cost per batch 0", {"records": 6, "max_batch_records": 1, "cost_per_batch": 0},
                  a=[err("invalid_cost")]))
    c.append(case("invalid limit", {"records": 6, "max_batch_records": 1,
                                    "limits": [{"amount": 0, "period_ms": 1000, "burst": 1}]}, a=[err("invalid_limit")]))
    c.append(case("two limits", {"records": 40, "max_batch_records": 1,
                                 "limits": [{"amount": 10, "period_ms": 1000, "burst": 10},
                                            {"amount": 20, "period_ms": 60000, "burst": 20}]},
                  a=[{"batches": [{"send_at": NOW}]}]))
    gen = {"records": 5000, "max_batch_records": 500, "limits": [{"amount": 300, "period_ms": 60000, "burst": 5}]}
    c.append(case("replan after a throttle", gen, replans=[{
        "now": NOW + 1000,
        "outcomes": [{"status": "done", "index": 0}, {"status": "done", "index": 1},
                     {"status": "throttled", "index": 2, "retry_at": NOW + 30000},
                     {"status": "done", "index": 3}, {"status": "failed", "index": 4}]}],
        a=[{"batches": [{"index": 0}]},
           {"start": NOW + 1000, "batches": [{"index": 2, "send_at": NOW + 30000}, {"index": 4, "send_at": NOW + 30200},
                                             {"index": 5, "send_at": NOW + 30400}]}]))
    c.append(case("replan twice until done", gen, replans=[
        {"now": NOW + 1000, "outcomes": [{"status": "done", "index": i} for i in range(0, 10, 2)]},
        {"now": NOW + 2000, "outcomes": [{"status": "done", "index": i} for i in range(1, 10, 2)]}],
        a=[{}, {"batches": [{"index": 1}, {"index": 3}]}, {"batches": [], "duration_ms": 0}]))
    c.append(case("replan with a failure only", gen, replans=[
        {"now": NOW + 1000, "outcomes": [{"status": "failed", "index": 7}]}],
        a=[{}, {"batches": [{"index": 0, "send_at": NOW + 1000}]}]))
    c.append(case("replan with an unknown batch", gen, replans=[
        {"now": NOW + 1000, "outcomes": [{"status": "done", "index": 99}]}], a=[{}, err("invalid_state")]))
    c.append(case("replan a done batch twice is fine", gen, replans=[
        {"now": NOW + 1000, "outcomes": [{"status": "done", "index": 0}, {"status": "done", "index": 0}]}],
        a=[{}, {"batches": [{"index": 1}]}]))
    c.append(case("replan keeps byte batches", {"sizes": [60, 60, 60], "max_batch_records": 10, "max_batch_bytes": 100},
                  replans=[{"now": NOW, "outcomes": [{"status": "done", "index": 1}]}],
                  a=[{}, {"batches": [{"index": 0, "start": 0, "end": 1}, {"index": 2, "start": 2, "end": 3}]}]))
    c.append(case("plan at now 0", {"records": 3, "max_batch_records": 1,
                                    "limits": [{"amount": 1, "period_ms": 1000, "burst": 1}]},
                  now=0, a=[{"finish_at": 2000}]))
    c.append(case("plan in byte mode ignores records count", {"records": 99, "sizes": [1, 1],
                                                              "max_batch_records": 1}, a=[{"batches": [{}, {}]}]))
    c.append(case("three tenants, one token each", {"records": 1500, "max_batch_records": 500,
                                                    "limits": [{"amount": 300, "period_ms": 60000, "burst": 15}]}))
    return c
