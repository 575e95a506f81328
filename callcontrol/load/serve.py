"""Serving an app under test on 127.0.0.1 for the length of a run (waitress, a real server).

ASGI apps are recognised and refused for now, with the way around it: serve the app with an
ASGI server (uvicorn) and pass its base URL.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

WsgiApp = Callable[..., Iterable[bytes]]
#: Server threads at most: one per concurrent caller up to this many.
MAX_THREADS = 200


def is_asgi(app: object) -> bool:
    """True for an ASGI app: a coroutine function, or an object whose ``__call__`` is one."""
    if inspect.isfunction(app) or inspect.ismethod(app):
        return inspect.iscoroutinefunction(app)
    return inspect.iscoroutinefunction(type(app).__call__) if callable(app) else False


@contextmanager
def serve(app: WsgiApp, concurrency: int) -> Iterator[str]:
    """Serve ``app`` on an ephemeral port of 127.0.0.1; yield its base URL.

    The server gets a thread per concurrent caller (up to :data:`MAX_THREADS`), so callers do
    not queue behind each other in the server: the run measures the app, not a thread pool.
    """
    if is_asgi(app):
        raise TypeError(
            "ASGI apps are not served by callcontrol.load yet; run it under an ASGI server "
            "(uvicorn app:app --port 8000) and pass its base URL (http://127.0.0.1:8000)"
        )
    try:
        from waitress.server import create_server
    except ImportError as exc:
        raise RuntimeError(
            "serving a WSGI app needs waitress (pip install waitress); or serve the app "
            "yourself and pass its base URL"
        ) from exc
    threads = max(4, min(concurrency, MAX_THREADS))
    server: Any = create_server(
        app,
        host="127.0.0.1",
        port=0,
        threads=threads,
        connection_limit=max(100, concurrency + 10),
        asyncore_loop_timeout=0.05,
        ident="callcontrol-load",
    )
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.run, name="load-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Close every socket (and the trigger) from the server's own loop thread: closing
        # them from here races its poll(). With its map empty, the loop returns.
        server.trigger.pull_trigger(lambda: _close_all(server))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=5)


def _close_all(server: Any) -> None:
    for dispatcher in list(server._map.values()):
        dispatcher.close()
