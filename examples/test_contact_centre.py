"""Simulator tests of examples/contact_centre.py: every branch, in virtual time, in process.

The caller and the agents' calls run in one simulation: the app places the agents' calls
with the simulator's own client (``sim.client()``), so what the app asked of the Voice API
shows in ``sim.calls``, and the queue conference in ``sim.conferences``.
``python -m pytest examples/test_contact_centre.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from callcontrol import WebhookApp
from callcontrol.engine import Step
from callcontrol.testing import (
    CallSimulator,
    SimulatedCall,
    SimulatedConference,
    hang_up,
    leave_message,
    no_answer,
    press,
    silence,
)
from examples.contact_centre import (
    AGENTS,
    CENTRE,
    CONNECTED,
    LEAVE_MESSAGE,
    NO_AGENT,
    QUEUE_PREFIX,
    RING_SECONDS,
    THANKS,
    WELCOME,
    WHISPER,
    ContactCentre,
    install,
)

BASE = "https://cc.test"
CUSTOMER = "+15551230000"
FIRST, SECOND = AGENTS


def contact_centre(
    caller: Iterable[Step] = (), **agents: Iterable[Step]
) -> tuple[CallSimulator, ContactCentre]:
    """A simulation of the centre with the caller's call started (``caller`` its script)
    and how the agents act (``first=[...]``, ``second=[...]``)."""
    app = WebhookApp(username="cc", password="pw", credentials_on_verbs=True)
    sim = CallSimulator(app, base_url=BASE, username="cc", password="pw")
    centre = install(
        app, sim.client(), base_url=BASE, application_id="cc-app", username="cc", password="pw"
    )
    for name, script in agents.items():
        sim.callee({"first": FIRST, "second": SECOND}[name], script)
    sim.start_inbound("/answer", from_=CUSTOMER, to=CENTRE, script=caller, disconnect_url="/status")
    return sim, centre


def events(conference: SimulatedConference) -> list[tuple[str, str | None]]:
    """The conference's events, each with the call it is about."""
    return [(cb.event_type, cb.payload.get("callId")) for cb in conference.callbacks]


def hung_up_by_the_app(call: SimulatedCall) -> bool:
    """Whether the app ended ``call`` with updateCall state=completed."""
    return any((e.kind, e.detail) == ("api", "updateCall state=completed") for e in call.transcript)


def placed(call: SimulatedCall, number: str) -> None:
    """``call`` is one the app placed with createCall to ``number``, from the centre."""
    assert (call.direction, call.from_, call.to) == ("outbound", CENTRE, number)


def test_the_agent_accepts_and_joins_the_callers_queue_conference() -> None:
    sim, _ = contact_centre([hang_up(after=120.0)], first=[press("1")])
    caller, agent = sim.run_until(seconds=30.0)
    placed(agent, FIRST)
    assert caller.state == agent.state == "answered"
    [queue] = sim.conferences
    assert queue.name == QUEUE_PREFIX + caller.call_id
    assert queue.members == (caller.call_id, agent.call_id)
    assert queue.record.hears(caller.call_id, agent.call_id)
    assert queue.record.hears(agent.call_id, caller.call_id)
    assert caller.heard == [WELCOME, CONNECTED]
    assert agent.heard == [WHISPER, CONNECTED]
    assert agent.pressed == ["1"]
    # The agent's call was placed while the conferenceCreated event was answered.
    [created] = [cb for cb in queue.callbacks if cb.event_type == "conferenceCreated"]
    assert created.ms == 0
    [answer] = [cb for cb in agent.callbacks if cb.event_type == "answer"]
    assert answer.ms == 0 and answer.payload["tag"] == caller.call_id
    sim.run()


def test_the_caller_hanging_up_first_ends_the_agents_call() -> None:
    sim, centre = contact_centre([hang_up(after=90.0)], first=[press("1")])
    caller, agent = sim.run()
    assert (caller.duration, agent.duration) == (90.0, 90.0)
    assert caller.disconnect_cause == agent.disconnect_cause == "hangup"
    [queue] = sim.conferences
    assert events(queue)[3:] == [
        ("conferenceMemberExit", caller.call_id),
        ("conferenceMemberExit", agent.call_id),
        ("conferenceCompleted", None),
    ]
    assert hung_up_by_the_app(agent)
    assert [cb.event_type for cb in agent.callbacks][-1] == "disconnect"
    assert centre.callers == {}  # the caller's disconnect ended its queue entry


