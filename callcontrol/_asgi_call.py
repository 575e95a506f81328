"""Calling an ASGI app in process, without a socket: for the simulator, the emulator's app
host and the load runner's detection.

An ASGI app is recognised by its shape (an ``async def`` callable, or an object whose
``__call__`` is one: ``app.asgi``, FastAPI, Starlette, Django's ASGIHandler). Lifespan
events are not sent: the drivers call the app as a test client does.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from .webhooks import APP_ERRORS_KEY

AsgiApp = Callable[..., Awaitable[None]]
_T = TypeVar("_T")


def is_async_callable(app: object) -> bool:
    """True for a coroutine function, or an object whose ``__call__`` is one (through
    ``functools.partial``): how an ASGI app, or an ``async def`` handler, is told apart."""
    while isinstance(app, functools.partial):
        app = app.func
    if inspect.isroutine(app):
        return inspect.iscoroutinefunction(app)
    if isinstance(app, type) or not callable(app):
        return False
    return inspect.iscoroutinefunction(type(app).__call__)


#: An ASGI 3 app is an async callable (ASGI 2's double callables are not recognised).
is_asgi = is_async_callable


class AppTimeout(Exception):
    """The app did not finish its answer within the wall-clock guard."""


@dataclass
class AsgiResponse:
    """What an ASGI app sent: status, headers (latin-1 text) and the whole body."""

    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    complete: bool = False


def http_scope(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    *,
    root_path: str = "",
    app_errors: list[Any] | None = None,
) -> dict[str, Any]:
    """The HTTP scope of a request to the absolute ``url`` (path and query as sent)."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    raw_path = parts.path or "/"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": parts.scheme or "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1", "replace"),
        "query_string": parts.query.encode("latin-1", "replace"),
        "root_path": root_path,
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
        ],
        "server": (parts.hostname or "localhost", parts.port or (443 if https else 80)),
        "client": ("127.0.0.1", 0),
        "state": {},
    }
    if app_errors is not None:
        scope["extensions"] = {APP_ERRORS_KEY: app_errors}
    return scope


async def call(app: AsgiApp, scope: dict[str, Any], body: bytes) -> AsgiResponse:
    """Send one request to ``app`` and collect the response it sends.

    An exception the app raises propagates, even after it sent a response (Starlette's
    error middleware sends 500, then raises again for the server to log).
    """
    response = AsgiResponse()
    finished = asyncio.Event()
    sent_body = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()  # nothing more comes until the answer is out
        return {"type": "http.disconnect"}

    chunks: list[bytes] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            response.status = int(message["status"])
            response.headers = [
                (bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
                for name, value in message.get("headers") or ()
            ]
        elif kind == "http.response.body":
            if response.status is None:
                raise RuntimeError("the ASGI app sent a body before http.response.start")
            chunks.append(bytes(message.get("body") or b""))
            if not message.get("more_body"):
                response.complete = True
                finished.set()

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
        response.body = b"".join(chunks)
    return response


async def _guarded(awaitable: Awaitable[_T], timeout: float) -> _T:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise AppTimeout(f"the app did not answer within {timeout:g} s") from None


class CallerLoop:
    """An event loop of its own, run in the calling thread for one request at a time (in a
    short-lived thread when the caller's thread already runs a loop: an async test).

    The loop stays between requests, as a server's does, so that an app may keep what it
    bound to the loop; it is closed when this object goes.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout: float) -> _T:
        """Run ``coroutine`` to its end; :class:`AppTimeout` after ``timeout`` seconds."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.new_event_loop()
            weakref.finalize(self, _close_loop, loop)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return loop.run_until_complete(_guarded(coroutine, timeout))
        outcome: list[Any] = []

        def worker() -> None:
            try:
                outcome.append((True, loop.run_until_complete(_guarded(coroutine, timeout))))
            except BaseException as exc:  # handed to the caller's thread
                outcome.append((False, exc))

        thread = threading.Thread(target=worker, name="callcontrol-asgi-call")
        thread.start()
        thread.join()
        ok, value = outcome[0]
        if not ok:
            raise value
        result: _T = value
        return result


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed() and not loop.is_running():
        loop.close()


class LoopThread:
    """An event loop on a thread of its own, for apps called from many threads (the
    emulator's app host); :meth:`close` stops it."""

    def __init__(self, name: str = "callcontrol-asgi") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout: float) -> _T:
        """Run ``coroutine`` on the loop and wait for it; :class:`AppTimeout` after
        ``timeout`` seconds."""
        future = asyncio.run_coroutine_threadsafe(_guarded(coroutine, timeout), self._loop)
        return future.result()

    def close(self) -> None:
        """Stop the loop and its thread (requests still running are cancelled)."""
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._loop.is_running():
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.close()


def wsgi_bridge(app: AsgiApp, loop: LoopThread, timeout: float) -> Callable[..., list[bytes]]:
    """A WSGI callable that answers by calling the ASGI ``app`` on ``loop``.

    The app errors a driver collects in the environ (``APP_ERRORS_KEY``) are collected in
    the scope's extensions into the same list.
    """

    def bridged(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = str(environ.get("CONTENT_LENGTH") or "")
        body = environ["wsgi.input"].read(int(length)) if length.isdigit() else b""
        headers = [
            (key[5:].replace("_", "-").lower(), str(value))
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
            if environ.get(key):
                headers.append((name, str(environ[key])))
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        query = environ.get("QUERY_STRING", "")
        path = str(environ.get("PATH_INFO", "")).encode("latin-1").decode("utf-8", "replace")
        url = f"{scheme}://{host}{quote(path)}" + (f"?{query}" if query else "")
        sink = environ.get(APP_ERRORS_KEY)
        scope = http_scope(
            str(environ.get("REQUEST_METHOD", "GET")),
            url,
            headers,
            app_errors=sink if isinstance(sink, list) else None,
        )
        response = loop.run(call(app, scope, body), timeout)
        status = response.status or 500
        start_response(f"{status} {_phrase(status)}", response.headers)
        return [response.body]

    return bridged


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
