"""No secret is reachable from any object pacekeeper creates or attaches (issue 12): a canary
token sent as ``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``X-Api-Key`` and a credential
query parameter through every helper must appear nowhere in ``repr``, ``str``, tracebacks, the
objects' attributes (walked), or the pickled/JSON form of any attached dict."""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import traceback
from typing import Any, Iterator

import httpx
import pytest
import requests
import tenacity

import pacekeeper as pk
from pacekeeper import GiveUp
from pacekeeper._redact import REDACTED, redact_headers, redact_text, redact_url
from pacekeeper.httpx import AsyncPacekeeperTransport, PacekeeperTransport
from pacekeeper.requests import PacekeeperAdapter
from pacekeeper.tenacity import retry_if_rate_limited, wait_pacekeeper

CANARY = "CANARYf00d5ecret"
HEADERS = {
    "Authorization": f"Bearer {CANARY}",
    "Proxy-Authorization": f"Basic {CANARY}",
    "Cookie": f"session={CANARY}",
    "X-Api-Key": CANARY,
    "X-Auth-Token": CANARY,
}


@pytest.fixture()
def closed_url() -> Iterator[str]:
    """A loopback URL nothing listens on (connection refused), with a credential in the query."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    yield f"http://127.0.0.1:{port}/v2/things?access_token={CANARY}&page=1"


def strings_reachable(obj: Any, depth: int = 0, seen: set | None = None) -> Iterator[str]:
    """Every str/bytes reachable through attributes, items, args and exception chains (not
    traceback frames: locals are the caller's own variables)."""
    seen = set() if seen is None else seen
    if depth > 10 or id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, str):
        yield obj
        return
    if isinstance(obj, (bytes, bytearray)):
        yield bytes(obj).decode("latin-1")
        return
    if isinstance(obj, (int, float, bool, type(None))) or callable(obj) and not hasattr(obj, "__dict__"):
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings_reachable(k, depth + 1, seen)
            yield from strings_reachable(v, depth + 1, seen)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from strings_reachable(v, depth + 1, seen)
        return
    if isinstance(obj, BaseException):
        yield from strings_reachable(obj.args, depth + 1, seen)
        yield from strings_reachable(obj.__cause__, depth + 1, seen)
        yield from strings_reachable(obj.__context__, depth + 1, seen)
    state = getattr(obj, "__dict__", None)
    if isinstance(state, dict):
        for k, v in state.items():
            if k in ("__traceback__",) or isinstance(v, type):
                continue
            yield from strings_reachable(v, depth + 1, seen)
    for slot in getattr(type(obj), "__slots__", ()) or ():
        if isinstance(slot, str) and hasattr(obj, slot):
            yield from strings_reachable(getattr(obj, slot), depth + 1, seen)


def assert_no_canary(*objs: Any) -> None:
    for obj in objs:
        texts = [repr(obj), str(obj)]
        if isinstance(obj, BaseException):
            texts.append("".join(traceback.format_exception(type(obj), obj, obj.__traceback__)))
        for t in texts:
            assert CANARY not in t, t
        for s in strings_reachable(obj):
            assert CANARY not in s, f"reachable from {type(obj).__name__}: {s[:200]!r}"


def assert_give_up_clean(info: Any) -> None:
    err = info.value
    assert isinstance(err, GiveUp) and err.__cause__ is not None
    assert_no_canary(err, err.__cause__, err.decision)
    d = err.decision.to_dict()
    assert CANARY not in json.dumps(d)
    assert CANARY.encode() not in pickle.dumps(d)


def fast_pacer(**kw: Any) -> pk.Pacer:
    return pk.Pacer(backoff=pk.Backoff(base_ms=1, cap_ms=5, max_attempts=2), clock=pk.FakeClock(), **kw)


def test_redaction_helpers() -> None:
    h = redact_headers({**HEADERS, "Accept": "json", "Set-Cookie": f"a={CANARY}"})
    assert h["Accept"] == "json" and CANARY not in json.dumps(h)
    assert h["Authorization"] == REDACTED
    u = redact_url(f"https://u:{CANARY}@h/p?api_key={CANARY}&client_secret={CANARY}&q=1")
    assert CANARY not in u and "q=1" in u
    assert CANARY not in redact_text(f"GET /x?token={CANARY} Bearer {CANARY}")


def test_requests_adapter(closed_url: str) -> None:
    s = requests.Session()
    s.mount("http://", PacekeeperAdapter(fast_pacer()))
    with pytest.raises(GiveUp) as info:
        s.get(closed_url, headers=HEADERS, timeout=2)
    assert_give_up_clean(info)
    cause = info.value.__cause__
    assert isinstance(cause, requests.ConnectionError)  # retried as a network error, then given up
    assert cause.request.headers["Authorization"] == REDACTED
    assert info.value.decision.attempts == 2


def test_httpx_transport(closed_url: str) -> None:
    with httpx.Client(transport=PacekeeperTransport(pacer=fast_pacer())) as c:
        with pytest.raises(GiveUp) as info:
            c.get(closed_url, headers=HEADERS, timeout=2)
    assert_give_up_clean(info)
    cause = info.value.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert cause._request is None or cause._request.headers["authorization"] == REDACTED


def test_httpx_async_transport(closed_url: str) -> None:
    async def main() -> Any:
        async with httpx.AsyncClient(transport=AsyncPacekeeperTransport(pacer=fast_pacer())) as c:
            with pytest.raises(GiveUp) as info:
                await c.get(closed_url, headers=HEADERS, timeout=2)
            return info

    assert_give_up_clean(asyncio.run(main()))


def test_pacer_with_a_message_carrying_a_url(closed_url: str) -> None:
    pacer = fast_pacer()

    def send() -> Any:
        raise ConnectionError(f"GET {closed_url} failed (Authorization: Bearer {CANARY})")

    with pytest.raises(GiveUp) as info:
        pacer.call(send)
    assert_give_up_clean(info)
    assert_no_canary(pacer, pacer.stats.to_dict())


def test_tenacity_helpers_keep_nothing_secret() -> None:
    # A 429 whose request carried the canary: what pacekeeper keeps (the decision, its states)
    # holds no part of it.
    request = requests.Request("GET", f"http://h/x?access_token={CANARY}", headers=HEADERS).prepare()
    response = requests.Response()
    response.status_code = 429
    response.headers["Retry-After"] = "1"
    response.request = request
    response._content = b""
    error = requests.HTTPError("429", response=response, request=request)
    wait = wait_pacekeeper(clock=pk.FakeClock(), seed=1)

    class State:
        attempt_number = 1
        outcome = tenacity.Future.construct(1, error, True)

    state = State()
    assert wait(state) >= 1.0
    assert retry_if_rate_limited()(state)
    assert_no_canary(wait, wait.last_decision, wait.last_decision.to_dict())


def test_genesys_adapter(closed_url: str) -> None:
    sdk = pytest.importorskip("PureCloudPlatformClientV2")
    from pacekeeper import genesys

    client = sdk.ApiClient(host=closed_url.split("/v2")[0])
    client.access_token = CANARY
    pacer = genesys.install(client, pacer=fast_pacer())
    api = sdk.UsersApi(client)
    with pytest.raises(GiveUp) as info:
        api.get_users_me()
    assert_give_up_clean(info)
    assert_no_canary(pacer, pacer.stats.to_dict())
