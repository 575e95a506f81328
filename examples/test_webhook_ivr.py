"""Unit tests for examples/webhook_ivr.py: a WebhookApp IVR run by the call simulator.

``python -m pytest examples/test_webhook_ivr.py``. The simulator sends callbacks as Bandwidth
does (without credentials first, then with them after the app's 401 challenge), and a
handler that raises, or returns something that is not a ``<Response>``, fails the test with
the request that caused it, although in production the app answers it with an apology.
"""

from __future__ import annotations

import pytest

from callcontrol.engine.script import Destination
from callcontrol.testing import (
    CallSimulator,
    answers,
    busy,
    leave_message,
    no_answer,
    press,
    silence,
)
from examples.webhook_ivr import HOURS, SUPPORT, app


@pytest.fixture
def sim() -> CallSimulator:
    # The application's callback credentials, as set in Bandwidth.
    return CallSimulator(
        app, base_url="https://ivr.test", username="support-line", password="change-me"
    )


def test_opening_hours(sim: CallSimulator) -> None:
    call = sim.inbound("/answer", script=[press("1")], disconnect_url="/status")
    call.assert_heard(HOURS)
    assert call.visited == ["/answer", "/choice"]
    call.assert_ended("hangup")


def test_support_answers(sim: CallSimulator) -> None:
    call = sim.inbound("/answer", script=[press("2")], destinations={SUPPORT: answers(after=4)})
    call.assert_transferred_to(SUPPORT, "answered")
    call.assert_ended("hangup")


@pytest.mark.parametrize("agent", [busy(), no_answer()])
def test_busy_support_takes_a_message(sim: CallSimulator, agent: Destination) -> None:
    call = sim.inbound(
        "/answer", script=[press("2"), leave_message(6)], destinations={SUPPORT: agent}
    )
    call.assert_heard("Support is busy.")
    call.assert_callback("recordComplete", duration="PT6S")
    call.assert_heard("We will call you back.")


def test_wrong_key_then_silence(sim: CallSimulator) -> None:
    call = sim.inbound("/answer", script=[press("7"), silence()])
    call.assert_heard("Sorry, that is not an option.")
    call.assert_heard("Goodbye.")


def test_without_the_applications_credentials_the_call_fails(sim: CallSimulator) -> None:
    # The app answers 401 with WWW-Authenticate and there is nothing to send back.
    call = CallSimulator(app, base_url="https://ivr.test").inbound("/answer")
    call.assert_ended("callback-error")
