#!/usr/bin/env python3
"""Writes tests/vectors/sessions.json: scripted pacer sessions with hand-derived expectations.

Every step's `expect` below was worked out by hand from the policy in core/src/pacer.rs (the
arithmetic is in the comment beside it), not recorded from the engine. `why` names the rule a step
pins. Run `python3 tests/vectors/make_sessions.py` after editing; `cargo test -p pacekeeper --test
sessions` replays the file.

GCRA arithmetic used in the comments: a limit of A per P ms with burst B keeps its theoretical
arrival time (tat) in units of 1/A ms; one request costs T = P units, the tolerance is tau = B*P.
A request at t is admitted when max(tat, t*A) + T - tau <= t*A, i.e. at ceil((tat + T - tau)/A).
"""
import json
import pathlib

HERE = pathlib.Path(__file__).parent

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
BARE = "answers with no count: the window stays even with a learnt rate, widening at most once per clean second"
FIFO = "waiters of a key go FIFO with staggered untils; a later begin cannot overtake"
LEARN = "the rate is learnt from successive readings"
GENESYS = "Genesys preset: 300/min per token, refined from inin-ratelimit-*"
BAD = "bad input is a coded error, never a panic"
RETRY = "retries follow the backoff policy and the retry budget"

N = 1_700_000_000_000  # an epoch in ms, for epoch-valued resets

sessions = []


def session(name, config, steps):
    sessions.append({"name": name, "config": config, "steps": steps})


# --- 429 floors and released bookings -------------------------------------------------------
# 5/s, burst 1: T = 1000 units, tau = 1000, scale x5.
session("429 retry-after is a floor and releases booked slots", cfg(limits=[lim(5, 1000, 1)]), [
    begin(0, go(1), "configured 5/s, burst 1: the first request goes"),  # tat 0 -> 1000
    begin(0, wait(2, 200), FIFO),  # (1000+1000-1000)/5 = 200; booked tat 2000
    # RA 2 at 100: floor 2100; t1 retries first (its place), t2's slot at 200 is released.
    finish(1, 100, retry(2100, 2, "server_hint"), FLOOR, status=429, headers=[("Retry-After", "2")]),
    # sent tat raised to 2100*5 + tau - T = 10500; t1 booked 2100 (tat 11500), t2 at 11500/5 = 2300
    resume(2, 200, wait(2, 2300), RELEASE),
    resume(1, 2099, wait(1, 2100), FLOOR),
    resume(1, 2100, go(1), FLOOR),
    begin(2100, wait(3, 2500), FIFO),  # behind t2 (2300): booked tat 12500 -> 2500
    # answered at 2150, nothing else in flight: sent tat >= 2150*5 + 1*1000 = 11750; rebooked:
    # t2 at (11750+1000-1000)/5 = 2350 (tat 12750), t3 at 12750/5 = 2550
    finish(1, 2150, DONE, "a 2xx ends the call", status=200),
    resume(2, 2300, wait(2, 2350), ANSWER),
    resume(2, 2350, go(2), FIFO),
    resume(3, 2550, go(3), FIFO),
])

# The answer time bounds the server's schedule: 10/s, burst 3 (scale x10, T 1000, tau 3000).
session("a request answered late moves the next slots after its answer", cfg(limits=[lim(10, 1000, 3)]), [
    begin(0, go(1), "configured: go"),  # tat 1000
    begin(0, go(2), "the burst allows 3 at once"),  # tat 2000
    begin(0, go(3), "the burst allows 3 at once"),  # tat 3000
    begin(0, wait(4, 100), FIFO),  # (3000+1000-3000)/10 = 100; booked tat 4000
    # t1 answered at 250 with 2 still in flight: it may have reached the server at 250, the other
    # two after it: sent tat >= 250*10 + (1+2)*1000 = 5500 -> t4 at (5500+1000-3000)/10 = 350
    finish(1, 250, DONE, ANSWER, status=200),
    resume(4, 100, wait(4, 350), ANSWER),
    # t2 answered at 260, 1 in flight: 2600 + 2000 = 4600 < 5500 and t4's booking holds
    finish(2, 260, DONE, ANSWER, status=200),
    resume(4, 350, go(4), ANSWER),  # tat 6500
    # a 429 does not count as accepted: the floor rule applies, not this one
    finish(3, 400, retry(1400, 2, "server_hint"), FLOOR, status=429, headers=[("Retry-After", "1")]),
    # t4 answered at 420, nothing in flight: 4200 + 1000 = 5200, below the floor's
    # 1400*10 + 3000 - 1000 = 16000: t3's retry stays at 1400
    finish(4, 420, DONE, ANSWER, status=200),
    resume(3, 1400, go(3), FLOOR),
])

# Genesys body only: "Retry the request in [3] seconds".
session("genesys 429 body is a floor", cfg(), [
    begin(0, go(1), PROBE),
    finish(1, 0, retry(3000, 2, "server_hint"), FLOOR, status=429,
           body='{"message":"Rate limit exceeded the maximum. Retry the request in [3] seconds","code":"too.many.requests.retry.after","status":429}'),
    begin(10, wait(2, 3000), FLOOR),  # window 1 after the lockout: t1 holds it; t2 polls, never before the floor
    resume(1, 2999, wait(1, 3000), FLOOR),
])

