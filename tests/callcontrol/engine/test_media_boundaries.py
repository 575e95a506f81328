"""Media verbs (bxml-spec §4.11 PlayAudio, §4.14 Ring, Conference) at their edges: defaults,
and what an unsupported file and a held call tell the user."""

from __future__ import annotations

from callcontrol.testing import CallSimulator, SimulatedCall, hang_up

from .apps import RoutesApp, xml

BASE = "https://ivr.test"


def run(doc: str, **kwargs: object) -> tuple[SimulatedCall, RoutesApp]:
    app = RoutesApp({"/answer": xml(doc)})
    sim = CallSimulator(app, base_url=BASE)
    call = sim.inbound("/answer", disconnect_url="/status", **kwargs)  # type: ignore[arg-type]
    return call, app


def test_ring_without_a_duration_rings_for_five_seconds():
    # §4.14: duration defaults to 5 s.
    call, _ = run("<Ring/><SpeakSentence>after</SpeakSentence>")
    assert [e.ms for e in call.transcript if e.kind == "verb"] == [0, 5000]


def test_an_unsupported_audio_file_ends_the_call_naming_the_file():
    # §4.11: .ogg is not a supported format (register unsupported-audio).
    call, app = run("<PlayAudio>https://cdn.test/a.ogg</PlayAudio>")
    call.assert_ended("application-error")
    assert "unsupported-audio" in call.assumptions
    [disconnect] = app.events("disconnect")
    assert disconnect["errorMessage"] == "unsupported audio format: https://cdn.test/a.ogg"


def test_a_conference_alone_holds_the_call_until_the_caller_leaves():
    # §4.2: a member alone in a conference stays in it; leaving ends the conference.
    call, _ = run("<Conference>room</Conference>", script=[hang_up(after=3)])
    call.assert_ended("hangup")
    held = [(e.ms, e.detail) for e in call.transcript if e.kind == "conference"]
    assert [(ms, detail.split(" (")[0]) for ms, detail in held] == [
        (0, "room created"),
        (0, "joined room"),
        (3000, "left room"),
        (3000, "room completed"),
    ]
