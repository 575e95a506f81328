"""A support line built on WebhookApp, unit-tested with the simulator (test_webhook_ivr.py).

Menu: 1 hears the opening hours, 2 is put through to support (voicemail when nobody answers),
anything else repeats the menu once; silence says goodbye. Every callback needs the Basic
credentials set on the Bandwidth application, and ``credentials_on_verbs=True`` puts them on
the verbs of each reply too: Bandwidth sends a verb's callbacks with the verb's own
credentials only, so without it the menu's gather callback would be refused with 401.

Serve it with any WSGI server, e.g. ``waitress-serve examples.webhook_ivr:app``.
"""

from __future__ import annotations

import logging
import os

from bxml import Gather, Hangup, PhoneNumber, Record, Response, SpeakSentence, Transfer
from callcontrol import (
    DisconnectEvent,
    Event,
    GatherEvent,
    RecordCompleteEvent,
    TransferCompleteEvent,
    WebhookApp,
)

SUPPORT = "+15550002222"
HOURS = "We are open from 9 to 5, Monday to Friday."

log = logging.getLogger("support-line")

app = WebhookApp(
    username=os.environ.get("WEBHOOK_USERNAME", "support-line"),
    password=os.environ.get("WEBHOOK_PASSWORD", "change-me"),
    credentials_on_verbs=True,
)


def menu(prompt: str = "Press 1 for our opening hours, 2 for support.") -> Response:
    """One key, then the gather event (also on a timeout, with no digits)."""
    return Response(
        Gather(SpeakSentence(prompt), gather_url="choice", max_digits=1, first_digit_timeout=5)
    )


@app.route("/answer")
def answer(event: Event) -> Response:
    """The application's initiate (and createCall's answer) URL: the menu."""
    return menu()


@app.route("/choice")
def choice(event: GatherEvent) -> Response:
    """Route the caller by the key pressed; a wrong key hears the menu once more."""
    if event.digits == "1":
        return Response(SpeakSentence(HOURS), Hangup())
    if event.digits == "2":
        return Response(
            SpeakSentence("Putting you through."),
            Transfer(PhoneNumber(SUPPORT), transfer_complete_url="transferred", call_timeout=20),
        )
    if not event.digits:
        return Response(SpeakSentence("Goodbye."), Hangup())
    return menu("Sorry, that is not an option. Press 1 for our opening hours, 2 for support.")


@app.route("/transferred")
def transferred(event: TransferCompleteEvent) -> Response:
    """After the transfer: take a message when support was busy or did not answer."""
    if event.cause in ("busy", "timeout"):
        return Response(
            SpeakSentence("Support is busy. Leave a message after the tone."),
            Record(record_complete_url="message", max_duration=60),
        )
    return Response(Hangup())


@app.route("/message")
def message(event: RecordCompleteEvent) -> Response:
    """The message is recorded."""
    return Response(SpeakSentence("Thank you. We will call you back."), Hangup())


@app.on("disconnect")
def ended(event: DisconnectEvent) -> None:
    """Asynchronous: log how the call ended."""
    log.info("call %s ended: %s", event.call_id, event.cause)
