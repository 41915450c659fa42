"""Shared budgets through Redis or Valkey with redis-py (sync ``redis.Redis`` and ``redis.asyncio``).

A thin I/O shell: the core owns the Lua script, its SHA1, the keys, the arguments and the reply
(``pacekeeper::shared``). The shell only sends ``EVALSHA`` (``EVAL`` after a ``NOSCRIPT``), one
round trip per decision, and turns every failure into :class:`StoreError` (never a rate denial);
the pacer hands the raw reply, or the error's code, back to the core::

    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    from pacekeeper import Pacer
    from pacekeeper.store_redis import RedisStore

    client = Redis(socket_timeout=0.2, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    pacer = Pacer(store=RedisStore(client))        # or the requests / httpx / Genesys adapters
    store.send([k1, k2], args)                     # low level: the raw reply, a list of integers

``AsyncRedisStore(redis.asyncio.Redis(...))`` is the same for :meth:`Pacer.call_async`. Bound every
command with the client's ``socket_timeout`` and ``socket_connect_timeout``, and turn off
redis-py's own retries (6.0+ retries 3 times by default: ``retry=Retry(NoBackoff(), 0)``): a down
store must answer within one timeout, and the fallback policy (``degrade``/``deny``/``allow``,
decided by the core) takes over.

The older form ``RedisStore(client, codec)`` (``codec.script``, ``codec.script_sha1``,
``codec.keys(budget)``, ``codec.encode(request, now_us)``, ``codec.decode(raw)``, as the
tests/redis harness passes) adds ``call(budget, request, now_us=None)`` → the decoded reply.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

__all__ = ["AsyncRedisStore", "RedisStore", "StoreError"]


class StoreError(Exception):
    """A failed store call: ``.code`` is ``store_unavailable``, ``store_timeout``, ``store_server``
    or ``store_bad_reply``. Never a rate denial (a denial is a reply)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def store_code(e: BaseException) -> str:
    """The code of a failed store call, for the core (``consulted`` / ``store_done``): a
    :class:`StoreError`'s own, anything else (a custom store's failure) unavailable."""
    return e.code if isinstance(e, StoreError) else "store_unavailable"


def _names(e: BaseException) -> set:
    return {c.__name__ for c in type(e).__mro__}


def _is_noscript(e: BaseException) -> bool:
    return "NoScriptError" in _names(e) or str(e).startswith("NOSCRIPT")


def _store_error(e: BaseException) -> StoreError:
    if isinstance(e, StoreError):
        return e
    names = _names(e)
    if "TimeoutError" in names:
        return StoreError("store_timeout", str(e))
    if "ConnectionError" in names or isinstance(e, OSError):
        return StoreError("store_unavailable", str(e))
    return StoreError("store_server", str(e))


def _raw(raw: Any) -> List[int]:
    if not isinstance(raw, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
        raise StoreError("store_bad_reply", f"not an array of integers: {raw!r}"[:200])
    return [int(v) for v in raw]


def _decode(codec: Any, raw: List[int]) -> Any:
    try:
        return codec.decode(raw)
    except StoreError:
        raise
    except Exception as e:  # the codec's own decode error
        raise StoreError("store_bad_reply", str(e)) from e


def _script(codec: Any) -> Tuple[str, str]:
    if codec is not None:
        return codec.script, codec.script_sha1
    from ._native import shared_script, shared_script_sha1  # type: ignore[attr-defined]

    return shared_script(), shared_script_sha1()


def _check_client(client: Any) -> None:
    if client is None or not callable(getattr(client, "evalsha", None)) or not callable(getattr(client, "eval", None)):
        error: type = TypeError  # loaded as a lone file (the tests/redis harness)
        try:
            from ._errors import PacekeeperTypeError

            error = PacekeeperTypeError
        except ImportError:
            pass
        raise error("RedisStore: client must be a redis-py client (redis.Redis or redis.asyncio.Redis)")


class RedisStore:
    """The store a :class:`~pacekeeper.Pacer` consults, over a sync redis-py client."""

    def __init__(self, client: Any, codec: Any = None) -> None:
        _check_client(client)
        self.client = client
        self.codec = codec
        self.script, self.script_sha1 = _script(codec)
        self.evals = 0

    def send(self, keys: Sequence[str], args: Sequence[str]) -> List[int]:
        """One decision: the raw reply (integers), or :class:`StoreError`."""
        try:
            try:
                raw = self.client.evalsha(self.script_sha1, len(keys), *keys, *args)
            except Exception as e:
                if not _is_noscript(e):
                    raise
                self.evals += 1
                raw = self.client.eval(self.script, len(keys), *keys, *args)
        except Exception as e:
            raise _store_error(e) from e
        return _raw(raw)

    def call(self, budget: str, request: Any, now_us: Optional[int] = None) -> Any:
        """Through the codec given: the decoded reply."""
        return _decode(self.codec, self.send(self.codec.keys(budget), self.codec.encode(request, now_us)))


class AsyncRedisStore:
    """The store :meth:`~pacekeeper.Pacer.call_async` consults, over a ``redis.asyncio`` client."""

    def __init__(self, client: Any, codec: Any = None) -> None:
        _check_client(client)
        self.client = client
        self.codec = codec
        self.script, self.script_sha1 = _script(codec)
        self.evals = 0

    async def send(self, keys: Sequence[str], args: Sequence[str]) -> List[int]:
        """One decision: the raw reply (integers), or :class:`StoreError`."""
        try:
            try:
                raw = await self.client.evalsha(self.script_sha1, len(keys), *keys, *args)
            except Exception as e:
                if not _is_noscript(e):
                    raise
                self.evals += 1
                raw = await self.client.eval(self.script, len(keys), *keys, *args)
        except Exception as e:
            raise _store_error(e) from e
        return _raw(raw)

    async def call(self, budget: str, request: Any, now_us: Optional[int] = None) -> Any:
        """Through the codec given: the decoded reply."""
        return _decode(self.codec, await self.send(self.codec.keys(budget), self.codec.encode(request, now_us)))
