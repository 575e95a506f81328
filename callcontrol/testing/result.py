"""The outcome of a simulated call (defined in :mod:`callcontrol.call_result`, below the
emulator too)."""

from ..call_result import OUTCOMES, Callback, SimulatedCall, UnusedStepsError, path_of

__all__ = ["OUTCOMES", "Callback", "SimulatedCall", "UnusedStepsError", "path_of"]
