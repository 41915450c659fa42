"""The store's I/O for a :class:`~pacekeeper.Pacer` in shared mode: consult steps (one round trip
each, the reply or its failure's code to the core), the calls sent without waiting (lease
releases, refunds, lockouts, probes) and the store events they raise. The rules are the core's."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterator, Optional, Tuple

from ._errors import PacekeeperError, PacekeeperTypeError
from .store_redis import store_code


def _call_parts(c: Any) -> Tuple[list, list]:
    """A polled store call (``{"keys": [...], "args": [...]}``) as two lists."""
    if isinstance(c, dict):
        return list(c["keys"]), list(c["args"])
    return list(c.keys), list(c.args)


def _store_code(e: BaseException) -> str:
    """A failed store call's code for the core: a StoreError's own, else unavailable."""
    return store_code(e)


class StoreIO:
    """Mixed into :class:`~pacekeeper.Pacer` (which sets ``core``, ``store``, ``clock`` and
    ``on_store_event``)."""

    core: Any
    store: Any
    clock: Any
    on_store_event: Optional[Callable[[Any], None]]

    def _cancel(self, ticket: int, key: Optional[str] = None) -> None:  # the Pacer's (it also wakes its sleepers)
        raise NotImplementedError

    def _answer(self, send: Callable[[], Any]) -> Any:
        try:
            r = send()
        except Exception as e:  # noqa: BLE001 - a failed store call is a code for the core
            return _store_code(e)
        if inspect.isawaitable(r):
            close = getattr(r, "close", None)
            if close is not None:
                close()
            raise PacekeeperTypeError("Pacer.call needs a sync store (RedisStore); AsyncRedisStore is for call_async")
        return r

    async def _answer_async(self, send: Callable[[], Any]) -> Any:
        try:
            r = send()
            if inspect.isawaitable(r):
                r = await r
        except Exception as e:  # noqa: BLE001
            return _store_code(e)
        return r

    def _consult(self, step: Any) -> Any:
        """Settles ``consult`` steps: one round trip each, the reply (or its failure's code) to the core."""
        while step.action == "consult":
            if self.store is None:
                self._cancel(step.ticket)
                raise PacekeeperError("the pacer consults a store but none was given", "invalid_state")
            keys, args = list(step.keys), list(step.args)
            answer = self._answer(lambda: self.store.send(keys, args))
            step = self.core.consulted(step.ticket, answer, now=self.clock.now_ms())
            self._drain()
        return step

    async def _consult_async(self, step: Any) -> Any:
        while step.action == "consult":
            if self.store is None:
                self._cancel(step.ticket)
                raise PacekeeperError("the pacer consults a store but none was given", "invalid_state")
            keys, args = list(step.keys), list(step.args)
            answer = await self._answer_async(lambda: self.store.send(keys, args))
            step = self.core.consulted(step.ticket, answer, now=self.clock.now_ms())
            await self._drain_async()
        return step

    def _outbox(self) -> Iterator[Tuple[list, list]]:
        """The core's store calls that need no answer to go on (lease releases, refunds,
        lockouts, probes), at most 256 at a time."""
        for _ in range(256):
            c = self.core.poll_store()
            if c is None:
                return
            yield _call_parts(c)

    def _drain(self) -> None:
        """Sends the outbox, each outcome reported, and hands the store events out."""
        if self.store is not None:
            for keys, args in self._outbox():
                self.core.store_done(self._answer(lambda: self.store.send(keys, args)), now=self.clock.now_ms())
            self._events()

    async def _drain_async(self) -> None:
        if self.store is not None:
            for keys, args in self._outbox():
                self.core.store_done(await self._answer_async(lambda: self.store.send(keys, args)), now=self.clock.now_ms())
            self._events()

    def _events(self) -> None:
        for _ in range(64):
            e = self.core.poll_event()
            if e is None:
                return
            if self.on_store_event is not None:
                try:
                    self.on_store_event(e)
                except Exception:  # noqa: BLE001, S110 - a listener's error is not the pacer's
                    pass
