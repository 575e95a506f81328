"""Tests for examples/fastapi_ivr.py: the FastAPI service driven in process, with no server.

``python -m pytest examples/test_fastapi_ivr.py``. The simulator, ``assert_no_dead_ends``
and the emulator take the FastAPI app itself (any ASGI app); callbacks go through FastAPI's
routing to the mounted WebhookApp, challenged for credentials first as Bandwidth does. A
handler that raises fails the test with the request that caused it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callcontrol.emulator import VoiceEmulator
from callcontrol.testing import (
    AppError,
    CallSimulator,
    assert_no_dead_ends,
    busy,
    leave_message,
    press,
    silence,
)
from examples import fastapi_ivr
from examples.fastapi_ivr import AGENTS, api

USERNAME, PASSWORD = "order-line", "change-me"


@pytest.fixture
def sim() -> CallSimulator:
    return CallSimulator(api, base_url="https://orders.test", username=USERNAME, password=PASSWORD)


def test_the_order_status_is_read_to_the_caller(sim: CallSimulator) -> None:
    call = sim.inbound("/voice/answer", from_="+15551230000", script=[press("1")])
    call.assert_heard("Your latest order is shipped on Monday.")
    assert call.visited == ["/voice/answer", "/voice/choice"]
    call.assert_ended("hangup")


def test_an_unknown_number_has_no_order(sim: CallSimulator) -> None:
    call = sim.inbound("/voice/answer", from_="+15557770000", script=[press("1")])
    call.assert_heard("We found no order from this number.")


def test_busy_agents_take_a_message(sim: CallSimulator) -> None:
    call = sim.inbound(
        "/voice/answer", script=[press("2"), leave_message(5)], destinations={AGENTS: busy()}
    )
    call.assert_transferred_to(AGENTS, "busy")
    call.assert_heard("Thank you. Goodbye.")


def test_silence_says_goodbye(sim: CallSimulator) -> None:
    sim.inbound("/voice/answer", script=[silence()]).assert_heard("Goodbye.")


def test_no_branch_is_a_dead_end() -> None:
    assert_no_dead_ends(
        api, "/voice/answer", base_url="https://orders.test", username=USERNAME, password=PASSWORD
    )


def test_a_failing_lookup_fails_the_test(
    sim: CallSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(number: str) -> str | None:
        raise ConnectionError("orders database unreachable")

    monkeypatch.setattr(fastapi_ivr, "latest_order", down)
    with pytest.raises(AppError, match="orders database unreachable") as failed:
        sim.inbound("/voice/answer", script=[press("1")])
    assert isinstance(failed.value.request.payload, dict)
    assert failed.value.request.event_type == "gather"
    assert isinstance(failed.value.__cause__, ConnectionError)


@pytest.fixture
def emu() -> Iterator[VoiceEmulator]:
    with VoiceEmulator(app=api, speed=200.0) as emulator:
        yield emulator


def test_end_to_end_on_the_emulator(emu: VoiceEmulator) -> None:
    emu.callee("+15551230000", script=[press("1")])
    assert emu.app_url is not None
    created = emu.client().create_call(
        to="+15551230000",
        from_="+15553334444",
        answer_url=f"{emu.app_url}/voice/answer",
        application_id="orders",
        username=USERNAME,
        password=PASSWORD,
    )
    emu.wait_for(created.call_id, state="disconnected")
    emu.timeline(created.call_id).assert_heard("We found no order from this number.")
