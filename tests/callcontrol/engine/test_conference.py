"""<Conference> in the engine: one test per documented rule, each naming its source
(bxml-spec §4.2, §3.1, §6; voice-api §9.1, §9.4) or the register entry it follows."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcontrol import (
    ConferenceCompletedEvent,
    ConferenceCreatedEvent,
    ConferenceMemberExitEvent,
    ConferenceMemberJoinEvent,
    ConferenceRecordingAvailableEvent,
    parse_event,
)
from callcontrol.engine import FetchResult, HangUp, Leg
from callcontrol.engine.observations import (
    ConferenceCompleted,
    ConferenceCreated,
    ConferenceJoined,
    ConferenceLeft,
    ConferenceReplyRejected,
    LegEnded,
)

from .apps import Reply, RoutesApp, xml
from .world import BASE, World

ROOM = '<Conference conferenceEventUrl="/conf"{attrs}>room</Conference>'


def room(attrs: str = "", after: str = "") -> str:
    return xml(ROOM.format(attrs=attrs) + after)


def replies(**by_event: str) -> Any:
    """A /conf handler answering each eventType from ``by_event`` (else 204)."""
    return lambda event: by_event.get(event["eventType"])


def creator_events(world: World) -> list[tuple[str, str | None]]:
    return [
        (r.event_type, r.payload.get("callId")) for r in world.sent if r.event_type[:4] == "conf"
    ]


# -- §4.2: created by the first member, events to the creator's URL ---------------------------


def test_first_member_creates_then_joins_and_last_leave_completes_voice_api_9_4():
    world = World({"/answer": room()})
    a = world.call(script=[HangUp(after=30)])
    b = world.call(script=[HangUp(after=10)])
    world.run()
    assert creator_events(world) == [
        ("conferenceCreated", None),
        ("conferenceMemberJoin", a.id),
        ("conferenceMemberJoin", b.id),
        ("conferenceMemberExit", b.id),
        ("conferenceMemberExit", a.id),
        ("conferenceCompleted", None),
    ]
    assert "conference-event-order" in a.assumptions
    # conferenceCompleted is asynchronous (its reply is never read, voice-api §9.1)
    sync = {r.event_type: r.synchronous for r in world.sent if r.event_type[:4] == "conf"}
    assert sync == {
        "conferenceCreated": True,
        "conferenceMemberJoin": True,
        "conferenceMemberExit": True,
        "conferenceCompleted": False,
    }


def test_payload_fields_are_exactly_the_documented_ones_voice_api_9_4():
    world = World({"/answer": room(' tag="vip"')})
    a = world.call(script=[HangUp(after=5)])
    world.run()
    by_type = {r.event_type: r.payload for r in world.sent}
    short = ["eventType", "eventTime", "conferenceId", "name", "tag"]
    member = ["eventType", "eventTime", "conferenceId", "name", "callId", "from", "to", "tag"]
    assert list(by_type["conferenceCreated"]) == short
    assert list(by_type["conferenceCompleted"]) == short
    assert list(by_type["conferenceMemberJoin"]) == member
    assert list(by_type["conferenceMemberExit"]) == member
    join = by_type["conferenceMemberJoin"]
    assert (join["callId"], join["from"], join["to"], join["tag"]) == (a.id, a.from_, a.to, "vip")
    classes = {
        "conferenceCreated": ConferenceCreatedEvent,
        "conferenceMemberJoin": ConferenceMemberJoinEvent,
        "conferenceMemberExit": ConferenceMemberExitEvent,
        "conferenceCompleted": ConferenceCompletedEvent,
    }
    for event_type, cls in classes.items():
        event = parse_event(by_type[event_type])
        assert isinstance(event, cls)
        assert event.to_dict() == by_type[event_type] and not event.extra


def test_no_tag_no_tag_field_voice_api_9_1():
    world = World({"/answer": room()})
    world.call(script=[HangUp(after=1)])
    world.run()
    assert all("tag" not in r.payload for r in world.sent if r.event_type[:4] == "conf")


def test_later_joiners_url_method_credentials_and_tag_are_ignored_bxml_spec_4_2():
    routes = {
        "/first": xml(
            '<Conference conferenceEventUrl="/conf" conferenceEventMethod="GET" username="u" '
            'password="secret" tag="creator">room</Conference>'
        ),
        "/second": xml(
            '<Conference conferenceEventUrl="/other" username="x" password="y" tag="late">'
            "room</Conference>"
        ),
    }
    world = World(routes)
    world.call("/first", script=[HangUp(after=20)])
    b = world.call("/second", script=[HangUp(after=10)])
    world.run()
    conf = [r for r in world.sent if r.event_type[:4] == "conf"]
    assert {r.target.url for r in conf} == {BASE + "/conf"}
    assert {r.target.method for r in conf} == {"GET"}
    assert {r.target.credentials.username for r in conf if r.target.credentials} == {"u"}
    assert all(r.target.credentials is not None for r in conf)
    assert {r.payload.get("tag") for r in conf} == {"creator"}
    notes = [e.detail for e in world.engine.transcript if e.kind == "conference"]
    assert any("ignored" in n and "§4.2" in n for n in notes)
    assert b.tag == "late"  # the call's own sticky tag still changes (voice-api §9.1)


def test_no_conference_event_url_sends_nothing_but_the_conference_is_kept_bxml_spec_4_2():
    world = World({"/answer": xml("<Conference>quiet</Conference>")})
    a = world.call(script=[HangUp(after=3)])
    b = world.call(script=[HangUp(after=4)])
    world.run()
    assert world.events() == []
    [record] = world.engine.conferences
    assert record.members == (a.id, b.id) and record.completed_ms == 4000


def test_a_new_instance_after_completion_gets_a_new_conference_id_bxml_spec_4_2():
    world = World({"/answer": room(), "/later": room()})
    a = world.call(script=[HangUp(after=2)])
    world.run()
    world.engine.sched.now = 5000
    b = world.call("/later", script=[HangUp(after=2)])
    world.run()
    first, second = world.engine.conferences
    assert first.name == second.name == "room"
    assert first.conference_id != second.conference_id
    assert (first.members, second.members) == ((a.id,), (b.id,))
    assert world.events().count("conferenceCreated") == 2


def test_record_keeps_members_in_join_order_after_they_leave_with_callbacks_and_times():
    world = World({"/answer": room(), "/conf": replies(conferenceCreated=xml(""))})
    a = world.call(script=[HangUp(after=9)])
    b = world.call(script=[HangUp(after=2)])
    world.run()
    [record] = world.engine.conferences
    assert record.members == (a.id, b.id)
    assert [c.event_type for c in record.callbacks] == world.events()
    assert all(c.result is not None and c.result.status in (200, 204) for c in record.callbacks)
    assert (record.created_ms, record.completed_ms) == (0, 9000)
    assert record.created_time == "2026-01-01T09:00:00.000Z"
    assert record.completed_time == "2026-01-01T09:00:09.000Z"
    with pytest.raises(AttributeError):
        record.name = "x"  # type: ignore[misc]


def test_typed_observations_for_created_joined_left_completed():
    world = World({"/answer": room(' mute="true"')})
    a = world.call(script=[HangUp(after=2)])
    world.run()
    seen = [o for o in world.engine.observations if type(o).__name__.startswith("Conference")]
    assert [type(o) for o in seen] == [
        ConferenceCreated,
        ConferenceJoined,
        ConferenceLeft,
        ConferenceCompleted,
    ]
    assert all(o.call_id == a.id and o.name == "room" for o in seen)  # type: ignore[attr-defined]
    joined = seen[1]
    assert isinstance(joined, ConferenceJoined) and joined.mute and not joined.hold
    assert joined.to_json() == {
        "type": "ConferenceJoined",
        "ms": 0,
        "leg": "A",
        "call_id": a.id,
        "name": "room",
        "conference_id": world.engine.conferences[0].conference_id,
        "mute": True,
        "hold": False,
        "coaching": [],
        "kind": "conference",
        "detail": "joined room (muted)",
    }
    assert isinstance(seen[2], ConferenceLeft) and seen[2].how == "hangup"


# -- §4.2, §6: replies to conference events ---------------------------------------------------


def test_accepted_reply_is_heard_by_every_member_present_bxml_spec_6():
    routes: dict[str, Reply] = {
        "/answer": room(),
        "/conf": lambda e: (
            xml("<SpeakSentence>Agent joined.</SpeakSentence>")
            if e["eventType"] == "conferenceMemberJoin" and e["from"] == "+15551230002"
            else None
        ),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=20)])
    b = world.call(script=[HangUp(after=20)])
    world.run()
    assert a.heard == ["Agent joined."] and b.heard == ["Agent joined."]


def test_replies_are_queued_in_order_without_overlap_bxml_spec_4_2():
    routes = {
        "/answer": room(),
        "/conf": replies(
            conferenceCreated=xml("<SpeakSentence>one two three four five</SpeakSentence>"),
            conferenceMemberJoin=xml("<PlayAudio>/hold.wav</PlayAudio>"),
        ),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=30)])
    world.run()
    plays = [(e.ms, e.detail) for e in world.engine.transcript if "plays" in e.detail]
    # the 5 words take 2 s (0.4 s each, register speech-rate); the audio starts after them
    assert plays == [
        (0, "room plays one two three four five"),
        (2000, f"room plays [audio {BASE}/hold.wav]"),
    ]
    assert a.heard == ["one two three four five", f"[audio {BASE}/hold.wav]"]


def test_a_reply_with_any_other_verb_is_rejected_whole_bxml_spec_6():
    routes = {
        "/answer": room(),
        "/conf": replies(
            conferenceCreated=xml('<SpeakSentence>hello</SpeakSentence><Gather gatherUrl="/g"/>')
        ),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=5)])
    world.run()
    assert a.heard == []  # not even the SpeakSentence before the Gather
    [rejected] = [o for o in world.engine.observations if isinstance(o, ConferenceReplyRejected)]
    assert rejected.event_type == "conferenceCreated" and "<Gather>" in rejected.reason
    lines = [e.detail for e in world.engine.transcript if e.kind == "conference"]
    assert any("conferenceCreated reply rejected: <Gather> is not allowed" in n for n in lines)
    [record] = world.engine.conferences
    assert record.callbacks[0].accepted is False
    assert a.cause == "hangup"  # the member stays in the conference


@pytest.mark.parametrize(
    "body", ["<Response><Oops/></Response>", "<Bxml><SpeakSentence>x</SpeakSentence></Bxml>"]
)
def test_an_unreadable_reply_is_rejected_and_the_conference_goes_on_bxml_spec_4_2(body):
    world = World({"/answer": room(), "/conf": replies(conferenceCreated=body)})
    a = world.call(script=[HangUp(after=5)])
    world.run()
    assert [type(o) for o in world.engine.observations if isinstance(o, ConferenceReplyRejected)]
    assert a.cause == "hangup" and a.end_ms == 5000


def test_a_member_on_hold_hears_nothing_bxml_spec_4_2():
    routes: dict[str, Reply] = {
        "/answer": room(),
        "/held": room(' hold="true"'),
        "/conf": lambda e: (
            xml("<SpeakSentence>news</SpeakSentence>")
            if e["eventType"] == "conferenceMemberJoin" and e["from"] == "+15551230002"
            else None
        ),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=20)])
    held = world.call("/held", script=[HangUp(after=20)])
    world.run()
    assert a.heard == ["news"] and held.heard == []


def test_mute_hold_and_coach_decide_who_hears_whom_bxml_spec_4_2():
    world = World(
        {
            "/caller": room(),
            "/agent": room(),
            "/muted": room(' mute="true"'),
            "/held": room(' hold="true"'),
        }
    )
    caller = world.call("/caller", script=[HangUp(after=20)])
    agent = world.call("/agent", script=[HangUp(after=20)])
    muted = world.call("/muted", script=[HangUp(after=20)])
    held = world.call("/held", script=[HangUp(after=20)])
    coach_doc = xml(f'<Conference callIdsToCoach="{agent.id}">room</Conference>')
    world.app.routes = {**world.app.routes, "/coach": coach_doc}
    coach = world.call("/coach", script=[HangUp(after=20)])
    world.run()
    [record] = world.engine.conferences
    assert record.hears(agent.id, caller.id) and record.hears(caller.id, agent.id)
    assert record.hears(caller.id, muted.id) is False  # muted: heard by nobody
    assert record.hears(muted.id, caller.id)  # but hears
    assert record.hears(held.id, caller.id) is False and record.hears(caller.id, held.id) is False
    assert record.hears(agent.id, coach.id)  # the coach is heard only by the coached call
    assert record.hears(caller.id, coach.id) is False
    assert record.hears(coach.id, caller.id)


def test_only_one_coach_at_a_time_register_conference_one_coach():
    world = World({"/answer": room()})
    a = world.call(script=[HangUp(after=20)])
    coach = xml(f'<Conference callIdsToCoach="{a.id}">room</Conference>')
    world.app.routes = {**world.app.routes, "/coach": coach}
    first = world.call("/coach", script=[HangUp(after=20)])
    second = world.call("/coach", script=[HangUp(after=20)])
    world.run()
    [record] = world.engine.conferences
    by_id = {m.call_id: m for m in record.participants}
    assert by_id[first.id].coaching == (a.id,)
    assert by_id[second.id].coaching == ()
    assert "conference-one-coach" in second.assumptions
    assert record.hears(first.id, second.id)  # an ordinary member, heard by all


def test_at_most_20_members_the_21st_call_fails_register_conference_full():
    world = World({"/answer": xml("<Conference>big</Conference>")})
    calls = [world.call(script=[HangUp(after=60)]) for _ in range(21)]
    world.run()
    assert [c.cause for c in calls[:20]] == ["hangup"] * 20
    last = calls[20]
    assert last.cause == "error" and last.end_ms == 0
    assert last.error_message == "conference big is full: at most 20 calls (bxml-spec §4.2)"
    assert "conference-full" in last.assumptions
    [record] = world.engine.conferences
    assert len(record.members) == 20 and last.id not in record.members


def test_a_place_freed_by_a_leaving_member_can_be_taken_bxml_spec_4_2():
    world = World({"/answer": xml("<Conference>big</Conference>")})
    first = world.call(script=[HangUp(after=1)])
    others = [world.call(script=[HangUp(after=60)]) for _ in range(19)]
    world.run(until=2)
    late = world.call(script=[HangUp(after=5)])
    world.run()
    assert late.cause == "hangup"
    [record] = world.engine.conferences
    assert record.members == (first.id, *(o.id for o in others), late.id)


# -- recording (bxml-spec §4.19, voice-api §9.4) -----------------------------------------------


def test_start_recording_in_a_conference_sends_conference_recording_available():
    routes = {
        "/answer": room(' tag="t"'),
        "/conf": replies(
            conferenceCreated=xml(
                '<StartRecording recordingAvailableUrl="/rec" fileFormat="mp3"/>'
                "<SpeakSentence>one two three</SpeakSentence>"
                "<PauseRecording/>"
                "<SpeakSentence>four five</SpeakSentence>"
                "<ResumeRecording/>"
            ),
            conferenceMemberExit=xml("<StopRecording/>"),
        ),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=10)])
    b = world.call(script=[HangUp(after=4)])
    world.run()
    [sent] = [r for r in world.sent if r.event_type == "conferenceRecordingAvailable"]
    assert sent.target.url == BASE + "/rec" and not sent.synchronous
    payload = sent.payload
    [record] = world.engine.conferences
    assert list(payload) == [
        "eventType", "eventTime", "conferenceId", "name", "accountId", "recordingId",
        "channels", "startTime", "endTime", "duration", "fileFormat", "mediaUrl", "status",
        "tag",
    ]  # fmt: skip
    assert payload["conferenceId"] == record.conference_id and payload["channels"] == 1
    assert payload["fileFormat"] == "mp3" and payload["tag"] == "t"
    assert payload["status"] == "complete"
    # recorded 0 to 4 s (b's exit stops it), the 0.8 s paused while "four five" played out
    assert (payload["startTime"], payload["endTime"]) == (
        "2026-01-01T09:00:00.000Z",
        "2026-01-01T09:00:04.000Z",
    )
    assert payload["duration"] == "PT3.2S"
    assert payload["mediaUrl"].endswith(
        f"/accounts/9900000/conferences/{record.conference_id}/recordings/"
        f"{payload['recordingId']}/media"
    )
    event = parse_event(dict(payload))
    assert isinstance(event, ConferenceRecordingAvailableEvent) and not event.extra
    assert a.cause == b.cause == "hangup"


def test_the_recording_ends_with_the_conference_register_conference_recording_order():
    routes = {
        "/answer": room(),
        "/conf": replies(conferenceCreated=xml('<StartRecording recordingAvailableUrl="/r"/>')),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=7)])
    world.run()
    assert world.events()[-2:] == ["conferenceCompleted", "conferenceRecordingAvailable"]
    assert "conference-recording-order" in a.assumptions
    [sent] = [r for r in world.sent if r.event_type == "conferenceRecordingAvailable"]
    assert (sent.payload["duration"], sent.payload["fileFormat"]) == ("PT7S", "wav")


# -- leaving (bxml-spec §3.1) ------------------------------------------------------------------


def test_updatecall_redirect_removes_one_member_and_runs_the_new_document_bxml_spec_3_1():
    routes = {
        "/answer": room(after="<SpeakSentence>never</SpeakSentence>"),
        "/out": xml("<SpeakSentence>You left the room.</SpeakSentence>"),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=30)])
    b = world.call(script=[HangUp(after=30)])
    world.run(until=5)
    world.engine.update_call(b, redirect_url=BASE + "/out")
    world.run()
    assert creator_events(world)[3] == ("conferenceMemberExit", b.id)
    assert b.heard == ["You left the room."] and b.end_ms == 5000 + 1600
    assert a.end_ms == 30_000  # the other member stays until it hangs up
    left = [o for o in world.engine.observations if isinstance(o, ConferenceLeft)]
    assert [(o.call_id, o.how) for o in left] == [(b.id, "removed"), (a.id, "hangup")]


def test_updatecallbxml_removes_the_member_bxml_spec_3_1():
    world = World({"/answer": room()})
    a = world.call(script=[HangUp(after=30)])
    world.run(until=2)
    world.engine.update_call_bxml(a, "<Bxml><SpeakSentence>bye</SpeakSentence></Bxml>")
    world.run()
    assert world.events()[-2:] == ["conferenceMemberExit", "conferenceCompleted"]
    assert a.heard == ["bye"] and a.cause == "hangup"


def test_ending_the_conference_runs_the_verb_after_it_on_every_member_bxml_spec_3_1():
    world = World({"/answer": room(after="<SpeakSentence>The meeting is over.</SpeakSentence>")})
    a = world.call(script=[HangUp(after=60)])
    b = world.call(script=[HangUp(after=60)])
    world.run(until=3)
    [record] = world.engine.conferences
    world.engine.end_conference(record.conference_id)
    world.run()
    assert a.heard == b.heard == ["The meeting is over."]
    assert a.end_ms == b.end_ms == 3000 + 1600
    assert "updateConference room completed" in _notes(world, "api")
    assert world.events()[-1] == "conferenceCompleted"
    with pytest.raises(KeyError, match="no running conference"):
        world.engine.end_conference(record.conference_id)


def test_24_hours_end_the_conference_register_conference_time_limit():
    world = World(
        {"/answer": room(after="<SpeakSentence>Time is up.</SpeakSentence>")},
        time_limit=30 * 3600,
    )
    a = world.call()
    world.run()
    assert a.heard == ["Time is up."]
    assert a.end_ms == 24 * 3600 * 1000 + 1200
    assert "conference-time-limit" in a.assumptions


def test_a_hang_up_leaves_and_the_creator_leaving_does_not_end_the_conference():
    world = World({"/answer": room()})
    a = world.call(script=[HangUp(after=1)])
    b = world.call(script=[HangUp(after=8)])
    world.run()
    assert creator_events(world)[3:] == [
        ("conferenceMemberExit", a.id),
        ("conferenceMemberExit", b.id),
        ("conferenceCompleted", None),
    ]
    # events after the creator hung up still go to its URL with its tag (bxml-spec §4.2)
    assert world.engine.conferences[0].completed_ms == 8000


def test_being_bridged_away_leaves_the_conference_bxml_spec_4_1():
    world = World({"/answer": room()})
    member = world.call(script=[HangUp(after=30)])
    world.run(until=1)
    world.app.routes = {
        **world.app.routes,
        "/bridge": xml(f"<Bridge>{member.id}</Bridge>"),
    }
    world.call("/bridge", script=[HangUp(after=5)])
    world.run()
    assert world.events()[-2:] == ["conferenceMemberExit", "conferenceCompleted"]
    assert world.engine.conferences[0].completed_ms == 1000


# -- callbacks that fail (voice-api §9.1) -------------------------------------------------------


def test_a_failing_event_goes_to_the_fallback_with_fallback_credentials_voice_api_9_1():
    routes = {
        "/answer": room(
            ' conferenceEventFallbackUrl="/fb" fallbackUsername="fu" fallbackPassword="fp"'
        ),
        "/conf": (500, b""),
        "/fb": replies(conferenceCreated=xml("<SpeakSentence>from fallback</SpeakSentence>")),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=5)])
    world.run()
    fallback = [r for r in world.sent if r.target.url == BASE + "/fb"]
    assert fallback and all(r.is_fallback for r in fallback)
    assert {r.target.credentials.username for r in fallback if r.target.credentials} == {"fu"}
    assert a.heard == ["from fallback"]
    assert "fallback-status" in a.assumptions


def test_a_connection_error_is_sent_once_more_register_sync_connection_retry():
    world = World({"/answer": room()})
    a = world.call(script=[HangUp(after=5)])
    while True:
        world.engine.run()
        requests = world.engine.take()
        if not requests:
            break
        for request in requests:
            world.sent.append(request)
            if request.event_type == "conferenceCreated" and not request.retried:
                world.engine.fetch_done(request, FetchResult(None, error="connection refused"))
            elif request.synchronous:
                world.engine.fetch_done(request, world.router.send(request).result)
            else:
                world.engine.delivered(request, FetchResult(204))
    created = [r for r in world.sent if r.event_type == "conferenceCreated"]
    assert [r.retried for r in created] == [False, True]
    assert created[1].target == created[0].target
    assert "sync-connection-retry" in a.assumptions
    assert "conference-callback-failure" not in a.assumptions


def test_a_lost_event_does_not_end_anyone_register_conference_callback_failure():
    world = World({"/answer": room(), "/conf": (503, b"")})
    a = world.call(script=[HangUp(after=5)])
    world.run()
    assert a.cause == "hangup" and a.end_ms == 5000
    assert "conference-callback-failure" in a.assumptions


def test_a_reply_slower_than_the_conference_callback_timeout_fails_bxml_spec_4_2():
    routes = {
        "/answer": room(' callbackTimeout="2"'),
        "/conf": replies(conferenceCreated=xml("<SpeakSentence>late</SpeakSentence>")),
    }
    world = World(routes, latency={"/conf": 3.0})
    a = world.call(script=[HangUp(after=10)])
    world.run()
    [record] = world.engine.conferences
    first = record.callbacks[0].result
    assert first is not None and first.timed_out and "2 s" in (first.error or "")
    assert a.heard == []


def test_a_reply_within_the_timeout_plays_when_it_arrives():
    routes = {
        "/answer": room(),
        "/conf": replies(conferenceCreated=xml("<SpeakSentence>hi</SpeakSentence>")),
    }
    world = World(routes, latency={"/conf": 1.5})
    a = world.call(script=[HangUp(after=10)])
    world.run()
    plays = [e.ms for e in world.engine.transcript if "plays" in e.detail]
    assert plays == [1500] and a.heard == ["hi"]


def test_a_reply_after_the_conference_ended_is_not_played():
    routes = {
        "/answer": room(),
        "/conf": replies(conferenceMemberExit=xml("<SpeakSentence>x</SpeakSentence>")),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=1)])
    world.run()
    assert a.heard == []
    assert any("conference over" in e.detail for e in world.engine.transcript)


def test_a_wsgi_app_answers_through_the_router():
    app = RoutesApp(
        {
            "/answer": room(),
            "/conf": replies(conferenceCreated=xml("<SpeakSentence>hello</SpeakSentence>")),
        }
    )
    world = World(app=app)
    a = world.call(script=[HangUp(after=3)])
    world.run()
    assert [s.event["eventType"] for s in app.seen if s.path == "/conf"] == [
        "conferenceCreated",
        "conferenceMemberJoin",
        "conferenceMemberExit",
        "conferenceCompleted",
    ]
    assert a.heard == ["hello"]


def test_a_connection_error_to_an_async_conference_event_is_retried_once_voice_api_9_1():
    world = World({"/answer": room()})
    world.call(script=[HangUp(after=1)])
    while True:
        world.engine.run()
        requests = world.engine.take()
        if not requests:
            break
        for request in requests:
            world.sent.append(request)
            if request.synchronous:
                world.engine.fetch_done(request, world.router.send(request).result)
            elif request.is_fallback:
                world.engine.delivered(request, FetchResult(204))
            else:
                world.engine.delivered(request, FetchResult(None, error="refused"))
    assert world.events().count("conferenceCompleted") == 2
    [record] = world.engine.conferences
    completed = [c for c in record.callbacks if c.event_type == "conferenceCompleted"]
    assert [c.request.is_fallback for c in completed] == [False]
    assert completed[0].result == FetchResult(204)  # the repeat's answer is kept


def test_a_call_that_leaves_and_joins_again_is_listed_twice():
    routes = {
        "/answer": room(),
        "/back": room(),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=30)])
    b = world.call(script=[HangUp(after=30)])
    world.run(until=2)
    world.engine.update_call(b, redirect_url=BASE + "/back")
    world.run()
    [record] = world.engine.conferences
    assert record.members == (a.id, b.id, b.id)
    assert [m.left_ms for m in record.participants] == [30_000, 2000, 30_000]


# -- invariants --------------------------------------------------------------------------------

WORDS = st.lists(st.sampled_from(["one", "two three", "four five six seven"]), max_size=4)


@settings(max_examples=30, deadline=None)
@given(WORDS, WORDS, st.integers(0, 6))
def test_replies_never_overlap_and_play_in_order(created: list[str], joined: list[str], at: int):
    """bxml-spec §4.2: replies are queued and run in order without overlapping."""
    speak = "".join(f"<SpeakSentence>{w}</SpeakSentence>" for w in created)
    speak_join = "".join(f"<SpeakSentence>{w}</SpeakSentence>" for w in joined)
    routes: dict[str, Reply] = {
        "/answer": room(),
        "/conf": replies(conferenceCreated=xml(speak), conferenceMemberJoin=xml(speak_join)),
    }
    world = World(routes)
    a = world.call(script=[HangUp(after=60)])
    world.run(until=at)
    b = world.call(script=[HangUp(after=60)])
    world.run()
    plays: list[tuple[int, str]] = []
    b_hears: list[str] = []
    b_in = False
    for seen in world.engine.observations:
        if isinstance(seen, ConferenceJoined) and seen.call_id == b.id:
            b_in = True
        elif seen.kind == "conference" and seen.detail().startswith("room plays "):
            plays.append((seen.ms, seen.detail().removeprefix("room plays ")))
            if b_in:
                b_hears.append(plays[-1][1])
    texts = [text for _, text in plays]
    assert texts == [*created, *joined, *joined]  # created, a's join, b's join, in order
    for (start, text), (later, _) in zip(plays, plays[1:], strict=False):
        assert later >= start + max(500, 400 * len(text.split()))  # register speech-rate
    assert a.heard == texts  # a is there from the start
    assert b.heard == b_hears  # b hears what plays once it is in


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_events_match_joins_and_leaves(hang_ups: list[int]):
    world = World({"/answer": room()})
    calls: list[Leg] = [world.call(script=[HangUp(after=s)]) for s in hang_ups]
    world.run()
    events = creator_events(world)
    assert events[0] == ("conferenceCreated", None)
    assert events[-1] == ("conferenceCompleted", None)
    assert [e for e in events if e[0] == "conferenceCreated"] == [events[0]]
    joins = [cid for kind, cid in events if kind == "conferenceMemberJoin"]
    exits = [cid for kind, cid in events if kind == "conferenceMemberExit"]
    assert joins == [c.id for c in calls]
    by_end = sorted(calls, key=lambda c: (c.end_ms, calls.index(c)))
    assert exits == [c.id for c in by_end]
    [record] = world.engine.conferences
    assert record.members == tuple(joins)
    assert record.completed_ms == max(hang_ups) * 1000
    assert all(isinstance(o, LegEnded) for o in world.engine.observations if o.kind == "end")


# -- what the mutation run asked for (docs/mutation.md) ------------------------------------------


def _notes(world: World, kind: str) -> list[str]:
    return [e.detail for e in world.engine.transcript if e.kind == kind]


def test_a_later_member_without_url_or_credentials_gets_no_ignored_note_bxml_spec_4_2():
    routes = {
        "/first": room(),
        "/plain": xml("<Conference>room</Conference>"),
        "/creds": xml('<Conference username="x" password="y">room</Conference>'),
    }
    world = World(routes)
    world.call("/first", script=[HangUp(after=20)])
    world.call("/plain", script=[HangUp(after=10)])
    world.run(until=5)
    assert not any("ignored" in n for n in _notes(world, "conference"))
    world.call("/creds", script=[HangUp(after=10)])
    world.run()
    assert sum("ignored" in n for n in _notes(world, "conference")) == 1


def test_unsupported_audio_in_a_conference_reply_is_skipped_bxml_spec_4_2():
    # "If an error happens when executing a verb, it will continue to the next verb."
    body = xml("<PlayAudio>https://cdn.test/a.ogg</PlayAudio><SpeakSentence>next</SpeakSentence>")
    world = World({"/answer": room(), "/conf": replies(conferenceCreated=body)})
    a = world.call(script=[HangUp(after=5)])
    world.run()
    assert a.heard == ["next"]
    assert "unsupported-audio" in a.assumptions
    assert "room: https://cdn.test/a.ogg not played (unsupported)" in _notes(world, "conference")
    plays = [e.ms for e in world.engine.transcript if e.detail == "room plays next"]
    assert plays == [0]


def test_audio_heard_in_a_conference_applies_the_duration_model():
    body = xml("<PlayAudio>https://cdn.test/a.wav</PlayAudio>")
    world = World({"/answer": room(), "/conf": replies(conferenceCreated=body)})
    a = world.call(script=[HangUp(after=5)])
    world.run()
    assert a.heard == ["[audio https://cdn.test/a.wav]"]
    assert "speech-rate" in a.assumptions


def test_recording_verbs_in_a_conference_are_told_and_a_second_start_is_ignored():
    body = xml(
        '<StartRecording recordingAvailableUrl="/rec" transcribe="true"/>'
        "<SpeakSentence>one two three</SpeakSentence>"
        "<StartRecording/>"
        "<PauseRecording/>"
    )
    routes = {"/answer": room(), "/conf": replies(conferenceCreated=body)}
    world = World(routes)
    world.call(script=[HangUp(after=4)])
    world.run()
    assert "StartRecording while one runs (bxml-spec §3.2)" in _notes(world, "ignored")
    told = "transcribe and multiChannel are ignored for conferences (bxml-spec §4.19)"
    assert told in _notes(world, "conference")
    [record_id] = {n.split()[1] for n in _notes(world, "recording")}
    assert _notes(world, "recording") == [
        f"room: {record_id} started",
        f"room: {record_id} PauseRecording",
        f"room: {record_id} stopped",
    ]
    # Stopped while paused (the conference ended at 4 s): the paused time is not recorded.
    [sent] = [r for r in world.sent if r.event_type == "conferenceRecordingAvailable"]
    assert sent.payload["duration"] == "PT1.2S"


def test_a_recording_started_later_counts_from_its_own_start():
    body = xml(
        '<SpeakSentence>one two three</SpeakSentence><StartRecording recordingAvailableUrl="/r"/>'
    )
    world = World({"/answer": room(), "/conf": replies(conferenceCreated=body)})
    world.call(script=[HangUp(after=7)])
    world.run()
    [sent] = [r for r in world.sent if r.event_type == "conferenceRecordingAvailable"]
    started, ended = sent.payload["startTime"], sent.payload["endTime"]
    assert (started, ended) == ("2026-01-01T09:00:01.200Z", "2026-01-01T09:00:07.000Z")
    assert sent.payload["duration"] == "PT5.8S"
