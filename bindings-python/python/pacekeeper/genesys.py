"""The Genesys Cloud Python SDK (``PureCloudPlatformClientV2``) adapter.

One call, :func:`install`, puts pacekeeper into an existing ``ApiClient``:

- it switches off the SDK's hidden urllib3 retry (from SDK 114 on, ``RESTClientObject`` builds
  its ``PoolManager`` with a default ``urllib3.util.Retry()``: 10 tries that honour
  ``Retry-After`` for every method behind the caller's back), so every request the server sees
  is one pacekeeper decided;
- from SDK 227 on it wraps the SDK's HTTP client through ``ApiClient.set_http_client``; before
  that it turns the instance into a subclass of its ``ApiClient`` whose ``request`` is paced;
- it reads ``ApiException.status`` / ``.headers`` and falls back to the 429 body text
  ``Retry the request in [N] seconds``.

Every request is paced per key (the access token by default, one bucket per tenant) by the core
pacer, which starts each token from the documented 300 requests per minute (the core's
``Preset::Genesys``) and refines it from ``inin-ratelimit-*``; it is retried on the core's
decision; what finally fails is raised as the SDK's own
``ApiException``, so callers' ``except ApiException`` blocks keep working.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from . import _native
from ._clock import Clock
from ._native import Backoff, Limiter, RetryBudget
from ._runtime import Pacer

__all__ = ["disable_urllib3_retries", "install", "no_retry"]

HIDDEN_RETRY_SDK = 114
HTTP_CLIENT_SDK = 227


def no_retry() -> Any:
    """A urllib3 ``Retry`` that never retries, never sleeps and never raises on a status."""
    import urllib3

    return urllib3.util.Retry(
        total=False, redirect=False, raise_on_status=False, respect_retry_after_header=False
    )


def disable_urllib3_retries(rest_client: Any) -> None:
    """Switches off the hidden retry of an SDK ``RESTClientObject`` (its ``pool_manager``)."""
    pool = getattr(rest_client, "pool_manager", None)
    if pool is None:
        return
    pool.connection_pool_kw["retries"] = no_retry()
    pool.clear()  # pools made before keep their own Retry: drop them


def _default_key(api_client: Any) -> Callable[[], str]:
    def key() -> str:
        # One bucket per token (tenant), without keeping the secret as a key: the core's key,
        # the same as the Node adapter's, so Node and Python processes share a tenant's budget.
        return _native.token_key(str(getattr(api_client, "access_token", "") or ""))

    return key


def _network_errors() -> tuple:
    import urllib3

    return (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError, OSError)


def install(
    api_client: Any,
    *,
    pacer: Optional[Pacer] = None,
    limiter: Optional[Limiter] = None,
    backoff: Optional[Backoff] = None,
    budget: Optional[RetryBudget] = None,
    clock: Optional[Clock] = None,
    key: Optional[Callable[[], str]] = None,
    preset: Optional[str] = "genesys",
    store: Any = None,
    shared: Optional[dict] = None,
    on_store_event: Optional[Callable[[Any], None]] = None,
) -> Pacer:
    """Installs pacekeeper into ``api_client`` (a ``PureCloudPlatformClientV2.ApiClient``) and
    returns the :class:`~pacekeeper.Pacer` it uses (its ``stats`` count requests, 429s, retries
    and waits). Pass one ``pacer`` to several clients to share buckets between them.
    ``key()`` names the bucket of each request (default: one per access token).
    Every token starts from the documented limit (``preset="genesys"``: 300 requests per minute,
    the core's ``Preset::Genesys``), refined by the core from ``inin-ratelimit-*``: ``allowed``
    sets the amount; the minute stays the window of a fixed-window count (the real API), and a
    count that refills as a token bucket (its reset moves later as requests are used) teaches
    its refill time instead. ``preset=None`` starts from nothing and learns; a ``limiter`` with
    configured limits takes precedence over the preset. ``store`` (a
    :class:`~pacekeeper.store_redis.RedisStore`) shares each token's budget with every process
    using the same Redis (``key`` must then name the tenant the same way in each: the default
    does in every Python process); ``shared`` and ``on_store_event`` as for
    :class:`~pacekeeper.Pacer`."""
    if pacer is None:
        pacer = Pacer(
            limiter,
            backoff=backoff if backoff is not None else Backoff(max_attempts=20),
            budget=budget,
            clock=clock,
            preset=preset,
            store=store,
            shared=shared,
            on_store_event=on_store_event,
        )
    key_of = key or _default_key(api_client)
    network = _network_errors()
    if callable(getattr(api_client, "set_http_client", None)):
        _install_http_client(api_client, pacer, key_of, network)
    else:
        _install_subclass(api_client, pacer, key_of, network)
    api_client.pacekeeper = pacer
    return pacer


def _install_http_client(api_client: Any, pacer: Pacer, key_of: Callable[[], str], network: tuple) -> None:
    from PureCloudPlatformClientV2.abstract_http_client import AbstractHttpClient

    inner = api_client.get_http_client()
    disable_urllib3_retries(getattr(inner, "rest_client", None))

    class PacekeeperHttpClient(AbstractHttpClient):  # type: ignore[misc]
        """Paces and retries every request of the wrapped SDK HTTP client."""

        def __init__(self) -> None:
            super().__init__()
            self.inner = inner
            self.pacer = pacer

        def request(self, http_request_options: Any) -> Any:
            return pacer.call(
                lambda: inner.request(http_request_options), key=key_of(), network_errors=network
            )

    api_client.set_http_client(PacekeeperHttpClient())


def _install_subclass(api_client: Any, pacer: Pacer, key_of: Callable[[], str], network: tuple) -> None:
    """SDKs before 227: ``ApiClient.request(method, url, ...)`` sends through ``rest_client``."""
    disable_urllib3_retries(getattr(api_client, "rest_client", None))
    base = type(api_client)

    class PacekeeperApiClient(base):  # type: ignore[misc, valid-type]
        def request(self, *args: Any, **kwargs: Any) -> Any:
            send = super().request
            return pacer.call(lambda: send(*args, **kwargs), key=key_of(), network_errors=network)

    PacekeeperApiClient.__name__ = PacekeeperApiClient.__qualname__ = f"Pacekeeper{base.__name__}"
    api_client.__class__ = PacekeeperApiClient
