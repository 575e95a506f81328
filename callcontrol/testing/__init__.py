"""Unit-test an IVR: run whole calls against a WSGI or ASGI webhook app in virtual time.

::

    from callcontrol.testing import CallSimulator, press

    sim = CallSimulator(app, base_url="https://ivr.test")
    call = sim.inbound("/answer", script=[press("1")])
    call.assert_heard("Sales")

A :class:`LiveCall` changed after its call ended (``hang_up()``, ``redirect()``,
``update_call_bxml()``) raises :class:`CallStateConflict`, as the API answers 409.
"""

import typing

from .. import _lazy

if typing.TYPE_CHECKING:
    from ..engine import CallStateConflict, Destination, Durations, Step
    from .coverage import COVERAGE, Coverage
    from .explorer import assert_no_dead_ends, explore
    from .faults import Fault, Faults
    from .fetch import AppError
    from .flowgraph import Finding, FlowGraph
    from .replay import ReplayReport, replay, replay_calls
    from .result import Callback, SimulatedCall, UnusedStepsError
    from .simulator import CallSimulator, LiveCall, SimulatedConference
    from .snapshot import SnapshotWrittenWarning
    from .steps import (
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

__all__ = [
    "AppError",
    "COVERAGE",
    "CallSimulator",
    "CallStateConflict",
    "Callback",
    "Coverage",
    "Destination",
    "Durations",
    "Fault",
    "Faults",
    "Finding",
    "FlowGraph",
    "LiveCall",
    "ReplayReport",
    "SimulatedCall",
    "SimulatedConference",
    "SnapshotWrittenWarning",
    "Step",
    "UnusedStepsError",
    "answers",
    "assert_no_dead_ends",
    "busy",
    "explore",
    "hang_up",
    "leave_message",
    "machine",
    "no_answer",
    "press",
    "rejects",
    "replay",
    "replay_calls",
    "silence",
    "voicemail",
]

# Where each public name lives: imported on first use, so that loading the pytest plugin
# (which pytest does in every session of a project that installs this package) stays cheap.
_SOURCES = {
    "CallStateConflict": "..engine",
    "Destination": "..engine",
    "Durations": "..engine",
    "Step": "..engine",
    "COVERAGE": ".coverage",
    "Coverage": ".coverage",
    "assert_no_dead_ends": ".explorer",
    "explore": ".explorer",
    "Fault": ".faults",
    "Faults": ".faults",
    "AppError": ".fetch",
    "Finding": ".flowgraph",
    "FlowGraph": ".flowgraph",
    "ReplayReport": ".replay",
    "replay": ".replay",
    "replay_calls": ".replay",
    "Callback": ".result",
    "SimulatedCall": ".result",
    "UnusedStepsError": ".result",
    "CallSimulator": ".simulator",
    "LiveCall": ".simulator",
    "SimulatedConference": ".simulator",
    "SnapshotWrittenWarning": ".snapshot",
    "answers": ".steps",
    "busy": ".steps",
    "hang_up": ".steps",
    "leave_message": ".steps",
    "machine": ".steps",
    "no_answer": ".steps",
    "press": ".steps",
    "rejects": ".steps",
    "silence": ".steps",
    "voicemail": ".steps",
}


if not typing.TYPE_CHECKING:  # type checkers see the imports above, and flag unknown names
    __getattr__, __dir__ = _lazy.loader(__name__, globals(), _SOURCES)
