"""SimulatedCall's assertions compare exactly: each passes for its match and fails for a near miss."""

from __future__ import annotations

import re
from typing import Any

import pytest

from callcontrol.call_result import _camel
from callcontrol.testing import Callback, SimulatedCall, UnusedStepsError
from callcontrol.testing.result import OUTCOMES, path_of


def callback(event_type: str, url: str = "https://app.test/x", **payload: Any) -> Callback:
    return Callback(event_type, url, "POST", {"eventType": event_type, **payload}, 200, b"")


def note(ms: int, kind: str, detail: str, leg: str = "A") -> tuple[int, str, str, str]:
    return (ms, leg, kind, detail)


@pytest.fixture
def call() -> SimulatedCall:
    return SimulatedCall(
        "c-1",
        heard=["Welcome to Example Corp.", "Press 1 for sales."],
        pressed=["1"],
        visited=["/answer", "/menu"],
        callbacks=[
            callback("initiate", "https://app.test/answer"),
            callback("gather", "https://app.test/menu", digits="1", terminatingDigit="#"),
            callback("gather", "https://app.test/menu", digits="2", terminatingDigit=""),
            callback("disconnect", "https://app.test/status", cause="hangup", **{"from": "+1555"}),
        ],
        state="disconnected",
        disconnect_cause="hangup",
        duration=12.5,
        notes=[note(0, "call", "inbound"), note(100, "dial", "+15550001111 -> busy", "B")],
        transfers=[("+15550001111", "busy"), ("sip:agent@pbx.test", "answered")],
    )


# -- assert_heard / assert_not_heard ---------------------------------------------------------


def test_assert_heard_matches_a_part_of_a_line_or_a_pattern(call) -> None:
    call.assert_heard("Example Corp")
    call.assert_heard(re.compile(r"Press \d for"))


def test_assert_heard_fails_for_a_near_miss_and_names_the_closest(call) -> None:
    with pytest.raises(AssertionError) as caught:
        call.assert_heard("Press 2 for sales")
    lines = str(caught.value).splitlines()
    assert lines[0] == "expected to hear 'Press 2 for sales'"
    assert lines[1] == "closest: 'Press 1 for sales.'"
    with pytest.raises(AssertionError, match=r"expected to hear /Press \\d\+ for support/"):
        call.assert_heard(re.compile(r"Press \d+ for support"))


def test_assert_not_heard(call) -> None:
    call.assert_not_heard("support")
    call.assert_not_heard(re.compile("^Press 2"))
    with pytest.raises(AssertionError) as caught:
        call.assert_not_heard("sales")
    assert str(caught.value).startswith(
        "expected not to hear 'sales', but heard 'Press 1 for sales.'"
    )
    with pytest.raises(AssertionError, match="expected not to hear /Exam/"):
        call.assert_not_heard(re.compile("Exam"))


def test_nothing_heard_says_so() -> None:
    empty = SimulatedCall("c-2")
    with pytest.raises(AssertionError) as caught:
        empty.assert_heard("Hi")
    assert str(caught.value).splitlines()[1] == "nothing of that kind happened"


# -- assert_visited ----------------------------------------------------------------------------


def test_assert_visited_takes_a_path_or_a_callback_url(call) -> None:
    call.assert_visited("/menu")
    call.assert_visited("https://app.test/status")


@pytest.mark.parametrize("near", ["/men", "/menu/", "https://app.test/menu2", "/status"])
def test_assert_visited_fails_for_a_near_miss(call, near) -> None:
    with pytest.raises(AssertionError) as caught:
        call.assert_visited(near)
    assert str(caught.value).splitlines()[0] == f"expected a visit to {near!r}"


# -- assert_callback ---------------------------------------------------------------------------


def test_assert_callback_passes_when_one_callback_has_every_field(call) -> None:
    call.assert_callback("gather")
    call.assert_callback("gather", digits="1", terminating_digit="#")
    call.assert_callback("gather", digits="2", terminating_digit="")
    call.assert_callback("disconnect", cause="hangup", from_="+1555")


