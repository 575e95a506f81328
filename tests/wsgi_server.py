"""Run a WSGI application under a real server (waitress) on 127.0.0.1 for tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from waitress.server import create_server


@contextmanager
def serve_wsgi(app: Callable[..., Any], *, threads: int = 4, **options: Any) -> Iterator[str]:
    """Serve ``app`` on an ephemeral port of 127.0.0.1; yield its base URL.

    ``options`` are more waitress settings (e.g. ``max_request_body_size``).
    """
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=threads, **options)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Close every socket from the server's own loop thread: closing them from here
        # races the loop's poll() (EBADF). With its map empty, the loop returns.
        server.trigger.pull_trigger(lambda: _close_all(server))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=5)


def _close_all(server: Any) -> None:
    for dispatcher in list(server._map.values()):
        dispatcher.close()
