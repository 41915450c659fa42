"""What every kind of case uses: the fixed `now`, date formats, and the case builders."""
import time

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


def iso(ms):
    """RFC 3339 UTC with milliseconds when there are any."""
    t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
    return t + (f".{ms % 1000:03d}" if ms % 1000 else "") + "Z"


def h(name, status, headers, body=None, now=NOW, options=None, **a):
    c = {"name": name, "status": status, "headers": [list(p) for p in headers], "body": body, "now": now}
    if options:
        c["options"] = options
    if a:
        c["assert"] = a
    return c


def err(code):
    return {"error": code}