# HTTP-date Retry-After against the response's own Date: 3 s.
session("http-date retry-after with a date header is a floor; one probe after it", cfg(learn=False), [
    begin(0, go(1), PROBE),
    finish(1, 0, retry(3000, 2, "server_hint"), FLOOR, status=429,
           headers=[("Date", "Sun, 06 Nov 1994 08:49:37 GMT"), ("Retry-After", "Sun, 06 Nov 1994 08:49:40 GMT")]),
    begin(100, wait(2, 3000), PROBE),  # unbooked (window 1 is t1's): until max(100+100, floor 3000)
    resume(1, 3000, go(1), FLOOR),
    resume(2, 3000, wait(2, 3100), PROBE),  # the probe t1 is in flight: poll again 100 ms later
    finish(1, 3050, DONE, PROBE, status=200),  # window 2
    resume(2, 3100, go(2), PROBE),
])

# --- whole-second resets on a 2xx -------------------------------------------------------------
# The case: 5/s with burst 10 (scale x5, T 1000, tau 10000).
session("2xx remaining 0 with reset 1 s: the configured 5/s decides, not a full second", cfg(limits=[lim(5, 1000, 10)]), [
    begin(0, go(1), "configured: go"),
    # remaining 0 at 40: tat >= 40*5 + 10000 = 10200; reset 1 s whole -> quota holds until 1040-1000 = 40
    finish(1, 40, DONE, INTERVAL, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1")]),
    begin(40, wait(2, 240), INTERVAL),  # (10200+1000-10000)/5 = 240, not 1040
    begin(40, wait(3, 440), FIFO),  # booked tat 11200 -> (12200-10000)/5 = 440
    resume(2, 240, go(2), INTERVAL),
    # t2 sent at 240 (tat 11200); remaining 0 at 280: tat >= 1400+10000 = 11400 -> t3 at 12400-10000 = 2400/5 = 480
    finish(2, 280, DONE, RELEASE, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1")]),
    resume(3, 440, wait(3, 480), RELEASE),
    resume(3, 480, go(3), INTERVAL),
])

session("2xx remaining 0 with whole-second reset and no rate known: hold until v", cfg(learn=False), [
    begin(0, go(1), PROBE),
    begin(0, wait(2, 100), PROBE),  # window 1 taken: poll in probe_poll_ms
    finish(1, 30, DONE, INTERVAL, status=200, headers=[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "2")]),
    resume(2, 100, wait(2, 2030), INTERVAL),  # no rate: the upper end 30 + 2000
    resume(2, 2030, go(2), INTERVAL),
])

# Epoch-second reset: the reset instant itself is a whole second. 5/s burst 1.
session("epoch-second reset is an interval too", cfg(limits=[lim(5, 1000, 1)]), [
    begin(N + 400, go(1), "configured: go"),
    # at N+500: reset_ms = 1700000001000 - (N+500) = 500, its instant a whole second -> quota until N+500;
    # tat >= (N+500)*5 + 1000
    finish(1, N + 500, DONE, INTERVAL, status=200,
           headers=[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000001")]),
    begin(N + 500, wait(2, N + 700), INTERVAL),  # ((N+500)*5 + 2000 - 1000)/5 = N+700, before N+1000
])

session("a millisecond reset is exact: the quota holds until it", cfg(limits=[lim(5, 1000, 1)]), [
    begin(N + 400, go(1), "configured: go"),
    finish(1, N + 500, DONE, INTERVAL, status=200,
           headers=[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(N + 950))]),
    begin(N + 500, wait(2, N + 950), INTERVAL),  # exact reset N+950 beats the rate's N+700
])

# --- in-flight discount -----------------------------------------------------------------------
# 1000/s burst 1000 (scale x1000, T 1000, tau 1e6): the rate never binds here; resets are epoch ms.
EPOCH_MS = {"reset_mode": "epoch_millis"}
session("2xx remaining discounted by requests in flight", cfg(limits=[lim(1000, 1000, 1000)], parse=EPOCH_MS), [
    begin(0, go(1), "configured: go"),
    begin(0, go(2), "configured: go"),
    begin(0, go(3), "configured: go"),
    # remaining 2 while t2, t3 are in flight: 2 - 2 = 0 left until the exact reset 1500
    finish(1, 100, DONE, DISCOUNT, status=200, headers=[("X-RateLimit-Remaining", "2"), ("X-RateLimit-Reset", "1500")]),
    begin(100, wait(4, 1500), DISCOUNT),
    finish(2, 120, DONE, DISCOUNT, status=200, headers=[("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "1500")]),
    finish(3, 130, DONE, DISCOUNT, status=200, headers=[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1500")]),
    resume(4, 1500, go(4), DISCOUNT),
])

session("2xx remaining taken as-is when nothing else is in flight", cfg(limits=[lim(1000, 1000, 1000)], parse=EPOCH_MS), [
    begin(0, go(1), "configured: go"),
    finish(1, 100, DONE, DISCOUNT, status=200, headers=[("X-RateLimit-Remaining", "2"), ("X-RateLimit-Reset", "1500")]),
    begin(100, go(2), DISCOUNT),  # 2 left
    begin(100, go(3), DISCOUNT),  # 1 left
    begin(100, wait(4, 1500), DISCOUNT),  # 0 left until 1500
])

# --- probing ----------------------------------------------------------------------------------
session("after a lockout with no rate known one probe goes, then the window widens", cfg(learn=False), [
    begin(0, go(1), PROBE),  # a new key: window 1
    finish(1, 50, DONE, PROBE, status=200),  # window 2
    begin(50, go(2), PROBE),
    begin(50, go(3), PROBE),
    begin(50, wait(4, 150), PROBE),  # window 2 full: poll in 100 ms
    # t2 429 RA 1 at 100: floor 1100, window 1; t3 still in flight, so no room: t2 unbooked, at its own 1100
    finish(2, 100, retry(1100, 2, "server_hint"), FLOOR, status=429, headers=[("Retry-After", "1")]),
    # t3 429 RA 1 at 120: floor 1120; nothing in flight: t2 (first in line) booked at 1120, t3 unbooked
    finish(3, 120, retry(1120, 2, "server_hint"), FLOOR, status=429, headers=[("Retry-After", "1")]),
    resume(4, 150, wait(4, 1120), FLOOR),  # not before the floor
    resume(2, 1120, go(2), PROBE),  # the one probe
    resume(3, 1120, wait(3, 1220), PROBE),  # window 1 taken by the probe
    resume(4, 1120, wait(4, 1220), PROBE),
    finish(2, 1200, DONE, PROBE, status=200),  # success: window 2, both booked at 1200
    resume(3, 1220, go(3), PROBE),
    resume(4, 1220, go(4), PROBE),
])

# 10/s burst 2: scale x10, T 1000, tau 2000. Sleepers that wake late.
session("a booked slot goes only if what was sent leaves room: late sleepers do not leave as one burst", cfg(limits=[lim(10, 1000, 2)]), [
    begin(0, go(1), FIFO), begin(0, go(2), FIFO),  # sent tat 2000
    begin(0, wait(3, 100), FIFO),  # (2000 + 1000 - 2000)/10 = 100, booked tat 3000
    begin(0, wait(4, 200), FIFO),  # booked 4000
    begin(0, wait(5, 300), FIFO),  # booked 5000
    # t3 and t4 wake at 250: sent tat 2000 -> max(2000, 2500) + 1000 - 2000 = 1500 <= 2500: t3
    # goes (tat 3500); 3500 + 1000 - 2000 = 2500 <= 2500: t4 goes (tat 4500)
    resume(3, 250, go(3), LATE), resume(4, 250, go(4), LATE),
    resume(5, 250, wait(5, 300), FIFO),
    # on time at 300, but 4500 + 1000 - 2000 = 3500 > 3000: booked again at 350
    resume(5, 300, wait(5, 350), LATE),
    resume(5, 350, go(5), LATE),
])

session("every unknown tenant gets its own first probe", cfg(learn=False), [
    begin(0, go(1), PROBE, key="tenant-a"),
    begin(0, wait(2, 100), PROBE, key="tenant-a"),
    begin(0, go(3), PROBE, key="tenant-b"),
    begin(0, wait(4, 100), PROBE, key="tenant-b"),
    finish(1, 60, DONE, PROBE, status=200),
    resume(2, 100, go(2), PROBE),
    resume(4, 100, wait(4, 200), PROBE),  # tenant-b's probe is still out
])

# --- FIFO -------------------------------------------------------------------------------------
# 2/s burst 1: scale x2, T 1000, tau 1000 -> one slot every 500 ms.
session("waiters are served in order with staggered slots", cfg(limits=[lim(2, 1000, 1)]), [
    begin(0, go(1), FIFO),  # tat 1000
    begin(0, wait(2, 500), FIFO),  # (1000+1000-1000)/2 = 500, booked 2000
    begin(0, wait(3, 1000), FIFO),  # booked 3000
    begin(10, wait(4, 1500), FIFO),  # booked 4000
    resume(2, 500, go(2), FIFO),
    begin(600, wait(5, 2000), FIFO),  # behind t3, t4: booked 5000
    begin(1000, wait(6, 2500), FIFO),  # arrives before t3 resumes at the same instant: still behind it
    resume(3, 1000, go(3), FIFO),
    resume(4, 1499, wait(4, 1500), FIFO),
    resume(4, 1500, go(4), FIFO),
    resume(6, 2000, wait(6, 2500), FIFO),  # t6 cannot take t5's slot
    resume(5, 2000, go(5), FIFO),
])

session("a cancelled waiter's slot goes to the next in line", cfg(limits=[lim(1, 1000, 1)]), [
    begin(0, go(1), FIFO),
    begin(0, wait(2, 1000), FIFO),
    begin(0, wait(3, 2000), FIFO),
    cancel(2, CANCELLED, FIFO),
    resume(3, 1000, go(3), FIFO),  # re-booked at 1000
])

# --- slots booked ahead released by a 2xx remaining 0 ------------------------------------------
# 10/s burst 2: scale x10, T 1000, tau 2000; resets in epoch ms.
session("2xx remaining 0 releases slots booked ahead", cfg(limits=[lim(10, 1000, 2)], parse=EPOCH_MS), [
    begin(0, go(1), "configured: go"),  # tat 1000
    begin(0, go(2), "burst 2: go"),  # tat 2000
    begin(0, wait(3, 100), FIFO),  # (2000+1000-2000)/10 = 100
    begin(0, wait(4, 200), FIFO),
    # remaining 0 (t2 in flight: still 0), exact reset 2070 (2070 is no whole second): both waiters
    # re-booked at 2070 (sent tat >= 500 + 2000 = 2500; at 2070 the bucket is full, burst 2)
    finish(1, 50, DONE, RELEASE, status=200, headers=[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "2070")]),
    finish(2, 60, DONE, RELEASE, status=200, headers=[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "2070")]),
    resume(3, 100, wait(3, 2070), RELEASE),
    resume(4, 200, wait(4, 2070), RELEASE),
    resume(3, 2070, go(3), RELEASE),
    resume(4, 2070, go(4), RELEASE),
])

# --- learning ---------------------------------------------------------------------------------
session("genesys preset refined from inin-ratelimit", cfg(preset="genesys"), [
    begin(0, go(1), GENESYS),
    # the preset is the API's documented limit, not this server's burst: a key's first request
    # goes alone (a probe), the next polls 100 ms later
    begin(0, wait(2, 100), GENESYS + "; a key's first request goes alone"),
    # answered: the preset's rate is known from here on; count 2 of 300: 298 left, the rate's
    # tat 100*300 + 300*60000 - 298*60000 = 150000 admits t2 at once
    finish(1, 100, DONE, GENESYS, status=200,
           headers=[("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "2"), ("inin-ratelimit-reset", "60")]),
    resume(2, 100, go(2), GENESYS),
    learnt("k", lim(300, 60000, 300), GENESYS),
    # allowed 180: another amount than the preset's, so not the preset's window either: the window
    # is learnt from the resets from here on (59 s, a whole second: 59000), no longer told
    finish(2, 200, DONE, GENESYS, status=200,
           headers=[("inin-ratelimit-allowed", "180"), ("inin-ratelimit-count", "3"), ("inin-ratelimit-reset", "59")]),
    learnt("k", lim(180, 59000, 180), LEARN),
    begin(300, go(3), GENESYS),  # 177 left
    # count 180 = allowed: exhausted, reset 30 s whole; an estimated window does not decide inside
    # (v-1, v]: the quota holds until 400 + 30000 = 30400
    finish(3, 400, DONE, INTERVAL, status=200,
           headers=[("inin-ratelimit-allowed", "180"), ("inin-ratelimit-count", "180"), ("inin-ratelimit-reset", "30")]),
    # rate: tat >= 400*180 + 180*59000 = 10692000; (10692000 + 59000 - 10620000)/180 = 728 < 30400
    begin(400, wait(4, 30400), INTERVAL),
    resume(4, 30400, go(4), INTERVAL),
])

# Resets to the millisecond (X-RateLimit-Reset as epoch ms; N is a whole second): a token
# bucket's time until full is `reset x limit / used`, not a reset rounded up to a second.
session("a reset to the millisecond teaches a token bucket's refill", cfg(), [
    begin(N, go(1), PROBE),
    # reset N+30 read at N+10: 20 ms, 1 used of 10 -> 20*10/1 = 200 ms (one reading: nothing learnt)
    finish(1, N + 10, DONE, LEARN, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "9"), ("X-RateLimit-Reset", str(N + 30))]),
    learnt("k", None, "one reading is not enough to learn a window"),
    begin(N + 10, go(2), PROBE),  # window 2 after the success
    # 40 ms, 3 used -> ceil(400/3) = 134; the longest estimate (200) stands: 10 per 200 ms (50/s),
    # where a reset rounded up to a whole second would have taught 10/s
    finish(2, N + 20, DONE, LEARN, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "7"), ("X-RateLimit-Reset", str(N + 60))]),
    learnt("k", lim(10, 200, 10), LEARN),
    begin(N + 20, go(3), "7 left of a known rate: go"),
    # the reset moved later (N+30 -> N+60) as more was used: a token bucket from here on.
    # 50 ms, 4 used: its refill is ceil(500/4) = 125 ms
    finish(3, N + 30, DONE, BUCKET, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "6"), ("X-RateLimit-Reset", str(N + 80))]),
    learnt("k", lim(10, 125, 10), BUCKET),
    begin(N + 30, go(4), BUCKET),  # 6 left: tat 10N+300 + 1250 - 750 admits it
    # 100 ms, 5 used: 200 ms, the longest estimate
    finish(4, N + 40, DONE, BUCKET, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "5"), ("X-RateLimit-Reset", str(N + 140))]),
    learnt("k", lim(10, 200, 10), BUCKET),
    begin(N + 40, go(5), BUCKET),  # 5 left: tat 10N+400 + 2000 - 1000 admits it
    # 10 ms, 6 used: ceil(100/6) = 17 ms, read late (a slow answer): the longest estimate stands
    finish(5, N + 50, DONE, BUCKET, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "4"), ("X-RateLimit-Reset", str(N + 60))]),
    learnt("k", lim(10, 200, 10), "a bucket's refill is the longest estimate seen: a reset read late is short"),
])

