"""A small IVR to unit-test with the call simulator (see test_ivr.py next to it).

Menu: 1 talks to sales (a transfer; voicemail when nobody answers), 2 leaves a message,
anything else repeats the menu once; silence says goodbye.

Run it for real with any WSGI server, e.g. ``waitress-serve examples.ivr:app``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from bxml import Gather, Hangup, PhoneNumber, Record, Redirect, Response, SpeakSentence, Transfer

SALES = "+15550001111"

StartResponse = Callable[..., Any]


def menu(prompt: str = "Press 1 for sales, 2 to leave a message.") -> Response:
    """The main menu: one key, then /menu-choice (which also gets the timeout, digits "")."""
    return Response(
        Gather(
            SpeakSentence(prompt), gather_url="/menu-choice", max_digits=1, first_digit_timeout=5
        )
    )


def menu_choice(event: dict[str, Any]) -> Response:
    """Route the caller by the key they pressed."""
    digits = event.get("digits", "")
    if digits == "1":
        return Response(
            SpeakSentence("Connecting you to sales."),
            Transfer(PhoneNumber(SALES), transfer_complete_url="/transfer-done", call_timeout=20),
        )
    if digits == "2":
        return voicemail()
    if digits == "":
        return Response(SpeakSentence("We did not get your choice. Goodbye."), Hangup())
    return menu("Sorry, that is not an option. Press 1 for sales, 2 to leave a message.")


def voicemail() -> Response:
    """Record a message of up to 60 seconds."""
    return Response(
        SpeakSentence("Please leave a message after the tone, then press pound."),
        Record(
            record_complete_url="/recorded",
            recording_available_url="/recording-ready",
            max_duration=60,
        ),
    )


def transfer_done(event: dict[str, Any]) -> Response:
    """After the transfer: voicemail when sales was busy or did not answer."""
    if event.get("cause") in ("busy", "timeout"):
        return Response(SpeakSentence("Sales is busy."), Redirect(redirect_url="/voicemail"))
    return Response(Hangup())


ROUTES: dict[str, Callable[[dict[str, Any]], Response]] = {
    "/answer": lambda event: menu(),
    "/menu-choice": menu_choice,
    "/voicemail": lambda event: voicemail(),
    "/transfer-done": transfer_done,
    "/recorded": lambda event: Response(SpeakSentence("Thank you. Goodbye."), Hangup()),
}


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI application Bandwidth's callbacks go to."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    event = json.loads(environ["wsgi.input"].read(size) or b"{}")
    route = ROUTES.get(environ.get("PATH_INFO", ""))
    if route is None:
        start_response("204 No Content", [])
        return [b""]
    body = route(event).to_bytes()
    start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
    return [body]
