"""One engine, many calls on one virtual clock: each call keeps its own document, tag,
legs, script, heard and assumptions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from callcontrol.engine import Engine, FetchResult, HangUp, Leg, Press
from callcontrol.engine.observations import LegEnded

REPLIES = {
    "https://app.test/answer": '<Response><Gather gatherUrl="/menu" maxDigits="1">'
    "<SpeakSentence>Press a key.</SpeakSentence></Gather></Response>",
    "https://app.test/menu": '<Response><Pause duration="{d}"/>'
    "<SpeakSentence>You pressed {digits}.</SpeakSentence></Response>",
}


def drive(engine: Engine) -> None:
    """Answer every callback from REPLIES until nothing is left."""
    while True:
        engine.run()
        requests = engine.take()
        if not requests:
            return
        for request in requests:
            if not request.synchronous:
                engine.delivered(request, FetchResult(204))
                continue
            digits = str(request.payload.get("digits", ""))
            body = REPLIES[request.target.url].format(d=int(digits or 0) + 1, digits=digits)
            engine.fetch_done(request, FetchResult(200, body.encode()))


def start(engine: Engine, key: str, tag: str) -> Leg:
    return engine.start_call(
        "inbound",
        "https://app.test/answer",
        from_="+15551230000",
        to="+15553334444",
        script=[Press(key)],
        tag=tag,
    )


def test_two_calls_share_one_clock_and_keep_their_own_state():
    engine = Engine()
    first, second = start(engine, "3", "one"), start(engine, "7", "two")
    drive(engine)
    assert first.heard == ["Press a key.", "You pressed 3."]
    assert second.heard == ["Press a key.", "You pressed 7."]
    assert (first.pressed, second.pressed) == (["3"], ["7"])
    assert (first.tag, second.tag) == ("one", "two")
    # the longer Pause of the second call keeps it up longer, on the same clock
    assert first.end_ms is not None and second.end_ms is not None
    assert second.end_ms - first.end_ms == 4000
    ends = [(o.call_id, o.cause) for o in engine.observations if isinstance(o, LegEnded)]
    assert ends == [(first.id, "hangup"), (second.id, "hangup")]
    assert first.assumptions == second.assumptions  # once per call, not once per engine


def test_a_call_told_alone_is_the_same_story_as_told_among_others():
    alone = Engine()
    only = start(alone, "5", "x")
    drive(alone)
    crowd = Engine()
    start(crowd, "2", "y")
    among = start(crowd, "5", "x")
    drive(crowd)

    def story(engine: Engine, leg: Leg) -> list[tuple[int, str, str]]:
        return [(o.ms, o.leg, o.kind) for o in engine.observations_of(leg.id) if o.kind]

    assert story(alone, only) == story(crowd, among)


def test_hang_up_after_counts_from_the_start_of_its_call():
    engine = Engine()
    engine.start_call("inbound", "https://app.test/answer", from_="+1", to="+2")
    engine.run()
    engine.take()  # never answered: that call only keeps the clock company
    engine.run(until_ms=10_000)
    later = engine.start_call(
        "inbound", "https://app.test/answer", from_="+1", to="+2", script=[HangUp(after=3.0)]
    )
    drive_until = 20_000
    engine.run(until_ms=drive_until)
    for request in engine.take():
        if request.leg_id == later.id and request.synchronous:
            engine.fetch_done(
                request, FetchResult(200, b'<Response><Pause duration="30"/></Response>')
            )
    engine.run(until_ms=drive_until)
    assert later.end_ms == later.start_ms + 3000 == 13_000


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from("0123456789"), min_size=1, max_size=6))
def test_any_number_of_calls_each_hear_their_own_key(keys: list[str]):
    engine = Engine()
    legs = [start(engine, key, f"t{i}") for i, key in enumerate(keys)]
    drive(engine)
    for leg, key in zip(legs, keys, strict=True):
        assert leg.heard == ["Press a key.", f"You pressed {key}."]
        assert leg.cause == "hangup" and leg.pressed == [key]