session("a throttle that carries a count teaches through the headers, not as a cycle", cfg(), [
    begin(0, go(1), PROBE),
    finish(1, 10, DONE, PROBE, status=200),
    begin(10, go(2), PROBE),
    finish(2, 20, DONE, PROBE, status=200),
    begin(20, go(3), PROBE),
    # X-RateLimit-* on the 429: the headers teach (one reading: nothing yet), not the cycle (2
    # through from 0 to 1030 would have been 1 per 1030 ms)
    finish(3, 30, retry(1030, 2, "server_hint"), THROTTLE, status=429,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1")]),
    learnt("k", None, "a throttle that carries a count teaches through the headers"),
])

# A token bucket (10/s, burst 2, configured): X-RateLimit-Reset (epoch ms) is its time until full,
# which moves later as requests are used; a window's reset would not move.
# GCRA units 0.1 ms: T = 1000, tau = 2000.
session("a token bucket's reset: the next token, not the full bucket", cfg(limits=[lim(10, 1000, 2)]), [
    begin(N, go(1), "configured: go"),  # tat 10N + 1000
    # first reading: full at N+100 with 1 used; quota 1 left until then; floor tat 10N+100+2000-1000
    finish(1, N + 10, DONE, BUCKET, status=200,
           headers=[("X-RateLimit-Limit", "2"), ("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", str(N + 100))]),
    begin(N + 10, go(2), "1 left: go"),  # tat 10N + 2100
    # full at N+200 with 2 used: the instant moved later while more was used -> a bucket; 0 left,
    # the next token 180/2 = 90 ms away: quota until N+110; floor tat 10N+200+2000 = 10N+2200
    finish(2, N + 20, DONE, BUCKET, status=200,
           headers=[("X-RateLimit-Limit", "2"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(N + 200))]),
    # the rate decides: (10N+2200 + 1000 - 2000)/10 = N+120, not the full bucket's N+200
    begin(N + 20, wait(3, N + 120), BUCKET),
    resume(3, N + 120, go(3), BUCKET),
])

# The Genesys preset against a token bucket (15, refilled at 5/s, as the loopback server runs it):
# inin-ratelimit-reset moves later by more than a second as the count grows, so the key is a
# bucket; its window becomes the time to refill `allowed` (reset x allowed / count). Learnt 15/3000 ms: units 1/15 ms, T = 3000, tau = 45000.
session("genesys preset on a token bucket: the window is its refill time", cfg(preset="genesys"), [
    begin(0, go(1), GENESYS),
    begin(0, wait(2, 100), GENESYS + "; a key's first request goes alone"),
    begin(0, wait(3, 100), GENESYS + "; a key's first request goes alone"),
    # allowed 15, not the preset's 300: the window starts from this reset (1 s) and is learnt on.
    # 14 left: tat 10*15 + 15000 - 14000 = 1150; the reset's interval (10, 1010] began and the
    # window is 1 s: the rate decides; t2 and t3 are booked at 10
    finish(1, 10, DONE, GENESYS, status=200,
           headers=[("inin-ratelimit-allowed", "15"), ("inin-ratelimit-count", "1"), ("inin-ratelimit-reset", "1")]),
    learnt("k", lim(15, 1000, 15), GENESYS),
    resume(2, 10, go(2), GENESYS),
    resume(3, 10, go(3), GENESYS),
    # count 8, reset 2: the reset instant moved from 1010 to 2020 (> 1 s) while more was used
    finish(2, 20, DONE, BUCKET, status=200,
           headers=[("inin-ratelimit-allowed", "15"), ("inin-ratelimit-count", "8"), ("inin-ratelimit-reset", "2")]),
    # count 15, reset 3: 15 used refill in 3000 * 15 / 15 = 3000 ms
    finish(3, 30, DONE, BUCKET, status=200,
           headers=[("inin-ratelimit-allowed", "15"), ("inin-ratelimit-count", "15"), ("inin-ratelimit-reset", "3")]),
    learnt("k", lim(15, 3000, 15), BUCKET),
    # 0 left: the next token 3000/15 = 200 ms away (230); the rate agrees: (30*15 + 45000 + 3000 - 45000)/15 = 230
    begin(30, wait(4, 230), BUCKET),
])

session("x-ratelimit rate learnt from two readings", cfg(), [
    begin(0, go(1), PROBE),
    finish(1, 100, DONE, LEARN, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "9"), ("X-RateLimit-Reset", "10")]),
    learnt("k", None, "one reading is not enough to learn a window"),
    begin(100, go(2), PROBE),  # window 2 after the success
    finish(2, 200, DONE, LEARN, status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "8"), ("X-RateLimit-Reset", "10")]),
    learnt("k", lim(10, 10000, 10), LEARN),
    # learnt 10/10 s: tat >= 200*10 + 100000 - 8*10000 = 22000; three begins now go (no probe window once a rate is known)
    begin(200, go(3), LEARN),
    begin(200, go(4), LEARN),
    begin(200, go(5), LEARN),
    # exhausted, reset 2 s whole: the window was only estimated from resets, so the quota holds to
    # v = 300 + 2000 (the learnt rate alone would allow (103000 + 10000 - 100000)/10 = 1300)
    finish(3, 300, DONE, INTERVAL + " (an estimated window does not shorten it)", status=200,
           headers=[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "2")]),
    begin(300, wait(6, 2300), INTERVAL + " (an estimated window does not shorten it)"),
])

