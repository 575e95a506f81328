"""Engine.forget_calls: a long-running driver drops ended calls, and only those."""

from __future__ import annotations

import pytest

from callcontrol.engine import Engine, FetchResult, Leg

REPLY = b"<Response><SpeakSentence>Hi.</SpeakSentence></Response>"


def start(engine: Engine) -> Leg:
    return engine.start_call(
        "inbound", "https://app.test/a", from_="+15551230000", to="+15553334444"
    )


def drive(engine: Engine, until: int | None = None) -> None:
    while True:
        engine.run(until)
        requests = engine.take()
        if not requests:
            return
        for request in requests:
            engine.fetch_done(request, FetchResult(200, REPLY))


def test_forget_drops_an_ended_call_its_legs_and_observations() -> None:
    engine = Engine()
    first, second = start(engine), start(engine)
    drive(engine)
    kept = engine.observations_of(second.id)
    engine.forget_calls([first.id, "c-unknown"])
    assert engine.call_ids == [second.id]
    assert all(seen.call_id != first.id for seen in engine.observations)
    assert engine.observations_of(second.id) == kept
    with pytest.raises(KeyError):
        engine.leg(first.id)


def test_a_call_still_up_cannot_be_forgotten() -> None:
    engine = Engine()
    first = start(engine)
    with pytest.raises(ValueError, match="has not ended"):
        engine.forget_calls([first.id])
    assert engine.call_ids == [first.id]
