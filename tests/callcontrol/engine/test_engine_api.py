"""The engine on its own (sans-I/O): inputs in, callback requests and transcript out."""

from __future__ import annotations

import pytest

import bxml
from callcontrol.engine import (
    CallStateConflict,
    Credentials,
    Engine,
    FetchResult,
    Leg,
    NoAnswer,
)


def reply(body: str) -> FetchResult:
    return FetchResult(200, f"<Response>{body}</Response>".encode())


def test_inputs_in_effects_out():
    engine = Engine(seed=7)
    leg = engine.start_call(
        "inbound",
        "https://app.test/answer",
        from_="+15551230000",
        to="+15553334444",
        credentials=Credentials("u", "p"),
        disconnect_url="https://app.test/status",
    )
    engine.run()
    (initiate,) = engine.take()
    assert (initiate.event_type, initiate.synchronous) == ("initiate", True)
    assert initiate.target.credentials == Credentials("u", "p")
    engine.fetch_done(initiate, reply('<Pause duration="2"/>'))
    engine.run()
    (disconnect,) = engine.take()
    assert (disconnect.event_type, disconnect.synchronous) == ("disconnect", False)
    assert engine.now == 2000 and engine.finished and not leg.up
    engine.delivered(disconnect, FetchResult(204))
    assert engine.transcript[-1].detail == "disconnect POST https://app.test/status -> 204"


def test_nothing_happens_without_the_driver():
    engine = Engine()
    engine.start_call("outbound", "https://app.test/answer", from_="+1555", to="+1666")
    engine.run(until_ms=0)
    assert [r.event_type for r in engine.take()] == ["answer"]
    assert engine.now == 0


def test_an_interrupt_while_a_fetch_is_in_flight_makes_its_reply_stale():
    engine = Engine()
    leg = engine.start_call("outbound", "https://app.test/answer", from_="+1555", to="+1666")
    engine.run()
    (answer,) = engine.take()
    engine.update_call_bxml(leg, bxml.Bxml(bxml.SpeakSentence("from the API")))
    engine.fetch_done(answer, reply("<SpeakSentence>too late</SpeakSentence>"))
    engine.run()
    assert leg.heard == ["from the API"]
    assert [e.kind for e in engine.transcript].count("stale") == 1
    assert "interrupt-wins" in leg.assumptions


def test_async_callbacks_are_retried_once_after_a_connection_error():
    engine = Engine()
    engine.start_call(
        "inbound",
        "https://app.test/answer",
        from_="+1555",
        to="+1666",
        disconnect_url="https://app.test/status",
    )
    engine.run()
    engine.fetch_done(engine.take()[0], reply("<Hangup/>"))
    (disconnect,) = engine.take()
    engine.delivered(disconnect, FetchResult(None, b"", "connection refused"))
    (retry,) = engine.take()
    assert retry.payload == disconnect.payload and retry.is_fallback
    engine.delivered(retry, FetchResult(None, b"", "connection refused"))
    assert engine.take() == []


def started(direction: str = "inbound") -> tuple[Engine, Leg]:
    engine = Engine()
    leg = engine.start_call(direction, "https://app.test/answer", from_="+1555", to="+1666")
    engine.run()
    return engine, leg


def test_an_unanswered_call_cannot_be_redirected_or_given_bxml():
    engine, leg = started()
    with pytest.raises(
        CallStateConflict, match=r"Call \[c-.*\] cannot be modified in its current state"
    ):
        engine.update_call(leg, redirect_url="https://app.test/x")
    with pytest.raises(CallStateConflict):
        engine.update_call_bxml(leg, bxml.Bxml(bxml.Hangup()))


@pytest.mark.parametrize(("direction", "cause"), [("inbound", "rejected"), ("outbound", "cancel")])
def test_completing_an_unanswered_call_rejects_or_cancels_it(direction, cause):
    engine = Engine()
    leg = engine.start_call(
        direction,
        "https://app.test/answer",
        from_="+1555",
        to="+1666",
        destinations={"+1666": NoAnswer()},
    )
    engine.hang_up(leg)
    assert leg.cause == cause
    with pytest.raises(CallStateConflict):
        engine.hang_up(leg)


def test_update_call_arguments_are_checked():
    engine, leg = started()
    with pytest.raises(ValueError, match="state must be 'active' or 'completed'"):
        engine.update_call(leg, state="paused")
    with pytest.raises(ValueError, match="needs a redirect_url"):
        engine.update_call(leg)
    with pytest.raises(ValueError, match="takes no redirect_url or tag"):
        engine.update_call(leg, state="completed", tag="x")


def test_update_call_sets_the_tag_before_the_redirect():
    engine, leg = started()
    engine.fetch_done(engine.take()[0], reply('<Pause duration="5"/>'))
    engine.run(until_ms=1000)
    engine.update_call(leg, redirect_url="https://app.test/next", tag="moved")
    (redirect,) = engine.take()
    assert redirect.payload["tag"] == "moved" and redirect.payload["eventType"] == "redirect"