def inin(count, reset="1"):
    return [("inin-ratelimit-allowed", "10"), ("inin-ratelimit-count", str(count)), ("inin-ratelimit-reset", reset)]


# A bucket of 10 that refills faster than its whole-second reset can say (the loopback server at
# 50/s: "reset: 1" for a refill of 200 ms). Learnt limit 10 per 1000 ms: scale x10, T 1000,
# tau 10000.
session("whole-second resets: the learnt limit follows the count, paces inside (v-1, v] and learns the refill from the counts", cfg(), [
    begin(0, go(1), PROBE),
    # count 1 at 10: a chain of readings starts (used 1, 1 accepted, nothing in flight);
    # one reading is not enough for a window; quota 9 until 1010
    finish(1, 10, DONE, PROBE, status=200, headers=inin(1)),
    begin(20, go(2), "the quota (9 left) lets the second request go"),
    # count 2 at 30: the window estimate is the reset, 1 s, seen twice: 10 per 1000 ms.
    # answered bound 30*10 + 1000 = 1300; the count: 8 left, tat = 300 + 10000 - 8000 = 2300.
    # reset 1 s: (v-1, v] = (30, 1030] already began and the learnt window is <= 2 s: the
    # quota holds until 30 (now), not until 1030: the learnt rate decides inside
    finish(2, 30, DONE, LEARN, status=200, headers=inin(2)),
    learnt("k", lim(10, 1000, 10), LEARN),
    # at 40 the bucket admits while 2300 + 1000k + 1000 - 10000 <= 400: k = 0..7, eight go
    begin(40, go(3), INTERVAL), begin(40, go(4), INTERVAL), begin(40, go(5), INTERVAL),
    begin(40, go(6), INTERVAL), begin(40, go(7), INTERVAL), begin(40, go(8), INTERVAL),
    begin(40, go(9), INTERVAL), begin(40, go(10), INTERVAL),
    # tat 10300: the ninth at (10300 + 1000 - 10000)/10 = 130 (held until 1030 if the whole
    # second were waited)
    begin(40, wait(11, 130), INTERVAL),
    # count 2 at 60 (the server refilled): 8 left, 7 in flight: 1 may go now.
    # tat = 600 + 10000 - 1000 = 9600, below the 10300 the learnt rate had booked: a learnt
    # limit of the server's amount follows the count down (answered bound 600 + 8*1000 = 8600)
    # -> t11 at (9600 + 1000 - 10000)/10 = 60
    finish(3, 60, DONE, LEARN, status=200, headers=inin(2)),
    resume(11, 60, go(11), LEARN),
    # The chain from t1's reading (at 10: used 1, 1 accepted): counts 3, 3, 3, 1 at 400..403
    # (accepted 4..7). Each step gives back at most 3 (< half the limit: no restart). At 403:
    # refill = 1 + (7 - 1) - 1 = 6 tokens in 393 ms: 10 in ceil(10 * 393 / (6 - 1)) = 786 ms,
    # under the 1 s the reset says: learnt 10 per 786 ms
    finish(4, 400, DONE, LEARN, status=200, headers=inin(3)),
    finish(5, 401, DONE, LEARN, status=200, headers=inin(3)),
    finish(6, 402, DONE, LEARN, status=200, headers=inin(3)),
    learnt("k", lim(10, 1000, 10), "a chain that gave back 3 tokens teaches nothing yet (4 at least)"),
    finish(7, 403, DONE, LEARN, status=200, headers=inin(1)),
    learnt("k", lim(10, 786, 10), LEARN),
])

