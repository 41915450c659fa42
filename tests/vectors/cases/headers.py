"""Header cases (headers.json): Retry-After, the Genesys inin-ratelimit-* family, X-RateLimit-*,
IETF RateLimit, dates and the engine's options."""
from .common import NOW, S, H6, http_date, rfc850, asctime, GENESYS_BODY, h, err
from .vendors import beyond_genesys_cases


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
