"""httpx transports (sync and async) that pace, observe and retry.

::

    import httpx
    from pacekeeper.httpx import PacekeeperTransport, AsyncPacekeeperTransport

    client = httpx.Client(transport=PacekeeperTransport(limits=[{"amount": 5, "period_ms": 1000}]))
    aclient = httpx.AsyncClient(transport=AsyncPacekeeperTransport())

The bucket key is the host by default. Error responses are read so their body (the Genesys
429 text) can be parsed; a response retried past is closed.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import httpx as _httpx

from ._clock import Clock
from ._native import Backoff, Limiter, RetryBudget
from ._runtime import Pacer

__all__ = ["AsyncPacekeeperTransport", "PacekeeperTransport"]


def _host_key(request: _httpx.Request) -> str:
    return request.url.netloc.decode("ascii", "replace") or "default"


def _pacer(pacer: Optional[Pacer], limits: Sequence[Any], limiter: Optional[Limiter], backoff: Optional[Backoff], budget: Optional[RetryBudget], clock: Optional[Clock]) -> Pacer:
    if pacer is not None:
        return pacer
    return Pacer(limiter if limiter is not None else Limiter(list(limits)), backoff=backoff, budget=budget, clock=clock)


class PacekeeperTransport(_httpx.BaseTransport):
    """Wraps ``transport`` (default ``httpx.HTTPTransport()``) with pacing and retries."""

    def __init__(
        self,
        transport: Optional[_httpx.BaseTransport] = None,
        *,
        pacer: Optional[Pacer] = None,
        limits: Sequence[Any] = (),
        limiter: Optional[Limiter] = None,
        backoff: Optional[Backoff] = None,
        budget: Optional[RetryBudget] = None,
        clock: Optional[Clock] = None,
        key: Callable[[_httpx.Request], str] = _host_key,
    ) -> None:
        self.transport = transport if transport is not None else _httpx.HTTPTransport()
        self.pacer = _pacer(pacer, limits, limiter, backoff, budget, clock)
        self.key = key

    def handle_request(self, request: _httpx.Request) -> _httpx.Response:
        def send() -> _httpx.Response:
            response = self.transport.handle_request(request)
            if response.status_code >= 400:
                response.read()
            return response

        return self.pacer.call(
            send, key=self.key(request), network_errors=(_httpx.TransportError,), discard=lambda r: r.close()
        )

    def close(self) -> None:
        self.transport.close()


class AsyncPacekeeperTransport(_httpx.AsyncBaseTransport):
    """Wraps ``transport`` (default ``httpx.AsyncHTTPTransport()``) with pacing and retries;
    waits with the clock's ``sleep_async`` (``asyncio.sleep``)."""

    def __init__(
        self,
        transport: Optional[_httpx.AsyncBaseTransport] = None,
        *,
        pacer: Optional[Pacer] = None,
        limits: Sequence[Any] = (),
        limiter: Optional[Limiter] = None,
        backoff: Optional[Backoff] = None,
        budget: Optional[RetryBudget] = None,
        clock: Optional[Clock] = None,
        key: Callable[[_httpx.Request], str] = _host_key,
    ) -> None:
        self.transport = transport if transport is not None else _httpx.AsyncHTTPTransport()
        self.pacer = _pacer(pacer, limits, limiter, backoff, budget, clock)
        self.key = key

    async def handle_async_request(self, request: _httpx.Request) -> _httpx.Response:
        async def send() -> _httpx.Response:
            response = await self.transport.handle_async_request(request)
            if response.status_code >= 400:
                await response.aread()
            return response

        async def discard(r: _httpx.Response) -> None:
            await r.aclose()

        return await self.pacer.call_async(
            send, key=self.key(request), network_errors=(_httpx.TransportError,), discard=discard
        )

    async def aclose(self) -> None:
        await self.transport.aclose()