# The chain's least time: 150 ms (and 4 tokens back). Learnt 10 per 1000 ms after two readings.
session("whole-second resets: a chain of 150 ms that gave back 4 tokens teaches the refill", cfg(), [
    begin(0, go(1), PROBE),
    finish(1, 10, DONE, PROBE, status=200, headers=inin(1)),  # chain from here: used 1, n 1
    begin(20, go(2), "the quota (9 left) lets the second request go"),
    # count 2 at 30: 10 per 1000 ms (the reset, seen twice); 8 left: tat 300 + 10000 - 8000 = 2300
    finish(2, 30, DONE, LEARN, status=200, headers=inin(2)),
    learnt("k", lim(10, 1000, 10), LEARN),
    # at 40: admitted while tat + 1000 - 10000 <= 400 (tat 2300, 3300, 4300)
    begin(40, go(3), INTERVAL), begin(40, go(4), INTERVAL), begin(40, go(5), INTERVAL),
    # count 2 at 100 (3 accepted): back 1 + (3 - 1) - 2 = 1 in 90 ms
    finish(3, 100, DONE, LEARN, status=200, headers=inin(2)),
    # count 1 at 140 (4 accepted): back 1 + 3 - 1 = 3 in 130 ms: under 4 tokens and 150 ms
    finish(4, 140, DONE, LEARN, status=200, headers=inin(1)),
    learnt("k", lim(10, 1000, 10), "a chain of 130 ms that gave back 3 tokens teaches nothing yet"),
    # count 1 at 170 (5 accepted): back 1 + 4 - 1 = 4 in 160 ms: 10 in ceil(10 * 160 / (4 - 1)) =
    # 534 ms, under the 1 s the reset says
    finish(5, 170, DONE, LEARN, status=200, headers=inin(1)),
    learnt("k", lim(10, 534, 10), LEARN),
])

