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

import time
from typing import Any, Callable, Iterator, Optional, Sequence

import requests as _requests
import urllib3
from requests.adapters import HTTPAdapter

from ._clock import Clock
from ._extract import BODY_LIMIT, BODY_TIMEOUT_S
from ._native import Backoff, Limiter, RetryBudget
from ._runtime import Pacer

__all__ = ["PacekeeperAdapter", "no_retry"]


def no_retry() -> urllib3.util.Retry:
    """A urllib3 ``Retry`` that never retries, sleeps or raises on a status: pacekeeper decides.
    ``total=0`` (requests' own default), not ``False``: a refused connection then surfaces as
    requests' ``ConnectionError`` (a network error the pacer retries), not a raw urllib3 error."""
    return urllib3.util.Retry(
        total=0, read=False, redirect=False, raise_on_status=False, respect_retry_after_header=False
    )


def _read_timeout_s(timeout: Any) -> float:
    """The read timeout of a requests ``timeout`` (a number, ``(connect, read)`` or a urllib3
    ``Timeout``), else :data:`~pacekeeper._extract.BODY_TIMEOUT_S`."""
    if isinstance(timeout, tuple) and len(timeout) == 2:
        timeout = timeout[1]
    elif isinstance(timeout, urllib3.util.Timeout):
        timeout = timeout.read_timeout
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    return BODY_TIMEOUT_S


class _Replay:
    """A urllib3 response whose first bytes were read already: reads give them back first, so
    the caller still sees the whole body."""

    def __init__(self, prefix: bytes, raw: Any) -> None:
        self._prefix = prefix
        self._raw = raw

    def read(self, amt: Optional[int] = None, *args: Any, **kwargs: Any) -> bytes:
        if self._prefix:
            if amt is None:
                head, self._prefix = self._prefix, b""
                return head + self._raw.read(None, *args, **kwargs)
            head, self._prefix = self._prefix[:amt], self._prefix[amt:]
            return head
        return self._raw.read(amt, *args, **kwargs)  # type: ignore[no-any-return]

    def stream(self, amt: int = 2**16, decode_content: Optional[bool] = None) -> Iterator[bytes]:
        if self._prefix:
            head, self._prefix = self._prefix, b""
            yield head
        yield from self._raw.stream(amt, decode_content=decode_content)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _body_reader(timeout: Any) -> Callable[[Any], Optional[str]]:
    """Reads at most ``BODY_LIMIT`` bytes of a response's unread body within the request's read
    timeout (checked between reads; each read returns as soon as any bytes arrive), and leaves
    them readable by the caller."""

    def read_body(response: Any) -> Optional[str]:
        raw = getattr(response, "raw", None)
        if raw is None or getattr(response, "_content", False) is not False:
            return None
        read1 = getattr(raw, "read1", None)
        deadline = time.monotonic() + _read_timeout_s(timeout)
        chunks: list = []
        size = 0
        try:
            while size < BODY_LIMIT and time.monotonic() < deadline:
                want = BODY_LIMIT - size
                chunk = read1(want) if callable(read1) else raw.read(want)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except Exception:  # noqa: BLE001 - a broken or slow body: use what arrived
            pass
        prefix = b"".join(chunks)
        response.raw = _Replay(prefix, raw)
        return prefix[:BODY_LIMIT].decode("utf-8", "replace")

    return read_body


def _host_key(request: Any) -> str:
    return urllib3.util.parse_url(request.url).netloc or "default"


class PacekeeperAdapter(HTTPAdapter):  # type: ignore[misc]
    """An ``HTTPAdapter`` that paces, observes and retries through a :class:`~pacekeeper.Pacer`.

    ``key(request)`` names the bucket (default: the host). Pass ``pacer`` to share buckets with
    other adapters or threads. Bodies: a successful response's body is never touched (a
    ``stream=True`` body stays unread); of an error response at most 4 KB are read, only when
    its headers are throttled without a wait (the Genesys body hint), within the request's read
    timeout. ``store`` (a :class:`~pacekeeper.store_redis.RedisStore`), ``shared`` and
    ``on_store_event`` share each key's budget between processes (see :class:`~pacekeeper.Pacer`)."""

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
        store: Any = None,
        shared: Optional[dict] = None,
        on_store_event: Optional[Callable[[Any], None]] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("max_retries", no_retry())
        super().__init__(**kwargs)
        self.pacer = pacer if pacer is not None else Pacer(
            limiter if limiter is not None else Limiter(limits), backoff=backoff, budget=budget, clock=clock,
            store=store, shared=shared, on_store_event=on_store_event,
        )
        self.key = key

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        parent = super().send
        return self.pacer.call(
            lambda: parent(request, **kwargs),
            key=self.key(request),
            network_errors=(_requests.ConnectionError, _requests.Timeout),
            discard=lambda r: r.close(),
            read_body=_body_reader(kwargs.get("timeout")),
        )
