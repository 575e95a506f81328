"""Typed observations: what happened, as values; the transcript is rendered from them."""

from __future__ import annotations

import dataclasses

import pytest

import bxml
from callcontrol.engine import Destination
from callcontrol.engine.model import CallbackRequest, FetchResult, Target
from callcontrol.engine.observations import (
    AssumptionApplied,
    BridgeEnded,
    BridgeMade,
    CallbackAnswered,
    CallbackSent,
    ConferenceCompleted,
    ConferenceCreated,
    ConferenceJoined,
    ConferenceLeft,
    ConferenceReplyRejected,
    Dialled,
    DocumentInstalled,
    GatherEnded,
    InputTaken,
    LegEnded,
    Noted,
    VerbStarted,
)
from callcontrol.testing import (
    CallSimulator,
    SimulatedCall,
    answers,
    busy,
    no_answer,
    press,
    rejects,
)
from tests.callcontrol.testing.explore_apps import say, table_app

APP = table_app(
    {
        "/answer": '<Response><Gather gatherUrl="/menu" maxDigits="1">'
        "<SpeakSentence>Press one.</SpeakSentence></Gather></Response>",
        "/menu": '<Response><Transfer transferCompleteUrl="/done">'
        "<PhoneNumber>+15550001111</PhoneNumber></Transfer></Response>",
        "/done": say("Bye."),
    }
)


def _call(destination: Destination) -> SimulatedCall:
    sim = CallSimulator(APP, base_url="https://ivr.test")
    return sim.inbound("/answer", script=[press("1")], destinations={"+15550001111": destination})


def test_a_call_is_told_as_typed_values():
    call = _call(busy())
    seen = call.observations
    verbs = [o.verb for o in seen if isinstance(o, VerbStarted)]
    assert verbs == ["Gather", "Transfer", "SpeakSentence", "Hangup"]
    (taken,) = [o for o in seen if isinstance(o, InputTaken)]
    assert (taken.site, taken.verb, taken.step) == ("/answer Gather[1]", "Gather", press("1"))
    assert [(o.site, o.outcome) for o in seen if isinstance(o, GatherEnded)] == [
        ("/answer Gather[1]", "1")
    ]
    (dialled,) = [o for o in seen if isinstance(o, Dialled)]
    assert (dialled.number, dialled.how, dialled.outcome) == ("+15550001111", "Transfer", "busy")
    installed = [(o.url, o.event_type) for o in seen if isinstance(o, DocumentInstalled)]
    assert [event for _, event in installed] == ["initiate", "gather", "transferComplete"]
    sent = [o.request.event_type for o in seen if isinstance(o, CallbackSent) and o.request]
    answered = [o.request.event_type for o in seen if isinstance(o, CallbackAnswered) and o.request]
    assert sent[:3] == answered[:3] == ["initiate", "gather", "transferComplete"]
    ends = {o.leg: o.cause for o in seen if isinstance(o, LegEnded)}
    assert ends == {"B": "busy", "A": "hangup"}
    assert {o.assumption for o in seen if isinstance(o, AssumptionApplied)} == set(call.assumptions)


def test_the_transcript_is_rendered_from_the_observations():
    call = _call(answers(after=1.0, hangs_up_after=5.0))
    seen = [o for o in call.observations if o.kind]
    entries = call.transcript
    assert [(e.ms, e.leg, e.kind, e.detail) for e in entries] == [
        (o.ms, o.leg, o.kind, o.detail()) for o in seen
    ]
    assert all(o.to_json()["type"] == type(o).__name__ for o in call.observations)