# X-RateLimit-Reset in epoch seconds (a token bucket's time until full, rounded up to the second,
# as the loopback server sends it): read 810 ms into a second, the next second's reset
# 1700000002 is 1,190 ms away, its instant in (190, 1190] ms. Learnt 10 per 1000 ms: scale x10,
# T 1000, tau 10000.
EPOCH_S = "an epoch-second reset is an interval too: the window is at least its shortest meaning in whole seconds, and the quota holds to v - 1 s"


def xrl(rem, reset="1700000002"):
    return [("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", str(rem)), ("X-RateLimit-Reset", reset)]


session("epoch-second resets: a second's window, and the learnt rate decides from v - 1 s", cfg(), [
    begin(N + 800, go(1), PROBE),
    # reset 1700000002000 - (N+810) = 1190 ms: at least 191 ms, a 1 s window (not 2 s)
    finish(1, N + 810, DONE, EPOCH_S, status=200, headers=xrl(9)),
    begin(N + 820, go(2), PROBE),  # window 2 after the success
    # 1170 ms, seen twice: 10 per 1000 ms
    finish(2, N + 830, DONE, EPOCH_S, status=200, headers=xrl(8)),
    learnt("k", lim(10, 1000, 10), EPOCH_S),
    # the count follows (8 left): tat 10(N+830) + 10000 - 8000 = 10N + 10300;
    # admitted at N+840: 10N + 10300 + 1000 - 10000 = 10N + 1300 <= 10N + 8400
    begin(N + 840, go(3), INTERVAL),
    # 0 left at N+850: tat 10(N+850) + 10000 = 10N + 18500, the rate's next slot
    # (18500 + 1000 - 10000)/10 = N + 950; reset 1150 ms names (N+1000, N+2000]: the quota holds
    # to N + 1000, then the learnt 1 s rate decides (not the interval's far end N + 2000)
    finish(3, N + 850, DONE, EPOCH_S, status=200, headers=xrl(0)),
    begin(N + 860, wait(4, N + 1000), EPOCH_S),
])

