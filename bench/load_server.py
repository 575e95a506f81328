"""The server process of the load case: ``python -m bench.load_server {floor,webhook}``.

Serves one app with waitress on an ephemeral port of 127.0.0.1 and prints the port, then
runs until killed. ``webhook`` is a ``WebhookApp`` answering the gather callback with the
medium document; ``floor`` is a bare WSGI app answering every request with the same bytes.
The server has a process (and a GIL) of its own, so the client threads do not slow it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.documents import ours  # noqa: E402
from bench.web import SERVER_THREADS, static_app  # noqa: E402

XML = "application/xml; charset=utf-8"


def reply_bytes() -> bytes:
    """The document both apps answer with."""
    body: bytes = ours().build["medium"]().to_bytes()
    return body


def webhook() -> Any:
    """A WebhookApp whose gather handler builds the medium document."""
    from callcontrol import WebhookApp

    build = ours().build["medium"]
    app = WebhookApp()

    @app.on("gather")
    def menu(event: Any) -> Any:
        return build()

    return app


def main() -> None:
    """Serve the app named on the command line; print the port first."""
    import logging

    from waitress.server import create_server

    # waitress warns about its task queue under load; that is the point of the case.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    kind = sys.argv[1]
    app = static_app(reply_bytes(), XML) if kind == "floor" else webhook()
    server = create_server(app, host="127.0.0.1", port=0, threads=SERVER_THREADS)
    print(server.socket.getsockname()[1], flush=True)
    server.run()


if __name__ == "__main__":
    main()
