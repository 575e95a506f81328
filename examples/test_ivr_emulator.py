"""End-to-end tests of examples/ivr.py through the local Voice API emulator.

Real HTTP on 127.0.0.1: the Calls client places the call, the emulator calls the IVR back,
the callee follows a script. ``python -m pytest examples/test_ivr_emulator.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bxml import Bxml, Hangup, SpeakSentence
from callcontrol.emulator import VoiceEmulator
from callcontrol.testing import busy, leave_message, press
from examples.ivr import SALES, app

CUSTOMER = "+15553334444"
OUR_NUMBER = "+15551230000"


@pytest.fixture
def emu() -> Iterator[VoiceEmulator]:
    with VoiceEmulator(app=app, speed=200.0) as emulator:
        yield emulator


def place(emu: VoiceEmulator) -> str:
    created = emu.client().create_call(
        to=CUSTOMER,
        from_=OUR_NUMBER,
        answer_url=f"{emu.app_url}/answer",
        application_id="ivr",
    )
    return created.call_id


def test_busy_sales_sends_the_caller_to_voicemail(emu: VoiceEmulator) -> None:
    emu.callee(CUSTOMER, script=[press("1"), leave_message(5)])
    emu.destination(SALES, busy())
    call_id = place(emu)
    state = emu.wait_for(call_id, state="disconnected")
    call = emu.timeline(call_id)
    call.assert_heard("Sales is busy.")
    call.assert_heard("Thank you. Goodbye.")
    assert state.disconnect_cause == "hangup"


def test_an_agent_takes_over_while_the_menu_waits(emu: VoiceEmulator) -> None:
    call_id = place(emu)
    emu.wait_for(call_id, verb="Gather")
    emu.client().update_call_bxml(call_id, Bxml(SpeakSentence("An agent will call you."), Hangup()))
    emu.wait_for(call_id, state="disconnected")
    emu.timeline(call_id).assert_heard("An agent will call you.")
