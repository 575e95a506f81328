"""Sending callbacks to the app: in-process WSGI or ASGI (no socket), or real HTTP to a base URL.

An ASGI app (``app.asgi``, FastAPI, Starlette, any ASGI 3 callable) is recognised by its
shape and run on an event loop of the router's own, in the calling thread; ``timeout`` is
the wall-clock guard on each callback (past it, the callback has timed out, as over HTTP).
"""

from __future__ import annotations

import atexit
import functools
import io
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

# Kept importable from here (their home is callcontrol.callback_wire).
from .._asgi_call import AppTimeout, CallerLoop, call, http_scope, is_asgi
from ..callback_wire import REPLY_LIMIT as REPLY_LIMIT
from ..callback_wire import basic_auth as basic_auth
from ..callback_wire import callback_headers as callback_headers
from ..callback_wire import challenge_first as challenge_first
from ..callback_wire import challenges as _challenges
from ..callback_wire import encode as encode
from ..callback_wire import fetch as fetch
from ..engine.model import CallbackRequest, FetchResult
from ..webhooks import APP_ERRORS_KEY, app_failures

#: A WSGI callable, or an ASGI 3 app (told apart by shape: an ASGI app's call is async).
WsgiApp = Callable[..., Any]
#: The User-Agent of the simulator's callbacks, over HTTP and in WSGI environs.
SIMULATOR_USER_AGENT = "BandwidthAPI/v2 (callcontrol simulator)"


@dataclass(frozen=True)
class Exchange:
    """One callback as sent and answered."""

    request: CallbackRequest
    url: str
    body: bytes
    result: FetchResult
    #: What the app reported failing (``kind``, message) while its fallback reply went out;
    #: only kept when app errors are not raised.
    failures: tuple[tuple[str, str], ...] = ()


