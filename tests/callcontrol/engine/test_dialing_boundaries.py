"""Forward (bxml-spec §4.5) and Transfer (§4.27) at their edges: what the engine records of a
Forward, a call running Forward as a Bridge target (§4.1), two callees answering at once."""

from __future__ import annotations

from callcontrol.engine import Destination
from callcontrol.testing import CallSimulator, SimulatedCall, answers, voicemail

from .apps import Replies, RoutesApp, dial_outcomes, xml

APP = "https://app.test"
AGENT, OTHER = "+15550001111", "+15550002222"


World = Replies


def test_a_forward_is_recorded_as_a_dial_outcome_for_ivr_coverage():
    # The IVR coverage report counts each transfer destination's answered/busy/no-answer;
    # a Forward is one of them.
    world = World({"/answer": f'<Response><Forward to="{OTHER}"/></Response>'})
    world.start("/answer", destinations={OTHER: answers(after=2, hangs_up_after=5)})
    world.drive()
    assert dial_outcomes(world.engine) == [(OTHER, "answered")]


def test_a_call_running_forward_cannot_be_bridged():
    # §4.5: Forward hands the call over; it is no longer the app's to bridge (§4.1).
    world = World({"/fwd": f'<Response><Forward to="{OTHER}" callTimeout="60"/></Response>'})
    forwarded = world.start("/fwd", destinations={OTHER: answers(after=30)})
    world.drive(until_ms=0)
    world.replies["/origin"] = (
        f'<Response><Bridge bridgeCompleteUrl="/complete">{forwarded.id}</Bridge></Response>'
    )
    world.start("/origin")
    world.drive(until_ms=1000)
    [complete] = [r.payload for r in world.sent if r.event_type == "bridgeComplete"]
    assert complete["errorMessage"] == f"call {forwarded.id} is running <Forward>"


def test_two_callees_answering_at_the_same_moment_the_first_dialled_wins():
    # §4.27: the first to answer wins; the other is cancelled (webhooks transferDisconnect).
    doc = (
        "<Response><Transfer>"
        f"<PhoneNumber transferDisconnectUrl='/bdisc'>{AGENT}</PhoneNumber>"
        f"<PhoneNumber transferDisconnectUrl='/bdisc'>{OTHER}</PhoneNumber>"
        "</Transfer></Response>"
    )
    world = World({"/answer": doc})
    dests = {AGENT: answers(after=3, hangs_up_after=4), OTHER: answers(after=3)}
    world.start("/answer", destinations=dests)
    world.drive()
    causes = {
        r.payload["transferTo"]: r.payload["cause"]
        for r in world.sent
        if r.event_type == "transferDisconnect"
    }
    assert causes == {AGENT: "hangup", OTHER: "cancel"}
    assert dial_outcomes(world.engine) == [(AGENT, "answered")]


def hang_up_during_transfer(dest: Destination) -> tuple[str, str]:
    doc = (
        "<Response><Transfer>"
        f"<PhoneNumber transferDisconnectUrl='/bdisc'>{AGENT}</PhoneNumber>"
        "</Transfer></Response>"
    )
    world = World({"/answer": doc})
    caller = world.start("/answer", destinations={AGENT: dest})
    world.drive(until_ms=4000)
    world.engine.hang_up(caller)
    world.drive()
    [ended] = [r.payload for r in world.sent if r.event_type == "transferDisconnect"]
    # The transcript tells the same cause as the callback.
    assert [e.detail for e in world.engine.transcript if e.kind == "end" and e.leg == "B"] == [
        ended["cause"]
    ]
    return ended["cause"], ended["eventTime"]


def test_a_caller_hanging_up_ends_the_b_leg_at_once():
    # webhooks transferDisconnect: when the A-leg's Transfer ends, an answered B-leg hangs
    # up and a ringing one is cancelled by its originator, at that moment.
    at = "2026-01-01T09:00:04.000Z"
    assert hang_up_during_transfer(answers(after=1, hangs_up_after=60)) == ("hangup", at)
    assert hang_up_during_transfer(answers(after=9)) == ("cancel", at)


def simulate(doc: str, destinations: dict[str, Destination]) -> SimulatedCall:
    app = RoutesApp({"/answer": xml(doc)})
    sim = CallSimulator(app, base_url=APP)
    return sim.inbound("/answer", destinations=destinations)


def test_a_number_without_a_destination_entry_rings_out_and_says_so():
    # Register busy-timing: a number the test gave no destination rings until callTimeout.
    call = simulate(f'<Transfer callTimeout="7"><PhoneNumber>{AGENT}</PhoneNumber></Transfer>', {})
    assert ("assume", f"[busy-timing] {AGENT} has no destination entry") in [
        (e.kind, e.detail) for e in call.transcript
    ]
    assert [(e.ms, e.detail) for e in call.transcript if e.kind == "dial"][-1] == (
        7000,
        f"{AGENT} -> no-answer",
    )


def test_a_voicemail_greeting_is_told_in_plain_seconds():
    doc = f"<Transfer><PhoneNumber>{AGENT}</PhoneNumber></Transfer>"
    call = simulate(doc, {AGENT: voicemail(greeting=2.0, after=1.0, message=3.0)})
    assert [e.detail for e in call.transcript if e.kind == "voicemail"] == [
        f"{AGENT}: greeting 2 s"
    ]