# Answers read out of order: t3 (sent at 40) is answered after t4 (sent at 41). Its count was
# taken before t4's and may miss requests the server saw after it: it only tightens.
session("a count read out of order only tightens", cfg(), [
    begin(0, go(1), PROBE),
    finish(1, 10, DONE, PROBE, status=200, headers=inin(1)),
    begin(20, go(2), "the quota (9 left) lets the second request go"),
    # 10 per 1000 ms (scale x10, T 1000, tau 10000); 8 left: tat 300 + 10000 - 8000 = 2300
    finish(2, 30, DONE, LEARN, status=200, headers=inin(2)),
    begin(40, go(3), INTERVAL),  # tat 3300
    begin(41, go(4), INTERVAL),  # tat 4300
    # t4's count 9 at 60, t3 in flight: 1 - 1 = 0 left: tat 600 + 10000 - 0 = 10600
    finish(4, 60, DONE, DISCOUNT, status=200, headers=inin(9)),
    begin(60, wait(5, 160), DISCOUNT),  # (10600 + 1000 - 10000)/10 = 160
    # t3's count 5 at 70 (5 left, nothing in flight: tat 5700 if it were followed, and t5 would
    # go at once): read out of order, it leaves 10600 as it is
    finish(3, 70, DONE, STALE, status=200, headers=inin(5)),
    resume(5, 70, wait(5, 160), STALE),
    resume(5, 160, go(5), STALE),
])

# Counts taken out of send order: t5 (sent at 42) is answered after t3's count (answered at 60,
# while t5 was in flight) and says more is left: the lower count stands.
session("the lowest count answered while a request was in flight stands", cfg(), [
    begin(0, go(1), PROBE),
    finish(1, 10, DONE, PROBE, status=200, headers=inin(1)),
    begin(20, go(2), "the quota (9 left) lets the second request go"),
    finish(2, 30, DONE, LEARN, status=200, headers=inin(2)),  # 10 per 1000 ms, tat 2300
    begin(40, go(3), INTERVAL), begin(41, go(4), INTERVAL), begin(42, go(5), INTERVAL),
    # t3: 5 left, t4 and t5 in flight: 3 left: tat 600 + 10000 - 3000 = 7600
    finish(3, 60, DONE, DISCOUNT, status=200, headers=inin(5)),
    # t5: 6 left, but t3's 5 was answered while t5 was in flight: min(6, 5) = 5, t4 in flight:
    # 4 left: tat 700 + 10000 - 4000 = 6700 (5 left and 5700 if t5's count were taken alone)
    finish(5, 70, DONE, OVERLAP, status=200, headers=inin(4)),
    # admitted while tat + 1000 - 10000 <= 700: 6700, 7700, 8700, 9700: four go
    begin(70, go(6), OVERLAP), begin(70, go(7), OVERLAP), begin(70, go(8), OVERLAP),
    begin(70, go(9), OVERLAP),
    begin(70, wait(10, 170), OVERLAP),  # (10700 + 1000 - 10000)/10 = 170
])

# A fixed window's count never comes back inside a chain: it restarts at once (half the limit or
# more in one step), and the chain starts over from there.
session("a fixed window's restart teaches no refill", cfg(), [
    begin(0, go(1), PROBE),
    finish(1, 10, DONE, PROBE, status=200, headers=inin(1)),   # chain from here: used 1, n 1
    begin(20, go(2), PROBE),
    finish(2, 30, DONE, LEARN, status=200, headers=inin(2)),   # learnt 10 per 1000 ms
    begin(320, go(3), LEARN),
    # count 9 at 330 (others used the window): 1 left, tat 3300 + 10000 - 1000 = 12300
    finish(3, 330, DONE, LEARN, status=200, headers=inin(9)),
    begin(335, go(4), LEARN),  # (12300 + 1000 - 10000)/10 = 330 <= 335
    # count 1 at 340: 9 + 1 - 1 = 9 back in one step (>= 5): the window restarted; a new chain
    # from 340 (used 1, n 4)
    finish(4, 340, DONE, LEARN, status=200, headers=inin(1)),
    begin(345, go(5), LEARN),
    finish(5, 350, DONE, LEARN, status=200, headers=inin(1)),
    begin(355, go(6), LEARN),
    # counted from t1's chain this would be 1 + (6 - 1) - 1 = 5 back in 350 ms: 10 per
    # ceil(10 * 350 / 4) = 875 ms; the chain from 340 is 20 ms old: nothing learnt
    finish(6, 360, DONE, LEARN, status=200, headers=inin(1)),
    learnt("k", lim(10, 1000, 10), "a fixed window's restart teaches no refill: the learnt rate stays the reset's"),
])

