"""Scripted pacer sessions: 429 floors, whole-second resets, the in-flight discount, probing, FIFO, released bookings (hand-derived: see make_sessions.py)."""
# flake8: noqa: F405
from sessions_dsl import *  # noqa: F401,F403

EPOCH_MS = {"reset_mode": "epoch_millis"}

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
    # answered at once: sent tat >= 2350*5 + 1000 = 12750, its own tat: no slot moves
    finish(2, 2350, DONE, "a 2xx ends the call", status=200),
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

# No more than a burst in flight: 10/s, burst 3 (scale x10, T 1000, tau 3000). Every request in
# flight may reach the server at once, as late as its answer: with the burst out, a slot that comes
# waits for an answer (polling every probe_poll_ms, 100 ms, until a finish rebooks it). Costs count.
session("no more than a burst in flight: a slot that comes while it is out waits for an answer", cfg(limits=[lim(10, 1000, 3)]), [
    begin(0, go(1), "configured: go"), begin(0, go(2), "burst 3"), begin(0, go(3), "burst 3"),  # tat 3000
    begin(0, wait(4, 100), FIFO),  # (3000+1000-3000)/10 = 100; booked tat 4000
    resume(4, 100, wait(4, 200), BURST),  # its slot, but 3 in flight: poll
    # t1 answered at 150, 2 out: sent tat >= 1500 + 3*1000 = 4500: t4 at (4500+1000-3000)/10
    finish(1, 150, DONE, ANSWER, status=200),
    resume(4, 200, wait(4, 250), ANSWER),
    resume(4, 250, go(4), BURST),  # 2 in flight + 1 = 3: goes; sent tat 5500
    begin(250, wait(5, 350), BURST),  # slot (5500+1000-3000)/10 = 350; booked tat 6500
    # t2 answered at 300, t3 and t4 out: sent tat >= 3000 + 3*1000 = 6000 -> t5 at 400
    finish(2, 300, DONE, ANSWER, status=200),
    resume(5, 400, go(5), BURST),  # t3, t4 + 1 = 3; sent tat 7000
    # cost 2: slot (7000 + 2000 - 3000)/10 = 600, booked tat 9000
    begin(400, wait(6, 600), BURST, cost=2),
    resume(6, 600, wait(6, 700), BURST),  # t3, t4, t5 out: 3 + 2 > 3
    # t3 answered at 650, t4 and t5 out: sent tat >= 6500 + 3*1000 = 9500 -> t6 at (9500+2000-3000)/10
    finish(3, 650, DONE, ANSWER, status=200),
    # t4 answered at 650, t5 out: 6500 + 2000 = 8500 < 9500, t6 stays at 850
    finish(4, 650, DONE, ANSWER, status=200),
    resume(6, 700, wait(6, 850), ANSWER),
    resume(6, 850, go(6), BURST),  # t5 (1) + 2 = 3
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

# A configured bucket the server counts (its burst is the server's limit): 10/s burst 3 (scale x10,
# T 1000, tau 3000); resets in epoch ms (exact). The count is the server's at the request's arrival,
# read at its answer: the gate follows it both ways (never before the answer time's own bound). Its
# reset holds the quota like a window's until the count is seen to come back before a reset it
# named (a request sent after a count was read, itself counted, finds as many left or more): a token
# bucket, whose reset is its time until full, so from then on the configured rate alone says when
# each token is back.
XRL3 = [("X-RateLimit-Limit", "3")]
session("a configured bucket the server counts follows its count; seen refilling, its reset holds no quota", cfg(limits=[lim(10, 1000, 3)], parse=EPOCH_MS), [
    begin(0, go(1), "configured: go"), begin(0, go(2), "burst 3"),  # tat 2000
    # t1 answered late at 400, t2 out: 1 - 1 = 0 left: tat 4000 + 3000 = 7000 (the answer's own
    # bound is 4000 + 2*1000); nothing seen to refill: the quota holds to the reset, 600
    finish(1, 400, DONE, COUNTED, status=200, headers=XRL3 + [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "600")]),
    begin(400, wait(3, 600), COUNTED),  # the rate says (7000 + 1000 - 3000)/10 = 500, the quota 600
    # t2 at 410, nothing out: its count 2, but t1's 1 (answered while t2 was out) stands: 1 left ->
    # tat 4100 + 3000 - 1000 = 6100, lower than 7000: the gate follows the count down; quota 1 to 510.
    # (t2 was sent before t1's count was read: its 2 says nothing of a refill.) t3 rebooked at 410
    finish(2, 410, DONE, COUNTED, status=200, headers=XRL3 + [("X-RateLimit-Remaining", "2"), ("X-RateLimit-Reset", "510")]),
    resume(3, 410, go(3), COUNTED),  # tat 7100, quota 0
    begin(410, wait(4, 510), COUNTED),  # the rate (7100 + 1000 - 3000)/10 = 510, the quota 510
    # t3 at 450: 1 left: tat 4500 + 3000 - 1000 = 6500, quota 1 to 650: t4 rebooked at 450
    finish(3, 450, DONE, COUNTED, status=200, headers=XRL3 + [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", "650")]),
    resume(4, 455, go(4), COUNTED),  # sent after t3's count was read; tat 7500
    # t4 at 470: 2 left, more than t3's 1, before its reset 650: the server refills as it goes.
    # tat 4700 + 3000 - 2000 = 5700, and no quota held from here on
    finish(4, 470, DONE, COUNTED, status=200, headers=XRL3 + [("X-RateLimit-Remaining", "2"), ("X-RateLimit-Reset", "570")]),
    begin(470, go(5), COUNTED),  # (5700 + 1000 - 3000)/10 = 370; tat 6700
    begin(470, go(6), COUNTED),  # 470; tat 7700
    begin(470, wait(7, 570), COUNTED),  # 570, booked tat 8700
    # t5 at 480, t6 out: 0 left: tat 4800 + 3000 = 7800 -> t7 at 580; its reset 780 holds no quota
    finish(5, 480, DONE, COUNTED, status=200, headers=XRL3 + [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "780")]),
    resume(7, 570, wait(7, 580), COUNTED),
    resume(7, 580, go(7), COUNTED),  # t6 out: 1 + 1 <= 3
])

# The same with whole-second resets (delta seconds), where a bucket's time until full and a window's
# end read alike: 10/s burst 10 (scale x10, T 1000, tau 10000). A window's quota holds to v - 1 s
# until the count is seen to come back before the reset it named (v less its second of rounding).
XRL10 = [("X-RateLimit-Limit", "10"), ("X-RateLimit-Reset", "2")]
session("a configured bucket seen refilling holds no quota on a whole-second reset", cfg(limits=[lim(10, 1000, 10)]), [
    begin(0, go(1), "configured: go"), begin(0, go(2), "burst 10"),  # tat 2000
    # t1 at 100, t2 out: 1 - 1 = 0 left: tat 1000 + 10000 = 11000; quota 0 until 2100 - 1000 = 1100
    finish(1, 100, DONE, COUNTED, status=200, headers=XRL10 + [("X-RateLimit-Remaining", "1")]),
    begin(100, wait(3, 1100), COUNTED),  # the rate says (11000 + 1000 - 10000)/10 = 200
    # t2 at 150 (sent before t1's count was read): t1's 1 stands, 1 left: tat 1500 + 10000 - 1000 =
    # 10500, quota 1 until 1150: t3 rebooked at (10500 + 1000 - 10000)/10 = 150
    finish(2, 150, DONE, COUNTED, status=200, headers=XRL10 + [("X-RateLimit-Remaining", "2")]),
    resume(3, 160, go(3), COUNTED),  # tat 11600
    # t3 at 200 (sent after t2's count was read): 3 left, more than 2, and 200 + 1000 < 2150: the
    # server refills as it goes. tat 2000 + 10000 - 3000 = 9000; no quota held
    finish(3, 200, DONE, COUNTED, status=200, headers=XRL10 + [("X-RateLimit-Remaining", "3")]),
    begin(200, go(4), COUNTED), begin(200, go(5), COUNTED), begin(200, go(6), COUNTED),  # tat 12000
    begin(200, wait(7, 300), COUNTED),  # (12000 + 1000 - 10000)/10
    # t4 at 250, t5 and t6 out: 0 left: tat 2500 + 10000 = 12500 -> t7 at 350, not at 2250 - 1000
    finish(4, 250, DONE, COUNTED, status=200, headers=XRL10 + [("X-RateLimit-Remaining", "0")]),
    resume(7, 300, wait(7, 350), COUNTED),
    resume(7, 350, go(7), COUNTED),
])

# Epoch seconds (X-RateLimit-Reset: a Unix second, exact): a fixed window names its own end to every
# request that reaches it before that end; a bucket's time until full moves later as it is used.
# 10/s burst 10 as above (scale x10, T 1000, tau 10000).
EPOCH_S = {"reset_mode": "epoch_seconds"}
XRL10E = [("X-RateLimit-Limit", "10")]
session("a later epoch second named before the last count's reset is a bucket refilling", cfg(limits=[lim(10, 1000, 10)], parse=EPOCH_S), [
    begin(1300, go(1), "configured: go"),  # tat 14000
    # t1 at 1400: 5 left, full at second 2 (2000): tat 14000 + 10000 - 5000 = 19000; quota 5 until
    # max(2000 - 1000, 1400) = 1400
    finish(1, 1400, DONE, COUNTED, status=200, headers=XRL10E + [("X-RateLimit-Remaining", "5"), ("X-RateLimit-Reset", "2")]),
    begin(1400, go(2), COUNTED),  # (19000 + 1000 - 10000)/10 = 1000 <= 1400: tat 20000
    # t2 (sent after t1's count was read) at 1450: 0 left, and it names second 3 while second 2, the
    # reset t1's count named, has not come: no fixed window does; the server refills as it goes.
    # tat 14500 + 10000 = 24500 (the answer's bound: 14500 + 1000); no quota held: the next slot is
    # (24500 + 1000 - 10000)/10 = 1550, not 3000 - 1000 = 2000
    finish(2, 1450, DONE, REFILLS, status=200, headers=XRL10E + [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "3")]),
    begin(1450, wait(3, 1550), REFILLS),
    resume(3, 1550, go(3), REFILLS),
])

# 10/s burst 2: scale x10, T 1000, tau 2000. Sleepers that wake late.
session("a booked slot goes only if what was sent leaves room: late sleepers do not leave as one burst", cfg(limits=[lim(10, 1000, 2)]), [
    begin(0, go(1), FIFO), begin(0, go(2), FIFO),  # sent tat 2000
    begin(0, wait(3, 100), FIFO),  # (2000 + 1000 - 2000)/10 = 100, booked tat 3000
    begin(0, wait(4, 200), FIFO),  # booked 4000
    begin(0, wait(5, 300), FIFO),  # booked 5000
    # t1 and t2 answered at once: sent tat >= 0 + 2*1000 (t1, t2 still out), then 1000: no slot moves
    finish(1, 0, DONE, ANSWER, status=200), finish(2, 0, DONE, ANSWER, status=200),
    # t3 and t4 wake at 250: sent tat 2000 -> max(2000, 2500) + 1000 - 2000 = 1500 <= 2500: t3
    # goes (tat 3500); 3500 + 1000 - 2000 = 2500 <= 2500: t4 goes (tat 4500)
    resume(3, 250, go(3), LATE), resume(4, 250, go(4), LATE),
    resume(5, 250, wait(5, 300), FIFO),
    # on time at 300, but 4500 + 1000 - 2000 = 3500 > 3000: booked again at 350
    resume(5, 300, wait(5, 350), LATE),
    # at 350 its slot comes, but t3 and t4 (the burst) are in flight: an answer first (poll 100 ms)
    resume(5, 350, wait(5, 450), BURST),
    # t3 answered at 360 with t4 out: sent tat >= 3600 + 2*1000 = 5600: t5 at (5600+1000-2000)/10
    finish(3, 360, DONE, ANSWER, status=200),
    resume(5, 450, wait(5, 460), ANSWER),
    resume(5, 460, go(5), BURST),
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
    # each request is answered as it goes (burst 1: one in flight); 0*2 + 1000 moves no slot
    finish(1, 0, DONE, ANSWER, status=200),
    begin(0, wait(2, 500), FIFO),  # (1000+1000-1000)/2 = 500, booked 2000
    begin(0, wait(3, 1000), FIFO),  # booked 3000
    begin(10, wait(4, 1500), FIFO),  # booked 4000
    resume(2, 500, go(2), FIFO), finish(2, 500, DONE, ANSWER, status=200),
    begin(600, wait(5, 2000), FIFO),  # behind t3, t4: booked 5000
    begin(1000, wait(6, 2500), FIFO),  # arrives before t3 resumes at the same instant: still behind it
    resume(3, 1000, go(3), FIFO), finish(3, 1000, DONE, ANSWER, status=200),
    resume(4, 1499, wait(4, 1500), FIFO),
    resume(4, 1500, go(4), FIFO), finish(4, 1500, DONE, ANSWER, status=200),
    resume(6, 2000, wait(6, 2500), FIFO),  # t6 cannot take t5's slot
    resume(5, 2000, go(5), FIFO),
])

session("a cancelled waiter's slot goes to the next in line", cfg(limits=[lim(1, 1000, 1)]), [
    begin(0, go(1), FIFO), finish(1, 0, DONE, ANSWER, status=200),
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