def test_the_agent_hanging_up_first_ends_the_callers_call() -> None:
    sim, centre = contact_centre(first=[press("1"), hang_up(after=60.0)])
    caller, agent = sim.run()
    assert (caller.duration, agent.duration) == (60.0, 60.0)
    [queue] = sim.conferences
    assert events(queue)[3:] == [
        ("conferenceMemberExit", agent.call_id),
        ("conferenceMemberExit", caller.call_id),
        ("conferenceCompleted", None),
    ]
    assert hung_up_by_the_app(caller) and not hung_up_by_the_app(agent)
    assert centre.callers == {}


@pytest.mark.parametrize("declines", [press("2"), silence()], ids=["key-2", "silence"])
def test_an_agent_who_declines_leaves_the_caller_the_voicemail_offer(declines: Step) -> None:
    sim, _ = contact_centre([press("1"), leave_message(8)], first=[declines])
    caller, agent = sim.run()
    placed(agent, FIRST)
    assert agent.heard == [WHISPER, "The caller stays in the queue. Goodbye."]
    assert caller.heard == [WELCOME, NO_AGENT, LEAVE_MESSAGE, THANKS]
    redirect = next(cb for cb in caller.callbacks if cb.event_type == "redirect")
    assert redirect.url == f"{BASE}/busy"
    caller.assert_callback("recordComplete", duration="PT8S")
    [queue] = sim.conferences
    assert queue.members == (caller.call_id,)  # the agent never joined
    assert len(sim.calls) == 2  # no other agent rung: the caller chose voicemail


def test_an_agent_who_does_not_answer_and_a_caller_who_holds_on_gets_the_next_agent() -> None:
    sim, _ = contact_centre([silence(), hang_up(after=200.0)], second=[press("1")])
    sim.destination(FIRST, no_answer())
    caller, first, second = sim.run()
    placed(first, FIRST)
    placed(second, SECOND)
    assert first.disconnect_cause == "timeout" and first.duration == RING_SECONDS
    assert first.heard == []
    assert caller.heard == [WELCOME, NO_AGENT, WELCOME, CONNECTED]
    # Back in the queue: a new instance of the same conference, the second agent in it.
    old, new = sim.conferences
    assert old.name == new.name and old.conference_id != new.conference_id
    assert old.members == (caller.call_id,)
    assert new.members == (caller.call_id, second.call_id)
    assert caller.duration == second.duration + new.record.created_ms / 1000
    assert second.disconnect_cause == "hangup"


def test_once_every_agent_was_tried_the_caller_goes_straight_to_voicemail() -> None:
    sim, _ = contact_centre([silence(), leave_message(5)], first=[press("2")], second=[press("2")])
    caller, first, second = sim.run()
    placed(second, SECOND)
    assert caller.heard == [WELCOME, NO_AGENT, WELCOME, LEAVE_MESSAGE, THANKS]
    assert len(sim.conferences) == 2


def test_a_caller_who_hangs_up_while_the_agent_rings_cancels_the_agents_call() -> None:
    sim, _ = contact_centre([hang_up(after=2.0)])
    sim.destination(FIRST, no_answer())
    caller, agent = sim.run()
    assert agent.duration == caller.duration == 2.0
    assert agent.disconnect_cause == "cancel"
    assert hung_up_by_the_app(agent)


def test_the_callers_disconnect_ends_the_agent_when_the_member_exit_event_is_lost() -> None:
    sim, centre = contact_centre([hang_up(after=90.0)], first=[press("1")])
    sim.run_until(seconds=30.0)
    sim.faults.drop("/queue", times=None)  # from now on, no conference event gets through
    caller, agent = sim.run()
    assert agent.duration == caller.duration == 90.0
    assert hung_up_by_the_app(agent)
    [queue] = sim.conferences
    exits = [cb for cb in queue.callbacks if cb.event_type == "conferenceMemberExit"]
    assert exits and all(cb.status is None for cb in exits)  # none reached the app
    assert centre.callers == {}
