"""An order-status line in a FastAPI service: a WebhookApp with async handlers, mounted.

The service has its own routes (``/health``); Bandwidth's callbacks go to ``/voice/...``,
answered by a ``WebhookApp`` mounted there through its ASGI front end (``app.asgi``). The
order lookup is ``async`` (a database or HTTP call in a real service): it is awaited without
stalling the other calls on the worker. The menu handler is a plain function, run in the
event loop's thread pool. Tested with the simulator in test_fastapi_ivr.py, in process.

Menu: 1 reads the status of the caller's latest order, 2 is put through to a person (a
message when nobody answers); silence says goodbye. Every callback needs the Basic
credentials, and ``credentials_on_verbs=True`` puts them on each reply's verbs too.

Serve it with ``uvicorn examples.fastapi_ivr:api`` (``pip install 'bxml-callcontrol[asgi]'
fastapi``); the application's callback URL is then ``https://HOST/voice/answer``.
"""

from __future__ import annotations

import asyncio
import os

from fastapi import FastAPI

from bxml import Gather, Hangup, PhoneNumber, Record, Response, SpeakSentence, Transfer
from callcontrol import Event, GatherEvent, TransferCompleteEvent, WebhookApp

AGENTS = "+15550003333"
#: A stand-in for the order database: the latest order per caller.
ORDERS = {"+15551230000": "shipped on Monday", "+15551239999": "being packed"}

voice = WebhookApp(
    username=os.environ.get("WEBHOOK_USERNAME", "order-line"),
    password=os.environ.get("WEBHOOK_PASSWORD", "change-me"),
    credentials_on_verbs=True,
)


async def latest_order(number: str) -> str | None:
    """The status of the latest order placed from ``number`` (an awaited lookup)."""
    await asyncio.sleep(0)  # where a real service awaits its database
    return ORDERS.get(number)


def menu(prompt: str = "Press 1 for your order status, 2 to talk to us.") -> Response:
    """One key, then the gather event (also on a timeout, with no digits)."""
    return Response(
        Gather(SpeakSentence(prompt), gather_url="choice", max_digits=1, first_digit_timeout=5)
    )


@voice.route("/answer")
def answer(event: Event) -> Response:
    """The application's callback URL: the menu."""
    return menu()


@voice.route("/choice")
async def choice(event: GatherEvent) -> Response:
    """Read the order status, put the caller through, or say goodbye."""
    if event.digits == "1":
        status = await latest_order(event.from_ or "")
        if status is None:
            return Response(SpeakSentence("We found no order from this number. Goodbye."), Hangup())
        return Response(SpeakSentence(f"Your latest order is {status}. Goodbye."), Hangup())
    if event.digits == "2":
        return Response(
            SpeakSentence("Putting you through."),
            Transfer(PhoneNumber(AGENTS), transfer_complete_url="transferred", call_timeout=20),
        )
    if not event.digits:
        return Response(SpeakSentence("Goodbye."), Hangup())
    return menu("Sorry, that is not an option. Press 1 for your order status, 2 to talk to us.")


@voice.route("/transferred")
async def transferred(event: TransferCompleteEvent) -> Response:
    """After the transfer: take a message when nobody answered."""
    if event.cause in ("busy", "timeout"):
        return Response(
            SpeakSentence("Everyone is busy. Leave a message after the tone."),
            Record(record_complete_url="message", max_duration=60),
        )
    return Response(Hangup())


@voice.route("/message")
async def message(event: Event) -> Response:
    """The message is recorded."""
    return Response(SpeakSentence("Thank you. Goodbye."), Hangup())


api = FastAPI(title="order line")
api.mount("/voice", voice.asgi)


@api.get("/health")
async def health() -> dict[str, str]:
    """The service's own route, beside the voice callbacks."""
    return {"status": "ok"}
