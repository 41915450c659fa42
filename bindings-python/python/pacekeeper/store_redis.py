"""Shared budgets through Redis or Valkey with redis-py (sync ``redis.Redis`` and ``redis.asyncio``).

A thin I/O shell over the core's codec (``pacekeeper::shared``): the core owns the Lua script, its
SHA1, the keys, the arguments and the reply. The shell only sends ``EVALSHA`` (``EVAL`` after a
``NOSCRIPT``), one round trip per decision, and turns every failure into :class:`StoreError`
(never a rate denial). The codec is passed in, so this module holds no rule of its own::

    codec = SimpleNamespace(script=..., script_sha1=..., keys=..., encode=..., decode=...)
    client = redis.Redis(socket_timeout=0.2, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    store = RedisStore(client, codec)
    reply = store.call("client-a", request)          # the server's TIME as the clock
    reply = store.call("client-a", request, now_us)  # caller-clock mode

``codec.keys(budget) -> [str, str]``, ``codec.encode(request, now_us | None) -> [str, ...]``,
``codec.decode([int] * 6) -> reply`` (raising on a malformed reply); ``codec.script`` and
``codec.script_sha1`` are strings. Bound every command with the client's ``socket_timeout`` and
``socket_connect_timeout``, and turn off redis-py's own retries (6.0+ retries 3 times by default:
``retry=Retry(NoBackoff(), 0)``): a down store must answer within one timeout, and the fallback
policy (``degrade``/``deny``/``allow``, decided by the core) takes over.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

__all__ = ["StoreError", "RedisStore", "AsyncRedisStore"]


class StoreError(Exception):
    """A failed store call: ``.code`` is ``store_unavailable``, ``store_timeout``, ``store_server``
    or ``store_bad_reply``. Never a rate denial (a denial is a reply)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def _names(e: BaseException) -> set:
    return {c.__name__ for c in type(e).__mro__}


def _is_noscript(e: BaseException) -> bool:
    return "NoScriptError" in _names(e) or str(e).startswith("NOSCRIPT")


def _store_error(e: BaseException) -> StoreError:
    names = _names(e)
    if "TimeoutError" in names:
        return StoreError("store_timeout", str(e))
    if "ConnectionError" in names or isinstance(e, OSError):
        return StoreError("store_unavailable", str(e))
    return StoreError("store_server", str(e))


def _decode(codec: Any, raw: Any) -> Any:
    if not isinstance(raw, (list, tuple)) or not all(isinstance(v, int) for v in raw):
        raise StoreError("store_bad_reply", f"not an array of integers: {raw!r}")
    try:
        return codec.decode([int(v) for v in raw])
    except StoreError:
        raise
    except Exception as e:  # the codec's own decode error
        raise StoreError("store_bad_reply", str(e)) from e


class RedisStore:
    """A shared-budget store over a sync redis-py client."""

    def __init__(self, client: Any, codec: Any) -> None:
        self.client = client
        self.codec = codec
        self.evals = 0

    def call(self, budget: str, request: Any, now_us: Optional[int] = None) -> Any:
        keys: Sequence[str] = self.codec.keys(budget)
        args: Sequence[str] = self.codec.encode(request, now_us)
        try:
            try:
                raw = self.client.evalsha(self.codec.script_sha1, 2, *keys, *args)
            except Exception as e:
                if not _is_noscript(e):
                    raise
                self.evals += 1
                raw = self.client.eval(self.codec.script, 2, *keys, *args)
        except Exception as e:
            raise _store_error(e) from e
        return _decode(self.codec, raw)


class AsyncRedisStore:
    """A shared-budget store over a ``redis.asyncio`` client."""

    def __init__(self, client: Any, codec: Any) -> None:
        self.client = client
        self.codec = codec
        self.evals = 0

    async def call(self, budget: str, request: Any, now_us: Optional[int] = None) -> Any:
        keys: Sequence[str] = self.codec.keys(budget)
        args: Sequence[str] = self.codec.encode(request, now_us)
        try:
            try:
                raw = await self.client.evalsha(self.codec.script_sha1, 2, *keys, *args)
            except Exception as e:
                if not _is_noscript(e):
                    raise
                self.evals += 1
                raw = await self.client.eval(self.codec.script, 2, *keys, *args)
        except Exception as e:
            raise _store_error(e) from e
        return _decode(self.codec, raw)
