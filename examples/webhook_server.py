"""Answer calls with a small IVR menu: a WebhookApp served on 127.0.0.1.

Run it (development server from the standard library, or waitress)::

    python examples/webhook_server.py --port 8000
    python examples/webhook_server.py --port 8000 --server waitress

and point a Bandwidth application's answer/initiate URL at ``https://<your host>/answer``
(through a tunnel or reverse proxy). For production, serve ``app`` with gunicorn instead; see
examples/README.md. Set ``WEBHOOK_USERNAME`` and ``WEBHOOK_PASSWORD`` to require the Basic
credentials configured on the Bandwidth side, and ``CALLCONTROL_HOSTING_SECRET`` (the same
on every worker) when several processes serve the documents of ``app.host``.
"""

from __future__ import annotations

import argparse
import logging
import os
from wsgiref.simple_server import make_server

from bxml import Gather, Hangup, Response, SpeakSentence
from callcontrol import DisconnectEvent, Event, GatherEvent, WebhookApp

log = logging.getLogger("ivr")

# With credentials, the app also puts them on the verbs of its replies: Bandwidth sends a
# verb's callbacks (the menu's gather) with the verb's own credentials only.
app = WebhookApp(
    username=os.environ.get("WEBHOOK_USERNAME"),
    password=os.environ.get("WEBHOOK_PASSWORD"),
    credentials_on_verbs="WEBHOOK_USERNAME" in os.environ,
)

DEPARTMENTS = {"1": "sales", "2": "support"}


def menu(prefix: str = "") -> Response:
    """The main menu.

    ``gather_url="menu"`` is relative to the URL that served the document, so it still
    works when the app is mounted under a prefix.
    """
    prompt = f"{prefix}Press 1 for sales, or 2 for support."
    return Response(
        Gather(SpeakSentence(prompt), gather_url="menu", max_digits=1, first_digit_timeout=8)
    )


@app.route("/answer")
def answer(event: Event) -> Response:
    """Inbound (initiate) and outbound (answer) calls both start with the menu."""
    return menu("Welcome to Example Corp. ")


@app.on("gather")
def choose(event: GatherEvent) -> Response:
    """Route the caller by the digit pressed; repeat the menu on silence or a wrong key."""
    department = DEPARTMENTS.get(event.digits or "")
    if department is None:
        return menu("Sorry, I did not get that. " if event.digits else "Are you still there? ")
    return Response(
        SpeakSentence(f"Thank you. Our {department} team will call you back shortly."),
        Hangup(),
    )


@app.on("disconnect")
def ended(event: DisconnectEvent) -> None:
    """Asynchronous: nothing to answer, just record how the call ended."""
    log.info("call %s ended: %s", event.call_id, event.cause)


def waitress_options(webhook_app: WebhookApp) -> dict[str, int]:
    """waitress settings that match the app's body limit.

    waitress reads a whole body (up to 1 GB by default) before the app runs, so the app's
    413 would come only after all of it arrived. With this limit waitress itself answers
    413 and closes the connection as soon as the headers declare too much (or a chunked
    body grows too large). It refuses a body of ``max_request_body_size`` bytes or more,
    hence one more than the app's ``max_body_bytes``.
    """
    return {"max_request_body_size": webhook_app.max_body_bytes + 1}


def main() -> None:
    """Serve ``app`` on 127.0.0.1 until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--server", choices=["wsgiref", "waitress"], default="wsgiref")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.server == "waitress":
        import waitress  # pip install waitress

        waitress.serve(app, host="127.0.0.1", port=args.port, **waitress_options(app))
        return
    with make_server("127.0.0.1", args.port, app) as server:
        log.info("serving on http://127.0.0.1:%d (Ctrl-C to stop)", server.server_port)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