def test_a_reply_with_latency_arrives_later_and_past_callback_timeout_fails():
    engine = Engine(callback_timeout=5)
    engine.start_call(
        "inbound",
        "https://app.test/answer",
        from_="+1555",
        to="+1666",
        fallback_url="https://app.test/fallback",
    )
    engine.run()
    (initiate,) = engine.take()
    engine.fetch_done(initiate, reply('<Pause duration="1"/>'), latency=7.5)
    engine.run()
    (retry,) = engine.take()
    assert (engine.now, retry.target.url, retry.is_fallback) == (
        5000,
        "https://app.test/fallback",
        True,
    )
    assert "no reply within callbackTimeout (5 s)" in str(engine.transcript[-2])
    engine.fetch_done(retry, reply('<Pause duration="1"/>'), latency=0.25)
    engine.run()
    assert engine.now == 6250 and engine.finished


def test_callback_timeout_is_checked():
    with pytest.raises(ValueError, match=r"callback_timeout must be 1 to 25 seconds"):
        Engine(callback_timeout=0.5)


def _answered(engine: Engine, body: str) -> Leg:
    leg = engine.start_call("inbound", "https://app.test/answer", from_="+1555", to="+1666")
    engine.run()
    (initiate,) = engine.take()
    engine.fetch_done(initiate, reply(body))
    return leg


def test_a_driver_pauses_where_a_verb_starts_and_resumes():
    engine = Engine()
    leg = _answered(engine, '<Pause duration="1"/><Pause duration="2"/><Ring duration="3"/>')
    engine.run_until_verb("Ring", leg.id)
    assert engine.paused and engine.pause_verb == "Ring" and engine.now == 3000
    engine.run()
    assert engine.now == 3000  # paused: nothing moves
    engine.resume()
    engine.run()
    assert not engine.paused and engine.now == 6000 and not engine.leg(leg.id).up


def test_a_pause_for_another_call_does_not_stop_this_one():
    engine = Engine()
    leg = _answered(engine, '<Pause duration="1"/><Ring duration="1"/>')
    engine.run_until_verb("Ring", "c-someone-else")
    assert not engine.paused and not leg.up


def test_hold_stops_the_run_until_resumed():
    engine = Engine()
    leg = _answered(engine, '<Pause duration="5"/>')
    engine.hold()
    engine.run()
    assert engine.paused and engine.now == 0 and leg.up
    engine.resume()
    engine.run()
    assert engine.now == 5000


def test_next_due_and_advance_to_let_a_wall_clock_driver_follow():
    engine = Engine()
    _answered(engine, '<Pause duration="5"/>')
    assert engine.next_due() == 5000
    engine.advance_to(4000)
    assert engine.now == 4000
    engine.advance_to(1000)
    assert engine.now == 4000  # time never goes back
    with pytest.raises(ValueError, match="due at 5000 ms"):
        engine.advance_to(6000)


def test_leg_ids_and_annotations():
    engine = Engine()
    leg = _answered(engine, '<Pause duration="1"/>')
    assert engine.call_ids == [leg.id] and engine.leg(leg.id) is leg
    with pytest.raises(KeyError, match="no call 'c-x'"):
        engine.leg("c-x")
    engine.annotate(leg.id, "fault", "the app was down")
    assert engine.transcript[-1].render().endswith("fault     the app was down")


def test_call_urls_are_below_the_api_base():
    engine = Engine(api_base="http://127.0.0.1:9/api/v2/", account_id="42")
    leg = engine.start_call("inbound", "https://app.test/answer", from_="+1555", to="+1666")
    assert leg.call_url == f"http://127.0.0.1:9/api/v2/accounts/42/calls/{leg.id}"
    assert (
        Engine()
        .start_call("outbound", "https://a.test/", from_="+1", to="+2")
        .call_url.startswith("https://voice.bandwidth.com/api/v2/accounts/9900000/calls/c-")
    )


@pytest.mark.parametrize(("wall_clock", "assumed"), [(False, True), (True, False)])
def test_a_reply_takes_no_time_only_on_virtual_time(wall_clock: bool, assumed: bool) -> None:
    # Register fetch-latency: on a wall clock the reply's latency passed before it came.
    engine = Engine(wall_clock=wall_clock)
    leg = engine.start_call("outbound", "https://app.test/answer", from_="+1555", to="+1666")
    engine.run()
    (answer,) = engine.take()
    engine.fetch_done(answer, reply("<SpeakSentence>hi</SpeakSentence>"))
    engine.run()
    assert ("fetch-latency" in leg.assumptions) is assumed
    assert leg.heard == ["hi"] and not leg.up


def test_wall_clock_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="wall_clock must be True or False, not 'yes'"):
        Engine(wall_clock="yes")  # type: ignore[arg-type]


def test_a_drivers_timed_action_runs_at_its_time_after_what_else_is_due_then():
    engine = Engine()
    ran: list[tuple[str, int]] = []
    engine.at(1500, lambda name: ran.append((name, engine.now)), "placed")
    engine.at(-5, lambda: ran.append(("past", engine.now)))
    leg = engine.start_call("outbound", "https://app.test/answer", from_="+1555", to="+1666")
    engine.run(until_ms=0)
    # Due now, it runs after the call's own work of that instant (the answer callback).
    assert [r.event_type for r in engine.take()] == ["answer"] and ran == []
    engine.run(until_ms=1499)
    assert ran == [("past", 0)] and engine.next_due() == 1500
    engine.hang_up(leg)
    engine.run()
    assert ran == [("past", 0), ("placed", 1500)] and engine.now == 1500


def test_new_call_id_is_the_id_start_call_would_have_drawn():
    drawn = Engine(seed=3).new_call_id()
    started = Engine(seed=3).start_call("outbound", "https://a.test/", from_="+1555", to="+1666")
    assert drawn == started.id and drawn.startswith("c-")
