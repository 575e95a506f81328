"""Where a key the caller presses goes: the Gather, the Record, StartGather, or nobody."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import gather, payloads, record
from .activities import GatherRun, RecordRun
from .model import Leg

if TYPE_CHECKING:
    from .runtime import Runtime


def dispatch(engine: Runtime, leg: Leg, digit: str) -> None:
    """A key reaches the call: to the Gather, the Record, StartGather, or nobody."""
    leg.inputs += 1
    activity = leg.activity
    if isinstance(activity, GatherRun):
        gather.gather_digit(engine, leg, activity, digit)
    elif isinstance(activity, RecordRun):
        if leg.start_gather is not None:  # only a Gather pauses StartGather (§3.2)
            _dtmf_event(engine, leg, digit)
        record.record_digit(engine, leg, activity, digit)
    elif leg.start_gather is not None:
        engine.note(leg, "pressed", f"{digit} (StartGather)")
        _dtmf_event(engine, leg, digit)
    else:
        engine.assume(leg, "digits-unheard", f"key {digit} discarded")


def _dtmf_event(engine: Runtime, leg: Leg, digit: str) -> None:
    for target in leg.start_gather or ():
        payload = payloads.leg_event("dtmf", leg, engine.start_time, engine.sched.now, digit=digit)
        engine.send(leg, "dtmf", payload, target, synchronous=False)
