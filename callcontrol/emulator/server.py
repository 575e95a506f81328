"""Loopback HTTP servers: the REST API (stdlib) and the host for a WSGI app (wsgiref).

An ASGI app is hosted by the same server through an in-process bridge: each request is
handed to the app on an event loop thread of the server's own, stopped with the server.

Both bind in their constructor, before any thread starts, set TCP_NODELAY on every
connection (small JSON answers must not wait for Nagle's algorithm), and close every open
connection on shutdown so that threads can be joined.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .._asgi_call import LoopThread, is_asgi, wsgi_bridge
from .._version import __version__
from ..webhooks import APP_ERRORS_KEY, app_failures
from .api import CallsApi, Reply

VERSION_HEADER = "X-Emulator-Version"
MAX_BODY = 1 << 20
#: Seconds a REST connection may sit idle (or a request take to arrive) before it is closed.
IDLE_TIMEOUT = 30.0


class _Tracking:
    """Keeps the open connections of a socketserver so that shutdown can close them."""

    def _track_init(self) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def track(self, conn: socket.socket) -> None:
        """Keep ``conn`` (with TCP_NODELAY set) until it is closed."""
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.connections_lock:
            self.connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        """Forget a closed connection."""
        with self.connections_lock:
            self.connections.discard(conn)

    def stop(self) -> None:
        """Stop serving: end the accept loop, close every connection and the listening socket."""
        self.shutdown()  # type: ignore[attr-defined]
        self.close_connections()
        self.server_close()  # type: ignore[attr-defined]

    def close_connections(self) -> None:
        """Shut every open connection down, waking the threads that read from them."""
        with self.connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ApiServer(_Tracking, ThreadingHTTPServer):
    """The REST server; every request goes to :meth:`CallsApi.handle`."""

    daemon_threads = True
    request_queue_size = 128
    block_on_close = False

    def __init__(
        self,
        host: str,
        port: int,
        api: CallsApi | None = None,
        *,
        on_error: Callable[[BaseException, str], None] | None = None,
    ) -> None:
        self._track_init()
        self.api = api
        self.on_error = on_error
        self.on_reply: Callable[[Reply], None] | None = None
        self.idle_timeout = IDLE_TIMEOUT
        #: Host header names accepted besides IP literals of the bound address (and localhost).
        self.bound_host = host
        super().__init__((host, port), _ApiHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection, then serve it on its own thread."""
        self.track(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget the connection, then close it."""
        self.untrack(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A closed connection is the client's business; anything else is an emulator bug."""
        error = sys.exc_info()[1]
        if error is None or isinstance(error, OSError):
            return
        if self.on_error is not None:
            self.on_error(error, "the REST server failed on a request")


class _ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ApiServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the emulator records exchanges instead of printing them."""

    def do_GET(self) -> None:  # noqa: N802
        """Every method goes to the API, which answers 405 where it must."""
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET  # noqa: N815

    def setup(self) -> None:
        """Idle connections are closed after the server's ``idle_timeout``."""
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def _serve(self) -> None:
        refusal = self._refusal()
        if refusal is not None:
            self.close_connection = True
            self._write(_error(*refusal))
            return
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True
            return  # the client closed the connection before its body was complete
        headers = {k.lower(): v for k, v in self.headers.items()}
        api = self.server.api
        assert api is not None
        try:
            reply = api.handle(self.command, unquote(path), query, headers, body)
        except Exception as exc:  # an emulator bug: answered, and raised again on close()
            if self.server.on_error is not None:
                self.server.on_error(exc, f"the REST server failed on {self.command} {path}")
            reply = _error(500, "internal-error", "An unknown internal error occurred")
        if self.server.on_reply is not None:
            self.server.on_reply(reply)
        if reply.latency:
            time.sleep(reply.latency)
        if reply.drop is not None:
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(reply)

    def _refusal(self) -> tuple[int, str, str] | None:
        """Why the request cannot be read or must not be served, or None."""
        if not host_allowed(self.headers.get("Host"), self.server.bound_host):
            # A web page whose name resolves to 127.0.0.1 (DNS rebinding) sends its own name.
            return (
                421,
                "validation",
                "Misdirected Request: the Host must be this emulator's address",
            )
        if "Transfer-Encoding" in self.headers:
            return 411, "validation", "Length Required: send the body with a Content-Length"
        raw = self.headers.get_all("Content-Length") or []
        if len(raw) > 1:
            return 400, "validation", "Bad Request: Content-Length is given more than once"
        text = raw[0].strip() if raw else "0"
        if not (text.isascii() and text.isdigit()):
            return (
                400,
                "validation",
                f"Bad Request: Content-Length must be a whole number of bytes, not {text!r}",
            )
        if int(text) > MAX_BODY:
            return 413, "validation", f"Body too large: at most {MAX_BODY} bytes"
        return None

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header(VERSION_HEADER, __version__)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.body and self.command != "HEAD":
            self.wfile.write(reply.body)


def _error(status: int, kind: str, description: str) -> Reply:
    body = json.dumps({"type": kind, "description": description, "id": ""}).encode()
    return Reply(status, body, [("Content-Type", "application/json")])


def host_allowed(header: str | None, bound: str) -> bool:
    """True when a Host header names this server: its bound address, localhost or loopback.

    Bound to every interface (``0.0.0.0`` or ``::``), any IP literal is accepted: DNS
    rebinding needs a name, and only ``localhost`` is a name accepted here.
    """
    if not header:
        return False
    try:
        name = urlsplit("//" + header.strip()).hostname
    except ValueError:
        return False
    if name is None:
        return False
    if name == "localhost" or name == bound.lower().strip("[]"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or bound in ("0.0.0.0", "::", "")


#: A WSGI callable, or an ASGI 3 app (an async callable).
WsgiApp = Callable[..., Any]
#: The wall-clock guard on one request to an ASGI app (the emulator gives up sooner).
ASGI_APP_TIMEOUT = 60.0


class AppServer(_Tracking, WSGIServer):
    """Serves a WSGI or ASGI app on loopback, one thread per connection; errors go to
    ``on_error``."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, host: str, port: int, app: WsgiApp, on_error: Callable[[BaseException, str], None]
    ) -> None:
        self._track_init()
        self.on_error = on_error
        super().__init__((host, port), _AppHandler)
        self._loop: LoopThread | None = None
        if is_asgi(app):
            self._loop = LoopThread("emulator-asgi-app")
            app = wsgi_bridge(app, self._loop, ASGI_APP_TIMEOUT)
        self.set_app(_guarded(app, on_error))

    def server_close(self) -> None:
        """Close the socket, and stop the ASGI app's event loop if there is one."""
        super().server_close()
        if self._loop is not None:
            self._loop.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection and serve it on a new daemon thread."""
        self.track(request)
        thread = threading.Thread(
            target=self._serve_one, args=(request, client_address), daemon=True
        )
        thread.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except OSError:
            pass  # the emulator gave up on this callback (its timeout) and closed the socket
        except Exception as exc:  # reported to the emulator, raised again on close()
            self.on_error(exc, "serving the app")
        finally:
            self.untrack(request)
            self.shutdown_request(request)


class _AppHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


def _guarded(app: WsgiApp, on_error: Callable[[BaseException, str], None]) -> WsgiApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        where = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
        # A WebhookApp reports here what its fallback reply hides (webhooks.APP_ERRORS_KEY).
        reported: list[Any] = []
        environ[APP_ERRORS_KEY] = reported
        statuses: list[str] = []

        def status_kept(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info)

        try:
            body = list(app(environ, status_kept))
        except Exception as exc:
            on_error(exc, f"the app raised {type(exc).__name__} on {where}")
            start_response(
                "500 Internal Server Error", [("Content-Type", "text/plain")], _exc_info()
            )
            return [b"app error"]
        for kind, error in app_failures(reported):
            what = "returned invalid BXML" if kind == "invalid-bxml" else "raised"
            on_error(error, f"the app's handler {what} on {where} ({type(error).__name__})")
        if not reported and statuses and statuses[-1][:1] == "5":
            # How frameworks answer an exception they caught: an app error too.
            on_error(RuntimeError(f"answered {statuses[-1]}"), f"the app failed on {where}")
        return body

    return guarded


def _exc_info() -> Any:
    return sys.exc_info()
