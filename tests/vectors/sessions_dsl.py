"""The vocabulary of the scripted pacer sessions (tests/vectors/make_sessions.py): steps, expected
actions, the policy rules each step pins (`why`), and the session registry."""
# Deterministic retries: no jitter, no spread above a server hint, 100 ms base.
PLAIN = {"jitter": "none", "base_ms": 100, "hint_spread_percent": 0}


def cfg(**kw):
    c = {"backoff": dict(PLAIN)}
    c.update(kw)
    return c


def lim(amount, period_ms, burst):
    return {"amount": amount, "period_ms": period_ms, "burst": burst}


def begin(now, expect, why, key="k", cost=1):
    return {"op": "begin", "key": key, "cost": cost, "now": now, "expect": expect, "why": why}


def resume(ticket, now, expect, why):
    return {"op": "resume", "ticket": ticket, "now": now, "expect": expect, "why": why}


def finish(ticket, now, expect, why, status=None, headers=(), body=None, network_error=False):
    step = {"op": "finish", "ticket": ticket, "now": now, "expect": expect, "why": why}
    step["response"] = None if network_error else {"status": status, "headers": [list(h) for h in headers], "body": body}
    return step


def cancel(ticket, expect, why):
    return {"op": "cancel", "ticket": ticket, "expect": expect, "why": why}


def learnt(key, expect, why):
    return {"op": "learnt", "key": key, "expect": expect, "why": why}


def go(t):
    return {"action": "go", "ticket": t}


def wait(t, until):
    return {"action": "wait", "ticket": t, "until": until}


def retry(at, attempt, reason):
    return {"action": "retry", "at": at, "attempt": attempt, "reason": reason}


def give_up(reason, attempts):
    return {"action": "give_up", "reason": reason, "attempts": attempts}


DONE = {"action": "done"}
CANCELLED = {"action": "cancelled"}


def err(code):
    return {"error": code}


BUCKET = "a reset that moves later as requests are used is a token bucket's: the next token is one reset/used away"
THROTTLE = "no count in the answers: a throttle cycle teaches the rate (one less than got through, per the cycle); a clean learnt amount shortens its window by a quarter"
FLOOR = "429: the server's instant is a floor, never send before it"
RELEASE = "a slot booked ahead is released by a 429 / a 2xx remaining 0, and booked again after it"
INTERVAL = "2xx quota exhausted with a whole-second reset v: (v-1, v], the rate decides inside"
ANSWER = "a request reached the server by its answer: the next slot is at least one interval per request still ahead of it after the answer"
DISCOUNT = "2xx remaining is discounted by the key's requests still in flight"
PROBE = "unknown rate: one request in flight after a lockout (and for a new key), widening on success"
LATE = "a booked slot goes only if what was actually sent leaves room now (sleepers may wake late)"
KEEP = "a new learnt limit keeps what the old one had in use (no fresh bucket)"
OVERLAP = "the lowest count answered while a request was in flight (and its own) stands: requests are not always counted in send order"
STALE = "a count read out of order (its request sent before one already answered) only tightens"
BARE = "answers with no count: one request in flight, even with a learnt rate (a second could reach the server inside the lockout a 429 announces)"
BURST = "with a rate known, no more than the smallest burst is in flight: a slot that comes while it is waits for an answer"
COUNTED = "a configured bucket the server counts (burst = its limit) follows the count both ways, never before the answer time's bound; once seen refilling before a reset it named, its reset holds no quota"
REFILLS = "a count back before the reset it named, or a later epoch second named (fewer left) before it, is a bucket refilling: its whole-second reset holds no quota on a limit that follows the count (configured with burst = its limit, or learnt of its own amount)"
FIFO = "waiters of a key go FIFO with staggered untils; a later begin cannot overtake"
LEARN = "the rate is learnt from successive readings"
GENESYS = "Genesys preset: 300/min per token, refined from inin-ratelimit-*"
BAD = "bad input is a coded error, never a panic"
RETRY = "retries follow the backoff policy and the retry budget"

N = 1_700_000_000_000  # an epoch in ms, for epoch-valued resets

sessions = []


def session(name, config, steps):
    sessions.append({"name": name, "config": config, "steps": steps})
