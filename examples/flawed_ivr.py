"""An IVR with eight planted flaws, one of each kind the explorer reports.

``callcontrol explore examples.flawed_ivr:app --html examples/flawed_ivr.html`` finds them all
and draws the flow (the committed examples/flawed_ivr.html and flawed_ivr.md). The flaws:

* silence at the menu repeats the menu forever (no-timeout-branch);
* 1, opening hours: a verb after <Hangup> (dead-verb);
* 3, your balance: the handler raises KeyError (app-error);
* 4, news: the reply is not well-formed XML (invalid-bxml);
* 5, promotions: a Redirect to a URL the app answers with 404 (callback-error);
* 6, feedback: hangs up without a word (silence);
* 7, hold: hold music that redirects to itself forever (endless-loop);
* 8, operator: a StartGather paused by the Gather after it never reports a key
  (unreached-url).

2 (sales) is the healthy branch: a transfer, with a goodbye when sales is busy or away.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from bxml import (
    Gather,
    Hangup,
    Pause,
    PhoneNumber,
    Redirect,
    Response,
    SpeakSentence,
    StartGather,
    StopGather,
    Transfer,
)

SALES = "+15550002222"
BALANCES: dict[str, str] = {}
MENU = (
    "Main menu. 1 opening hours, 2 sales, 3 your balance, 4 news, 5 promotions, "
    "6 feedback, 7 hold, 8 operator."
)

StartResponse = Callable[..., Any]


def menu(prompt: str = MENU) -> Response:
    """The main menu: one key, then /choice."""
    return Response(Gather(SpeakSentence(prompt), gather_url="/choice", max_digits=1))


def choice(event: dict[str, Any]) -> Response | bytes:
    """Route the caller by the key pressed."""
    digits = event.get("digits", "")
    if digits == "":
        return menu()
    if digits == "1":
        return Response(
            SpeakSentence("We are open nine to five. Goodbye."),
            Hangup(),
            SpeakSentence("Have a nice day."),
        )
    if digits == "2":
        return Response(
            SpeakSentence("Connecting you to sales."),
            Transfer(PhoneNumber(SALES), transfer_complete_url="/sales-done"),
        )
    if digits == "3":
        balance = BALANCES[event["from"]]
        return Response(SpeakSentence(f"Your balance is {balance}."), Hangup())
    if digits == "4":
        return b"<Response><SpeakSentence>Today's news</SpeakSentence>"
    if digits == "5":
        return Response(Redirect(redirect_url="/promos"))
    if digits == "6":
        return Response(Hangup())
    if digits == "7":
        return hold()
    if digits == "8":
        return Response(
            StartGather(dtmf_url="/operator-key"),
            Gather(
                SpeakSentence("Press 0 for the operator."), gather_url="/operator", max_digits=1
            ),
        )
    return menu("Sorry, that is not an option. " + MENU)


def hold() -> Response:
    """Hold music that never ends."""
    return Response(
        SpeakSentence("Please hold."), Pause(duration=10), Redirect(redirect_url="/hold")
    )


def sales_done(event: dict[str, Any]) -> Response:
    """After the transfer: a goodbye unless the caller talked to sales."""
    if event.get("cause") == "hangup":
        return Response(Hangup())
    return Response(SpeakSentence("Sales is not available. Goodbye."), Hangup())


def operator(event: dict[str, Any]) -> Response:
    """The operator calls back."""
    return Response(StopGather(), SpeakSentence("The operator will call you back."), Hangup())


ROUTES: dict[str, Callable[[dict[str, Any]], Response | bytes]] = {
    "/answer": lambda event: menu(),
    "/choice": choice,
    "/hold": lambda event: hold(),
    "/sales-done": sales_done,
    "/operator": operator,
}


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI application Bandwidth's callbacks go to."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    event = json.loads(environ["wsgi.input"].read(size) or b"{}")
    route = ROUTES.get(environ.get("PATH_INFO", ""))
    if route is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    reply = route(event)
    body = reply if isinstance(reply, bytes) else reply.to_bytes()
    start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
    return [body]
