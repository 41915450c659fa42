"""tenacity, requests and httpx helpers against the loopback server, in every 429 profile."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

import httpx
import pytest
import requests
from tenacity import retry, stop_after_attempt

import pacekeeper as pk
from pacekeeper.httpx import AsyncPacekeeperTransport, PacekeeperTransport
from pacekeeper.requests import PacekeeperAdapter
from pacekeeper.tenacity import retry_if_rate_limited, wait_pacekeeper

PROFILES = [
    "genesys",
    "genesys-body-only",
    "xratelimit-epoch-s",
    "xratelimit-epoch-ms",
    "http-date",
    "ietf",
    "short-retry-after",
    "strict",
]
N = 8


def path(helper: str) -> str:
    return f"/api/v2/outbound/contactlists/{helper}/contacts"


def auth(helper: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {helper}"}


def run_requests_adapter(url: str) -> pk.Pacer:
    session = requests.Session()
    adapter = PacekeeperAdapter(backoff=pk.Backoff(max_attempts=20))
    session.mount("http://", adapter)
    for i in range(N):
        r = session.post(url + path("requests"), json=[{"id": f"r{i}"}], headers=auth("requests"), timeout=30)
        r.raise_for_status()
    return adapter.pacer


def run_httpx_sync(url: str) -> pk.Pacer:
    transport = PacekeeperTransport(backoff=pk.Backoff(max_attempts=20))
    with httpx.Client(transport=transport, timeout=30) as client:
        for i in range(N):
            client.post(url + path("httpx"), json=[{"id": f"h{i}"}], headers=auth("httpx")).raise_for_status()
    return transport.pacer


def run_httpx_async(url: str) -> pk.Pacer:
    transport = AsyncPacekeeperTransport(backoff=pk.Backoff(max_attempts=20))

    async def main() -> None:
        async with httpx.AsyncClient(transport=transport, timeout=30) as client:
            for i in range(N):
                r = await client.post(url + path("httpx-async"), json=[{"id": f"a{i}"}], headers=auth("httpx-async"))
                r.raise_for_status()

    asyncio.run(main())
    return transport.pacer


def run_tenacity(url: str) -> pk.Pacer:
    wait = wait_pacekeeper(pk.Backoff(max_attempts=20))
    session = requests.Session()
    sent = pk.PacerStats()

    @retry(wait=wait, retry=retry_if_rate_limited(), stop=stop_after_attempt(20), reraise=True)
    def post(i: int) -> requests.Response:
        sent.add(requests=1)
        r = session.post(url + path("tenacity"), json=[{"id": f"t{i}"}], headers=auth("tenacity"), timeout=30)
        r.raise_for_status()
        return r

    for i in range(N):
        post(i)
    pacer = pk.Pacer()
    pacer.stats = sent
    return pacer


HELPERS: dict[str, Callable[[str], pk.Pacer]] = {
    "requests": run_requests_adapter,
    "httpx": run_httpx_sync,
    "httpx-async": run_httpx_async,
    "tenacity": run_tenacity,
}


@pytest.mark.parametrize("profile", PROFILES)
def test_helpers_in_profile(server: Any, profile: str) -> None:
    # A burst of 2 at 10/s per token: every helper meets 429s and must honour them.
    server.reset(profile=profile, burst=2, ratePerSec=10, skewMs=90_000)
    results: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            results[name] = HELPERS[name](server.url)
        except BaseException as e:  # noqa: BLE001 - reported below
            results[name] = e

    threads = [threading.Thread(target=run, args=(name,)) for name in HELPERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    stats = server.stats()
    for name, result in results.items():
        assert isinstance(result, pk.Pacer), f"{name}: {result!r}"
        token = stats["perToken"][name]
        assert token["earlyRetries"] == 0, (profile, name, token)
        assert token["requests"] == result.stats.requests, (profile, name, token, result.stats)
        contacts = server.get(f"/__contacts/{name}")
        assert contacts["unique"] == N and contacts["duplicates"] == 0, (profile, name, contacts)
    assert len(results) == len(HELPERS)
    assert stats["throttled"] > 0, "the profile never throttled: the test proves nothing"
    assert stats["earlyRetries"] == 0


def test_tenacity_wait_reads_headers_and_falls_back() -> None:
    clock = pk.FakeClock(1_700_000_000_000)
    wait = wait_pacekeeper(pk.Backoff(jitter="none", base_ms=100, hint_spread_percent=0), clock=clock)
    resp = requests.Response()
    resp.status_code = 429
    resp.headers["Retry-After"] = "7"
    err = requests.HTTPError(response=resp)

    class State:
        attempt_number = 1

        class outcome:  # noqa: N801
            failed = True

            @staticmethod
            def exception() -> BaseException:
                return err

    assert wait(State()) == 7.0
    assert wait.last_decision.reason == "server_hint"
    State.outcome.exception = staticmethod(lambda: requests.ConnectionError("down"))  # type: ignore[assignment]
    st = State()
    assert wait(st) == 0.1  # no response: the engine's schedule
    assert retry_if_rate_limited()(st) is False


def test_tenacity_with_the_sdk_exception() -> None:
    sdk = pytest.importorskip("PureCloudPlatformClientV2")
    e = sdk.rest.ApiException(status=429, reason="Too Many Requests")
    e.headers = None
    e.body = '{"message":"Rate limit exceeded the maximum. Retry the request in [4] seconds","code":"too.many.requests.retry.after","status":429}'
    reading = pk.tenacity.reading_of(e, now=0)
    assert reading is not None and reading.wait_ms == 4000 and reading.wait_source == "body"


def test_pacer_with_fake_clock_paces_exactly() -> None:
    clock = pk.FakeClock(0)
    pacer = pk.Pacer(limits=[{"amount": 1, "period_ms": 1000, "burst": 3}], clock=clock)
    waited = [pacer.acquire("k") for _ in range(6)]
    assert waited == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert clock.now_ms() == 3000
    with pytest.raises(TimeoutError):
        pacer.acquire("k", timeout=0.5)

    async def go() -> float:
        return await pacer.acquire_async("k")

    assert asyncio.run(go()) == 1.0
    with pytest.raises(pk.PacekeeperError) as info:
        pacer.acquire("k", cost=4)
    assert info.value.code == "invalid_cost"
