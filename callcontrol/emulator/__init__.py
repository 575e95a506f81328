"""A local Voice Calls API for tests and demos: real HTTP on 127.0.0.1, calls run by the engine.

::

    from callcontrol.emulator import VoiceEmulator

    with VoiceEmulator(app=ivr_app, speed=50.0) as emu:
        client = emu.client()
"""

from __future__ import annotations

from .emulator import EmulatorError, Exchange, VoiceEmulator
from .faults import Burst, Fault, Faults, LogNormal

__all__ = ["Burst", "EmulatorError", "Exchange", "Fault", "Faults", "LogNormal", "VoiceEmulator"]
