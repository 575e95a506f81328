"""The caller's side: script steps taken at input opportunities, keys and hang-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .clock import INPUT, to_ms
from .model import Leg
from .observations import InputTaken
from .script import HangUp, LeaveMessage, Press, Step

if TYPE_CHECKING:
    from .runtime import Runtime


def take_step(engine: Runtime, leg: Leg, where: str) -> Step | None:
    """Take the next script step for the input opportunity ``where``."""
    if not leg.script:
        return None
    step = leg.script.popleft()
    engine.observe(InputTaken(engine.sched.now, leg.label, leg.id, where, step))
    return step


def listen_in_background(engine: Runtime, leg: Leg, ms: int) -> None:
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


def press(engine: Runtime, leg: Leg, step: Press, at: int) -> None:
    """Schedule the keys of ``step`` from virtual time ``at``, key_gap apart."""
    engine.assume_once(leg, "press-timing", "keys 0.3 s apart, after the prompt")
    leg.root.pressed.append(step.digits)
    gap = engine.durations.key_gap_ms
    push = engine.sched.push
    for index, digit in enumerate(step.digits):
        push(at + index * gap, INPUT, on_digit, (leg, digit), leg, None)


def hang_up_at(engine: Runtime, leg: Leg, at: int, step: Step) -> None:
    """Schedule the caller hanging up at ``at``."""
    engine.sched.at(at, INPUT, caller_hangup, leg, step, owner=leg)


def caller_hangup(engine: Runtime, leg: Leg, step: Step) -> None:
    """The caller hangs up now."""
    leg.inputs += 1
    if step in leg.timed_steps:
        leg.timed_steps.remove(step)
    engine.note(leg, "hangs-up", f"caller ({step!r})")
    engine.end_leg(leg, "hangup")


def on_digit(engine: Runtime, leg: Leg, digit: str) -> None:
    """A key reaches the call (scheduled by :func:`press`)."""
    engine.digit(leg, digit)
