"""The Genesys SDK adapter against the loopback server, with the real SDK from PyPI."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import pacekeeper as pk
from pacekeeper import genesys

sdk = pytest.importorskip("PureCloudPlatformClientV2")
from PureCloudPlatformClientV2.rest import ApiException, RESTClientObject  # noqa: E402


def contact(i: int) -> Any:
    c = sdk.WritableDialerContact()
    c.id = f"c{i}"
    c.contact_list_id = "list"
    c.data = {"n": str(i)}
    return c


def contacts(start: int, n: int) -> list[Any]:
    return [contact(i) for i in range(start, start + n)]


def client(url: str, token: str) -> Any:
    c = sdk.ApiClient(host=url)
    c.access_token = token
    return c


def test_sdk_has_the_hidden_retry() -> None:
    # The reason for disabling it: the SDK's pool retries 429s with Retry-After on its own.
    pool = RESTClientObject().pool_manager
    retries = pool.connection_pool_kw["retries"]
    assert retries.total == 10 and retries.respect_retry_after_header
    assert "POST" in retries.allowed_methods


def test_without_pacekeeper_the_sdk_retries_behind_the_callers_back(fresh) -> None:  # type: ignore[no-untyped-def]
    fresh.reset(profile="genesys", burst=1, ratePerSec=50)
    api = sdk.OutboundApi(client(fresh.url, "plain"))
    calls = 0
    for i in range(3):
        calls += 1
        api.post_outbound_contactlist_contacts("plain-list", contacts(i, 1))
    stats = fresh.stats()
    assert stats["requests"] > calls  # urllib3 retried 429s unseen


def test_install_paces_from_the_headers(fresh) -> None:  # type: ignore[no-untyped-def]
    fresh.reset(profile="genesys", burst=5, ratePerSec=20)
    c = client(fresh.url, "tenant-a")
    pacer = genesys.install(c)
    api = sdk.OutboundApi(c)
    for i in range(30):
        api.post_outbound_contactlist_contacts("L1", contacts(i, 1))
    stats = fresh.stats()
    assert stats["earlyRetries"] == 0
    assert stats["requests"] == pacer.stats.requests  # nothing hidden: the server saw our requests only
    ids = fresh.get("/__contacts/L1")
    assert ids["unique"] == 30 and ids["duplicates"] == 0
    http_client = c.get_http_client()
    assert type(http_client).__name__ == "PacekeeperHttpClient"
    assert http_client.inner.rest_client.pool_manager.connection_pool_kw["retries"].total is False
    # It learnt the budget from the inin-ratelimit-* headers and waited instead of meeting 429s.
    assert pacer.stats.waits > 0 and pacer.stats.throttled == 0


def test_429_body_only_and_give_up_raises_api_exception(fresh) -> None:  # type: ignore[no-untyped-def]
    fresh.reset(profile="genesys-body-only", burst=1, ratePerSec=2)
    c = client(fresh.url, "tenant-b")
    clock = pk.SystemClock()
    pacer = genesys.install(c, backoff=pk.Backoff(max_attempts=10), clock=clock)
    api = sdk.OutboundApi(c)
    for i in range(4):
        api.post_outbound_contactlist_contacts("L2", contacts(i, 1))
    stats = fresh.stats()
    assert stats["earlyRetries"] == 0 and stats["requests"] == pacer.stats.requests
    assert stats["throttled"] > 0 and pacer.stats.retries == stats["throttled"]  # 429s met and honoured
    # A 404 is not retried and surfaces as the SDK's ApiException.
    with pytest.raises(ApiException) as info:
        sdk.WorkforceManagementApi(c).api_client.call_api("/api/v2/nothing/here", "GET", auth_settings=["PureCloud OAuth"])
    assert info.value.status == 404


def test_pre_227_path_subclasses_api_client(fresh) -> None:  # type: ignore[no-untyped-def]
    """SDKs before 227 had no set_http_client: ApiClient.request sent through rest_client."""
    fresh.reset(profile="genesys", burst=2, ratePerSec=20)

    class OldApiClient(sdk.ApiClient):  # the shape of ApiClient before 227
        set_http_client = None

        def __init__(self, host: str) -> None:
            super().__init__(host=host)
            self.rest_client = RESTClientObject()

        def request(self, method, url, query_params=None, headers=None, post_params=None, body=None):  # type: ignore[no-untyped-def]
            return self.rest_client.request(method, url, query_params=query_params, headers=headers, post_params=post_params, body=body)

    old = OldApiClient(fresh.url)
    sent = []

    def send(i: int) -> Any:
        sent.append(i)
        return old.request("POST", fresh.url + "/api/v2/outbound/contactlists/OLD/contacts", headers={"Authorization": "Bearer old", "Content-Type": "application/json"}, body=[{"id": f"o{i}"}])

    pacer = genesys.install(old, key=lambda: "old")
    assert type(old).__name__ == "PacekeeperOldApiClient" and isinstance(old, OldApiClient)
    assert old.rest_client.pool_manager.connection_pool_kw["retries"].total is False
    for i in range(8):
        send(i)
    stats = fresh.stats()
    assert stats["earlyRetries"] == 0
    assert stats["requests"] == pacer.stats.requests
    assert fresh.get("/__contacts/OLD")["unique"] == 8


def test_threads_share_one_client(fresh) -> None:  # type: ignore[no-untyped-def]
    fresh.reset(profile="genesys", burst=5, ratePerSec=25)
    c = client(fresh.url, "tenant-t")
    pacer = genesys.install(c)
    api = sdk.OutboundApi(c)

    def work(t: int) -> None:
        for i in range(6):
            api.post_outbound_contactlist_contacts("LT", contacts(t * 100 + i, 1))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    stats = fresh.stats()
    assert fresh.get("/__contacts/LT")["unique"] == 30
    assert fresh.get("/__contacts/LT")["duplicates"] == 0
    assert stats["requests"] == pacer.stats.requests
    assert stats["earlyRetries"] == 0, (stats, pacer.stats)
