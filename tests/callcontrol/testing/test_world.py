"""Many calls on one virtual clock: sim.run(), sim.run_until(), sim.calls, sim.callee(),
sim.destination()."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from callcontrol.engine.observations import VerbStarted
from callcontrol.testing import CallSimulator, Coverage, UnusedStepsError, busy, hang_up, press
from tests.callcontrol.testing.explore_apps import by_digits, menu, say, table_app

APP = table_app(
    {
        "/answer": menu("Press a key.", "/menu"),
        "/menu": by_digits({"1": say("One."), "2": say("Two.")}, default=say("Other.")),
    }
)


def test_run_takes_every_call_to_its_end_in_creation_order():
    sim = CallSimulator(APP)
    first = sim.start_inbound("/answer", from_="+15550000001", script=[press("1")])
    second = sim.start_inbound("/answer", from_="+15550000002", script=[press("2")])
    calls = sim.run()
    assert [c.call_id for c in calls] == [first.leg.id, second.leg.id]
    assert [c.heard[-1] for c in calls] == ["One.", "Two."]
    assert [(c.direction, c.from_, c.to) for c in calls] == [
        ("inbound", "+15550000001", "+15553334444"),
        ("inbound", "+15550000002", "+15553334444"),
    ]
    assert [c.state for c in sim.calls] == ["disconnected", "disconnected"]


def test_the_app_sees_the_callbacks_of_all_calls_in_virtual_time_order():
    seen: list[tuple[str, str]] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.append((environ["PATH_INFO"], environ.get("CONTENT_LENGTH", "")))
        return APP(environ, start_response)

    sim = CallSimulator(app)
    sim.start_inbound("/answer", script=[press("1")])
    sim.start_inbound("/answer", script=[hang_up(after=1.0)])
    sim.run()
    paths = [path for path, _ in seen]
    # both initiates come first (both calls start at 0), then the one gather
    assert paths[:2] == ["/answer", "/answer"] and paths[2:] == ["/menu"]


def test_run_until_stops_every_call_there_and_later_calls_begin_there():
    sim = CallSimulator(APP)
    sim.start_inbound("/answer", script=[press("1")])
    calls = sim.run_until(seconds=1.0)
    assert calls[0].state == "answered"
    later = sim.start_inbound("/answer", script=[press("2")])
    assert later.engine.now == 1000
    calls = sim.run()
    assert calls[1].transcript[0].ms == 1000
    with pytest.raises(ValueError, match="cannot run until"):
        sim.run_until(seconds=0.5)


def test_callee_and_destination_say_how_a_number_acts():
    sim = CallSimulator(APP)
    sim.callee("+15550002222", script=[press("2")])
    sim.destination("+15550003333", busy())
    answered = sim.outbound("/answer", to="+15550002222")
    assert answered.heard[-1] == "Two."
    unreached = sim.outbound("/answer", to="+15550003333")
    assert unreached.disconnect_cause == "busy"
    with pytest.raises(TypeError, match="number must be"):
        sim.callee("", [])


def test_one_call_at_a_time_runs_each_to_its_end_and_the_next_begins_there():
    sim = CallSimulator(APP)
    one = sim.inbound("/answer", script=[press("1")])
    two = sim.inbound("/answer", script=[press("1")])
    end = int(one.duration * 1000)
    assert one.transcript[0].ms == 0 and end > 0
    assert two.transcript[0].ms == end  # one clock: the world went on while one ran
    assert two.heard == one.heard and two.duration == one.duration
    assert two.call_id != one.call_id
    assert len(sim.calls) == 2
    assert sim.run() == sim.calls


def test_a_callee_hang_up_after_counts_from_the_start_of_its_own_call():
    sim = CallSimulator(table_app({"/answer": '<Response><Pause duration="60"/></Response>'}))
    sim.callee("+15550002222", script=[hang_up(after=5.0)])
    sim.run_until(seconds=10.0)
    placed = sim.start_outbound("/answer", to="+15550002222").run()
    assert placed.duration == 5.0 and placed.transcript[-1].ms == 15_000
    assert sim.now == 15.0


def test_run_until_a_verb_stops_where_it_starts_on_that_call_not_another():
    sim = CallSimulator(APP)
    other = sim.start_inbound("/answer", script=[press("2")])
    mine = sim.start_inbound("/answer", script=[press("1")], from_="+15550000009")
    paused = mine.run_until(verb="SpeakSentence")
    assert paused.heard[-1] == "One." and sim.now == paused.duration
    assert paused.state == "answered" and [v.verb for v in _verbs(paused)][-1] == "SpeakSentence"
    assert not other.engine.paused  # the pause is over once run_until returns
    assert mine.run().heard[-1] == "One." and other.run().heard[-1] == "Two."


def _verbs(call: Any) -> list[VerbStarted]:
    return [o for o in call.observations if isinstance(o, VerbStarted)]


def test_unused_steps_are_reported_for_the_call_that_left_them():
    sim = CallSimulator(APP)
    sim.start_inbound("/answer", script=[press("1")])
    left = sim.start_inbound("/answer", script=[press("2"), press("9")])
    with pytest.raises(UnusedStepsError, match=r"press\('9'\)") as unused:
        sim.run()
    assert unused.value.call.call_id == left.call_id
    assert unused.value.call.heard == ["Press a key.", "Two."]


def test_coverage_records_each_call_once_however_often_it_is_finished(monkeypatch):
    recorder = Coverage()
    recorder.enabled = True
    monkeypatch.setattr("callcontrol.testing.simulator.COVERAGE", recorder)
    sim = CallSimulator(APP)
    sim.start_inbound("/answer", script=[press("1")])
    sim.start_inbound("/answer", script=[press("2")])
    sim.run()
    sim.run()
    assert recorder.served[("/answer", "initiate")] == 2
    assert recorder.gathers["/answer Gather[1]"] == {"1": 1, "2": 1}


def test_the_same_seed_gives_the_same_ids_and_transcripts_for_many_calls():
    def world(seed: int) -> list[tuple[str, str]]:
        sim = CallSimulator(APP, seed=seed)
        sim.start_inbound("/answer", script=[press("1")])
        sim.run_until(seconds=0.5)
        sim.start_outbound("/answer", to="+15550002222", script=[press("2")])
        return [(call.call_id, str(call)) for call in sim.run()]

    assert world(7) == world(7)
    assert [i for i, _ in world(7)] != [i for i, _ in world(8)]
