"""pacekeeper: a pure, deterministic rate-limit and backoff engine.

The engine is written in Rust; this package wraps its private native module ``pacekeeper._native``.

Conventions (the same in every runtime):

- engine calls take and return **integer epoch milliseconds** (``now``, ``until``, ``at``) and
  integer millisecond durations (``wait_ms``, ``delay_ms``); ``now=None`` reads the system clock;
- helpers that sleep (:class:`Pacer`, the tenacity, requests, httpx and Genesys helpers) read and
  sleep through an injected :class:`Clock` (``now_ms()`` in ms, ``sleep(seconds)`` in float
  seconds like :func:`time.sleep`), :class:`SystemClock` by default;
- results are immutable objects with attributes and ``to_dict()`` returning the core's JSON;
- invalid input raises :class:`PacekeeperError` (a ``ValueError``) with a stable ``.code``, or
  :class:`PacekeeperTypeError` (also a ``TypeError``) for ``invalid_argument``.
"""

from __future__ import annotations

from ._clock import SYSTEM_CLOCK, Clock, FakeClock, SystemClock
from ._errors import PacekeeperError, PacekeeperTypeError
from ._extract import ResponseInfo, response_info
from ._native import (
    After,
    Backoff,
    Batch,
    Decision,
    Limiter,
    PacerCore,
    Plan,
    Policy,
    PolicyState,
    Reading,
    Rejection,
    RetryBudget,
    RetryState,
    Step,
    Verdict,
    error_codes,
    now_ms,
    parse_headers,
    plan,
    replan,
    token_key,
    version,
)
from ._runtime import GiveUp, Pacer, PacerStats

__version__: str = version()

__all__ = [
    "SYSTEM_CLOCK",
    "After",
    "Backoff",
    "Batch",
    "Clock",
    "Decision",
    "FakeClock",
    "GiveUp",
    "Limiter",
    "Pacer",
    "PacerCore",
    "PacerStats",
    "PacekeeperError",
    "PacekeeperTypeError",
    "Plan",
    "Policy",
    "PolicyState",
    "Reading",
    "Rejection",
    "ResponseInfo",
    "RetryBudget",
    "RetryState",
    "Step",
    "SystemClock",
    "Verdict",
    "__version__",
    "error_codes",
    "now_ms",
    "parse_headers",
    "plan",
    "replan",
    "token_key",
    "response_info",
    "version",
]
