"""Backoff cases (backoff.json): policies, seeds, schedules and budgets."""
from .common import NOW, S, http_date, GENESYS_BODY, err


def backoff_cases():
    c = []

    def case(name, policy, steps=(), seed=42, schedule=None, budget=None, a=None, started_at=NOW):
        d = {"name": name, "policy": policy, "seed": seed, "started_at": started_at, "steps": list(steps)}
        if schedule:
            d["schedule"] = schedule
        if budget is not None:
            d["budget"] = budget
        if a is not None:
            d["assert"] = a
        return d

    def resp(status, headers=(), body=None, now=NOW):
        return {"now": now, "response": {"status": status, "headers": [list(p) for p in headers], "body": body}}

    def net(now=NOW):
        return {"now": now, "response": None}

    c.append(case("no jitter doubles to the cap", {"base_ms": 100, "multiplier": 2.0, "cap_ms": 1000, "jitter": "none"},
                  schedule=7, a={"schedule": [100, 200, 400, 800, 1000, 1000, 1000]}))
    c.append(case("multiplier 1.5", {"base_ms": 1000, "multiplier": 1.5, "cap_ms": 100000, "jitter": "none"},
                  schedule=6, a={"schedule": [1000, 1500, 2250, 3375, 5062, 7593]}))
    c.append(case("multiplier 1 is constant", {"base_ms": 5000, "multiplier": 1.0, "cap_ms": 5000, "jitter": "none"},
                  schedule=4, a={"schedule": [5000, 5000, 5000, 5000]}))
    for jitter in ["full", "equal", "decorrelated"]:
        for seed in [0, 1, 42, 18446744073709551615]:
            c.append(case(f"{jitter} jitter seed {seed}", {"base_ms": 200, "multiplier": 2.0, "cap_ms": 20000,
                                                          "jitter": jitter}, seed=seed, schedule=12))
    c.append(case("default policy schedule", {}, seed=7, schedule=10))
    c.append(case("429 retry-after is a floor", {"jitter": "full"},
                  [resp(429, [("Retry-After", "30")])],
                  a={"decisions": [{"decision": "retry", "reason": "server_hint", "attempt": 2}]}))
    c.append(case("429 retry-after with no spread is exact", {"hint_spread_percent": 0},
                  [resp(429, [("Retry-After", "30")])],
                  a={"decisions": [{"decision": "retry", "at": NOW + 30000, "delay_ms": 30000}]}))
    c.append(case("backoff longer than the hint wins", {"base_ms": 10000, "jitter": "none", "hint_spread_percent": 0},
                  [resp(429, [("Retry-After", "1")])],
                  a={"decisions": [{"decision": "retry", "delay_ms": 10000, "reason": "backoff"}]}))
    c.append(case("503 without hint backs off", {"jitter": "none", "base_ms": 500},
                  [resp(503), resp(503, now=NOW + 500), resp(503, now=NOW + 1500)],
                  a={"decisions": [{"delay_ms": 500, "attempt": 2}, {"delay_ms": 1000, "attempt": 3},
                                   {"delay_ms": 2000, "attempt": 4}]}))
    c.append(case("404 is not retryable", {}, [resp(404)],
                  a={"decisions": [{"decision": "give_up", "reason": "not_retryable", "attempts": 1}]}))
    c.append(case("400 is not retryable", {}, [resp(400)], a={"decisions": [{"reason": "not_retryable"}]}))
    c.append(case("500 is not retried by default", {}, [resp(500)], a={"decisions": [{"reason": "not_retryable"}]}))
    c.append(case("500 retried when listed", {"retry_statuses": [500, 429]}, [resp(500)],
                  a={"decisions": [{"decision": "retry"}]}))
    c.append(case("429 retried even when not listed", {"retry_statuses": []}, [resp(429)],
                  a={"decisions": [{"decision": "retry"}]}))
    c.append(case("200 is done", {}, [resp(200)], a={"decisions": [{"decision": "done"}]}))
    c.append(case("network error backs off", {"jitter": "none", "base_ms": 250}, [net()],
                  a={"decisions": [{"decision": "retry", "delay_ms": 250, "reason": "backoff"}]}))
    c.append(case("network errors not retried when off", {"retry_network_errors": False}, [net()],
                  a={"decisions": [{"decision": "give_up", "reason": "not_retryable"}]}))
    c.append(case("max attempts", {"max_attempts": 3, "jitter": "none", "base_ms": 100},
                  [resp(503), resp(503, now=NOW + 100), resp(503, now=NOW + 300)],
                  a={"decisions": [{"decision": "retry"}, {"decision": "retry"},
                                   {"decision": "give_up", "reason": "max_attempts", "attempts": 3}]}))
    c.append(case("max attempts 1 never retries", {"max_attempts": 1}, [resp(429, [("Retry-After", "1")])],
                  a={"decisions": [{"reason": "max_attempts"}]}))
    c.append(case("deadline", {"deadline_ms": 10000, "hint_spread_percent": 0},
                  [resp(429, [("Retry-After", "5")]), resp(429, [("Retry-After", "5")], now=NOW + 5000)],
                  a={"decisions": [{"decision": "retry", "delay_ms": 5000},
                                   {"decision": "give_up", "reason": "deadline", "attempts": 2}]}))
    c.append(case("deadline refuses a hint beyond it", {"deadline_ms": 10000}, [resp(429, [("Retry-After", "30")])],
                  a={"decisions": [{"reason": "deadline"}]}))
    c.append(case("wait too long", {}, [resp(429, [("Retry-After", "100000")])],
                  a={"decisions": [{"decision": "give_up", "reason": "wait_too_long"}]}))
    c.append(case("policy max_wait below the hint", {"max_wait_ms": 10000}, [resp(429, [("Retry-After", "11")])],
                  a={"decisions": [{"reason": "wait_too_long"}]}))
    c.append(case("retry budget runs out", {"jitter": "none", "base_ms": 1},
                  [resp(503), resp(503, now=NOW + 1), net(NOW + 3), resp(503, now=NOW + 4)],
                  budget={"capacity": 20, "tokens": 20, "retry_cost": 5, "network_cost": 10, "success_refund": 1},
                  a={"decisions": [{"decision": "retry", "budget_tokens": 15},
                                   {"decision": "retry", "budget_tokens": 10},
                                   {"decision": "retry", "budget_tokens": 0},
                                   {"decision": "give_up", "reason": "retry_budget", "budget_tokens": 0}]}))
    c.append(case("success refunds the budget", {}, [resp(200), resp(200, now=NOW + 1)],
                  budget={"capacity": 10, "tokens": 8, "retry_cost": 5, "network_cost": 10, "success_refund": 1},
                  a={"decisions": [{"decision": "done", "budget_tokens": 9}, {"budget_tokens": 10}]}))
    c.append(case("refund stops at capacity", {}, [resp(200)],
                  budget={"capacity": 10, "tokens": 10}, a={"decisions": [{"budget_tokens": 10}]}))
    c.append(case("budget tokens above capacity is invalid", {}, [resp(429)], budget={"capacity": 1, "tokens": 2},
                  a={"decisions": [err("invalid_policy")]}))
    c.append(case("short hint escalates", {"jitter": "none", "base_ms": 500, "hint_spread_percent": 0},
                  [resp(429, [("Retry-After", "2")]), resp(429, [("Retry-After", "2")], now=NOW + 2100),
                   resp(429, [("Retry-After", "2")], now=NOW + 8000)],
                  a={"decisions": [{"reason": "server_hint", "delay_ms": 2000},
                                   {"reason": "escalated", "delay_ms": 5000},
                                   {"reason": "escalated", "delay_ms": 10000}]}))
    c.append(case("escalation resets after a network error", {"jitter": "none", "base_ms": 100, "hint_spread_percent": 0},
                  [resp(429, [("Retry-After", "1")]), net(NOW + 1000), resp(429, [("Retry-After", "1")], now=NOW + 2000)],
                  a={"decisions": [{"reason": "server_hint"}, {"reason": "backoff"}, {"reason": "server_hint"}]}))
    c.append(case("retry-after 0 followed by another 429 escalates",
                  {"jitter": "none", "base_ms": 300, "hint_spread_percent": 0},
                  [resp(429, [("Retry-After", "0")]), resp(429, [("Retry-After", "0")], now=NOW + 300)],
                  a={"decisions": [{"reason": "backoff", "delay_ms": 300}, {"reason": "escalated", "delay_ms": 600}]}))
    c.append(case("genesys body-only 429 is a floor", {"hint_spread_percent": 0},
                  [resp(429, [], GENESYS_BODY % 17)], a={"decisions": [{"delay_ms": 17000, "reason": "server_hint"}]}))
    c.append(case("x-ratelimit reset is a floor", {"hint_spread_percent": 0},
                  [resp(429, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(S + 12))])],
                  a={"decisions": [{"delay_ms": 12000}]}))
    c.append(case("http-date with skewed server clock", {"hint_spread_percent": 0},
                  [resp(429, [("Date", http_date(NOW + 90_000)), ("Retry-After", http_date(NOW + 100_000))])],
                  a={"decisions": [{"delay_ms": 10000}]}))
    c.append(case("hint spread stays within 10 percent", {"hint_spread_percent": 10},
                  [resp(429, [("Retry-After", "100")])], seed=9))
    c.append(case("full run: 429, 429, 200", {},
                  [resp(429, [("Retry-After", "1")]), resp(429, [("Retry-After", "1")], now=NOW + 1100),
                   resp(200, now=NOW + 9000)], seed=5))
    for name, pol, code in [
        ("multiplier below 1 is invalid", {"multiplier": 0.5}, "invalid_policy"),
        ("multiplier above 1000 is invalid", {"multiplier": 1001.0}, "invalid_policy"),
        ("base 0 is invalid", {"base_ms": 0}, "invalid_policy"),
        ("cap below base is invalid", {"base_ms": 1000, "cap_ms": 999}, "invalid_policy"),
        ("max attempts 0 is invalid", {"max_attempts": 0}, "invalid_policy"),
        ("deadline 0 is invalid", {"deadline_ms": 0}, "invalid_policy"),
        ("retry status 700 is invalid", {"retry_statuses": [700]}, "invalid_status"),
        ("hint spread above 100 is invalid", {"hint_spread_percent": 101}, "invalid_policy"),
        ("max wait 0 is invalid", {"max_wait_ms": 0}, "invalid_policy"),
    ]:
        c.append(case(name, pol, a=err(code)))
    return c
