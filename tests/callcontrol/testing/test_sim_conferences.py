"""sim.conferences: each conference instance of a simulation as a record (issue 17 §4):
name, conference_id, members kept after they leave, and the conference events as Callback
values (bxml-spec §4.2; voice-api §9.4 conference events)."""

from __future__ import annotations

from typing import Any

from callcontrol.testing import Callback, CallSimulator, SimulatedConference, hang_up
from tests.callcontrol.testing.explore_apps import table_app

ROOM = '<Response><Conference conferenceEventUrl="/conf">{name}</Conference></Response>'


def conf_reply(event: dict[str, Any]) -> str:
    if event["eventType"] == "conferenceCreated":
        return "<Response><SpeakSentence>Welcome.</SpeakSentence></Response>"
    return ""


def simulator(name: str = "room") -> CallSimulator:
    app = table_app({"/answer": ROOM.format(name=name), "/conf": conf_reply})
    return CallSimulator(app, base_url="https://conf.test")


def two_members(first_leaves: float = 10.0, second_leaves: float = 30.0) -> CallSimulator:
    sim = simulator()
    sim.start_inbound("/answer", from_="+15551230001", script=[hang_up(after=first_leaves)])
    sim.start_inbound("/answer", from_="+15551230002", script=[hang_up(after=second_leaves)])
    sim.run()
    return sim


def test_no_conference_no_record() -> None:
    sim = CallSimulator(table_app({"/answer": "<Response><Hangup/></Response>"}))
    sim.inbound("/answer")
    assert sim.conferences == []


def test_the_record_is_named_by_the_conference_text_bxml_spec_4_2() -> None:
    sim = simulator("queue-sales")
    sim.inbound("/answer", script=[hang_up(after=5.0)])
    [record] = sim.conferences
    assert isinstance(record, SimulatedConference)
    assert record.name == "queue-sales"


def test_the_conference_id_is_the_one_the_events_carry() -> None:
    sim = two_members()
    [record] = sim.conferences
    assert record.conference_id.startswith("conf-")
    assert {cb.payload["conferenceId"] for cb in record.callbacks} == {record.conference_id}


def test_members_are_in_join_order_and_a_member_who_left_is_still_listed() -> None:
    sim = two_members(first_leaves=10.0, second_leaves=30.0)
    first, second = sim.calls
    [record] = sim.conferences
    # The first member left at 10 s, long before the conference completed at 30 s.
    assert record.members == (first.call_id, second.call_id)
    assert record.completed


def test_callbacks_are_the_conference_events_as_sent_voice_api_9_4() -> None:
    sim = two_members(first_leaves=10.0, second_leaves=30.0)
    first, second = sim.calls
    [record] = sim.conferences
    assert all(isinstance(cb, Callback) for cb in record.callbacks)
    assert [(cb.event_type, cb.payload.get("callId")) for cb in record.callbacks] == [
        ("conferenceCreated", None),
        ("conferenceMemberJoin", first.call_id),
        ("conferenceMemberJoin", second.call_id),
        ("conferenceMemberExit", first.call_id),
        ("conferenceMemberExit", second.call_id),
        ("conferenceCompleted", None),
    ]
    created = record.callbacks[0]
    assert created.url == "https://conf.test/conf" and created.status == 200
    assert b"Welcome." in created.reply
    assert [cb.ms for cb in record.callbacks][-2:] == [30_000, 30_000]
    assert not record.callbacks[-1].synchronous  # conferenceCompleted: 204 only (§9.1)


def test_the_events_are_those_the_creator_received() -> None:
    sim = two_members()
    first, _ = sim.calls
    [record] = sim.conferences
    sent = [cb for cb in first.callbacks if cb.event_type.startswith("conference")]
    assert sent == list(record.callbacks)


def test_a_name_used_again_after_completion_is_a_second_record_with_a_new_id() -> None:
    sim = simulator()
    sim.inbound("/answer", script=[hang_up(after=5.0)])
    sim.inbound("/answer", script=[hang_up(after=5.0)])
    first, second = sim.conferences
    assert first.name == second.name == "room"
    assert first.conference_id != second.conference_id
    assert len(first.members) == len(second.members) == 1
    assert first.members != second.members
    assert [cb.event_type for cb in second.callbacks][0] == "conferenceCreated"
    assert {cb.payload["conferenceId"] for cb in second.callbacks} == {second.conference_id}


def test_a_running_conference_is_listed_before_it_completes() -> None:
    sim = simulator()
    sim.start_inbound("/answer", script=[hang_up(after=30.0)])
    sim.run_until(seconds=5.0)
    [record] = sim.conferences
    assert not record.completed
    assert [cb.event_type for cb in record.callbacks] == [
        "conferenceCreated",
        "conferenceMemberJoin",
    ]
    sim.run()
