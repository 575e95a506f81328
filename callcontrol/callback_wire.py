"""A callback on the wire: its URL and body, headers, and the 401 challenge (voice-api §9).

The simulator, the emulator and the load generator send the engine's
:class:`~callcontrol.engine.CallbackRequest` values through these, so a callback looks the
same whichever of them sends it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from .contract import basic_authorization
from .engine.model import CallbackRequest, Credentials, FetchResult


def challenge_first(
    request: CallbackRequest, attempt: Callable[[str | None], tuple[FetchResult, bool]]
) -> FetchResult:
    """Send ``request`` as Bandwidth sends an authenticated callback (voice-api §9.2).

    ``attempt(authorization)`` sends it once, with that Authorization header value or none,
    and returns the result and whether a 401 came with a ``WWW-Authenticate`` header. The
    first attempt never carries credentials; only a 401 with that header is answered with a
    second one carrying the target's Basic credentials, when it has any. A 401 without the
    header is final: Bandwidth never sends the credentials (the callback is lost).
    """
    result, challenge = attempt(None)
    if result.status != 401 or not challenge:
        return result
    authorization = basic_auth(request.target.credentials)
    if authorization is None:
        return replace(result, challenged=True)
    second, _ = attempt(authorization)
    return replace(second, challenged=True)


def encode(request: CallbackRequest) -> tuple[str, bytes]:
    """The URL (with the query for GET) and the body, exactly as sent on the wire."""
    url = request.target.url
    if request.target.method == "GET":
        query = urlencode({k: _query_value(v) for k, v in request.payload.items()})
        return f"{url}{'&' if '?' in url else '?'}{query}", b""
    return url, json.dumps(request.payload, separators=(",", ":")).encode("utf-8")


def _query_value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def basic_auth(credentials: Credentials | None) -> str | None:
    """The Authorization header value for ``credentials``."""
    if credentials is None:
        return None
    return basic_authorization(credentials.username, credentials.password)


def callback_headers(body: bytes, user_agent: str, authorization: str | None) -> dict[str, str]:
    """The HTTP headers of a callback: ``user_agent``, the JSON type of a body, and the
    ``authorization`` of a repeat after a challenge (see :func:`challenge_first`)."""
    headers = {"User-Agent": user_agent}
    if body:
        headers["Content-Type"] = "application/json"
    if authorization:
        headers["Authorization"] = authorization
    return headers