def test_observations_are_immutable():
    call = _call(busy())
    first = call.observations[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.ms = 1  # type: ignore[misc]


def test_to_json_gives_every_field_as_plain_values_and_the_transcript_line():
    request = CallbackRequest(3, "c-1", "gather", {}, Target("https://ivr.test/g"), True)
    noted = Noted(0, "A", "c-1", "call", "inbound +1 -> +2")
    assert noted.to_json() == {
        "type": "Noted",
        "ms": 0,
        "leg": "A",
        "call_id": "c-1",
        "what": "call",
        "kind": "call",
        "detail": "inbound +1 -> +2",
    }
    taken = InputTaken(5, "A", "c-1", "/answer Gather[1]", press("1"))
    assert taken.to_json()["step"] == repr(press("1"))
    answered = CallbackAnswered(9, "A", "c-1", request, FetchResult(None, error="refused"))
    assert (answered.to_json()["request"], answered.to_json()["result"]) == (
        {"eventType": "gather", "url": "https://ivr.test/g"},
        {"status": None, "error": "refused"},
    )
    started = VerbStarted(1, "A", "c-1", "Hangup", "/answer", bxml.Hangup())
    assert (started.to_json()["element"], started.to_json()["detail"]) == ("Hangup", "Hangup")
    installed = DocumentInstalled(2, "A", "c-1").to_json()
    assert "kind" not in installed and "detail" not in installed
    assert DocumentInstalled(2, "A", "c-1").detail() == ""  # no transcript line, no text


@pytest.mark.parametrize(
    ("destination", "outcome", "cause"),
    [
        (answers(after=3.0, hangs_up_after=1.0), "answered", "hangup"),
        (busy(), "busy", "busy"),
        (rejects(), "rejected", "rejected"),
        (no_answer(), "no-answer", "timeout"),
    ],
)
def test_an_outbound_call_is_observed_as_a_number_dialled_by_create_call(
    destination: Destination, outcome: str, cause: str
) -> None:
    # voice-api §3: the number createCall dials answers, is busy, rejects or rings out.
    sim = CallSimulator(APP, base_url="https://ivr.test")
    call = sim.outbound("/answer", to="+15550004444", destinations={"+15550004444": destination})
    dialled = [o for o in call.observations if isinstance(o, Dialled)]
    assert [(o.number, o.how, o.outcome, o.leg) for o in dialled] == [
        ("+15550004444", "createCall", outcome, "A")
    ]
    assert dialled[0].kind == "" and call.transfers == []
    assert call.disconnect_cause == cause
    assert ("busy-timing" in call.assumptions) == (outcome in ("busy", "rejected"))
    if outcome == "answered":
        assert dialled[0].ms == 3000


@pytest.mark.parametrize(
    ("seen", "kind", "detail"),
    [
        (BridgeMade(0, "A", "c-1", "c-2", True), "bridge", "with c-2"),
        (BridgeMade(0, "A", "c-2", "c-1", False), "bridge", "into the bridge of c-1"),
        (BridgeEnded(0, "A", "c-1", "c-2", True), "bridge", "ended: this call left first"),
        (BridgeEnded(0, "A", "c-2", "c-1", False), "bridge", "ended: c-1 left first"),
        (ConferenceCreated(0, "A", "c-1", "q", "cf-1"), "conference", "q created (cf-1)"),
        (ConferenceJoined(0, "A", "c-1", "q", "cf-1"), "conference", "joined q"),
        (
            ConferenceJoined(0, "A", "c-1", "q", "cf-1", True, True, ("c-2", "c-3")),
            "conference",
            "joined q (muted; on hold; coaching c-2, c-3)",
        ),
        (
            ConferenceJoined(0, "A", "c-1", "q", "cf-1", hold=True),
            "conference",
            "joined q (on hold)",
        ),
        (ConferenceLeft(0, "A", "c-1", "q", "cf-1", "removed"), "conference", "left q (removed)"),
        (ConferenceCompleted(0, "A", "c-1", "q", "cf-1"), "conference", "q completed (cf-1)"),
        (
            ConferenceReplyRejected(0, "A", "c-1", "q", "cf-1", "conferenceCreated", "Gather"),
            "conference",
            "conferenceCreated reply rejected: Gather",
        ),
    ],
)
def test_bridge_and_conference_observations_give_their_transcript_lines(seen, kind, detail):
    assert (seen.kind, seen.detail()) == (kind, detail)