class AppError(Exception):
    """The app failed on a callback; the message names the request.

    ``request`` is the callback (event type, payload, target) and ``url`` the URL it went
    to; the app's own exception is the ``__cause__``, and ``status`` the 5xx it answered
    with when that is all that is known (how Flask or Django answer an exception).
    ``kind`` is ``"app-error"`` when the app raised or answered 5xx (also inside a
    ``WebhookApp`` handler, whose fallback reply would hide it) and ``"invalid-bxml"`` when
    a ``WebhookApp`` handler returned something that is not a valid ``<Response>``.
    """

    def __init__(
        self,
        message: str,
        request: CallbackRequest,
        url: str,
        kind: str = "app-error",
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.request = request
        self.url = url
        self.kind = kind
        #: The 5xx status the app answered with, when that is how it failed.
        self.status = status


def failure_message(kind: str, error: BaseException, where: str) -> str:
    """How an app failure on the callback ``where`` is told (AppError, transcripts)."""
    if kind == "invalid-bxml":
        return f"the app's reply to {where} is not a valid <Response>: {error}"
    return f"the app raised {type(error).__name__} on {where}: {error}"


def _where(request: CallbackRequest, url: str) -> str:
    return f"{request.target.method} {url} ({request.event_type})"


class Router:
    """Finds the app for an absolute URL: the main app at ``base_url``, or a mounted one.

    ``timeout`` (wall seconds) bounds every callback: over HTTP, the whole exchange; in
    process, an app that has not returned by then is interrupted and :class:`AppError`
    names the URL (see :class:`_WallGuard` for where that is possible).
    """

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
        """Send ``request`` and return what came back (never raises for HTTP failures).

        :raises AppError: the app failed (raised, or reported a failure under
            ``APP_ERRORS_KEY``) and app errors are raised.
        """
        url, body = encode(request)
        found = self._mounted(url)
        if found is None:
            parts = urlsplit(url)
            reason = f"unreachable: no app serves {parts.scheme}://{parts.netloc}"
            return Exchange(request, url, body, FetchResult(None, b"", reason))
        prefix, app = found
        failures: list[tuple[str, str]] = []
        if isinstance(app, str):
            target = app + url[len(prefix) :]
            result = challenge_first(
                request, lambda auth: self._http(target, request, body, auth, failures)
            )
        elif self._is_asgi(app):
            result = challenge_first(
                request, lambda auth: self._asgi(app, url, request, body, auth, failures)
            )
        else:
            with _WallGuard(self.timeout, request, url):
                result = challenge_first(
                    request, lambda auth: self._wsgi(app, url, request, body, auth, failures)
                )
        return Exchange(request, url, body, result, tuple(failures))

    def _is_asgi(self, app: WsgiApp) -> bool:
        kinds: dict[int, tuple[WsgiApp, bool]] = self.__dict__.setdefault("_kinds", {})
        known = kinds.get(id(app))
        if known is None or known[0] is not app:
            known = kinds[id(app)] = (app, is_asgi(app))
        return known[1]

    def _asgi(
        self,
        app: WsgiApp,
        url: str,
        request: CallbackRequest,
        body: bytes,
        authorization: str | None,
        failures: list[tuple[str, str]],
    ) -> tuple[FetchResult, bool]:
        loop: CallerLoop = self.__dict__.setdefault("_loop", CallerLoop())
        reported: list[Any] = []
        headers = callback_headers(body, SIMULATOR_USER_AGENT, authorization)
        headers["Host"] = urlsplit(url).netloc
        if body:
            headers["Content-Length"] = str(len(body))
        scope = http_scope(request.target.method, url, headers.items(), app_errors=reported)
        try:
            response = loop.run(call(app, scope, body), self.timeout)
        except AppTimeout as timeout:
            return FetchResult(None, b"", str(timeout), timed_out=True), False
        except Exception as exc:
            message = failure_message("app-error", exc, _where(request, url))
            if self.raise_app_errors:
                raise AppError(message, request, url) from exc
            failures.append(("app-error", message))
            return FetchResult(500, b"", None), False
        self._reported(reported, request, url, failures)
        if response.status is None or not response.complete:
            message = (
                f"the app returned from {_where(request, url)} without a whole response "
                "(http.response.start, then http.response.body without more_body)"
            )
            if self.raise_app_errors:
                raise AppError(message, request, url)
            failures.append(("app-error", message))
            return FetchResult(None, b"", message), False
        if response.status >= 500:
            self._server_error(response.status, request, url, failures)
        return FetchResult(response.status, response.body), _challenges(
            response.status, response.headers
        )

    def _reported(
        self,
        reported: list[Any],
        request: CallbackRequest,
        url: str,
        failures: list[tuple[str, str]],
    ) -> None:
        """Raise (or keep) what the app reported under ``APP_ERRORS_KEY``."""
        for kind, error in app_failures(reported):
            message = failure_message(kind, error, _where(request, url))
            if self.raise_app_errors:
                raise AppError(message, request, url, kind) from error
            failures.append((kind, message))

    def _mounted(self, url: str) -> tuple[str, WsgiApp | str] | None:
        for prefix, app in self.mounts:
            if url == prefix or url.startswith((prefix + "/", prefix + "?")):
                return prefix, app
        return None

    def _wsgi(
        self,
        app: WsgiApp,
        url: str,
        request: CallbackRequest,
        body: bytes,
        authorization: str | None,
        failures: list[tuple[str, str]],
    ) -> tuple[FetchResult, bool]:
        environ = _environ(url, request, body, authorization)
        reported: list[Any] = []
        environ[APP_ERRORS_KEY] = reported
        response = _StartResponse()
        try:
            iterable = app(environ, response)
            try:
                chunks = [bytes(chunk) for chunk in iterable]
            finally:
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()
        except Exception as exc:
            message = failure_message("app-error", exc, _where(request, url))
            if self.raise_app_errors:
                raise AppError(message, request, url) from exc
            failures.append(("app-error", message))
            return FetchResult(500, b"", None), False
        if reported:
            self._reported(reported, request, url, failures)
        data = b"".join(chunks)
        if response.written:
            data = b"".join(response.written) + data
        status = _status_code(response.status)
        if status is None:
            message = (
                f"the app answered {_where(request, url)} with the WSGI status "
                f"{response.status!r}; it must start with a 3-digit code, like '200 OK'"
            )
            if self.raise_app_errors:
                raise AppError(message, request, url)
            failures.append(("app-error", message))
            return FetchResult(None, b"", message), False
        if status >= 500:
            self._server_error(status, request, url, failures)
        return FetchResult(status, data), _challenges(status, response.headers)

    def _server_error(
        self, status: int, request: CallbackRequest, url: str, failures: list[tuple[str, str]]
    ) -> None:
        """A 5xx is an app error too: how frameworks (Flask, Django...) answer an exception."""
        message = f"the app answered HTTP {status} on {_where(request, url)}"
        if self.raise_app_errors:
            hint = "; with raise_app_errors=False the fallback URL takes over, as on Bandwidth"
            raise AppError(message + hint, request, url, status=status)
        failures.append(("app-error", message))

    def _http(
        self,
        url: str,
        request: CallbackRequest,
        body: bytes,
        authorization: str | None,
        failures: list[tuple[str, str]],
    ) -> tuple[FetchResult, bool]:
        headers = callback_headers(body, SIMULATOR_USER_AGENT, authorization)
        result, reply_headers = fetch(request.target.method, url, body, headers, self.timeout)
        if result.status is not None and result.status >= 500:
            self._server_error(result.status, request, url, failures)
        return result, _challenges(result.status, reply_headers)


class _StartResponse:
    """The ``start_response`` given to a WSGI app: keeps the status, headers and writes."""

    __slots__ = ("headers", "status", "written")

    def __init__(self) -> None:
        self.status: object = "500"  # an app that never calls start_response answered 500
        self.headers: list[tuple[str, str]] = []
        self.written: list[bytes] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.status = status
        self.headers = headers
        return self.written.append


def _status_code(status: object) -> int | None:
    """The code of a WSGI status line (``'200 OK'``), or None when it has none."""
    code = _CODES.get(status) if isinstance(status, str) else None
    if code is None:
        text = str(status).split(" ", 1)[0]
        if len(text) != 3 or not text.isascii() or not text.isdigit():
            return None
        code = int(text)
        if isinstance(status, str) and len(_CODES) < 256:
            _CODES[status] = code
    return code


#: Status lines already read (an app answers with a handful of them).
_CODES: dict[str, int] = {}


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
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": "",
    }


