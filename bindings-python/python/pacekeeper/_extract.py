"""Status, headers and body from the responses and exceptions of common HTTP clients.

Understood: the Genesys SDK's ``ApiException`` (``.status``, ``.headers``, ``.body``), ``requests``
(``Response``, and ``HTTPError``/``RequestException`` with ``.response``), ``httpx``
(``Response``, ``HTTPStatusError``), ``urllib3`` responses, and any object with
``status``/``status_code`` and ``headers`` attributes. No import of those libraries is needed.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from ._native import MAX_STATUS, MIN_STATUS

__all__ = ["ResponseInfo", "response_info"]


class ResponseInfo(NamedTuple):
    """What the engine needs from a response."""

    status: int
    headers: Any
    body: Optional[str]


#: The most body text the engine is given (the Genesys hint sits in the first few hundred bytes).
BODY_LIMIT = 4096
#: How long the HTTP helpers spend reading an error body when the request sets no read timeout.
BODY_TIMEOUT_S = 5.0

_UNREAD = object()


def _loaded_body(obj: Any) -> Any:
    """The body of a response that has already been read, without any I/O: requests and httpx
    keep it in ``_content`` once read (requests: ``False`` before), urllib3 in ``_body``."""
    state = getattr(obj, "__dict__", None)
    if not isinstance(state, dict):
        return _UNREAD
    for private in ("_content", "_body"):
        if private in state:
            value = state[private]
            return value if isinstance(value, (bytes, bytearray, str)) else _UNREAD
    return None


def _body_of(obj: Any) -> Optional[str]:
    """At most :data:`BODY_LIMIT` characters of a body that is already in memory. Never reads
    from the network: a computed attribute (a property such as requests' ``text`` or
    urllib3's ``data``) is only used when the response says its body was read."""
    loaded = _loaded_body(obj)
    if isinstance(loaded, (bytes, bytearray)):
        return bytes(loaded[:BODY_LIMIT]).decode("utf-8", "replace")
    if isinstance(loaded, str):
        return loaded[:BODY_LIMIT]
    for attr in ("text", "body", "data"):
        if isinstance(getattr(type(obj), attr, None), property):
            continue  # may read the network (requests' text, urllib3's data)
        try:
            value = getattr(obj, attr, None)
        except Exception:  # noqa: BLE001 - e.g. an attribute that cannot be read now
            continue
        if value is None or callable(value):
            continue
        if isinstance(value, (bytes, bytearray)):
            return bytes(value[:BODY_LIMIT]).decode("utf-8", "replace")
        if isinstance(value, str):
            return value[:BODY_LIMIT]
    return None


def _status_of(obj: Any) -> Optional[int]:
    for attr in ("status_code", "status"):
        value = getattr(obj, attr, None)
        if isinstance(value, int) and not isinstance(value, bool) and MIN_STATUS <= value <= MAX_STATUS:
            return value
    return None


def response_info(obj: Any) -> Optional[ResponseInfo]:
    """``(status, headers, body)`` of a response or of an exception that carries one, or ``None``
    when there is no response (a network error)."""
    if obj is None:
        return None
    response = getattr(obj, "response", None)
    if isinstance(obj, BaseException):
        # requests/httpx errors carry the response; the SDK's ApiException carries the fields.
        if response is not None and _status_of(response) is not None:
            obj = response
        elif _status_of(obj) is None:
            return None
    status = _status_of(obj)
    if status is None:
        return None
    headers = getattr(obj, "headers", None)
    if headers is None:
        getheaders = getattr(obj, "getheaders", None)
        headers = getheaders() if callable(getheaders) else ()
    return ResponseInfo(status, headers if headers is not None else (), _body_of(obj))
