"""Unit tests for examples/ivr.py with the call simulator: copy this file next to your IVR.

Every test runs a whole call in virtual time, in-process (no server, no sleeping):
``python -m pytest examples/test_ivr.py``.
"""

from __future__ import annotations

import pytest

from callcontrol.engine.script import Destination
from callcontrol.testing import (
    CallSimulator,
    answers,
    busy,
    hang_up,
    leave_message,
    no_answer,
    press,
    silence,
)
from examples.ivr import SALES, app


@pytest.fixture
def sim() -> CallSimulator:
    return CallSimulator(app, base_url="https://ivr.test", username="ivr", password="hunter2")


def test_menu_then_sales_answers(sim: CallSimulator) -> None:
    call = sim.inbound("/answer", script=[press("1")], destinations={SALES: answers(after=3)})
    call.assert_heard("Press 1 for sales")
    call.assert_heard("Connecting you to sales.")
    call.assert_transferred_to(SALES, "answered")
    call.assert_ended("hangup")


def test_wrong_key_repeats_the_menu(sim: CallSimulator) -> None:
    call = sim.inbound("/answer", script=[press("7"), silence()])
    call.assert_heard("Sorry, that is not an option.")
    assert call.visited == ["/answer", "/menu-choice", "/menu-choice"]
    call.assert_heard("Goodbye.")


def test_no_input_says_goodbye(sim: CallSimulator) -> None:
    call = sim.inbound("/answer", script=[silence()])
    call.assert_callback("gather", digits="")
    call.assert_heard("Goodbye.")
    call.assert_not_heard("Connecting")


@pytest.mark.parametrize("agent", [busy(), no_answer()])
def test_busy_or_absent_sales_goes_to_voicemail(sim: CallSimulator, agent: Destination) -> None:
    call = sim.inbound(
        "/answer",
        script=[press("1"), leave_message(8)],
        destinations={SALES: agent},
        disconnect_url="/status",
    )
    call.assert_heard("Sales is busy.")
    call.assert_visited("/voicemail")
    call.assert_callback("recordComplete", duration="PT8S")
    call.assert_heard("Thank you. Goodbye.")
    call.assert_callback("disconnect", cause="hangup")


def test_caller_hangs_up_while_recording(sim: CallSimulator) -> None:
    call = sim.inbound("/answer", script=[press("2"), leave_message(5, then="hang_up")])
    call.assert_ended("hangup")
    call.assert_not_heard("Thank you")
    call.assert_callback("recordingAvailable")


def test_caller_hangs_up_during_the_menu(sim: CallSimulator) -> None:
    call = sim.inbound("/answer", script=[hang_up(after=1.0)])
    call.assert_ended("hangup")
    assert call.duration == 1.0
