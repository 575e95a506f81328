"""Unit-test an IVR: run whole calls against a WSGI webhook app in virtual time.

::

    from callcontrol.testing import CallSimulator, press

    sim = CallSimulator(app, base_url="https://ivr.test")
    call = sim.inbound("/answer", script=[press("1")])
    call.assert_heard("Sales")
"""

from __future__ import annotations

from ..engine import Durations
from .coverage import COVERAGE, Coverage
from .faults import Fault, Faults
from .fetch import AppError
from .result import Callback, SimulatedCall, UnusedStepsError
from .simulator import CallSimulator, LiveCall
from .steps import (
    answers,
    busy,
    hang_up,
    leave_message,
    no_answer,
    press,
    rejects,
    silence,
    voicemail,
)

__all__ = [
    "AppError",
    "COVERAGE",
    "CallSimulator",
    "Callback",
    "Coverage",
    "Durations",
    "Fault",
    "Faults",
    "LiveCall",
    "SimulatedCall",
    "UnusedStepsError",
    "answers",
    "busy",
    "hang_up",
    "leave_message",
    "no_answer",
    "press",
    "rejects",
    "silence",
    "voicemail",
]
