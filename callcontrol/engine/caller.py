"""The caller's side: script steps taken at input opportunities, keys and hang-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import gather, payloads, record
from .activities import GatherRun, RecordRun
from .clock import INPUT, to_ms
from .model import Leg
from .script import HangUp, LeaveMessage, Press, Step

if TYPE_CHECKING:
    from .core import Engine


def take_step(engine: Engine, leg: Leg, where: str) -> Step | None:
    """Take the next script step for the input opportunity ``where``."""
    if not leg.script:
        return None
    step = leg.script.popleft()
    engine._note(leg, "step", lambda: f"{step!r} at {where}")
    return step


def listen_in_background(engine: Engine, leg: Leg, ms: int) -> None:
    """With StartGather on, a verb that takes ``ms`` is an input opportunity."""
    if leg.start_gather is None or not leg.script:
        return
    step = take_step(engine, leg, "StartGather")
    if isinstance(step, Press):
        gap = engine.durations.key_gap_ms
        offset = to_ms(step.barge_in) if step.barge_in is not None else ms + gap
        press(engine, leg, step, engine.sched.now + offset)
    elif isinstance(step, (HangUp, LeaveMessage)):
        hang_up_at(engine, leg, engine.sched.now + ms, step)


def press(engine: Engine, leg: Leg, step: Press, at: int) -> None:
    """Schedule the keys of ``step`` from virtual time ``at``, key_gap apart."""
    engine._assume_once(leg, "press-timing", "keys 0.3 s apart, after the prompt")
    engine.pressed.append(step.digits)
    gap = engine.durations.key_gap_ms
    push = engine.sched.push
    for index, digit in enumerate(step.digits):
        push(at + index * gap, INPUT, on_digit, (leg, digit), leg, None)


def hang_up_at(engine: Engine, leg: Leg, at: int, step: Step) -> None:
    """Schedule the caller hanging up at ``at``."""
    engine.sched.at(at, INPUT, caller_hangup, leg, step, owner=leg)


def caller_hangup(engine: Engine, leg: Leg, step: Step) -> None:
    """The caller hangs up now."""
    leg.inputs += 1
    if step in leg.timed_steps:
        leg.timed_steps.remove(step)
    engine._note(leg, "hangs-up", f"caller ({step!r})")
    engine._end_leg(leg, "hangup")


def on_digit(engine: Engine, leg: Leg, digit: str) -> None:
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
        engine._note(leg, "pressed", f"{digit} (StartGather)")
        _dtmf_event(engine, leg, digit)
    else:
        engine._assume(leg, "digits-unheard", f"key {digit} discarded")


def _dtmf_event(engine: Engine, leg: Leg, digit: str) -> None:
    for target in leg.start_gather or ():
        payload = payloads.leg_event("dtmf", leg, engine.start_time, engine.sched.now, digit=digit)
        engine._send(leg, "dtmf", payload, target, synchronous=False)
