"""Status, headers and body from the responses and exceptions of common HTTP clients.

Understood: the Genesys SDK's ``ApiException`` (``.status``, ``.headers``, ``.body``), ``requests``
(``Response``, and ``HTTPError``/``RequestException`` with ``.response``), ``httpx``
(``Response``, ``HTTPStatusError``), ``urllib3`` responses, and any object with
``status``/``status_code`` and ``headers`` attributes. No import of those libraries is needed.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

__all__ = ["ResponseInfo", "response_info"]


class ResponseInfo(NamedTuple):
    """What the engine needs from a response."""

    status: int
    headers: Any
    body: Optional[str]


def _body_of(obj: Any) -> Optional[str]:
    for attr in ("text", "body", "data"):
        try:
            value = getattr(obj, attr, None)
        except Exception:  # e.g. httpx's ResponseNotRead for a streamed body
            continue
        if value is None or callable(value):
            continue
        if isinstance(value, (bytes, bytearray)):
            return bytes(value[:4096]).decode("utf-8", "replace")
        if isinstance(value, str):
            return value[:4096]
    return None


def _status_of(obj: Any) -> Optional[int]:
    for attr in ("status_code", "status"):
        value = getattr(obj, attr, None)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
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
