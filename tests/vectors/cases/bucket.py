"""Rate-limiter cases (bucket.json): configs and acquire/observe steps."""
from .common import NOW, GENESYS_BODY, err

MAX_SAFE = 2**53 - 1
# A request that fits only after the end of time (2^53 - 1 ms), see core/src/bucket.rs.
NEVER_AFTER_END = {"decision": "never", "cost": 1, "capacity": 0}


def bucket_cases():
    c = []

    def case(name, config, steps, **a):
        d = {"name": name, "config": config, "steps": steps}
        if a:
            d["assert"] = a["a"]
        return d

    def chk(key, now, cost=1, op="check"):
        return {"op": op, "key": key, "now": now, "cost": cost}

    burst15 = {"limits": [{"amount": 1, "period_ms": 1000, "burst": 15}]}
    allow = {"decision": "allow"}
    c.append(case("burst of 15 then one per second", burst15,
                  [chk("m", NOW) for _ in range(16)] + [chk("m", NOW + 999), chk("m", NOW + 1000), chk("m", NOW + 1000)],
                  a=[allow] * 15 + [{"decision": "wait", "until": NOW + 1000, "wait_ms": 1000},
                                    {"decision": "wait", "wait_ms": 1}, allow,
                                    {"decision": "wait", "until": NOW + 2000}]))
    c.append(case("300 per minute, burst 300", {"limits": [{"amount": 300, "period_ms": 60000, "burst": 300}]},
                  [chk("t", NOW, 300), chk("t", NOW), chk("t", NOW + 200)],
                  a=[{"decision": "allow", "remaining": 0}, {"decision": "wait", "until": NOW + 200}, allow]))
    c.append(case("burst 15 and sustained 300/min together",
                  {"limits": [{"amount": 15, "period_ms": 1000, "burst": 15},
                              {"amount": 300, "period_ms": 60000, "burst": 300}]},
                  [chk("t", NOW, 15), chk("t", NOW), chk("t", NOW + 67), chk("t", NOW + 1000, 14)],
                  a=[allow, {"decision": "wait", "until": NOW + 67}, allow]))
    c.append(case("cost above burst never fits", {"limits": [{"amount": 10, "period_ms": 1000, "burst": 10}]},
                  [chk("k", NOW, 11), chk("k", NOW, 10)],
                  a=[{"decision": "never", "cost": 11, "capacity": 10}, allow]))
    c.append(case("remaining counts down", {"limits": [{"amount": 3, "period_ms": 1000, "burst": 3}]},
                  [chk("k", NOW), chk("k", NOW), chk("k", NOW)],
                  a=[{"remaining": 2}, {"remaining": 1}, {"remaining": 0}]))
    c.append(case("keys are independent", {"limits": [{"amount": 1, "period_ms": 1000, "burst": 1}]},
                  [chk("tenant-a", NOW), chk("tenant-a", NOW), chk("tenant-b", NOW)],
                  a=[allow, {"decision": "wait"}, allow]))
    c.append(case("peek takes nothing", {"limits": [{"amount": 1, "period_ms": 1000, "burst": 1}]},
                  [chk("k", NOW, op="peek"), chk("k", NOW, op="peek"), chk("k", NOW), chk("k", NOW, op="peek")],
                  a=[allow, allow, allow, {"decision": "wait"}]))
    c.append(case("reservations are staggered", {"limits": [{"amount": 1, "period_ms": 1000, "burst": 1}]},
                  [chk("k", NOW, op="reserve") for _ in range(5)],
                  a=[allow, {"until": NOW + 1000}, {"until": NOW + 2000}, {"until": NOW + 3000},
                     {"until": NOW + 4000}]))
    c.append(case("reservations under 300/min with burst 15",
                  {"limits": [{"amount": 300, "period_ms": 60000, "burst": 15}]},
                  [chk("k", NOW, op="reserve") for _ in range(18)],
                  a=[allow] * 15 + [{"until": NOW + 200}, {"until": NOW + 400}, {"until": NOW + 600}]))
    c.append(case("a 429 empties the bucket until retry-after, then staggers",
                  {"limits": [{"amount": 5, "period_ms": 1000, "burst": 5}]},
                  [chk("k", NOW),
                   {"op": "observe", "key": "k", "now": NOW, "response": {"status": 429, "headers": [["Retry-After", "30"]]}},
                   chk("k", NOW + 1000), chk("k", NOW + 30000, op="reserve"), chk("k", NOW + 30000, op="reserve"),
                   chk("k", NOW + 30000, op="reserve")],
                  a=[allow, None, {"decision": "wait", "until": NOW + 30000}, allow, {"until": NOW + 30200},
                     {"until": NOW + 30400}]))
    c.append(case("reserve during a lockout books after it",
                  {"limits": [{"amount": 2, "period_ms": 1000, "burst": 2}]},
                  [{"op": "observe", "key": "k", "now": NOW,
                    "response": {"status": 429, "headers": [["Retry-After", "10"]]}},
                   chk("k", NOW, op="reserve"), chk("k", NOW, op="reserve"), chk("k", NOW, op="reserve")],
                  a=[None, {"until": NOW + 10000}, {"until": NOW + 10500}, {"until": NOW + 11000}]))
    c.append(case("genesys body-only 429 locks out too", {"limits": [{"amount": 5, "period_ms": 1000, "burst": 5}]},
                  [{"op": "observe", "key": "k", "now": NOW,
                    "response": {"status": 429, "headers": [], "body": GENESYS_BODY % 7}}, chk("k", NOW + 6999),
                   chk("k", NOW + 7000)],
                  a=[None, {"decision": "wait", "until": NOW + 7000}, allow]))
    c.append(case("remaining 0 with reset waits for the reset", {"limits": []},
                  [{"op": "observe", "key": "k", "now": NOW,
                    "response": {"status": 200, "headers": [["X-RateLimit-Remaining", "0"], ["X-RateLimit-Reset", "10"]]}},
                   chk("k", NOW + 1), chk("k", NOW + 10000)],
                  a=[None, {"decision": "wait", "until": NOW + 10000}, {"decision": "allow", "remaining": None}]))
    c.append(case("remaining 2 until reset allows two", {"limits": []},
                  [{"op": "observe", "key": "k", "now": NOW,
                    "response": {"status": 200, "headers": [["X-RateLimit-Remaining", "2"], ["X-RateLimit-Reset", "60"]]}},
                   chk("k", NOW), chk("k", NOW), chk("k", NOW)],
                  a=[None, {"remaining": 1}, {"remaining": 0}, {"decision": "wait", "until": NOW + 60000}]))
    c.append(case("server remaining clamps a local bucket",
                  {"limits": [{"amount": 10, "period_ms": 1000, "burst": 10}]},
                  [{"op": "observe", "key": "k", "now": NOW,
                    "response": {"status": 200, "headers": [["inin-ratelimit-allowed", "300"],
                                                             ["inin-ratelimit-count", "299"],
                                                             ["inin-ratelimit-reset", "1"]]}},
                   chk("k", NOW), chk("k", NOW), chk("k", NOW + 1000)],
                  a=[None, allow, {"decision": "wait"}, allow]))
    c.append(case("learns a limit from ietf policy", {"limits": [], "learn": True},
                  [{"op": "observe", "key": "k", "now": NOW,
                    "response": {"status": 200, "headers": [["RateLimit-Policy", '"d";q=3;w=1'],
                                                             ["RateLimit", '"d";r=3;t=1']]}}]
                  + [chk("k", NOW + 1) for _ in range(4)] + [chk("k", NOW + 1000), chk("k", NOW + 1400)],
                  a=[None, allow, allow, allow, {"decision": "wait", "until": NOW + 1000}, allow, allow]))
    c.append(case("learning off ignores the policy window", {"limits": [], "learn": False},
                  [{"op": "observe", "key": "k", "now": NOW,
                    "response": {"status": 200, "headers": [["RateLimit-Policy", '"d";q=3;w=1']]}}]
                  + [chk("k", NOW + 1) for _ in range(4)],
                  a=[None, allow, allow, allow, allow]))
    c.append(case("adaptive rate backs off on throttles and probes up",
                  {"limits": [], "adaptive": {"initial_milli_rps": 10000, "min_milli_rps": 100,
                                              "max_milli_rps": 20000, "decrease_percent": 50,
                                              "increase_percent": 10}},
                  [chk("k", NOW), chk("k", NOW + 50), chk("k", NOW + 100),
                   {"op": "observe", "key": "k", "now": NOW + 100, "response": {"status": 429, "headers": []}},
                   chk("k", NOW + 200), chk("k", NOW + 300),
                   {"op": "observe", "key": "k", "now": NOW + 300, "response": {"status": 429, "headers": []}},
                   chk("k", NOW + 400), chk("k", NOW + 700),
                   {"op": "observe", "key": "k", "now": NOW + 700, "response": {"status": 200, "headers": []}},
                   {"op": "observe", "key": "k", "now": NOW + 700, "response": {"status": 200, "headers": []}},
                   chk("k", NOW + 1100)],
                  a=[allow, {"decision": "wait"}, allow, None, {"decision": "wait"}, allow, None,
                     {"decision": "wait"}, allow, None, None, allow]))
    c.append(case("adaptive not used when limits are configured",
                  {"limits": [{"amount": 100, "period_ms": 1000, "burst": 100}], "adaptive": {}},
                  [{"op": "observe", "key": "k", "now": NOW, "response": {"status": 429, "headers": []}},
                   chk("k", NOW), chk("k", NOW)], a=[None, allow, allow]))
    c.append(case("in-flight cap", {"limits": [], "max_in_flight": 2},
                  [{"op": "acquire", "key": "t"}, {"op": "acquire", "key": "t"}, {"op": "acquire", "key": "t"},
                   {"op": "acquire", "key": "u"}, {"op": "release", "key": "t"}, {"op": "acquire", "key": "t"},
                   {"op": "release", "key": "t"}, {"op": "release", "key": "t"}, {"op": "release", "key": "t"},
                   {"op": "release", "key": "never-seen"}],
                  a=[True, True, False, True, 1, True, 1, 0, 0, 0]))
    c.append(case("state survives a restore", {"limits": [{"amount": 1, "period_ms": 1000, "burst": 2}]},
                  [chk("a", NOW), chk("a", NOW), chk("b", NOW), {"op": "restore"}, chk("a", NOW), chk("b", NOW),
                   chk("a", NOW + 500)],
                  a=[allow, allow, allow, 2, {"decision": "wait", "until": NOW + 1000}, allow,
                     {"decision": "wait", "until": NOW + 1000}]))
    c.append(case("prune drops idle keys", {"limits": [{"amount": 1, "period_ms": 1000, "burst": 1}]},
                  [chk("a", NOW), chk("b", NOW + 5000), {"op": "prune", "now": NOW + 5000}, {"op": "restore"}],
                  a=[allow, allow, 1, 1]))
    c.append(case("block_until", {"limits": [{"amount": 1, "period_ms": 100, "burst": 3}]},
                  [{"op": "block_until", "key": "k", "until": NOW + 5000}, chk("k", NOW), chk("k", NOW + 5000),
                   chk("k", NOW + 5000)],
                  a=[None, {"until": NOW + 5000}, allow, {"decision": "wait", "until": NOW + 5100}]))
    c.append(case("time going backwards admits nothing extra",
                  {"limits": [{"amount": 1, "period_ms": 1000, "burst": 1}]},
                  [chk("k", NOW), chk("k", NOW - 5000), chk("k", NOW + 1000)],
                  a=[allow, {"decision": "wait", "until": NOW + 1000, "wait_ms": 6000}, allow]))
    c.append(case("now at zero and near 2^53", {"limits": [{"amount": 1000000, "period_ms": 2592000000,
                                                              "burst": 1000000}]},
                  [chk("k", 0, 1000000), chk("k", 0), chk("k", 9007199254740991), chk("k", 9007199254740991)],
                  # 1,000,000 per period is kept in 1/1,000,000 ms: a u64 of those ends in the year
                  # 2554, so at 2^53 - 1 nothing can be recorded and nothing is ever admitted.
                  a=[{"decision": "allow", "remaining": 0}, {"decision": "wait", "until": 2592},
                     NEVER_AFTER_END, NEVER_AFTER_END]))
    # 3000 per second is kept in 1/3000 ms: a u64 of those ends at 6.1e15 ms. Before the fix
    # `now × amount` saturated there and every later check was admitted, burst or not.
    far = 6_000_000_000_000_000
    c.append(case("a saturated clock grants nothing extra", {"limits": [{"amount": 3000, "period_ms": 1000,
                                                                         "burst": 3}]},
                  [chk("k", far, 3), chk("k", far), chk("k", MAX_SAFE - 2000), chk("k", MAX_SAFE),
                   chk("k", MAX_SAFE), chk("k", MAX_SAFE, op="reserve"), chk("k", MAX_SAFE, op="peek")],
                  a=[{"decision": "allow", "remaining": 0}, {"decision": "wait", "until": far + 1, "wait_ms": 1}]
                  + [NEVER_AFTER_END] * 5))
    # A slot after 2^53 - 1 is never given (a wait cut to 2^53 - 1 would end too early).
    c.append(case("no wait ends after 2^53 - 1 and nothing is booked past it",
                  {"limits": [{"amount": 1, "period_ms": 1000, "burst": 1}]},
                  [chk("k", MAX_SAFE - 1500, op="reserve"), chk("k", MAX_SAFE - 1500, op="reserve"),
                   chk("k", MAX_SAFE - 1500, op="reserve"), chk("k", MAX_SAFE - 1500, op="reserve"),
                   chk("k", MAX_SAFE - 500), chk("k", MAX_SAFE)],
                  a=[{"decision": "allow"}, {"decision": "wait", "until": MAX_SAFE - 500, "wait_ms": 1000},
                     NEVER_AFTER_END, NEVER_AFTER_END, NEVER_AFTER_END, NEVER_AFTER_END]))
    c.append(case("fractional emission interval rounds each wait up",
                  {"limits": [{"amount": 3, "period_ms": 1000, "burst": 1}]},
                  [chk("k", NOW, op="reserve") for _ in range(4)] + [chk("k", NOW + 1002), chk("k", NOW + 1335)],
                  a=[allow, {"until": NOW + 334}, {"until": NOW + 668}, {"until": NOW + 1002},
                     {"decision": "wait", "until": NOW + 1336}, {"decision": "wait", "until": NOW + 1336}]))
    c.append(case("reserve agrees with check-and-come-back",
                  {"limits": [{"amount": 3, "period_ms": 1000, "burst": 1}]},
                  [chk("k", NOW), chk("k", NOW), chk("k", NOW + 334), chk("k", NOW + 334), chk("k", NOW + 668)],
                  a=[allow, {"until": NOW + 334}, allow, {"until": NOW + 668}, allow]))
    c.append(case("cost 5 against burst 10", {"limits": [{"amount": 10, "period_ms": 1000, "burst": 10}]},
                  [chk("k", NOW, 5), chk("k", NOW, 5), chk("k", NOW, 5), chk("k", NOW + 500, 5)],
                  a=[allow, allow, {"decision": "wait", "until": NOW + 500}, allow]))
    # errors
    for name, cfg, code in [
        ("amount 0 is invalid", {"limits": [{"amount": 0, "period_ms": 1000, "burst": 1}]}, "invalid_limit"),
        ("period 0 is invalid", {"limits": [{"amount": 1, "period_ms": 0, "burst": 1}]}, "invalid_limit"),
        ("burst 0 is invalid", {"limits": [{"amount": 1, "period_ms": 1000, "burst": 0}]}, "invalid_limit"),
        ("amount above 10^6 is invalid", {"limits": [{"amount": 1000001, "period_ms": 1000, "burst": 1}]},
         "invalid_limit"),
        ("period above 30 days is invalid", {"limits": [{"amount": 1, "period_ms": 2592000001, "burst": 1}]},
         "invalid_limit"),
        ("four limits are too many", {"limits": [{"amount": 1, "period_ms": 1000, "burst": 1}] * 4},
         "too_many_limits"),
        ("max_in_flight 0 is invalid", {"max_in_flight": 0}, "invalid_limit"),
        ("adaptive min above max is invalid", {"adaptive": {"min_milli_rps": 10, "max_milli_rps": 5,
                                                            "initial_milli_rps": 7}}, "invalid_limit"),
        ("adaptive decrease 100 is invalid", {"adaptive": {"decrease_percent": 100}}, "invalid_limit"),
    ]:
        c.append({"name": name, "config": cfg, "steps": [], "assert": err(code)})
    c.append(case("bad keys and costs", {"limits": [{"amount": 1, "period_ms": 1000, "burst": 1}]},
                  [chk("", NOW), chk("k" * 257, NOW), chk("k" * 256, NOW), chk("k", NOW, 0),
                   chk("k", NOW, 1000001), {"op": "acquire", "key": ""}, {"op": "observe", "key": "k", "now": NOW,
                                                                         "response": {"status": 42, "headers": []}}],
                  a=[err("invalid_key"), err("invalid_key"), allow, err("invalid_cost"), err("invalid_cost"),
                     err("invalid_key"), err("invalid_status")]))
    return c
