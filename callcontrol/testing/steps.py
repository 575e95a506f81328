"""The script DSL (defined in :mod:`callcontrol.engine.steps`, below the emulator too)."""

from ..engine.steps import (
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
    "answers",
    "busy",
    "hang_up",
    "leave_message",
    "machine",
    "no_answer",
    "press",
    "rejects",
    "silence",
    "voicemail",
]
