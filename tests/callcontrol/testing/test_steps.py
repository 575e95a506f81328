"""The script DSL refuses durations that are not finite numbers of seconds within a day."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import callcontrol.testing
from callcontrol.engine import Durations
from callcontrol.engine.script import LONGEST
from callcontrol.testing import (
    CallSimulator,
    answers,
    busy,
    hang_up,
    leave_message,
    machine,
    no_answer,
    press,
    rejects,
    silence,
    voicemail,
)

from ..engine.apps import RoutesApp, xml

# Each step or destination parameter that is a duration, made with one bad value.
MAKERS: dict[str, Callable[[float], object]] = {
    "press: barge_in": lambda v: press("1", barge_in=v),
    "leave_message: seconds": lambda v: leave_message(v),
    "hang_up: after": lambda v: hang_up(after=v),
    "answers: after": lambda v: answers(after=v),
    "answers: hangs_up_after": lambda v: answers(hangs_up_after=v),
    "voicemail: after": lambda v: voicemail(after=v),
    "voicemail: greeting": lambda v: voicemail(v),
    "voicemail: message": lambda v: voicemail(message=v),
    "machine: detected_after": lambda v: machine(detected_after=v),
}
NOT_FINITE = [math.inf, -math.inf, math.nan, 1e308, LONGEST + 1]


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
@pytest.mark.parametrize("name", list(MAKERS))
def test_a_duration_that_is_not_a_finite_day_is_refused_when_made(name, value):
    # Issue 20 item 9: inf was taken here and failed later with a bare OverflowError.
    with pytest.raises(ValueError, match="seconds") as raised:
        MAKERS[name](value)
    message = str(raised.value)
    assert message.startswith(f"{name} must be ")
    assert message.endswith(f"not {value!r} (and at most 86400: a day)")


@given(seconds=st.floats(min_value=0.001, max_value=LONGEST - 60))  # voicemail adds 60
def test_every_finite_duration_within_a_day_is_taken(seconds):
    for make in MAKERS.values():
        make(seconds)


def test_voicemail_names_the_sum_of_greeting_and_message():
    with pytest.raises(ValueError, match=r"voicemail: greeting \+ message must be"):
        voicemail(LONGEST, message=LONGEST)


def test_a_refused_destination_never_reaches_a_call():
    app = RoutesApp({"/answer": xml("<Hangup/>")})
    with pytest.raises(ValueError, match="hang_up: after"):
        CallSimulator(app).inbound("/answer", script=[hang_up(after=math.inf)])


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
@pytest.mark.parametrize("name", ["per_word", "min_speech", "default_audio", "key_gap"])
def test_durations_refuse_values_that_are_not_a_finite_day(name, value):
    with pytest.raises(ValueError, match=rf"Durations\.{name} must be 0 seconds or more"):
        Durations(**{name: value})
    with pytest.raises(ValueError, match=r"Durations\.audio\['/a.wav'\] must be"):
        Durations(audio={"/a.wav": value})


@pytest.mark.parametrize(
    "value",
    [
        press("1"),
        silence(),
        leave_message(3),
        hang_up(after=1.0),
        answers(),
        busy(),
        no_answer(),
        rejects(),
        voicemail(2.0),
        machine("human"),
    ],
    ids=repr,
)
def test_steps_and_destinations_are_immutable_hashable_values(value: object) -> None:
    assert {value: 1}[value] == 1
    assert value == eval(repr(value), vars(callcontrol.testing))  # noqa: S307 - our own repr
    names = [f.name for f in dataclasses.fields(value)]  # type: ignore[arg-type]
    if names:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, names[0], None)


def test_a_machine_checks_its_answer_times_as_answers_does() -> None:
    with pytest.raises(ValueError, match="answers: after"):
        machine("human", after=-1.0)
    with pytest.raises(ValueError, match="answers: hangs_up_after"):
        machine("human", hangs_up_after=0.0)


def test_a_machine_reads_back_every_setting_and_names_the_results_it_allows() -> None:
    made = machine("silence", after=1.0, hangs_up_after=30.0, detected_after=2.5)
    text = "machine(result='silence', after=1, hangs_up_after=30, detected_after=2.5)"
    assert repr(made) == text and eval(text, vars(callcontrol.testing)) == made  # noqa: S307
    allowed = "answering-machine, human, silence, timeout, error"
    with pytest.raises(ValueError) as info:
        machine("robot")
    assert str(info.value) == f"machine: result must be one of {allowed}, not 'robot'"
