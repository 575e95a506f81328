"""The ASGI front end of :class:`~callcontrol.webhooks.WebhookApp`: ``app.asgi``.

::

    app = WebhookApp(username="bw", password="s3cret")

    @app.route("/answer")
    async def answer(event):
        caller = await crm.lookup(event.from_)      # awaits without blocking other calls
        return Response(SpeakSentence(f"Hello {caller.name}."))

    asgi_app = app.asgi      # uvicorn module:app.asgi, or fastapi_app.mount("/bw", app.asgi)

The routes, credentials, body limit, fallback, hosted documents and statuses are the ones of
the WSGI app: both front ends are thin adapters over the same core. ``async def`` handlers
are awaited; plain ones run in the event loop's default thread pool, so a slow one does not
stall the other calls on the worker. Under WSGI an ``async def`` handler is an app error
(logged, answered with the fallback): a WSGI server has no event loop to await it on.

Mounted under a prefix (Starlette/FastAPI ``mount``), the app answers the paths below it,
as ``root_path`` tells. Lifespan events are answered (nothing to start); websocket
connections are refused.

In-process drivers (``CallSimulator``, ``explore``, the emulator) collect what the fallback
hides as under WSGI: they put a list in ``scope["extensions"]`` under
:data:`~callcontrol.webhooks.APP_ERRORS_KEY`, and the app appends ``(kind, exception)`` to it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, cast

from ._asgi_call import is_async_callable
from .webhooks import APP_ERRORS_KEY, HOSTED_PREFIX, Dispatch, Refused, Reply, WebhookRequest
from .webhooks import reporter as _reporter

if TYPE_CHECKING:
    from .webhooks import WebhookApp

__all__ = ["AsgiWebhooks", "Receive", "Scope", "Send"]

#: The ASGI 3 types (the ``asgiref.typing`` shapes, loosely typed).
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class AsgiWebhooks:
    """An ASGI 3 application answering like its :class:`WebhookApp` (``app.asgi``)."""

    def __init__(self, app: WebhookApp) -> None:
        self.app = app

    def __repr__(self) -> str:
        return f"{self.app!r}.asgi"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI connection: an HTTP request, or the lifespan protocol."""
        kind = scope.get("type")
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind != "http":
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            raise ValueError(f"an ASGI scope of type {kind!r} is not served here")
        reply = await self._answer(scope, receive)
        await send(
            {
                "type": "http.response.start",
                "status": reply.status.value,
                "headers": [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in reply.wsgi_headers()
                ],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})

    async def _answer(self, scope: Scope, receive: Receive) -> Reply:
        core = self.app
        headers = _headers(scope)
        request = _request(scope, headers)
        try:
            refusal = core._refusal(request)
            if refusal is not None:
                return refusal
            body = b""
            if request.method != "GET":
                limit = core._body_limit(headers.get("content-length", ""))
                body = core._check_size(await _read_body(receive, limit))
            if core._blocking_hosts and request.path.startswith(HOSTED_PREFIX):
                step = await _in_thread(core._route, request, body)
            else:
                step = core._route(request, body)
        except Refused as refused:
            return refused.reply
        if isinstance(step, Reply):
            return step
        extensions = scope.get("extensions") or {}
        report = _reporter(extensions.get(APP_ERRORS_KEY))
        try:
            result = await _call(step)
        except Exception as exc:
            return core._raised(step, exc, report)
        return core._answered(request, step, result, report)


async def _call(step: Dispatch) -> object:
    """Await an ``async def`` handler; run a plain one in the loop's thread pool."""
    handler = step.handler
    if is_async_callable(handler):
        result: object = await cast("Awaitable[object]", handler(step.event))
    else:
        result = await _in_thread(handler, step.event)
    if inspect.isawaitable(result):  # e.g. a lambda returning a coroutine
        result = await result
    return result


async def _in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function`` in the running loop's default executor, with this context."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(None, functools.partial(context.run, function, *args))


def _headers(scope: Scope) -> dict[str, str]:
    """The request headers by lower-case name (latin-1, as HTTP carries them); the last of
    a repeated header wins, as for WSGI servers' ``HTTP_*`` keys."""
    return {
        bytes(name).decode("latin-1").lower(): bytes(value).decode("latin-1")
        for name, value in scope.get("headers") or ()
    }


def _request(scope: Scope, headers: dict[str, str]) -> WebhookRequest:
    """The core's view of an ASGI HTTP request."""
    root = str(scope.get("root_path") or "")
    path = str(scope.get("path") or "/")
    # Servers and frameworks differ on whether ``path`` still holds the mount point
    # (Starlette's Mount keeps it and sets root_path); strip it when it is there.
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root) :] or "/"
    return WebhookRequest(
        method=str(scope.get("method") or "GET").upper(),
        path=path,
        query=bytes(scope.get("query_string") or b""),
        authorization=headers.get("authorization", ""),
        content_type=headers.get("content-type", ""),
        host=_host(scope, headers),
        root=root,
    )


def _host(scope: Scope, headers: dict[str, str]) -> str:
    """The request's host as a URL names it: the Host header, else the server's address."""
    host = headers.get("host")
    if host:
        return host.lower()
    server = scope.get("server")
    if not server:
        return ""
    name, port = server[0], server[1]
    default = 443 if scope.get("scheme") == "https" else 80
    return (str(name) if port in (None, default) else f"{name}:{port}").lower()


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The request body, read until it ends or passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        message = await receive()
        if message.get("type") == "http.disconnect":
            break
        chunk = bytes(message.get("body") or b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    """Answer the lifespan protocol: nothing to start or stop."""
    while True:
        message = await receive()
        kind = message.get("type")
        if kind == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