def _environ(
    url: str, request: CallbackRequest, body: bytes, authorization: str | None
) -> dict[str, Any]:
    environ = _url_environ(url).copy()
    environ["REQUEST_METHOD"] = request.target.method
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.errors"] = sys.stderr
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["CONTENT_TYPE"] = "application/json"
    if authorization:
        environ["HTTP_AUTHORIZATION"] = authorization
    return environ


#: The most of a callback reply that is read: Bandwidth's 64 KB document limit plus one byte,
#: so that a larger reply is known to be too large without holding all of it (bxml-spec §1).
class _WallTimeout(BaseException):
    """Raised inside an in-process app that overran its wall-clock timeout.

    A BaseException, so that the app's own ``except Exception`` does not swallow it.
    """


class _Alarm:
    """The state of the one SIGALRM alarm the guards share (main thread only)."""

    __slots__ = ("deadline", "fires_at", "installed", "registered")

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.fires_at = 0.0
        self.installed = False
        self.registered = False


def _disarm() -> None:
    """At exit: no alarm of the guard may outlive it (SIGALRM would end the process)."""
    if _ALARM.installed:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if signal.getsignal(signal.SIGALRM) is _WallGuard._fire:
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
    _ALARM.installed = False


class _WallGuard:
    """Interrupts an in-process app that has not answered within ``timeout`` wall seconds.

    A hung handler would otherwise hang ``inbound()``, ``outbound()`` and ``explore()``
    forever. It works where a signal can reach the app: in the main thread on POSIX, while
    no other SIGALRM handler is installed (pytest-timeout's or the app's own win, and the
    guard stands aside). One ``ITIMER_REAL`` alarm, armed at most once per ``timeout`` and
    given back when idle, costs next to nothing per callback.
    """

    __slots__ = ("active", "request", "timeout", "url")

    def __init__(self, timeout: float, request: CallbackRequest, url: str) -> None:
        self.timeout = timeout
        self.request = request
        self.url = url
        self.active = False

    def __enter__(self) -> None:
        alarm = _ALARM
        if alarm.deadline is not None or not _CAN_ALARM or threading.get_ident() != _MAIN:
            return  # nested (the outer deadline stands), or no signal can reach this thread
        now = time.monotonic()
        # Read the handler every time: another one may have come (stand aside) or gone
        # (SIG_DFL again: take SIGALRM back) since the last callback.
        handler = signal.getsignal(signal.SIGALRM)
        if handler is not _WallGuard._fire:
            if handler not in (signal.SIG_DFL, None):
                alarm.installed = False
                return
            signal.signal(signal.SIGALRM, _WallGuard._fire)
            if not alarm.registered:  # an alarm left armed must not end the interpreter
                atexit.register(_disarm)
                alarm.registered = True
            alarm.installed = True
            alarm.fires_at = 0.0  # whatever was armed before went to another handler
        deadline = alarm.deadline = now + self.timeout
        # The pending alarm serves only if it comes in time and is really there: someone may
        # have cancelled the interval timer (setitimer or alarm(0)) since it was armed.
        if (
            alarm.fires_at <= now
            or alarm.fires_at > deadline
            or signal.getitimer(signal.ITIMER_REAL)[0] == 0.0
        ):
            signal.setitimer(signal.ITIMER_REAL, self.timeout)
            alarm.fires_at = deadline
        self.active = True

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if self.active:
            _ALARM.deadline = None
        if isinstance(error, _WallTimeout):
            where = f"{self.request.target.method} {self.url} ({self.request.event_type})"
            raise AppError(
                f"the app did not answer {where} within {self.timeout:g} s of wall time "
                "(the simulator's timeout=); it was interrupted",
                self.request,
                self.url,
            ) from None

    @staticmethod
    def _fire(signum: int, frame: object) -> None:
        alarm = _ALARM
        now = time.monotonic()
        deadline = alarm.deadline
        if deadline is None:  # idle: give SIGALRM back
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            alarm.installed = False
            alarm.fires_at = 0.0
            return
        if now >= deadline:
            alarm.deadline = None
            alarm.fires_at = 0.0
            raise _WallTimeout
        signal.setitimer(signal.ITIMER_REAL, deadline - now)
        alarm.fires_at = deadline


_ALARM = _Alarm()
_MAIN = threading.main_thread().ident
_CAN_ALARM = hasattr(signal, "setitimer")
