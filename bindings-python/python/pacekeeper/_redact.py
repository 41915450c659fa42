"""Redacted copies of what pacekeeper attaches to the objects it raises or returns.

Credentials never reach anything pacekeeper creates or attaches: ``Authorization``,
``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``, API-key and token headers (``X-Api-Key``,
``X-Auth-Token``, ...) and credential query parameters (``access_token``, ``api_key``,
``client_secret``, ``sig``, ...) are replaced by ``[REDACTED]``.
"""

from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["REDACTED", "is_secret_header", "redact_exception", "redact_headers", "redact_text", "redact_url"]

REDACTED = "[REDACTED]"

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "set-cookie2"})
# Any header or parameter whose name says it holds a credential (X-Api-Key, X-Auth-Token,
# X-Amz-Security-Token, client_secret, password, signature, ...).
_SECRET_NAME = re.compile(
    r"(api[-_]?key|apikey|token|secret|passw(or)?d|passwd|credential|session|signature|^sig$|"
    r"^key$|^auth$|^code$|x-amz-security|private[-_]?key)",
    re.IGNORECASE,
)
# Credentials inside free text: `name=value` query pairs, `Bearer xyz`, `Basic xyz`, URL userinfo.
_TEXT_PARAM = re.compile(
    r"(?P<name>[A-Za-z0-9_.\-]*(?:api[-_]?key|apikey|token|secret|passw(?:or)?d|signature|sig|"
    r"credential|session|auth|code|key)[A-Za-z0-9_.\-]*)(?P<sep>=|%3D)(?P<value>[^&\s'\"<>#;,)]+)",
    re.IGNORECASE,
)
_TEXT_SCHEME = re.compile(r"\b(Bearer|Basic|Digest|Token)\s+[A-Za-z0-9\-._~+/=:]+", re.IGNORECASE)
_TEXT_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s@'\"]+@")


def is_secret_header(name: Any) -> bool:
    """True for a header that carries a credential."""
    if isinstance(name, bytes):
        name = name.decode("latin-1", "replace")
    if not isinstance(name, str):
        return False
    lower = name.strip().lower()
    return lower in _SECRET_HEADERS or bool(_SECRET_NAME.search(lower))


def redact_text(text: str) -> str:
    """``text`` with query credentials, ``Bearer``/``Basic`` tokens and URL passwords hidden."""
    text = _TEXT_USERINFO.sub(lambda m: m.group("scheme") + REDACTED + "@", text)
    text = _TEXT_SCHEME.sub(lambda m: m.group(1) + " " + REDACTED, text)
    return _TEXT_PARAM.sub(lambda m: m.group("name") + m.group("sep") + REDACTED, text)


def redact_url(url: Any) -> Any:
    """A URL (``str`` or ``bytes``) with credential query parameters and userinfo hidden."""
    if isinstance(url, bytes):
        return redact_url(url.decode("latin-1", "replace")).encode("latin-1", "replace")
    if not isinstance(url, str):
        return redact_url(str(url))
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, REDACTED if _SECRET_NAME.search(k) else v) for k, v in pairs], safe="[]")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return redact_text(url)


def redact_headers(headers: Any) -> dict:
    """A plain ``dict`` copy of ``headers`` (a mapping or ``(name, value)`` pairs) with every
    credential header's value replaced."""
    if headers is None:
        return {}
    items: Any
    if hasattr(headers, "multi_items"):
        items = headers.multi_items()
    elif hasattr(headers, "items"):
        items = headers.items()
    else:
        items = headers
    out: dict = {}
    for name, value in items:
        if isinstance(name, bytes):
            name = name.decode("latin-1", "replace")
        if isinstance(value, bytes):
            value = value.decode("latin-1", "replace")
        value = REDACTED if is_secret_header(name) else redact_text(str(value))
        out[name] = value if name not in out else f"{out[name]}, {value}"
    return out


def _redact_request(request: Any) -> Any:
    """A redacted copy of a requests ``PreparedRequest`` or an ``httpx.Request``."""
    if request is None:
        return None
    module = type(request).__module__
    if module.startswith("httpx"):
        import httpx

        return httpx.Request(request.method, str(redact_url(str(request.url))), headers=redact_headers(request.headers))
    if module.startswith("requests"):
        import requests

        copy = requests.PreparedRequest()
        copy.method = request.method
        copy.url = redact_url(request.url) if request.url is not None else None
        copy.headers = requests.structures.CaseInsensitiveDict(redact_headers(request.headers))
        copy.body = None
        return copy
    return None


def _redact_value(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("latin-1", "replace")).encode("latin-1", "replace")
    if isinstance(value, BaseException):
        redact_exception(value, depth + 1)
    return value


def redact_exception(exc: Optional[BaseException], depth: int = 0) -> None:
    """Redacts, in place, an exception pacekeeper is about to attach (a network error becoming
    :class:`~pacekeeper.GiveUp`'s ``__cause__``): its request (requests, httpx) is replaced by
    a redacted copy, its ``url`` and message arguments lose their credentials, and the same is
    done to the exceptions it wraps (urllib3's ``reason``, ``__cause__``, ``__context__``)."""
    if exc is None or depth > 8:
        return
    try:
        request = getattr(exc, "_request", None) if type(exc).__module__.startswith("httpx") else getattr(exc, "request", None)
    except Exception:  # noqa: BLE001 - httpx raises when no request is set
        request = None
    if request is not None:
        copy = _redact_request(request)
        try:
            if type(exc).__module__.startswith("httpx"):
                exc._request = copy  # type: ignore[attr-defined]
            else:
                exc.request = copy  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - read-only attribute: leave it
            pass
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "request", None) is not None:
        try:
            response.request = _redact_request(response.request)
        except Exception:  # noqa: BLE001
            pass
    state = getattr(exc, "__dict__", None)
    for attr, value in list(state.items()) if isinstance(state, dict) else ():
        if attr in ("request", "_request", "response"):
            continue  # handled above
        if attr == "url" and isinstance(value, (str, bytes)):
            redacted = redact_url(value)
        elif isinstance(value, (str, bytes, BaseException)):
            redacted = _redact_value(value, depth)  # messages (urllib3's `_message`), `reason`
        else:
            continue
        try:
            setattr(exc, attr, redacted)
        except Exception:  # noqa: BLE001 - read-only attribute: leave it
            pass
    try:
        exc.args = tuple(_redact_value(a, depth) for a in exc.args)
    except Exception:  # noqa: BLE001
        pass
    for chained in (exc.__cause__, exc.__context__):
        if chained is not None and chained is not exc:
            redact_exception(chained, depth + 1)