@pytest.mark.parametrize(
    "fields",
    [
        {"digits": "1", "terminating_digit": ""},  # each field is in some callback, not both
        {"digits": "2", "terminating_digit": "#"},
        {"digits": "12"},
        {"digits": 1},  # the payload holds text
        {"digits": "1", "terminating_digit": "#", "cause": "hangup"},
    ],
)
def test_assert_callback_fails_unless_every_field_matches_in_one_callback(call, fields) -> None:
    with pytest.raises(AssertionError) as caught:
        call.assert_callback("gather", **fields)
    first = str(caught.value).splitlines()[0]
    wanted = {_camel(k): v for k, v in fields.items()}
    shown = [{k: cb.payload.get(k) for k in wanted} for cb in call.callbacks[1:3]]
    assert first == f"expected a 'gather' callback with {wanted}; the ones sent had {shown}"


def test_assert_callback_of_a_type_never_sent_lists_the_types_sent(call) -> None:
    with pytest.raises(AssertionError) as caught:
        call.assert_callback("transferComplete", cause="busy")
    lines = str(caught.value).splitlines()
    assert lines[0] == "expected a 'transferComplete' callback"
    assert lines[1].startswith("closest: ")


def test_a_missing_field_is_not_a_match_for_a_value(call) -> None:
    with pytest.raises(AssertionError):
        call.assert_callback("initiate", digits="1")


def test_snake_case_names_map_to_the_payload_keys() -> None:
    assert _camel("terminating_digit") == "terminatingDigit"
    assert _camel("from_") == "from"
    assert _camel("to") == "to"
    assert _camel("sip_response_code") == "sipResponseCode"
    assert _camel("call_id") == "callId"


# -- assert_transferred_to ---------------------------------------------------------------------


def test_assert_transferred_to_the_whole_number_with_any_or_the_outcome(call) -> None:
    call.assert_transferred_to("+15550001111")
    call.assert_transferred_to("+15550001111", "busy")
    call.assert_transferred_to("sip:agent@pbx.test", "answered")


@pytest.mark.parametrize(
    ("number", "outcome"),
    [
        ("+1555000111", None),  # a prefix of the number dialled
        ("+155500011112", None),  # the number dialled is a prefix of it
        ("5550001111", None),
        ("+15550001111", "answered"),
        ("+15550001111", "no-answer"),
        ("sip:agent@pbx.test", "busy"),
        ("sip:agent@pbx", None),
    ],
)
def test_assert_transferred_to_fails_for_a_near_miss(call, number, outcome) -> None:
    with pytest.raises(AssertionError) as caught:
        call.assert_transferred_to(number, outcome)
    lines = str(caught.value).splitlines()
    what = number + (f" with outcome {outcome!r}" if outcome else "")
    assert lines[0] == f"expected a transfer to {what}"
    assert lines[1].startswith("closest: ")


def test_assert_transferred_to_refuses_an_unknown_outcome(call) -> None:
    assert OUTCOMES == ("answered", "busy", "no-answer", "rejected")
    for outcome in OUTCOMES:
        if outcome == "busy":
            call.assert_transferred_to("+15550001111", outcome)
        else:
            with pytest.raises(AssertionError):
                call.assert_transferred_to("+15550001111", outcome)
    with pytest.raises(ValueError) as caught:
        call.assert_transferred_to("+15550001111", "noanswer")
    assert (
        str(caught.value) == "outcome must be answered, busy, no-answer or rejected, not 'noanswer'"
    )


def test_no_transfer_at_all() -> None:
    with pytest.raises(AssertionError) as caught:
        SimulatedCall("c-3").assert_transferred_to("+15550001111")
    assert str(caught.value).splitlines()[:2] == [
        "expected a transfer to +15550001111",
        "transcript:",
    ]


# -- assert_ended ------------------------------------------------------------------------------


def test_assert_ended(call) -> None:
    call.assert_ended()
    call.assert_ended("hangup")
    with pytest.raises(AssertionError) as caught:
        call.assert_ended("busy")
    assert str(caught.value).splitlines()[0] == (
        "expected the call to end with cause 'busy', it ended with 'hangup'"
    )


