"""Sending callbacks to the app: in-process WSGI (no socket) or real HTTP to a base URL."""

from __future__ import annotations

import base64
import functools
import io
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from ..engine.model import CallbackRequest, Credentials, FetchResult

WsgiApp = Callable[..., Iterable[bytes]]
#: The User-Agent of the simulator's callbacks, over HTTP and in WSGI environs.
SIMULATOR_USER_AGENT = "BandwidthAPI/v2 (callcontrol simulator)"


@dataclass(frozen=True)
class Exchange:
    """One callback as sent and answered."""

    request: CallbackRequest
    url: str
    body: bytes
    result: FetchResult


class AppError(Exception):
    """The app raised while handling a callback; the message names the request.

    ``request`` is the callback (event type, payload, target) and ``url`` the URL it went
    to; the app's own exception is the ``__cause__``.
    """

    def __init__(self, message: str, request: CallbackRequest, url: str) -> None:
        super().__init__(message)
        self.request = request
        self.url = url


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
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def callback_headers(request: CallbackRequest, body: bytes, user_agent: str) -> dict[str, str]:
    """The HTTP headers of a callback: ``user_agent``, the JSON type of a body, the credentials."""
    headers = {"User-Agent": user_agent}
    if body:
        headers["Content-Type"] = "application/json"
    auth = basic_auth(request.target.credentials)
    if auth:
        headers["Authorization"] = auth
    return headers


class Router:
    """Finds the app for an absolute URL: the main app at ``base_url``, or a mounted one."""

    def __init__(
        self, app: WsgiApp | str, base_url: str, raise_app_errors: bool, timeout: float
    ) -> None:
        self.mounts: list[tuple[str, WsgiApp | str]] = [(base_url.rstrip("/"), app)]
        self.raise_app_errors = raise_app_errors
        self.timeout = timeout

    def mount(self, prefix: str, app: WsgiApp | str) -> None:
        """Serve URLs starting with ``prefix`` from ``app``."""
        self.mounts.insert(0, (prefix.rstrip("/"), app))

    def send(self, request: CallbackRequest) -> Exchange:
        """Send ``request`` and return what came back (never raises for HTTP failures)."""
        url, body = encode(request)
        for prefix, app in self.mounts:
            if url == prefix or url.startswith((prefix + "/", prefix + "?")):
                if isinstance(app, str):
                    result = self._http(app + url[len(prefix) :], request, body)
                else:
                    result = self._wsgi(app, url, request, body)
                return Exchange(request, url, body, result)
        reason = f"unreachable: no app serves {urlsplit(url).scheme}://{urlsplit(url).netloc}"
        return Exchange(request, url, body, FetchResult(None, b"", reason))

    def _wsgi(self, app: WsgiApp, url: str, request: CallbackRequest, body: bytes) -> FetchResult:
        environ = _environ(url, request, body)
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            if exc_info is not None and captured.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: captured.setdefault("written", []).append(data)

        try:
            iterable = app(environ, start_response)
            try:
                chunks = [bytes(chunk) for chunk in iterable]
            finally:
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()
        except Exception as exc:
            where = f"{request.target.method} {url} ({request.event_type})"
            if self.raise_app_errors:
                message = f"the app raised {type(exc).__name__} on {where}: {exc}"
                raise AppError(message, request, url) from exc
            return FetchResult(500, b"", None)
        data = b"".join(captured.get("written", [])) + b"".join(chunks)
        status = _status_code(captured.get("status", "500"))
        if status is None:
            where = f"{request.target.method} {url} ({request.event_type})"
            message = (
                f"the app answered {where} with the WSGI status {captured['status']!r}; "
                "it must start with a 3-digit code, like '200 OK'"
            )
            if self.raise_app_errors:
                raise AppError(message, request, url)
            return FetchResult(None, b"", message)
        return FetchResult(status, data)

    def _http(self, url: str, request: CallbackRequest, body: bytes) -> FetchResult:
        import requests

        try:
            reply = requests.request(
                request.target.method,
                url,
                data=body or None,
                headers=callback_headers(request, body, SIMULATOR_USER_AGENT),
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return FetchResult(None, b"", f"{type(exc).__name__}: {exc}")
        return FetchResult(reply.status_code, reply.content)


def _status_code(status: object) -> int | None:
    """The code of a WSGI status line (``'200 OK'``), or None when it has none."""
    code = str(status).split(" ", 1)[0]
    return int(code) if len(code) == 3 and code.isascii() and code.isdigit() else None


@functools.lru_cache(maxsize=1024)
def _url_environ(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    return {
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(parts.path) or "/",
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(parts.port or (443 if https else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": parts.netloc,
        "HTTP_USER_AGENT": SIMULATOR_USER_AGENT,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme or "http",
    }


def _environ(url: str, request: CallbackRequest, body: bytes) -> dict[str, Any]:
    environ = dict(_url_environ(url))
    environ.update(
        {
            "REQUEST_METHOD": request.target.method,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)) if body else "",
        }
    )
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    auth = basic_auth(request.target.credentials)
    if auth:
        environ["HTTP_AUTHORIZATION"] = auth
    return environ