# A server whose answers carry no count (a Genesys 429 body only, an HTTP-date Retry-After):
# the throttle cycle teaches the rate. Learnt 3 per 1020 ms: scale x3, T 1020, tau 3060.
session("a throttle cycle teaches the rate when answers carry no count", cfg(), [
    begin(0, go(1), PROBE),
    begin(0, wait(2, 100), PROBE),  # window 1: held back, polls in 100 ms
    # answers with no count: the key is bare; its window widens at most once per clean second
    # (since its first begin, 0): 10 < 1000, the window stays 1; t2 booked at 10
    finish(1, 10, DONE, PROBE, status=200),  # the cycle starts at the key's first send, 0
    resume(2, 10, go(2), PROBE),
    finish(2, 20, DONE, BARE, status=200),
    begin(20, go(3), BARE),
    begin(20, wait(4, 120), BARE),  # still one in flight at a time
    finish(3, 30, DONE, BARE, status=200),  # t4 booked at 30
    resume(4, 30, go(4), BARE),
    finish(4, 40, DONE, BARE, status=200),  # 4 through in this cycle
    begin(40, go(5), BARE),
    # floor 1050: 4 got through from 0 to 1050 (from the first answer, 10, it would be 1040):
    # learnt 3 per 1050 ms (scale x3, T 1050, tau 3150). A rate learnt from throttle cycles
    # includes the lockout: its bucket is empty at the throttle (50) and refills through the
    # lockout: tat min(one token at the floor 1050*3 + 3150 - 1050 = 5250, empty at 50:
    # 150 + 3150 = 3300) = 3300; at the floor (3150 + 3150 - 3300)/1050 = 2.8 tokens are back
    finish(5, 50, retry(1050, 2, "server_hint"), THROTTLE, status=429, headers=[("Retry-After", "1")]),
    learnt("k", lim(3, 1050, 3), THROTTLE),
    # a learnt rate does not lift a bare key's window: t5 holds its one place (booked at the
    # floor), t6 is held back and polls at max(60 + 100, floor 1050)
    begin(60, wait(6, 1050), BARE),
    resume(5, 1050, go(5), FLOOR),  # (3300 + 1050 - 3150)/3 = 400 <= 1050; tat 3150 + ... = max(3300, 3150) + 1050 = 4350
    resume(6, 1050, wait(6, 1150), BARE),  # t5 in flight: no room, poll in 100 ms
    # answered bound 3180 + 1050 = 4230 < 4350; no widening (1060 < floor 1050 + 1000);
    # t6's slot: (4350 + 1050 - 3150)/3 = 750, already past: the tokens that came back in the
    # lockout let it go at its poll, not one learnt interval after t5 (which was 1400)
    finish(5, 1060, DONE, THROTTLE, status=200),
    resume(6, 1150, go(6), THROTTLE),  # tat max(4350, 3450) + 1050 = 5400
    finish(6, 1160, DONE, THROTTLE, status=200),
    begin(1160, go(7), THROTTLE),  # (5400 + 1050 - 3150)/3 = 1100 <= 1160; tat max(5400, 3480) + 1050 = 6450
    # the third success since the throttle: a whole learnt amount went through: 1050 * 3/4 = 787
    finish(7, 1170, DONE, THROTTLE, status=200),
    learnt("k", lim(3, 787, 3), THROTTLE),
    # the new limit keeps what the old one had in use: tat 6450, in use at 1170: 6450 - 3510 =
    # 2940 units = 2940/1050 tokens -> 2940 * 787/1050 = 2204 (up): tat 3510 + 2204 = 5714
    # (answered bound 3510 + 787 below it; tau 3 * 787 = 2361): ceil((5714 + 787 - 2361)/3) = 1380
    begin(1170, wait(8, 1380), KEEP),
    begin(1170, wait(9, 1270), BARE),  # window 1, t8 holds its place: held back
    resume(9, 1270, wait(9, 1370), BARE),
    resume(8, 1380, go(8), KEEP),  # 1380 >= 1380; tat max(5714, 4140) + 787 = 6501
    resume(9, 1470, wait(9, 1570), BARE),  # t8 in flight: no room
    # no widening yet (1480 < 1050 + 1000); answered bound 4440 + 787 < 6501;
    # t9 booked at ceil((6501 + 787 - 2361)/3) = 1643
    finish(8, 1480, DONE, BARE, status=200),
    resume(9, 1570, wait(9, 1643), BARE),
    resume(9, 1643, go(9), BARE),  # tat max(6501, 4929) + 787 = 7288
    # a clean second since the floor (2060 >= 1050 + 1000): the window widens to 2
    finish(9, 2060, DONE, BARE, status=200),
    begin(2060, go(10), BARE),  # ceil((7288 + 787 - 2361)/3) = 1905 <= 2060; tat max(7288, 6180) + 787 = 8075
    # room for a second in flight, paced: ceil((8075 + 787 - 2361)/3) = 2167
    begin(2060, wait(11, 2167), BARE),
])

session("ietf w gives the window at once", cfg(), [
    begin(0, go(1), PROBE),
    finish(1, 100, DONE, LEARN, status=200,
           headers=[("RateLimit-Policy", '"default";q=100;w=60'), ("RateLimit", '"default";r=99;t=59')]),
    learnt("k", lim(100, 60000, 100), LEARN),
    begin(100, go(2), LEARN),
    # exhausted, t=2 whole seconds, window told: quota until 200 + 2000 - 1000 = 1200; the rate
    # (tat >= 200*100 + 6e6 = 6020000) allows (6020000 + 60000 - 6e6)/100 = 800 < 1200
    finish(2, 200, DONE, INTERVAL, status=200,
           headers=[("RateLimit-Policy", '"default";q=100;w=60'), ("RateLimit", '"default";r=0;t=2')]),
    begin(200, wait(3, 1200), INTERVAL),
])

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
    begin(0, go(1), "configured: go"),
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

doc = {
    "$schema": "./schema.json",
    "kind": "sessions",
    "cases": sessions,
}
(HERE / "sessions.json").write_text(json.dumps(doc, indent=1) + "\n")
print(f"{len(sessions)} sessions, {sum(len(s['steps']) for s in sessions)} hand-checked steps")
