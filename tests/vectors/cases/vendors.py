"""Header cases of other vendors' families (part of headers.json); each name cites the vendor's
documentation."""
from .common import NOW, S, H6, http_date, iso, h


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
