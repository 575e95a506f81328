"""Run a WSGI application under a real server (waitress) on 127.0.0.1 for tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from waitress.server import create_server


@contextmanager
def serve_wsgi(app: Callable[..., Any], *, threads: int = 4) -> Iterator[str]:
    """Serve ``app`` on an ephemeral port of 127.0.0.1; yield its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    port = server.socket.getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        thread.join(timeout=5)