def test_assert_ended_names_the_error(call) -> None:
    call.disconnect_cause, call.error = "application-error", "the app raised"
    with pytest.raises(
        AssertionError, match=r"it ended with 'application-error' \(the app raised\)"
    ):
        call.assert_ended("hangup")


def test_assert_ended_of_a_running_call(call) -> None:
    call.state = "answered"
    with pytest.raises(AssertionError) as caught:
        call.assert_ended()
    assert str(caught.value).splitlines()[0] == "expected the call to have ended; it is answered"


# -- the transcript in failures ----------------------------------------------------------------


def test_a_failure_shows_the_transcript_around_what_it_is_about() -> None:
    notes = [note(i * 100, "verb", f"Pause {i}") for i in range(40)]
    notes[20] = note(2000, "dial", "+15550001111 -> busy", "B")
    long_call = SimulatedCall("c-4", notes=notes)
    with pytest.raises(AssertionError) as caught:
        long_call.assert_transferred_to("+15550009999")
    shown = str(caught.value).split("transcript:\n")[1].splitlines()
    assert len(shown) == 12  # 6 entries either side of the dial
    assert "Pause 14" in shown[0] and "Pause 25" in shown[-1]
    assert "dial" in shown[6]


def test_a_short_transcript_is_shown_whole() -> None:
    notes = [note(i * 100, "verb", f"Pause {i}") for i in range(18)]
    with pytest.raises(AssertionError) as caught:
        SimulatedCall("c-5", notes=notes).assert_transferred_to("+1")
    assert len(str(caught.value).split("transcript:\n")[1].splitlines()) == 18


def test_a_long_transcript_without_a_hit_shows_its_start() -> None:
    notes = [note(i * 100, "verb", f"Pause {i}") for i in range(50)]
    with pytest.raises(AssertionError) as caught:
        SimulatedCall("c-6", notes=notes).assert_transferred_to("+1")
    shown = str(caught.value).split("transcript:\n")[1].splitlines()
    assert len(shown) == 36 and "Pause 0" in shown[0]


# -- the rest ------------------------------------------------------------------------------------


def test_repr_str_and_the_unused_steps_error(call) -> None:
    assert repr(call) == (
        "SimulatedCall('c-1', state='disconnected', disconnect_cause='hangup', duration=12.5)"
    )
    assert str(call).splitlines() == [entry.render() for entry in call.transcript]
    assert len(call.transcript) == 2 and call.transcript[1].leg == "B"
    error = UnusedStepsError("steps left", call)
    assert error.call is call and str(error) == "steps left"
    assert isinstance(error, AssertionError)


def test_path_of() -> None:
    assert path_of("https://app.test/menu?x=1") == "/menu"
    assert path_of("https://app.test") == "/"


