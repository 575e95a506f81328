"""One worker process of a multi-worker deployment, for the hosting tests.

``python -m tests.callcontrol.hosting_worker`` serves a WebhookApp with waitress on an
ephemeral port of 127.0.0.1 and prints the port. The app reads its hosting secret from
``CALLCONTROL_HOSTING_SECRET``; with ``HOSTING_WORKER_REDIS_URL`` set it keeps long
documents in that Redis. ``POST /intervene`` hosts a document and answers with a
``<Redirect>`` to it: a goodbye, or with a numeric ``tag`` a sentence of that many
SHA-256 digests (a document that does not compress to a URL).
"""

from __future__ import annotations

import hashlib
import os
import sys

from waitress.server import create_server

from bxml import Hangup, Redirect, Response, SpeakSentence
from callcontrol import Event, WebhookApp
from callcontrol.hosting import RedisStore

redis_url = os.environ.get("HOSTING_WORKER_REDIS_URL")
app = WebhookApp(hosting_store=RedisStore.from_url(redis_url) if redis_url else None)


@app.route("/intervene")
def intervene(event: Event) -> Response:
    """Host a goodbye (or the tag's number of digests) and send the call to it."""
    sentence = digests(int(event.tag)) if event.tag else "Goodbye"
    path = app.host(Response(SpeakSentence(sentence), Hangup()), ttl=60)
    return Response(Redirect(redirect_url=path))


def digests(count: int) -> str:
    """``count`` SHA-256 hex digests, space-separated: text that compresses poorly."""
    return " ".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(count))


def main() -> None:
    """Serve ``app`` until killed; the first line printed is the port."""
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    print(server.socket.getsockname()[1], flush=True)
    sys.stdout.close()
    server.run()


if __name__ == "__main__":
    main()
