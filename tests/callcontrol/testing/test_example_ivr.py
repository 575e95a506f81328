"""Runs the example IVR's tests (examples/test_ivr.py) and snapshots one transcript."""

from __future__ import annotations

from pathlib import Path

from callcontrol.testing import CallSimulator, busy, leave_message, press
from examples.ivr import SALES, app
from examples.test_ivr import (  # noqa: F401  (collected here so the suite runs them)
    sim,
    test_busy_or_absent_sales_goes_to_voicemail,
    test_caller_hangs_up_during_the_menu,
    test_caller_hangs_up_while_recording,
    test_menu_then_sales_answers,
    test_no_input_says_goodbye,
    test_wrong_key_repeats_the_menu,
)

GOLDEN = Path(__file__).parent / "golden" / "ivr_busy_voicemail.txt"


def test_transcript_snapshot():
    simulator = CallSimulator(app, base_url="https://ivr.test", username="ivr", password="hunter2")
    call = simulator.inbound(
        "/answer",
        script=[press("1"), leave_message(8)],
        destinations={SALES: busy()},
        disconnect_url="/status",
    )
    assert str(call) + "\n" == GOLDEN.read_text()
