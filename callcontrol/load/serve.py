"""Serving an app under test on 127.0.0.1 for the length of a run, by a real server: waitress
for a WSGI app, uvicorn for an ASGI app (``pip install 'bxml-callcontrol[asgi]'``).
"""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .._asgi_call import is_asgi

#: A WSGI callable, or an ASGI 3 app (an async callable).
WsgiApp = Callable[..., Any]
#: Server threads at most: one per concurrent caller up to this many.
MAX_THREADS = 200

__all__ = ["MAX_THREADS", "WsgiApp", "is_asgi", "serve", "serve_wsgi"]


@contextmanager
def serve(app: WsgiApp, concurrency: int) -> Iterator[str]:
    """Serve ``app`` on an ephemeral port of 127.0.0.1; yield its base URL.

    The server gets a thread per concurrent caller (up to :data:`MAX_THREADS`), so callers do
    not queue behind each other in the server: the run measures the app, not a thread pool.
    """
    if is_asgi(app):
        with _serve_asgi(app, concurrency) as url:
            yield url
        return
    threads = max(4, min(concurrency, MAX_THREADS))
    options = {"connection_limit": max(100, concurrency + 10), "asyncore_loop_timeout": 0.05}
    with serve_wsgi(app, threads=threads, ident="callcontrol-load", **options) as url:
        yield url


@contextmanager
def serve_wsgi(app: WsgiApp, *, threads: int = 4, **options: Any) -> Iterator[str]:
    """Serve the WSGI ``app`` under waitress on an ephemeral port of 127.0.0.1; yield its
    base URL. ``options`` are more waitress settings (e.g. ``max_request_body_size``)."""
    try:
        from waitress.server import create_server
    except ImportError as exc:
        raise RuntimeError(
            "serving a WSGI app needs waitress (pip install waitress); or serve the app "
            "yourself and pass its base URL"
        ) from exc
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=threads, **options)
    port = server.socket.getsockname()[1]
    stopping = threading.Event()
    thread = threading.Thread(
        target=_run_until_closed, args=(server, stopping), name="wsgi-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopping.set()
        # Close every socket (and the trigger) from the server's own loop thread: closing
        # them from here races its poll(). With its map empty, the loop returns.
        try:
            server.trigger.pull_trigger(lambda: _close_all(server))
        except OSError:
            # The trigger's pipe is gone (EBADF): its loop cannot be woken, so close here.
            _close_all(server)
        thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=5)


def _run_until_closed(server: Any, stopping: threading.Event) -> None:
    """The server's loop. When its sockets had to be closed from another thread (the
    trigger was gone), a select() already waiting on them fails with EBADF: that is the
    loop ending as asked, not an error."""
    try:
        server.run()
    except OSError as exc:
        if exc.errno != errno.EBADF or not stopping.is_set():
            raise


def _close_all(server: Any) -> None:
    for dispatcher in list(server._map.values()):
        dispatcher.close()


@contextmanager
def _serve_asgi(app: Any, concurrency: int) -> Iterator[str]:
    """Serve the ASGI ``app`` with uvicorn (one worker, its event loop on a thread here)."""
    try:
        import uvicorn
    except ImportError as exc:
        raise RuntimeError(
            "serving an ASGI app needs uvicorn (pip install 'bxml-callcontrol[asgi]'); or "
            "serve the app yourself and pass its base URL"
        ) from exc
    # Bound and listening before the server starts: the first callers wait in the backlog
    # instead of being refused while the loop starts.
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every answer waits for the client's delayed ACK (40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(max(128, concurrency + 10))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="auto",
        backlog=max(128, concurrency + 10),
        limit_concurrency=None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="load-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