def test_callback_is_frozen_with_its_defaults() -> None:
    import dataclasses

    sent = Callback("gather", "https://app.test/m", "POST", {}, 200, b"")
    assert (sent.synchronous, sent.ms) == (True, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sent.status = 500  # type: ignore[misc]


def test_a_new_call_is_initiated_with_nothing_recorded() -> None:
    fresh = SimulatedCall("c-7")
    assert (fresh.state, fresh.disconnect_cause, fresh.error, fresh.duration) == (
        "initiated",
        None,
        None,
        0.0,
    )
    assert fresh.heard == fresh.pressed == fresh.visited == []
    assert fresh.callbacks == []


def test_update_from_measures_the_duration_from_the_legs_start() -> None:
    from types import SimpleNamespace

    from callcontrol.engine.observations import AssumptionApplied, Dialled, Noted

    seen = [
        Noted(0, "A", "c-8", "call", "x"),
        Dialled(1000, "B", "c-b", "+1555", "Transfer", "busy"),
        AssumptionApplied(0, "A", "c-8", "b"),
        AssumptionApplied(0, "A", "c-8", "a"),
        AssumptionApplied(0, "A", "c-8", "b"),
    ]
    engine: Any = SimpleNamespace(now=9000, observations_of=lambda call_id: list(seen))
    leg: Any = SimpleNamespace(
        id="c-8",
        cause="hangup",
        error_message=None,
        end_ms=7500,
        start_ms=2000,
        heard=["Hi"],
        pressed=["1"],
        direction="inbound",
        from_="+1",
        to="+2",
    )
    leg.root = leg
    result = SimulatedCall("c-8").update_from(engine, leg, "disconnected")
    assert result.duration == 5.5
    assert (result.state, result.disconnect_cause, result.assumptions) == (
        "disconnected",
        "hangup",
        ["a", "b"],
    )
    assert result.heard == ["Hi"] and result.heard is not leg.heard
    assert result.transfers == [("+1555", "busy")]
    assert [n[2] for n in result.notes] == ["call", "dial", "assume", "assume", "assume"]
    leg.end_ms = None  # still running: measured to the engine's now
    assert SimulatedCall("c-9").update_from(engine, leg, "answered").duration == 7.0


def test_a_transcript_of_exactly_three_contexts_is_shown_whole_even_with_a_hit() -> None:
    notes = [note(i * 100, "verb", f"Pause {i}") for i in range(18)]
    notes[0] = note(0, "dial", "+15550001111 -> busy", "B")
    with pytest.raises(AssertionError) as caught:
        SimulatedCall("c-10", notes=notes).assert_transferred_to("+1")
    assert len(str(caught.value).split("transcript:\n")[1].splitlines()) == 18


def test_a_hit_near_the_start_shows_the_transcript_from_its_first_entry() -> None:
    notes = [note(i * 100, "verb", f"Pause {i}") for i in range(40)]
    notes[2] = note(200, "dial", "+15550001111 -> busy", "B")
    with pytest.raises(AssertionError) as caught:
        SimulatedCall("c-11", notes=notes).assert_transferred_to("+1")
    shown = str(caught.value).split("transcript:\n")[1].splitlines()
    assert "Pause 0" in shown[0] and len(shown) == 8  # entries 0 to 7


def test_a_not_heard_failure_does_not_say_nothing_happened(call) -> None:
    with pytest.raises(AssertionError) as caught:
        call.assert_not_heard("Welcome")
    assert "nothing of that kind happened" not in str(caught.value)


def test_a_visit_never_made_says_nothing_of_that_kind_happened() -> None:
    with pytest.raises(AssertionError) as caught:
        SimulatedCall("c-12", notes=[note(0, "fetch", "initiate POST /answer")]).assert_visited(
            "/x"
        )
    lines = str(caught.value).splitlines()
    assert lines[1:4] == ["nothing of that kind happened", "transcript:", lines[3]]
    assert "fetch" in lines[3]


def test_an_ended_failure_shows_the_transcript_around_the_end() -> None:
    notes = [note(i * 100, "verb", f"Pause {i}") for i in range(40)]
    notes[30] = note(3000, "end", "hangup")
    ended = SimulatedCall("c-13", state="disconnected", disconnect_cause="hangup", notes=notes)
    with pytest.raises(AssertionError) as caught:
        ended.assert_ended("busy")
    shown = str(caught.value).split("transcript:\n")[1].splitlines()
    assert "Pause 24" in shown[0] and "Pause 35" in shown[-1] and "end" in shown[6]
    ended.state = "answered"
    with pytest.raises(AssertionError) as caught:
        ended.assert_ended()
    assert "Pause 24" in str(caught.value).split("transcript:\n")[1].splitlines()[0]


def test_a_transcript_just_over_three_contexts_is_cut_around_the_hit() -> None:
    notes = [note(i * 100, "verb", f"Pause {i}") for i in range(20)]
    notes[15] = note(1500, "dial", "+15550001111 -> busy", "B")
    with pytest.raises(AssertionError) as caught:
        SimulatedCall("c-14", notes=notes).assert_transferred_to("+1")
    shown = str(caught.value).split("transcript:\n")[1].splitlines()
    assert len(shown) == 11 and "Pause 9" in shown[0]  # entries 9 to 19
    assert shown[6] == "  " + SimulatedCall("x", notes=[notes[15]]).transcript[0].render()
