"""A callback on the wire: its URL and body, headers, and the 401 challenge (voice-api §9).

The simulator, the emulator and the load generator send the engine's
:class:`~callcontrol.engine.CallbackRequest` values through these, so a callback looks the
same whichever of them sends it.
"""

from __future__ import annotations

import functools
import http.client
import io
import json
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

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
    return url, _COMPACT.encode(request.payload).encode("utf-8")


#: ``json.dumps(payload, separators=(",", ":"))``, made once instead of once per callback.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


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


def challenges(status: int | None, headers: Iterable[tuple[str, str]]) -> bool:
    """Whether a reply is a 401 that carries a ``WWW-Authenticate`` challenge."""
    return status == 401 and any(
        name.lower() == "www-authenticate" and value.strip() for name, value in headers
    )


#: The most bytes of a callback reply read (64 KB, the largest document, + 1 to tell "too large").
REPLY_LIMIT = 65536 + 1
Tracker = Callable[[socket.socket, bool], None]


def fetch(
    method: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    *,
    limit: int = REPLY_LIMIT,
    track: Tracker | None = None,
) -> tuple[FetchResult, list[tuple[str, str]]]:
    """Send one HTTP request; read its reply within ``timeout`` seconds in all.

    The deadline covers connecting, sending, the status line, the headers and the body,
    however slowly they trickle in; at most ``limit`` bytes of the body are read (a longer
    body comes back cut at ``limit``). ``track(sock, True)`` is called once connected and
    ``track(sock, False)`` when done, so an owner can shut the socket down to end a fetch
    early. Never raises for network trouble: the problem is the result's ``error``.
    Returns the result and the reply's headers.
    """
    deadline = time.monotonic() + timeout
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return FetchResult(None, b"", f"the URL {url!r} cannot be used: {exc}"), []
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return FetchResult(None, b"", f"the URL {url!r} is not an http(s) URL with a host"), []
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, port, timeout=timeout)
    conn.response_class = functools.partial(_DeadlineResponse, deadline=deadline)  # type: ignore[assignment]
    target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    sock: socket.socket | None = None
    try:
        conn.connect()
        sock = conn.sock
        if track is not None and sock is not None:
            track(sock, True)
        _left(deadline, sock)
        conn.request(method, target, body=body or None, headers={**headers, "Connection": "close"})
        reply = conn.getresponse()
        return FetchResult(reply.status, reply.read(limit)), reply.getheaders()
    except TimeoutError:
        problem = f"timed out: no complete reply within {timeout:.3g} s"
        return FetchResult(None, b"", problem, timed_out=True), []
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return FetchResult(None, b"", f"{type(exc).__name__}: {exc}"), []
    finally:
        if track is not None and sock is not None:
            track(sock, False)
        conn.close()


def _left(deadline: float, sock: socket.socket | None) -> float:
    """Seconds left before ``deadline``, set as the socket's timeout; TimeoutError past it."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    if sock is not None:
        sock.settimeout(left)
    return left


class _DeadlineReader(io.RawIOBase):
    """Reads a socket, each read bounded by what is left of one overall deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        # The socket's own file keeps it open while the reply is read, as http.client expects.
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        """Always."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read what has arrived, waiting no longer than the deadline."""
        _left(self._deadline, self._sock)
        return self._raw.readinto(buffer) or 0

    def close(self) -> None:
        """Release the socket."""
        self._raw.close()
        super().close()


class _DeadlineSocket:
    """What :class:`http.client.HTTPResponse` reads from: a deadline-bound file."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        """The reply's bytes, read under the deadline."""
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, deadline: float, **kwargs: Any) -> None:
        super().__init__(_DeadlineSocket(sock, deadline), *args, **kwargs)  # type: ignore[arg-type]
