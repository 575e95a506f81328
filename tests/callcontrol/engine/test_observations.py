"""Typed observations: what happened, as values; the transcript is rendered from them."""

from __future__ import annotations

import dataclasses

import pytest

from callcontrol.engine import Destination
from callcontrol.engine.observations import (
    AssumptionApplied,
    CallbackAnswered,
    CallbackSent,
    Dialled,
    DocumentInstalled,
    GatherEnded,
    InputTaken,
    LegEnded,
    VerbStarted,
)
from callcontrol.testing import CallSimulator, SimulatedCall, answers, busy, press
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
