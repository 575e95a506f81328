"""<Refer> (Bandwidth docs: the Refer verb, the referComplete webhook; register refer-outcome)
at its edges: what each outcome records and sends, and a call that is not a SIP call
(register refer-sip-call)."""

from __future__ import annotations

from typing import Any

import pytest

from callcontrol.engine import Destination, Engine, FetchResult
from callcontrol.engine.observations import Dialled
from callcontrol.testing import answers, busy, no_answer, rejects

APP = "https://app.test"
ALICE = "sip:alice@pbx.example.com"
REFER = f'<Response><Refer referCompleteUrl="/done"><SipUri>{ALICE}</SipUri></Refer></Response>'


def run(
    dest: Destination | None, from_: str = "sip:bob@pbx.example.com"
) -> tuple[Engine, list[dict[str, Any]]]:
    engine = Engine()
    dests = {ALICE: dest} if dest is not None else {}
    engine.start_call(
        "inbound", APP + "/answer", from_=from_, to="+15553334444", destinations=dests
    )
    complete: list[dict[str, Any]] = []
    while True:
        engine.run()
        requests = engine.take()
        if not requests:
            return engine, complete
        for request in requests:
            if request.event_type == "referComplete":
                complete.append(request.payload)
            if request.synchronous:
                body = REFER if request.event_type == "initiate" else "<Response/>"
                engine.fetch_done(request, FetchResult(200, body.encode()))
            else:
                engine.delivered(request, FetchResult(204))


def dialled(engine: Engine) -> list[tuple[str, str, str]]:
    """The dial outcomes IVR coverage counts (a REFER not sent is none): number, verb, outcome."""
    seen = [o for o in engine.observations if isinstance(o, Dialled)]
    return [(o.number, o.how, o.outcome) for o in seen if o.outcome != "not-sent"]


@pytest.mark.parametrize(
    ("dest", "outcome", "fields", "seconds"),
    [
        (answers(after=2), "answered", ("success", 202, 200), "02"),
        (busy(), "busy", ("failure", 202, 486), "01"),
        (rejects(), "rejected", ("failure", 603, None), "00"),
        (no_answer(), "no-answer", ("failure", 202, None), "30"),
        (None, "no-answer", ("failure", 202, None), "30"),
    ],
)
def test_each_outcome_is_recorded_and_sent_with_its_codes(dest, outcome, fields, seconds):
    engine, [complete] = run(dest)
    assert dialled(engine) == [(ALICE, "Refer", outcome)]
    sent = (
        complete["referCallStatus"],
        complete.get("referSipResponseCode"),
        complete.get("notifySipResponseCode"),
    )
    assert sent == fields
    assert complete["eventTime"] == f"2026-01-01T09:00:{seconds}.000Z"


def test_a_refer_that_is_not_sent_is_no_dial_outcome_and_says_why():
    engine, [complete] = run(answers(), from_="+15551230000")
    # Nothing was dialled, so IVR coverage has no outcome to count for the SIP URI.
    assert dialled(engine) == []
    assert complete["referCallStatus"] == "failure"
    details = [e.detail for e in engine.transcript if e.kind == "assume"]
    assert "[refer-sip-call] +15551230000 -> +15553334444 is not a SIP call" in details
