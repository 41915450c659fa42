"""httpx transports (sync and async) that pace, observe and retry.

::

    import httpx
    from pacekeeper.httpx import PacekeeperTransport, AsyncPacekeeperTransport

    client = httpx.Client(transport=PacekeeperTransport(limits=[{"amount": 5, "period_ms": 1000}]))
    aclient = httpx.AsyncClient(transport=AsyncPacekeeperTransport())

The bucket key is the host by default. A successful response's body is never touched; of an
error response at most 4 KB are read, only when its headers are throttled without a wait (the
Genesys 429 text), within the request's read timeout, and kept readable for the caller. A
response retried past is closed.
"""

from __future__ import annotations

import time
from typing import Any, AsyncIterator, Callable, Iterator, List, Optional, Sequence

import httpx as _httpx

from ._clock import Clock
from ._extract import BODY_LIMIT, BODY_TIMEOUT_S
from ._native import Backoff, Limiter, RetryBudget
from ._runtime import Pacer

__all__ = ["AsyncPacekeeperTransport", "PacekeeperTransport"]


def _deadline(request: _httpx.Request) -> float:
    timeout = None
    try:
        timeout = request.extensions.get("timeout", {}).get("read")
    except Exception:  # noqa: BLE001 - no timeout extension
        pass
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        timeout = BODY_TIMEOUT_S
    return time.monotonic() + float(timeout)


def _decode(response: _httpx.Response, chunks: List[bytes]) -> str:
    raw = b"".join(chunks)
    try:
        raw = response._get_content_decoder().decode(raw)  # gzip/deflate/br as the client would
    except Exception:  # noqa: BLE001 - a truncated or undecodable prefix: use the bytes
        pass
    return raw[:BODY_LIMIT].decode("utf-8", "replace")


class _Replay(_httpx.SyncByteStream):
    def __init__(self, head: List[bytes], rest: Iterator[bytes], stream: Any) -> None:
        self._head, self._rest, self._stream = head, rest, stream

    def __iter__(self) -> Iterator[bytes]:
        while self._head:
            yield self._head.pop(0)
        yield from self._rest

    def close(self) -> None:
        self._stream.close()


class _AsyncReplay(_httpx.AsyncByteStream):
    def __init__(self, head: List[bytes], rest: AsyncIterator[bytes], stream: Any) -> None:
        self._head, self._rest, self._stream = head, rest, stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self._head:
            yield self._head.pop(0)
        async for chunk in self._rest:
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


def _read_body(response: _httpx.Response, request: _httpx.Request) -> Optional[str]:
    """At most ``BODY_LIMIT`` bytes of an unread body, within the read timeout (checked
    between chunks), kept readable for the caller."""
    stream = response.stream
    if not isinstance(stream, _httpx.SyncByteStream) and not hasattr(stream, "__iter__"):
        return None
    rest = iter(stream)
    head: List[bytes] = []
    size, deadline = 0, _deadline(request)
    try:
        while size < BODY_LIMIT and time.monotonic() < deadline:
            chunk = next(rest, None)
            if chunk is None:
                break
            head.append(chunk)
            size += len(chunk)
    except Exception:  # noqa: BLE001 - a broken or slow body: use what arrived
        rest = iter(())
    response.stream = _Replay(list(head), rest, stream)
    return _decode(response, head)


async def _read_body_async(response: _httpx.Response, request: _httpx.Request) -> Optional[str]:
    """The asyncio form of :func:`_read_body`."""
    stream = response.stream
    if not hasattr(stream, "__aiter__"):
        return None
    rest = stream.__aiter__()
    head: List[bytes] = []
    size, deadline = 0, _deadline(request)
    try:
        while size < BODY_LIMIT and time.monotonic() < deadline:
            try:
                chunk = await rest.__anext__()
            except StopAsyncIteration:
                break
            head.append(chunk)
            size += len(chunk)
    except Exception:  # noqa: BLE001

        async def _empty() -> AsyncIterator[bytes]:
            return
            yield b""  # pragma: no cover

        rest = _empty()
    response.stream = _AsyncReplay(list(head), rest, stream)
    return _decode(response, head)


def _host_key(request: _httpx.Request) -> str:
    return request.url.netloc.decode("ascii", "replace") or "default"


def _pacer(pacer: Optional[Pacer], limits: Sequence[Any], limiter: Optional[Limiter], backoff: Optional[Backoff],
           budget: Optional[RetryBudget], clock: Optional[Clock], store: Any = None, shared: Optional[dict] = None,
           on_store_event: Optional[Callable[[Any], None]] = None) -> Pacer:
    if pacer is not None:
        return pacer
    return Pacer(limiter if limiter is not None else Limiter(limits), backoff=backoff, budget=budget, clock=clock,
                 store=store, shared=shared, on_store_event=on_store_event)


class PacekeeperTransport(_httpx.BaseTransport):
    """Wraps ``transport`` (default ``httpx.HTTPTransport()``) with pacing and retries.
    ``store`` (a :class:`~pacekeeper.store_redis.RedisStore`), ``shared`` and ``on_store_event``
    share each key's budget between processes (see :class:`~pacekeeper.Pacer`)."""

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
        store: Any = None,
        shared: Optional[dict] = None,
        on_store_event: Optional[Callable[[Any], None]] = None,
    ) -> None:
        self.transport = transport if transport is not None else _httpx.HTTPTransport()
        self.pacer = _pacer(pacer, limits, limiter, backoff, budget, clock, store, shared, on_store_event)
        self.key = key

    def handle_request(self, request: _httpx.Request) -> _httpx.Response:
        return self.pacer.call(
            lambda: self.transport.handle_request(request),
            key=self.key(request),
            network_errors=(_httpx.TransportError,),
            discard=lambda r: r.close(),
            read_body=lambda r: _read_body(r, request),
        )

    def close(self) -> None:
        self.transport.close()


class AsyncPacekeeperTransport(_httpx.AsyncBaseTransport):
    """Wraps ``transport`` (default ``httpx.AsyncHTTPTransport()``) with pacing and retries;
    waits with the clock's ``sleep_async`` (``asyncio.sleep``); its ``store`` is an
    :class:`~pacekeeper.store_redis.AsyncRedisStore`."""

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
        store: Any = None,
        shared: Optional[dict] = None,
        on_store_event: Optional[Callable[[Any], None]] = None,
    ) -> None:
        self.transport = transport if transport is not None else _httpx.AsyncHTTPTransport()
        self.pacer = _pacer(pacer, limits, limiter, backoff, budget, clock, store, shared, on_store_event)
        self.key = key

    async def handle_async_request(self, request: _httpx.Request) -> _httpx.Response:
        async def send() -> _httpx.Response:
            return await self.transport.handle_async_request(request)

        async def discard(r: _httpx.Response) -> None:
            await r.aclose()

        return await self.pacer.call_async(
            send,
            key=self.key(request),
            network_errors=(_httpx.TransportError,),
            discard=discard,
            read_body=lambda r: _read_body_async(r, request),
        )

    async def aclose(self) -> None:
        await self.transport.aclose()
