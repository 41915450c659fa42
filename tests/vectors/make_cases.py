#!/usr/bin/env python3
"""Writes the inputs and hand-written `assert` blocks of the shared vectors.

Run `python3 tests/vectors/make_cases.py && PACEKEEPER_BLESS=1 cargo test -p pacekeeper --test vectors`
to regenerate: the bless step fills each case's exact `expect` from the engine, and refuses to
write anything unless every hand-written `assert` holds. Existing `expect` blocks are kept for
cases whose inputs did not change, so a diff shows exactly what moved.
"""
import json
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = 1_700_000_000_000  # 2023-11-14T22:13:20Z
S = NOW // 1000
H6 = 6 * 3600 * 1000


def http_date(ms):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(ms // 1000))


def rfc850(ms):
    return time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(ms // 1000))


def asctime(ms):
    t = time.gmtime(ms // 1000)
    return time.strftime("%a %b ", t) + f"{t.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", t)


GENESYS_BODY = ('{"message":"Rate limit exceeded the maximum. Retry the request in [%d] seconds",'
                '"code":"too.many.requests.retry.after","status":429}')


def h(name, status, headers, body=None, now=NOW, options=None, **a):
    c = {"name": name, "status": status, "headers": [list(p) for p in headers], "body": body, "now": now}
    if options:
        c["options"] = options
    if a:
        c["assert"] = a
    return c


def err(code):
    return {"error": code}


def headers_cases():
    c = []
    # --- Retry-After, delta-seconds
    for v, ms in [("30", 30000), ("0", 0), (" 45 ", 45000), ("1", 1000), ("120", 120000), ("3600", 3600000)]:
        c.append(h(f"retry-after delta {v.strip()}", 429, [("Retry-After", v)],
                   wait_ms=ms, wait_source="retry_after", throttled=True, retry_after_lenient=False))
    for v, ms in [("2.0", 2000), ("1.5", 1500), ("0.0001", 1), ("0.250", 250), (".5", 500)]:
        c.append(h(f"retry-after fractional {v} accepted leniently", 429, [("Retry-After", v)],
                   wait_ms=ms, retry_after_lenient=True))
    c.append(h("retry-after negative is rejected", 429, [("Retry-After", "-5")],
               wait_ms=None, rejected=[{"header": "retry-after", "value": "-5", "reason": "negative"}]))
    c.append(h("retry-after -0 is zero", 429, [("Retry-After", "-0")], wait_ms=0))
    c.append(h("retry-after garbage", 429, [("Retry-After", "soon")],
               wait_ms=None, rejected=[{"header": "retry-after", "value": "soon", "reason": "bad_date"}]))
    c.append(h("retry-after exponent is not a number", 429, [("Retry-After", "1e3")],
               wait_ms=None, rejected=[{"reason": "bad_date"}]))
    c.append(h("retry-after fullwidth digits", 429, [("Retry-After", "３０")], wait_ms=None))
    c.append(h("retry-after empty", 429, [("Retry-After", "")],
               wait_ms=None, rejected=[{"header": "retry-after", "reason": "not_a_number"}]))
    c.append(h("retry-after 10^20 is too large and capped", 429, [("Retry-After", "100000000000000000000")],
               wait_ms=H6, capped=True, rejected=[{"reason": "too_large"}]))
    c.append(h("retry-after above 6 h is capped", 429, [("Retry-After", "99999")], wait_ms=H6, capped=True,
               rejected=[]))
    c.append(h("retry-after capped by a caller max_wait", 429, [("Retry-After", "30")],
               options={"max_wait_ms": 1000}, wait_ms=1000, capped=True))
    c.append(h("retry-after repeated takes the longest", 429, [("Retry-After", "10"), ("retry-after", "20")],
               wait_ms=20000))
    c.append(h("retry-after merged list takes the longest", 429, [("Retry-After", "10, 20")], wait_ms=20000))
    c.append(h("retry-after name in capitals", 429, [("RETRY-AFTER", "7")], wait_ms=7000))
    c.append(h("retry-after name with padding", 429, [(" Retry-After ", "8")], wait_ms=8000))
    c.append(h("503 with retry-after is throttled", 503, [("Retry-After", "5")], throttled=True, wait_ms=5000))
    c.append(h("503 without retry-after is not throttled", 503, [], throttled=False, wait_ms=None))
    c.append(h("200 with retry-after keeps the wait", 200, [("Retry-After", "3")], throttled=False, wait_ms=3000))
    c.append(h("plain 200", 200, [("Content-Type", "application/json")], throttled=False, wait_ms=None,
               source=None))
    c.append(h("429 with nothing", 429, [], throttled=True, wait_ms=None, source=None))
    # --- Retry-After, HTTP-date
    c.append(h("http-date imf-fixdate with date header", 429,
               [("Date", http_date(NOW)), ("Retry-After", http_date(NOW + 120_000))],
               wait_ms=120000, date_skew_ms=0))
    c.append(h("http-date server clock 90 s ahead", 429,
               [("Date", http_date(NOW + 90_000)), ("Retry-After", http_date(NOW + 120_000))],
               wait_ms=30000, date_skew_ms=90000))
    c.append(h("http-date server clock 45 s behind", 429,
               [("Date", http_date(NOW - 45_000)), ("Retry-After", http_date(NOW - 15_000))],
               wait_ms=30000, date_skew_ms=-45000))
    c.append(h("http-date without date header uses now", 429, [("Retry-After", http_date(NOW + 60_000))],
               wait_ms=60000, date_skew_ms=None))
    c.append(h("http-date in the past means 0", 429,
               [("Date", http_date(NOW)), ("Retry-After", http_date(NOW - 60_000))], wait_ms=0))
    c.append(h("http-date rfc850", 429, [("Date", rfc850(NOW)), ("Retry-After", rfc850(NOW + 10_000))],
               wait_ms=10000))
    c.append(h("http-date asctime", 429, [("Date", asctime(NOW)), ("Retry-After", asctime(NOW + 5_000))],
               wait_ms=5000))
    c.append(h("http-date asctime two-digit day", 429,
               [("Retry-After", asctime(NOW + 86_400_000 * 20))], wait_ms=86_400_000 * 20 if 86_400_000 * 20 <= H6 else H6))
    c.append(h("http-date 31 February", 429, [("Retry-After", "Fri, 31 Feb 2023 22:13:20 GMT")],
               wait_ms=None, rejected=[{"reason": "bad_date"}]))
    c.append(h("http-date not GMT", 429, [("Retry-After", "Tue, 14 Nov 2023 22:14:20 PST")],
               wait_ms=None, rejected=[{"reason": "bad_date"}]))
    c.append(h("http-date garbage date header falls back to now", 429,
               [("Date", "yesterday"), ("Retry-After", http_date(NOW + 20_000))], wait_ms=20000,
               date_skew_ms=None, rejected=[{"header": "date", "value": "yesterday", "reason": "bad_date"}]))
    c.append(h("http-date year 9999 is capped", 429, [("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")],
               wait_ms=H6, capped=True))
    # --- X-RateLimit-*
    gh = [("X-RateLimit-Limit", "5000"), ("X-RateLimit-Remaining", "4999"),
          ("X-RateLimit-Reset", str(S + 3600)), ("X-RateLimit-Used", "1"),
          ("X-RateLimit-Resource", "core")]
    c.append(h("github ok", 200, gh, limit=5000, remaining=4999, reset_ms=3600000, source="x_ratelimit",
               wait_ms=None))
    c.append(h("github primary limit exhausted (403)", 403,
               [("x-ratelimit-limit", "60"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", str(S + 1200))],
               remaining=0, reset_ms=1200000, wait_ms=1200000, wait_source="reset", throttled=False))
    c.append(h("github secondary limit (403 with retry-after)", 403,
               [("retry-after", "60"), ("x-ratelimit-remaining", "4000")], wait_ms=60000, wait_source="retry_after"))
    c.append(h("x-ratelimit-reset epoch ms", 429,
               [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(NOW + 2500))],
               reset_ms=2500, wait_ms=2500, wait_source="reset"))
    c.append(h("x-ratelimit-reset seconds remaining", 429,
               [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "60")],
               reset_ms=60000, wait_ms=60000))
    c.append(h("x-ratelimit-reset fractional seconds remaining", 429,
               [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1.25")], reset_ms=1250))
    c.append(h("x-ratelimit-reset epoch seconds in the past", 429,
               [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(S - 10))], reset_ms=0, wait_ms=0))
    c.append(h("x-ratelimit-reset forced epoch_seconds on a small value", 429,
               [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "60")],
               options={"reset_mode": "epoch_seconds"}, reset_ms=0))
    c.append(h("x-ratelimit-reset forced delta_seconds on an epoch", 429,
               [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", str(S + 60))],
               options={"reset_mode": "delta_seconds"}, reset_ms=H6, capped=True))
    c.append(h("x-ratelimit-reset forced epoch_millis", 200,
               [("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset", str(NOW + 900))],
               options={"reset_mode": "epoch_millis"}, reset_ms=900))
    c.append(h("x-ratelimit-reset forced epoch_millis on seconds", 200,
               [("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset", str(S + 60))],
               options={"reset_mode": "epoch_millis"}, reset_ms=0))
    c.append(h("x-ratelimit-reset forced epoch_seconds", 200,
               [("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset", str(S + 61))],
               options={"reset_mode": "epoch_seconds"}, reset_ms=61000))
    for v in ["999999999", "1000000000", "999999999999", "1000000000000"]:
        c.append(h(f"x-ratelimit-reset magnitude boundary {v}", 200,
                   [("X-RateLimit-Remaining", "1"), ("X-RateLimit-Reset", v)]))
    c.append(h("x-rate-limit spelling (twitter)", 429,
               [("x-rate-limit-limit", "900"), ("x-rate-limit-remaining", "0"), ("x-rate-limit-reset", str(S + 900))],
               limit=900, remaining=0, reset_ms=900000, source="x_ratelimit"))
    c.append(h("x-ratelimit-reset-after fractional (discord)", 429,
               [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "1.5")],
               reset_ms=1500, wait_ms=1500))
    c.append(h("remaining above limit is clamped", 200,
               [("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "50")], limit=10, remaining=10))
    c.append(h("remaining negative is rejected", 200,
               [("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "-1")], limit=10, remaining=None,
               rejected=[{"header": "x-ratelimit-remaining", "reason": "negative"}]))
    c.append(h("limit not a number", 200, [("X-RateLimit-Limit", "lots"), ("X-RateLimit-Remaining", "4")],
               limit=None, remaining=4, rejected=[{"reason": "not_a_number"}]))
    c.append(h("limit above 2^53 is too large", 200, [("X-RateLimit-Limit", "18446744073709551615")],
               limit=None, rejected=[{"reason": "too_large"}]))
    c.append(h("limit 10^20 is too large", 200, [("X-RateLimit-Limit", "100000000000000000000")],
               limit=None, rejected=[{"reason": "too_large"}]))
    c.append(h("repeated remaining takes the smallest", 200,
               [("X-RateLimit-Remaining", "5"), ("X-RateLimit-Remaining", "3")], remaining=3))
    c.append(h("repeated reset takes the latest", 200,
               [("X-RateLimit-Reset", "5"), ("X-RateLimit-Reset", "9")], reset_ms=9000))
    c.append(h("429 with reset only waits for it", 429, [("X-RateLimit-Reset", "4")], wait_ms=4000,
               wait_source="reset"))
    c.append(h("x-ratelimit-reset 10^20 capped", 429,
               [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "100000000000000000000")],
               reset_ms=H6, capped=True, rejected=[{"reason": "too_large"}]))
    # A reset starting with a letter is tried as an HTTP-date (resets may be dates).
    c.append(h("x-ratelimit-reset garbage", 429, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "tomorrow")],
               reset_ms=None, wait_ms=None, rejected=[{"reason": "bad_date"}]))
    c.append(h("x-ratelimit-reset numeric garbage", 429, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "12x")],
               reset_ms=None, wait_ms=None, rejected=[{"reason": "not_a_number"}]))
    c.append(h("long garbage value is truncated in the rejection", 200, [("X-RateLimit-Limit", "x" * 1000)],
               rejected=[{"header": "x-ratelimit-limit", "value": "x" * 64 + "…", "reason": "not_a_number"}]))
    # --- IETF draft-10
    c.append(h("ietf draft-10 example", 200,
               [("RateLimit-Policy", '"default";q=100;w=10'), ("RateLimit", '"default";r=50;t=30')],
               limit=100, remaining=50, reset_ms=30000, window_ms=10000, source="ietf",
               policies=[{"name": "default", "quota": 100, "quota_unit": "requests", "window_s": 10,
                          "partition_key": None}],
               states=[{"name": "default", "remaining": 50, "reset_s": 30, "partition_key": None}]))
    c.append(h("ietf two policies, the exhausted one wins", 429,
               [("RateLimit-Policy", '"burst";q=100;w=60, "daily";q=1000;w=86400'),
                ("RateLimit", '"burst";r=0;t=5, "daily";r=900;t=3600')],
               limit=100, remaining=0, reset_ms=5000, window_ms=60000, wait_ms=5000, wait_source="reset"))
    c.append(h("ietf daily exhausted", 429,
               [("RateLimit-Policy", '"burst";q=100;w=60, "daily";q=1000;w=86400'),
                ("RateLimit", '"burst";r=99;t=5, "daily";r=0;t=3600')],
               limit=1000, remaining=0, reset_ms=3600000, window_ms=86400000, wait_ms=3600000))
    c.append(h("ietf partition key and quota unit", 200,
               [("RateLimit-Policy", '"peruser";q=65536;qu="content-bytes";w=10;pk=:dXNlcjE=:'),
                ("RateLimit", '"peruser";r=10000;t=3;pk=:dXNlcjE=:')],
               policies=[{"name": "peruser", "quota": 65536, "quota_unit": "content-bytes", "window_s": 10,
                          "partition_key": "7573657231"}],
               states=[{"name": "peruser", "remaining": 10000, "reset_s": 3, "partition_key": "7573657231"}]))
    c.append(h("ietf tokens as names (draft-08 style)", 200,
               [("RateLimit-Policy", "burst;q=100;w=60"), ("RateLimit", "burst;r=7;t=2")],
               limit=100, remaining=7, source="ietf"))
    c.append(h("ietf policy split over two header lines", 200,
               [("RateLimit-Policy", '"a";q=10;w=1'), ("RateLimit-Policy", '"b";q=600;w=60'),
                ("RateLimit", '"a";r=4;t=1, "b";r=500;t=40')],
               limit=10, remaining=4, window_ms=1000))
    c.append(h("ietf non-integer r member is ignored", 200,
               [("RateLimit", '"default";r=abc;t=3, "other";r=5;t=1')],
               remaining=5, rejected=[{"header": "ratelimit", "value": "default", "reason": "bad_member"}]))
    c.append(h("ietf member without q is ignored", 200,
               [("RateLimit-Policy", '"x";w=10, "y";q=5;w=1'), ("RateLimit", '"y";r=1;t=1')],
               limit=5, rejected=[{"header": "ratelimit-policy", "value": "x", "reason": "bad_member"}]))
    c.append(h("ietf negative r is ignored", 200, [("RateLimit", '"d";r=-1;t=3')], remaining=None,
               rejected=[{"reason": "bad_member"}]))
    c.append(h("ietf unterminated string is a bad field", 200,
               [("RateLimit-Policy", '"unterminated;q=1'), ("RateLimit", '"d";r=3;t=3')],
               remaining=3, policies=[], rejected=[{"header": "ratelimit-policy", "reason": "bad_structured_field"}]))
    c.append(h("ietf garbage ratelimit field", 200, [("RateLimit", "@@@")], remaining=None,
               rejected=[{"header": "ratelimit", "reason": "bad_structured_field"}]))
    c.append(h("ietf inner list member is ignored", 200, [("RateLimit", '("a" "b");r=1, "c";r=2;t=1')],
               remaining=2))
    c.append(h("ietf state without policy", 429, [("RateLimit", '"d";r=0;t=12')], limit=None, remaining=0,
               reset_ms=12000, wait_ms=12000))
    c.append(h("ietf state without t", 200, [("RateLimit", '"d";r=3')], remaining=3, reset_ms=None))
    c.append(h("ietf huge t is capped", 429, [("RateLimit", '"d";r=0;t=999999999999999')], wait_ms=H6,
               capped=True))
    c.append(h("ietf wins over x-ratelimit", 200,
               [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "5"),
                ("RateLimit-Policy", '"d";q=50;w=60'), ("RateLimit", '"d";r=20;t=10')],
               source="ietf", limit=50, remaining=20))
    c.append(h("ietf with retry-after: retry-after wins for the wait", 429,
               [("Retry-After", "9"), ("RateLimit", '"d";r=0;t=30')], wait_ms=9000, wait_source="retry_after",
               reset_ms=30000))
    c.append(h("ietf draft-07 dictionary", 429, [("RateLimit", "limit=100, remaining=0, reset=30")],
               source="ietf_draft07", limit=100, remaining=0, reset_ms=30000, wait_ms=30000))
    c.append(h("ietf draft-07 dictionary with policy", 200,
               [("RateLimit", "limit=10, remaining=6, reset=1"), ("RateLimit-Policy", "10;w=1")],
               source="ietf_draft07", limit=10, remaining=6))
    c.append(h("ratelimit trio (draft-03..06)", 429,
               [("RateLimit-Limit", "10"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "7")],
               source="ratelimit_trio", limit=10, remaining=0, reset_ms=7000, wait_ms=7000))
    c.append(h("ratelimit trio with quota policy parameters", 200,
               [("RateLimit-Limit", "100, 100;w=60"), ("RateLimit-Remaining", "42"), ("RateLimit-Reset", "20")],
               source="ratelimit_trio", limit=100, remaining=42, reset_ms=20000))
    # --- Genesys
    gen429 = [("Retry-After", "30"), ("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "300"),
              ("inin-ratelimit-reset", "30"), ("inin-correlation-id", "1b2c"), ("Content-Type", "application/json")]
    c.append(h("genesys 429", 429, gen429, GENESYS_BODY % 30, source="genesys", limit=300, remaining=0,
               reset_ms=30000, wait_ms=30000, wait_source="retry_after"))
    c.append(h("genesys 200 headers", 200,
               [("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "42"), ("inin-ratelimit-reset", "17")],
               source="genesys", limit=300, remaining=258, reset_ms=17000, wait_ms=None))
    c.append(h("genesys body only (headers lost)", 429, [("Content-Type", "application/json")], GENESYS_BODY % 45,
               wait_ms=45000, wait_source="body"))
    c.append(h("genesys body without brackets", 429, [], "Retry the request in 12 seconds", wait_ms=12000,
               wait_source="body"))
    c.append(h("genesys body in other case", 429, [], "RETRY THE REQUEST IN [3] SECONDS", wait_ms=3000))
    c.append(h("genesys body ignored when retry-after is present", 429, [("Retry-After", "5")], GENESYS_BODY % 60,
               wait_ms=5000, wait_source="retry_after"))
    c.append(h("genesys body ignored on 200", 200, [], GENESYS_BODY % 60, wait_ms=None))
    c.append(h("genesys body with garbage number", 429, [], "Retry the request in [abc] seconds", wait_ms=None))
    c.append(h("genesys body huge number is capped", 429, [], GENESYS_BODY % 999999999, wait_ms=H6, capped=True))
    c.append(h("genesys body number too long is ignored", 429, [], "Retry the request in [1234567890123] seconds",
               wait_ms=None))
    c.append(h("genesys count above allowed", 429,
               [("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "301"), ("inin-ratelimit-reset", "2")],
               remaining=0, wait_ms=2000, wait_source="reset"))
    c.append(h("genesys reset garbage", 200,
               [("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "1"), ("inin-ratelimit-reset", "x")],
               remaining=299, reset_ms=None, rejected=[{"header": "inin-ratelimit-reset"}]))
    c.append(h("genesys names in capitals", 200,
               [("ININ-RateLimit-Allowed", "300"), ("ININ-RATELIMIT-COUNT", "10")], remaining=290))
    c.append(h("genesys body with retry-after lost but inin reset present", 429,
               [("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "300"), ("inin-ratelimit-reset", "25")],
               GENESYS_BODY % 25, wait_ms=25000, wait_source="reset"))
    # --- Shopify
    c.append(h("shopify call limit", 200, [("X-Shopify-Shop-Api-Call-Limit", "32/40")], source="shopify",
               limit=40, remaining=8))
    c.append(h("shopify 429 with fractional retry-after", 429,
               [("X-Shopify-Shop-Api-Call-Limit", "40/40"), ("Retry-After", "2.0")], remaining=0, wait_ms=2000,
               retry_after_lenient=True))
    c.append(h("shopify used above limit", 200, [("X-Shopify-Shop-Api-Call-Limit", "50/40")], remaining=0,
               rejected=[{"reason": "inconsistent"}]))
    c.append(h("shopify garbage", 200, [("X-Shopify-Shop-Api-Call-Limit", "lots")], source=None,
               rejected=[{"reason": "not_a_number"}]))
    c.append(h("shopify zero limit", 200, [("X-Shopify-Shop-Api-Call-Limit", "0/0")], source=None))
    # --- hostile and invalid input
    c.append(h("status 99 is invalid", 99, [], **err("invalid_status")))
    c.append(h("status 600 is invalid", 600, [], **err("invalid_status")))
    c.append(h("max_wait 0 is invalid", 429, [], options={"max_wait_ms": 0}, **err("invalid_option")))
    c.append(h("max_wait above 30 days is invalid", 429, [], options={"max_wait_ms": 2592000001},
               **err("invalid_option")))
    c.append(h("unknown headers are ignored", 429,
               [("X-Foo", "1"), ("Retry-After-Foo", "9"), ("ratelimitx", "1"), ("", ""), ("d", "x")],
               wait_ms=None, rejected=[]))
    c.append(h("many headers, one retry-after", 429,
               [(f"X-Noise-{i}", str(i)) for i in range(40)] + [("Retry-After", "11")], wait_ms=11000))
    c.append(h("every family at once", 429,
               gen429 + gh + [("RateLimit", '"d";r=0;t=20'), ("X-Shopify-Shop-Api-Call-Limit", "1/2")],
               GENESYS_BODY % 30, source="ietf", wait_ms=30000))
    c.append(h("control characters in values", 429, [("Retry-After", "3\u0000"), ("X-RateLimit-Limit", "\t5\t")],
               wait_ms=None, limit=5))
    c.append(h("now at zero", 429, [("Retry-After", http_date(60_000))], now=0, wait_ms=60000))
    c.append(h("now near 2^53", 429, [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "30")],
               now=9007199254740991, wait_ms=30000))
    for v in ["5", "30", "60", "90"]:
        c.append(h(f"genesys-style retry-after {v} with count headers", 429,
                   [("Retry-After", v), ("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "300"),
                    ("inin-ratelimit-reset", v)], wait_ms=int(v) * 1000, remaining=0))
    c.extend(beyond_genesys_cases())
    return c


def iso(ms):
    """RFC 3339 UTC with milliseconds when there are any."""
    t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
    return t + (f".{ms % 1000:03d}" if ms % 1000 else "") + "Z"


def beyond_genesys_cases():
    """Header families of other vendors; each name cites the vendor's documentation."""
    c = []
    # RFC 9110 §10.2.3: delay-seconds = 1*DIGIT. A sign is neither delay-seconds nor a date.
    rfc = "(https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3)"
    c.append(h(f"retry-after +5 is not delay-seconds {rfc}", 429, [("Retry-After", "+5")],
               wait_ms=None, rejected=[{"header": "retry-after", "value": "+5", "reason": "bad_date"}]))
    c.append(h(f"retry-after merged +5 member is ignored {rfc}", 429, [("Retry-After", "+5, 7")], wait_ms=7000))
    # Azure SDKs and openai-python read retry-after-ms / x-ms-retry-after-ms as milliseconds.
    az = "(https://app.unpkg.com/@azure/core-rest-pipeline@1.19.1/files/dist/esm/retryStrategies/throttlingRetryStrategy.js)"
    c.append(h(f"retry-after-ms milliseconds {az}", 429, [("retry-after-ms", "1500")],
               retry_after_ms=1500, wait_ms=1500, wait_source="retry_after", rejected=[]))
    c.append(h(f"x-ms-retry-after-ms with a shorter retry-after: the longer wins {az}", 429,
               [("Retry-After", "1"), ("x-ms-retry-after-ms", "2500")], wait_ms=2500))
    c.append(h(f"retry-after-ms above the cap is capped {az}", 429, [("retry-after-ms", "99999999999")],
               wait_ms=H6, capped=True))
    c.append(h(f"retry-after-ms garbage {az}", 429, [("retry-after-ms", "soon")], wait_ms=None,
               rejected=[{"header": "retry-after-ms", "reason": "not_a_number"}]))
    # OpenAI: limit/remaining/reset per requests and tokens; resets are Go durations.
    oai = "(https://platform.openai.com/docs/guides/rate-limits)"
    openai = [("x-ratelimit-limit-requests", "60"), ("x-ratelimit-limit-tokens", "150000"),
              ("x-ratelimit-remaining-requests", "59"), ("x-ratelimit-remaining-tokens", "149984"),
              ("x-ratelimit-reset-requests", "1s"), ("x-ratelimit-reset-tokens", "6m0s")]
    c.append(h(f"openai requests window binds {oai}", 200, openai, source="x_ratelimit", limit=60,
               remaining=59, reset_ms=1000, wait_ms=None, rejected=[]))
    c.append(h(f"openai tokens exhausted bind {oai}", 429,
               [("x-ratelimit-limit-requests", "60"), ("x-ratelimit-remaining-requests", "12"),
                ("x-ratelimit-reset-requests", "20ms"), ("x-ratelimit-limit-tokens", "150000"),
                ("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "6m0s")],
               limit=150000, remaining=0, reset_ms=360000, wait_ms=360000, wait_source="reset"))
    c.append(h(f"openai fractional go duration {oai}", 429,
               [("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "1m59.274s")],
               remaining=0, reset_ms=119274, wait_ms=119274))
    c.append(h(f"openai go duration in hours is capped {oai}", 429,
               [("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "100h")],
               reset_ms=H6, capped=True))
    c.append(h(f"openai bad go duration unit {oai}", 200,
               [("x-ratelimit-remaining-requests", "3"), ("x-ratelimit-reset-requests", "5d")],
               remaining=3, reset_ms=None,
               rejected=[{"header": "x-ratelimit-reset-requests", "value": "5d", "reason": "not_a_number"}]))
    c.append(h(f"openai float counts are floored {oai}", 200,
               [("x-ratelimit-limit-requests", "600.0"), ("x-ratelimit-remaining-requests", "598.0")],
               limit=600, remaining=598, rejected=[]))
    c.append(h("float counts are floored (x-ratelimit-remaining: 4.9)", 200,
               [("X-RateLimit-Limit", "10.0"), ("X-RateLimit-Remaining", "4.9")], limit=10, remaining=4))
    # Anthropic: resets are RFC 3339 timestamps.
    ant = "(https://docs.anthropic.com/en/api/rate-limits)"
    c.append(h(f"anthropic requests exhausted, rfc 3339 reset {ant}", 429,
               [("retry-after", "20"), ("anthropic-ratelimit-requests-limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "0"),
                ("anthropic-ratelimit-requests-reset", iso(NOW + 20_000)),
                ("anthropic-ratelimit-tokens-limit", "40000"), ("anthropic-ratelimit-tokens-remaining", "39000"),
                ("anthropic-ratelimit-tokens-reset", iso(NOW + 1_500))],
               source="x_ratelimit", limit=50, remaining=0, reset_ms=20000, wait_ms=20000,
               wait_source="retry_after", rejected=[]))
    c.append(h(f"anthropic output tokens bind, fractional reset {ant}", 200,
               [("anthropic-ratelimit-requests-limit", "1000"), ("anthropic-ratelimit-requests-remaining", "999"),
                ("anthropic-ratelimit-output-tokens-limit", "16000"),
                ("anthropic-ratelimit-output-tokens-remaining", "12"),
                ("anthropic-ratelimit-output-tokens-reset", iso(NOW + 2_250))],
               limit=16000, remaining=12, reset_ms=2250))
    c.append(h(f"anthropic input tokens exhausted, reset with zone offset {ant}", 429,
               [("anthropic-ratelimit-input-tokens-limit", "40000"),
                ("anthropic-ratelimit-input-tokens-remaining", "0"),
                ("anthropic-ratelimit-input-tokens-reset", "2023-11-15T00:13:50+02:00")],
               remaining=0, reset_ms=30000, wait_ms=30000, wait_source="reset"))
    c.append(h(f"anthropic reset in the past is 0 {ant}", 429,
               [("anthropic-ratelimit-tokens-remaining", "0"),
                ("anthropic-ratelimit-tokens-reset", "2023-11-14T22:00:00Z")], reset_ms=0, wait_ms=0))
    c.append(h(f"anthropic reset without a zone is rejected {ant}", 200,
               [("anthropic-ratelimit-tokens-remaining", "5"),
                ("anthropic-ratelimit-tokens-reset", "2023-11-14T22:14:00")], remaining=5, reset_ms=None,
               rejected=[{"reason": "bad_date"}]))
    # Jira Cloud: X-RateLimit-Reset as ISO 8601 with minute precision (yyyy-MM-ddTHH:mmZ).
    jira = "(https://developer.atlassian.com/cloud/jira/platform/rate-limiting)"
    c.append(h(f"jira iso 8601 minute-precision reset {jira}", 429,
               [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "2023-11-14T22:14Z"), ("RateLimit-Reason", "jira-burst-based")],
               source="x_ratelimit", limit=100, remaining=0, reset_ms=40000, wait_ms=40000, rejected=[]))
    c.append(h(f"jira retry-after with iso reset {jira}", 429,
               [("Retry-After", "5"), ("X-RateLimit-Reset", "2023-11-14T22:13:25.000Z")],
               reset_ms=5000, wait_ms=5000, wait_source="retry_after"))
    # GitLab: RateLimit-Reset is epoch seconds, read by magnitude like X-RateLimit-Reset.
    gl = "(https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/)"
    c.append(h(f"gitlab ratelimit-reset epoch seconds {gl}", 429,
               [("RateLimit-Limit", "60"), ("RateLimit-Name", "throttle_authenticated_web"),
                ("RateLimit-Observed", "67"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", str(S + 30)),
                ("RateLimit-ResetTime", http_date(NOW + 30_000))],
               source="ratelimit_trio", limit=60, remaining=0, reset_ms=30000, wait_ms=30000, capped=False))
    c.append(h(f"gitlab ratelimit-reset epoch in the past {gl}", 429,
               [("RateLimit-Remaining", "0"), ("RateLimit-Reset", str(S - 5))], reset_ms=0, wait_ms=0))
    # GitHub: epoch seconds.
    gh = "(https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api)"
    c.append(h(f"github exhausted with x-ratelimit-used {gh}", 403,
               [("x-ratelimit-limit", "5000"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-used", "5000"),
                ("x-ratelimit-reset", str(S + 60)), ("x-ratelimit-resource", "core")],
               limit=5000, remaining=0, reset_ms=60000, wait_ms=60000, wait_source="reset"))
    # X (Twitter): x-rate-limit-* with an epoch-seconds reset.
    xdoc = "(https://docs.x.com/fundamentals/rate-limits)"
    c.append(h(f"x api 15-minute window {xdoc}", 200,
               [("x-rate-limit-limit", "900"), ("x-rate-limit-remaining", "847"), ("x-rate-limit-reset", str(S + 600))],
               source="x_ratelimit", limit=900, remaining=847, reset_ms=600000, wait_ms=None))
    # Discord: fractional epoch reset, reset-after, bucket and scope (ignored).
    dc = "(https://docs.discord.com/developers/topics/rate-limits)"
    c.append(h(f"discord bucket exhausted {dc}", 429,
               [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", f"{S + 1}.250"),
                ("X-RateLimit-Reset-After", "1.250"), ("X-RateLimit-Bucket", "abcd1234"),
                ("X-RateLimit-Scope", "user")],
               source="x_ratelimit", limit=5, remaining=0, reset_ms=1250, wait_ms=1250, rejected=[]))
    c.append(h(f"discord global limit with retry-after {dc}", 429,
               [("Retry-After", "65"), ("X-RateLimit-Global", "true"), ("X-RateLimit-Scope", "global")],
               wait_ms=65000, wait_source="retry_after", rejected=[]))
    c.append(h(f"discord reset-after only {dc}", 200,
               [("X-RateLimit-Remaining", "4"), ("X-RateLimit-Reset-After", "64.57")], remaining=4, reset_ms=64570))
    # HubSpot: several windows, the binding one is the lowest remaining.
    hs = "(https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details)"
    hsc = "(https://developers.hubspot.com/changelog/2018-11-06-rate-limit-information-headers-will-be-included-in-http-responses)"
    c.append(h(f"hubspot secondly window binds {hsc}", 200,
               [("X-HubSpot-RateLimit-Daily", "250000"), ("X-HubSpot-RateLimit-Daily-Remaining", "249000"),
                ("X-HubSpot-RateLimit-Secondly", "10"), ("X-HubSpot-RateLimit-Secondly-Remaining", "9")],
               source="x_ratelimit", limit=10, remaining=9, window_ms=1000, rejected=[]))
    c.append(h(f"hubspot interval window {hs}", 200,
               [("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"), ("X-HubSpot-RateLimit-Max", "100"),
                ("X-HubSpot-RateLimit-Remaining", "97"), ("X-HubSpot-RateLimit-Daily", "500000"),
                ("X-HubSpot-RateLimit-Daily-Remaining", "499000")],
               limit=100, remaining=97, window_ms=10000))
    c.append(h(f"hubspot daily exhausted binds {hs}", 429,
               [("Retry-After", "3"), ("X-HubSpot-RateLimit-Max", "100"), ("X-HubSpot-RateLimit-Remaining", "50"),
                ("X-HubSpot-RateLimit-Interval-Milliseconds", "10000"), ("X-HubSpot-RateLimit-Daily", "250000"),
                ("X-HubSpot-RateLimit-Daily-Remaining", "0")],
               limit=250000, remaining=0, window_ms=86400000, wait_ms=3000))
    # HighLevel: the same shape without the vendor prefix.
    hl = "(https://marketplace.gohighlevel.com/docs/other/rate-limits)"
    c.append(h(f"highlevel burst window binds {hl}", 200,
               [("X-RateLimit-Limit-Daily", "200000"), ("X-RateLimit-Daily-Remaining", "199990"),
                ("X-RateLimit-Interval-Milliseconds", "10000"), ("X-RateLimit-Max", "100"),
                ("X-RateLimit-Remaining", "95")],
               source="x_ratelimit", limit=100, remaining=95, window_ms=10000, rejected=[]))
    c.append(h(f"highlevel daily exhausted binds {hl}", 429,
               [("X-RateLimit-Limit-Daily", "200000"), ("X-RateLimit-Daily-Remaining", "0"),
                ("X-RateLimit-Max", "100"), ("X-RateLimit-Remaining", "95")],
               limit=200000, remaining=0, window_ms=86400000))
    # Gorgias: used/limit like Shopify.
    gor = "(https://developers.gorgias.com/reference/limitations)"
    c.append(h(f"gorgias call limit {gor}", 200, [("X-Gorgias-Account-Api-Call-Limit", "10/40")],
               source="shopify", limit=40, remaining=30, rejected=[]))
    c.append(h(f"gorgias exhausted with retry-after {gor}", 429,
               [("Retry-after", "5"), ("X-Gorgias-Account-Api-Call-Limit", "40/40")], remaining=0, wait_ms=5000))
    # Salesforce: Sforce-Limit-Info api-usage=used/limit (and per-app usage).
    sf = "(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm)"
    c.append(h(f"salesforce api-usage {sf}", 200, [("Sforce-Limit-Info", "api-usage=18/5000")],
               source="shopify", limit=5000, remaining=4982, rejected=[]))
    c.append(h(f"salesforce per-app usage binds {sf}", 200,
               [("Sforce-Limit-Info", "api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)")],
               limit=250, remaining=233, rejected=[]))
    c.append(h(f"salesforce over the daily limit (bursts) {sf}", 200,
               [("Sforce-Limit-Info", "api-usage=110018/100000; api-bursts=1/750")],
               limit=100000, remaining=0, rejected=[{"header": "sforce-limit-info", "reason": "inconsistent"}]))
    c.append(h(f"salesforce garbage {sf}", 200, [("Sforce-Limit-Info", "lots")], source=None,
               rejected=[{"header": "sforce-limit-info", "reason": "not_a_number"}]))
    # Heroku: RateLimit-Remaining alone.
    hk = "(https://devcenter.heroku.com/articles/platform-api-reference#rate-limits)"
    c.append(h(f"heroku ratelimit-remaining only {hk}", 200, [("RateLimit-Remaining", "4500")],
               source="ratelimit_trio", remaining=4500, limit=None))
    # Hostile servers: values never fail the parse.
    ietf = "(https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/)"
    c.append(h(f"ietf window beyond 2^53 ms is rejected, parse goes on {ietf}", 429,
               [("RateLimit-Policy", '"p";q=1;w=999999999999999, "ok";q=5;w=1'),
                ("RateLimit", '"p";r=0;t=2')],
               policies=[{"name": "ok", "quota": 5, "quota_unit": "requests", "window_s": 1, "partition_key": None}],
               remaining=0, wait_ms=2000,
               rejected=[{"header": "ratelimit-policy", "value": "p", "reason": "too_large"}]))
    c.append(h(f"ietf 49.7-day window is kept as the server said {ietf}", 200,
               [("RateLimit-Policy", '"p";q=1;w=4294967'), ("RateLimit", '"p";r=0')],
               limit=1, remaining=0, window_ms=4294967000, wait_ms=None))
    c.append(h(f"ietf structured field over 8192 bytes is rejected {ietf}", 200,
               [("RateLimit-Policy", ", ".join(f'"p{i}";q={i};w=1' for i in range(800)))],
               policies=[], rejected=[{"header": "ratelimit-policy", "reason": "too_large"}]))
    c.append(h(f"ietf list beyond 64 members: the rest ignored {ietf}", 200,
               [("RateLimit", ", ".join(f'"s{i}";r={i + 1}' for i in range(70)))],
               remaining=1, rejected=[{"header": "ratelimit", "value": "70 members", "reason": "too_large"}]))
    c.append(h("rejections beyond 32 are counted in the last entry", 200,
               [("X-RateLimit-Limit", f"bad{i}") for i in range(40)],
               rejected=[{"header": "x-ratelimit-limit", "value": "bad0", "reason": "not_a_number"}]))
    c.append(h("x-ratelimit-reset http-date", 429,
               [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", http_date(NOW + 9_000))], reset_ms=9000))
    return c


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


def write(kind, cases):
    path = os.path.join(HERE, f"{kind}.json")
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            for case in json.load(f).get("cases", []):
                old[case["name"]] = case
    names = set()
    for case in cases:
        assert case["name"] not in names, case["name"]
        names.add(case["name"])
        prev = old.get(case["name"])
        if prev and "expect" in prev:
            same = {k: v for k, v in prev.items() if k != "expect"} == case
            if same:
                case["expect"] = prev["expect"]
    with open(path, "w") as f:
        json.dump({"$schema": "./schema.json", "kind": kind, "cases": cases}, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return len(cases)


if __name__ == "__main__":
    total = 0
    for kind, fn in [("headers", headers_cases), ("bucket", bucket_cases), ("backoff", backoff_cases),
                     ("plan", plan_cases)]:
        n = write(kind, fn())
        print(f"{kind}: {n} cases")
        total += n
    print(f"total: {total}")
