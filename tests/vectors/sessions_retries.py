"""Scripted pacer sessions: retries, the retry budget, caps and bad input (hand-derived: see make_sessions.py)."""
# flake8: noqa: F405
from sessions_dsl import *  # noqa: F401,F403

# --- retries ----------------------------------------------------------------------------------
session("network errors back off without holding the key", cfg(limits=[lim(100, 1000, 100)]), [
    begin(0, go(1), "configured: go"),
    finish(1, 10, retry(110, 2, "backoff"), RETRY, network_error=True),  # base 100
    begin(20, go(2), "a waiter on its own backoff does not hold the key"),
    resume(1, 110, go(1), RETRY),
    finish(1, 150, retry(350, 3, "backoff"), RETRY, status=503),  # 100 * 2
    finish(2, 160, DONE, RETRY, status=200),
    resume(1, 350, go(1), RETRY),
    finish(1, 400, DONE, RETRY, status=200),
])

session("give up: attempts and non-retryable statuses", cfg(learn=False, backoff=dict(PLAIN, max_attempts=2)), [
    begin(0, go(1), PROBE),
    # 429 without any hint: the backoff's 110 becomes the key's floor
    finish(1, 10, retry(110, 2, "backoff"), RETRY, status=429),
    begin(20, wait(2, 120), FLOOR),  # window 1 is t1's: poll at max(20 + 100, floor 110)
    resume(1, 110, go(1), RETRY),
    finish(1, 120, give_up("max_attempts", 2), RETRY, status=429),
    resume(2, 120, go(2), PROBE),
    finish(2, 140, give_up("not_retryable", 1), RETRY, status=404),
])

session("the retry budget is shared by every key", cfg(retry_budget={"capacity": 10, "tokens": 5, "retry_cost": 5, "network_cost": 10, "success_refund": 1}), [
    begin(0, go(1), PROBE, key="a"),
    finish(1, 0, retry(1000, 2, "server_hint"), RETRY, status=429, headers=[("Retry-After", "1")]),  # 5 -> 0 tokens
    begin(0, go(2), PROBE, key="b"),
    finish(2, 10, give_up("retry_budget", 1), RETRY, status=503),
])

# --- every wait is capped ----------------------------------------------------------------------
CAP = "with no limit configured, every wait is at most max_wait_ms; held that long, a request goes as is"
OWN = "configured limits are the caller's own word: their slots are not cut by max_wait_ms"
# Learnt (IETF w, exact): 1 per 10 s, burst 1 (A = 1: units are ms, T = tau = 10000); cap 1500.
session("every wait is capped by max_wait_ms; a request held that long goes", cfg(parse={"max_wait_ms": 1500}), [
    begin(0, go(1), PROBE),
    # learnt 1/10 s; 0 left, reset 10 s (told window: (v-1, v], quota until 9010); floor tat 10+10000
    finish(1, 10, DONE, LEARN, status=200,
           headers=[("RateLimit-Policy", '"p";q=1;w=10'), ("RateLimit", '"p";r=0;t=10')]),
    learnt("k", lim(1, 10000, 1), LEARN),
    begin(10, wait(2, 1510), CAP),  # its slot is 10010; capped at 10 + 1500
    resume(2, 1000, wait(2, 1510), CAP),  # still before its deadline
    resume(2, 1510, go(2), CAP),  # held 1500 ms: goes; sent tat max(10010, 1510) + 10000 = 20010
    begin(1510, wait(3, 3010), CAP),  # slot 20010, capped at 1510 + 1500
    # Retry-After 5 s read with a 1500 ms cap: the reading is capped, the call gives up
    finish(2, 1600, give_up("wait_too_long", 1), CAP, status=429, headers=[("Retry-After", "5")]),
    resume(3, 3010, go(3), CAP),  # t3 began at 1510: held 1500 ms
])

session("configured limits are not cut by max_wait_ms", cfg(limits=[lim(1, 10000, 1)], parse={"max_wait_ms": 1500}), [
    begin(0, go(1), "configured: go"), finish(1, 0, DONE, ANSWER, status=200),
    begin(0, wait(2, 10000), OWN),  # the configured slot, past the cap: waited in full
    resume(2, 1500, wait(2, 10000), OWN),
    resume(2, 10000, go(2), OWN),
])

# --- bad input --------------------------------------------------------------------------------
session("bad input is a coded error", cfg(), [
    finish(99, 0, err("unknown_ticket"), BAD, status=200),
    cancel(99, err("unknown_ticket"), BAD),
    resume(99, 0, err("unknown_ticket"), BAD),
    begin(0, err("invalid_key"), BAD, key=""),
    begin(0, err("invalid_cost"), BAD, cost=0),
    begin(1000, go(1), PROBE),
    resume(1, 1000, err("ticket_state"), "resuming a request in flight"),
    begin(1000, wait(2, 1100), PROBE),
    finish(2, 1000, err("ticket_state"), "finishing a waiter", status=200),
    finish(1, 900, DONE, "time going backwards reads as the latest time seen", status=200),
    finish(1, 1000, err("unknown_ticket"), "a ticket finished twice", status=200),
    cancel(2, CANCELLED, "cancelling a waiter"),
    resume(2, 1100, err("unknown_ticket"), "a cancelled ticket is closed"),
])

session("time going backwards is read as the latest time seen", cfg(limits=[lim(1, 1000, 1)]), [
    begin(5000, go(1), "configured: go"),
    begin(4000, wait(2, 6000), "now 4000 < 5000 reads as 5000: the next slot is 6000"),
])

session("a cost above the burst is never sendable", cfg(limits=[lim(10, 1000, 5)]), [
    begin(0, {"action": "never", "reason": "cost_above_burst", "capacity": 5}, "cost 6 > burst 5", cost=6),
    begin(0, go(1), "cost 5 = burst: go", cost=5),
])
