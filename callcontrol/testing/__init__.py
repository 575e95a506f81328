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
from .explore import assert_no_dead_ends, explore
from .faults import Fault, Faults
from .fetch import AppError
from .flowgraph import Finding, FlowGraph
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
    "Finding",
    "FlowGraph",
    "LiveCall",
    "SimulatedCall",
    "UnusedStepsError",
    "answers",
    "assert_no_dead_ends",
    "busy",
    "explore",
    "hang_up",
    "leave_message",
    "no_answer",
    "press",
    "rejects",
    "silence",
    "voicemail",
]
