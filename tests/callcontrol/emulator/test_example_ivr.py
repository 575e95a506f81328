"""Runs the emulator example's tests (examples/test_ivr_emulator.py) as part of the suite."""

from __future__ import annotations

from examples.test_ivr_emulator import (  # noqa: F401  (collected here so the suite runs them)
    emu,
    test_an_agent_takes_over_while_the_menu_waits,
    test_busy_sales_sends_the_caller_to_voicemail,
)
