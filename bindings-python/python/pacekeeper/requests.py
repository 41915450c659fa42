"""requests and urllib3: a paced, retrying ``HTTPAdapter`` and a ``Retry`` without hidden waits.

::

    import requests
    from pacekeeper.requests import PacekeeperAdapter

    session = requests.Session()
    session.mount("https://", PacekeeperAdapter(limits=[{"amount": 5, "period_ms": 1000, "burst": 15}]))

Every request is paced per key (the host by default), observed, and retried on the engine's
decision; the last response is returned as usual (``raise_for_status`` still works).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import requests as _requests
import urllib3
from requests.adapters import HTTPAdapter

from ._clock import Clock
from ._native import Backoff, Limiter, RetryBudget
from ._runtime import Pacer

__all__ = ["PacekeeperAdapter", "no_retry"]


def no_retry() -> urllib3.util.Retry:
    """A urllib3 ``Retry`` that never retries, sleeps or raises on a status: pacekeeper decides."""
    return urllib3.util.Retry(total=False, redirect=False, raise_on_status=False, respect_retry_after_header=False)


def _host_key(request: Any) -> str:
    return urllib3.util.parse_url(request.url).netloc or "default"


class PacekeeperAdapter(HTTPAdapter):  # type: ignore[misc]
    """An ``HTTPAdapter`` that paces, observes and retries through a :class:`~pacekeeper.Pacer`.

    ``key(request)`` names the bucket (default: the host). Pass ``pacer`` to share buckets with
    other adapters or threads."""

    def __init__(
        self,
        pacer: Optional[Pacer] = None,
        *,
        limits: Sequence[Any] = (),
        limiter: Optional[Limiter] = None,
        backoff: Optional[Backoff] = None,
        budget: Optional[RetryBudget] = None,
        clock: Optional[Clock] = None,
        key: Callable[[Any], str] = _host_key,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("max_retries", no_retry())
        super().__init__(**kwargs)
        self.pacer = pacer if pacer is not None else Pacer(
            limiter if limiter is not None else Limiter(list(limits)), backoff=backoff, budget=budget, clock=clock
        )
        self.key = key

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        parent = super().send
        return self.pacer.call(
            lambda: parent(request, **kwargs),
            key=self.key(request),
            network_errors=(_requests.ConnectionError, _requests.Timeout),
            discard=lambda r: r.close(),
        )
