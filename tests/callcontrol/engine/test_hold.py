"""Holding one call of many: its own time stands still, the other calls go on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcontrol.engine import Engine, FetchResult, Leg, Press

PAUSE = b'<Response><Pause duration="{s}"/><SpeakSentence>Bye.</SpeakSentence></Response>'
MENU = (
    b'<Response><Gather gatherUrl="/menu" maxDigits="1">'
    b"<SpeakSentence>Press a key.</SpeakSentence></Gather></Response>"
)
URL = "https://app.test/answer"


def start(engine: Engine, **options: object) -> Leg:
    return engine.start_call(
        "inbound",
        URL,
        from_="+15551230000",
        to="+15553334444",
        **options,  # type: ignore[arg-type]
    )


def drive(
    engine: Engine, replies: dict[str, bytes], until: int | None = None
) -> list[tuple[str, str]]:
    """Answer each call's first callback from ``replies`` (by call id), later ones with an
    empty document, until ``until`` or the end; return the (call id, event) sent."""
    sent: list[tuple[str, str]] = []
    while True:
        engine.run(until)
        requests = engine.take()
        if not requests:
            return sent
        for request in requests:
            sent.append((request.leg_id, request.event_type))
            if request.synchronous:
                first = request.event_type == "initiate"
                body = replies.get(request.leg_id, b"") if first else b"<Response/>"
                engine.fetch_done(request, FetchResult(200, body))
            else:
                engine.delivered(request, FetchResult(204))


def pauses(engine: Engine, seconds: tuple[int, int]) -> tuple[Leg, Leg, dict[str, bytes]]:
    first, second = start(engine), start(engine)
    replies = {
        first.id: PAUSE.replace(b"{s}", str(seconds[0]).encode()),
        second.id: PAUSE.replace(b"{s}", str(seconds[1]).encode()),
    }
    return first, second, replies


def test_a_held_call_stands_still_while_the_other_goes_on() -> None:
    engine = Engine()
    first, second, replies = pauses(engine, (10, 10))
    drive(engine, replies, until=4000)
    engine.hold_call(first.id)
    assert engine.is_held(first.id) and not engine.is_held(second.id)
    drive(engine, replies, until=30_000)
    assert first.up and not second.up
    ended = second.end_ms
    engine.release_call(first.id)
    drive(engine, replies)
    assert not engine.is_held(first.id)
    assert first.end_ms is not None and ended is not None
    # held from 4 s to 30 s: its own 10 s pause ends 26 s later than the other's
    assert first.end_ms - ended == 26_000


def test_hold_call_at_holds_where_the_verb_starts_and_the_keys_wait() -> None:
    engine = Engine()
    first = start(engine, script=[Press("5")])
    second = start(engine, script=[Press("6")])
    replies = {first.id: MENU, second.id: MENU}
    engine.hold_call_at(first.id, "Gather")
    sent = drive(engine, replies, until=60_000)
    assert engine.is_held(first.id) and first.up
    assert (second.id, "gather") in sent and not second.up
    assert (first.id, "gather") not in sent  # its key waits with it
    engine.release_call(first.id)
    sent = drive(engine, replies)
    assert (first.id, "gather") in sent and not first.up
    assert first.pressed == ["5"]


def test_a_reply_that_arrives_while_held_runs_on_release() -> None:
    engine = Engine()
    first, second, replies = pauses(engine, (1, 1))
    engine.run()
    requests = engine.take()
    engine.hold_call(first.id)
    hello = b"<Response><Tag>t</Tag><SpeakSentence>Hello.</SpeakSentence></Response>"
    for request in requests:
        engine.fetch_done(request, FetchResult(200, hello))
    drive(engine, replies)
    assert first.up and first.heard == [] and second.heard == ["Hello."]
    engine.release_call(first.id)
    drive(engine, replies)
    assert first.heard == ["Hello."] and not first.up


def test_an_api_hang_up_applies_to_a_held_call_at_once() -> None:
    engine = Engine()
    first, _, replies = pauses(engine, (10, 10))
    drive(engine, replies, until=1000)
    engine.hold_call(first.id)
    engine.hang_up(first)
    assert not first.up and first.cause == "hangup" and first.end_ms == 1000


def test_forgetting_a_hold_at_and_unknown_calls() -> None:
    engine = Engine()
    first = start(engine, script=[Press("5")])
    engine.hold_call_at(first.id, "Gather")
    engine.hold_call_at(first.id, None)
    drive(engine, {first.id: MENU})
    assert not engine.is_held(first.id) and first.pressed == ["5"]
    with pytest.raises(KeyError, match="no call"):
        engine.hold_call("c-nobody")


def test_start_call_keeps_a_given_call_id_and_application_id() -> None:
    engine = Engine(application_id="engine-app")
    leg = start(engine, call_id="c-given", application_id="call-app")
    assert leg.id == "c-given" and leg.application_id == "call-app"
    assert engine.leg("c-given") is leg
    with pytest.raises(ValueError, match="already a call"):
        start(engine, call_id="c-given")


@settings(max_examples=30, deadline=None)
@given(
    at=st.integers(0, 12_000),
    held=st.integers(0, 50_000),
    seconds=st.tuples(st.integers(1, 10), st.integers(1, 10)),
)
def test_a_hold_shifts_only_the_held_call_by_its_length(
    at: int, held: int, seconds: tuple[int, int]
) -> None:
    """Invariant: holding a call for d ms ends it d ms later (if it was still up), and
    leaves the other call's end where it was."""
    plain = Engine()
    a, b, replies = pauses(plain, seconds)
    drive(plain, replies)
    engine = Engine()
    first, second, replies = pauses(engine, seconds)
    drive(engine, replies, until=at)
    was_up = first.up
    engine.hold_call(first.id)
    drive(engine, replies, until=at + held)
    engine.release_call(first.id)
    drive(engine, replies)
    assert second.end_ms == b.end_ms
    assert a.end_ms is not None and first.end_ms is not None
    assert first.end_ms == a.end_ms + (held if was_up else 0)


def test_the_time_limit_counts_from_the_start_of_each_call() -> None:
    engine = Engine(time_limit=60)
    engine.advance_to(30_000)
    late = start(engine)
    drive(engine, {late.id: b'<Response><Pause duration="3600"/></Response>'})
    assert late.end_ms == 90_000
    assert late.error_message == "the simulation stopped the call after 60 s"


def test_a_call_in_a_conference_can_be_held_and_the_conference_goes_on() -> None:
    # The conference's own work (its prompts, its day limit) belongs to no single call.
    engine = Engine()
    room = b'<Response><Conference conferenceEventUrl="/conf">r</Conference></Response>'
    welcome = b"<Response><SpeakSentence>Welcome.</SpeakSentence></Response>"
    first, second = start(engine), start(engine)
    engine.run(0)
    for request in engine.take():
        engine.fetch_done(request, FetchResult(200, room))
    engine.run(0)
    engine.hold_call(second.id)
    for request in engine.take():  # the second's join is welcomed: played into the room
        joined = request.payload.get("callId") == second.id
        engine.fetch_done(request, FetchResult(200, welcome if joined else b""))
    drive(engine, {}, until=4000)
    assert first.heard == ["Welcome."]  # the prompt played (and ended) with a member held
    engine.hang_up(first)
    drive(engine, {}, until=5000)
    assert engine.is_held(second.id) and second.up and not first.up
    engine.release_call(second.id)
    engine.hang_up(second)
    assert [c.completed_ms for c in engine.conferences] == [5000]
