"""Per-call cost of the pyo3 calls the issue-9 cut of the Python bindings touched, for an A/B
against another build in the same run (BENCHMARKS.md, issue 9):

    pip install --no-deps --target /tmp/pk-base <base wheel>
    for i in 1 2 3 4 5 6 7; do PYTHONPATH=/tmp/pk-base .venv/bin/python bindings-python/bench/ab.py
                               .venv/bin/python bindings-python/bench/ab.py; done

Each figure is the best of 5 timeit repeats of 50,000 calls, in ns per call.
"""
import timeit

from pacekeeper import _native as n
N = 50_000
def ns(fn, k=N): return min(timeit.repeat(fn, number=k, repeat=5)) / k * 1e9
now = 1_700_000_000_000
big = {"amount": 1_000_000, "period_ms": 1, "burst": 1_000_000}
lim = n.Limiter([big])
v = lim.check("a", now=now)
hdr = [("Retry-After", "3"), ("inin-ratelimit-allowed", "300"), ("inin-ratelimit-count", "300"), ("inin-ratelimit-reset", "30")]
r = n.parse_headers(429, hdr, now=now)
p = n.PacerCore(limits=[big])
ok = n.parse_headers(200, [], now=now)
def begin_finish():
    s = p.begin("k", now=now)
    p.finish(s.ticket, ok, now=now)
s = p.begin("k", now=now); a = p.finish(s.ticket, ok, now=now)
bo = n.Backoff()
rows = [
  ("Limiter.check", lambda: lim.check("a", now=now)),
  ("Verdict getters (decision, remaining)", lambda: (v.decision, v.remaining)),
  ("parse_headers 429 4 headers", lambda: n.parse_headers(429, hdr, now=now)),
  ("Reading getters (wait_ms, source)", lambda: (r.wait_ms, r.source)),
  ("PacerCore begin+finish", begin_finish),
  ("Step getters (action, ticket, until)", lambda: (s.action, s.ticket, s.until)),
  ("After getters (action, at, reason)", lambda: (a.action, a.at, a.reason)),
  ("Step.to_dict", lambda: s.to_dict()),
  ("Backoff.decide (200)", lambda: bo.decide(n.RetryState(now, 1), ok, now=now)),
]
for name, fn in rows:
    print(f"{name:<42} {ns(fn):8.0f} ns")
