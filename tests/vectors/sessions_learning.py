"""Scripted pacer sessions: learning the rate (presets, counts, chains, throttle cycles, IETF w) (hand-derived: see make_sessions.py)."""
# flake8: noqa: F405
from sessions_dsl import *  # noqa: F401,F403

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
    # answers with no count: the key is bare, one request in flight, always; t2 booked at 10
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
    # answered bound 3180 + 1050 = 4230 < 4350;
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
    # answered bound 4440 + 787 < 6501;
    # t9 booked at ceil((6501 + 787 - 2361)/3) = 1643
    finish(8, 1480, DONE, BARE, status=200),
    resume(9, 1570, wait(9, 1643), BARE),
    resume(9, 1643, go(9), BARE),  # tat max(6501, 4929) + 787 = 7288
    # a clean second since the floor (2060 >= 1050 + 1000), a rate learnt: the window still stays
    # 1 (a second request in flight could reach the server inside a lockout the first one's 429
    # announces, and a bare server says nothing of it beforehand)
    finish(9, 2060, DONE, BARE, status=200),
    begin(2060, go(10), BARE),  # ceil((7288 + 787 - 2361)/3) = 1905 <= 2060; tat max(7288, 6180) + 787 = 8075
    # t10 in flight: no room, polls at 2060 + 100 (its slot, 2167, would have let it go paced)
    begin(2060, wait(11, 2160), BARE),
    # the third success since the last raise (t8, t9, t10): 787 * 3/4 = 590
    finish(10, 2100, DONE, THROTTLE, status=200),
    learnt("k", lim(3, 590, 3), THROTTLE),
    # in use at 2100: 8075 - 6300 = 1775 units -> 1775 * 590/787 = 1331 (up): tat 7631 (answered
    # bound 6300 + 590 below it); room now, and the slot ceil((7631 + 590 - 1770)/3) = 2151 is past
    resume(11, 2160, go(11), KEEP),
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

# Learnt, epoch seconds (X-RateLimit-Reset: a Unix second): a limit learnt of the server's own
# amount follows its count, and once the server is seen refilling its reset holds no quota either.
# Learnt 10 per 1000 ms: scale x10, T 1000, tau 10000.
XRL10E = [("X-RateLimit-Limit", "10")]
session("a learnt limit that follows the count holds no quota once the server is seen refilling", cfg(parse={"reset_mode": "epoch_seconds"}), [
    begin(1000, go(1), PROBE),
    finish(1, 1010, DONE, PROBE, status=200, headers=XRL10E + [("X-RateLimit-Remaining", "9"), ("X-RateLimit-Reset", "2")]),
    begin(1010, go(2), PROBE),  # the window doubled to 2
    # the second reading with the limit and a reset: learnt 10 per the reset's window, 990 ms read
    # in whole seconds: at least 1000
    finish(2, 1020, DONE, LEARN, status=200, headers=XRL10E + [("X-RateLimit-Remaining", "8"), ("X-RateLimit-Reset", "2")]),
    learnt("k", lim(10, 1000, 10), LEARN),
    # following the count: 8 left: tat 10200 + 10000 - 8000 = 12200 -> slot (12200 + 1000 -
    # 10000)/10 = 320, tat 13200; then 420, tat 14200
    begin(1020, go(3), LEARN), begin(1020, go(4), LEARN),
    finish(3, 1030, DONE, LEARN, status=200, headers=XRL10E + [("X-RateLimit-Remaining", "7"), ("X-RateLimit-Reset", "2")]),
    # 6 left, nothing out: tat 10400 + 10000 - 6000 = 14400; quota 6 until max(2000 - 1000, 1040)
    finish(4, 1040, DONE, LEARN, status=200, headers=XRL10E + [("X-RateLimit-Remaining", "6"), ("X-RateLimit-Reset", "2")]),
    # slots 540, 640, 740, 840: tat 18400, 4 in flight
    begin(1040, go(5), LEARN), begin(1040, go(6), LEARN), begin(1040, go(7), LEARN), begin(1040, go(8), LEARN),
    # t5 (sent after t4's count was read) at 1100: 0 left, second 3 named while second 2 (t4's) has
    # not come: the server refills. tat 11000 + 10000 = 21000 (3 out: 0 left); no quota held: the
    # learnt rate paces, (21000 + 1000 - 10000)/10 = 1200, not 3000 - 1000 = 2000
    finish(5, 1100, DONE, REFILLS, status=200, headers=XRL10E + [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "3")]),
    begin(1100, wait(9, 1200), REFILLS),
    resume(9, 1200, go(9), REFILLS),
])
