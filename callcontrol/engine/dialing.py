"""Calls to other parties: <Transfer> and its B-legs (§4.27, §4.10), <Forward> (§4.5) and
<Bridge> (§4.1, which fails here: the simulation holds no other call)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import bxml

from . import caller, payloads
from .activities import TransferRun
from .clock import COMMAND, INPUT, to_ms
from .model import Leg
from .observations import Dialled
from .script import Answers, Busy, Destination, HangUp, Rejects, Step, Voicemail

if TYPE_CHECKING:
    from .runtime import Runtime

DEFAULT_CALL_TIMEOUT = 30.0
BUSY_AFTER_MS = 1000
#: The disconnect cause of a dialled leg for each ringing outcome.
CAUSES = {"busy": "busy", "no-answer": "timeout", "rejected": "rejected"}
#: The errorMessage of each such cause: "Callee is busy" is the documented one (webhooks
#: disconnect, transferComplete, transferDisconnect examples); the others are registered
#: guesses (dial-error-message).
ERROR_MESSAGES = {
    "busy": "Callee is busy",
    "timeout": "Callee did not answer before the callTimeout",
    "rejected": "Callee rejected the call",
}


def end_unreached(engine: Runtime, leg: Leg, cause: str) -> None:
    """End a dialled leg that never answered, with the error fields Bandwidth sends."""
    if cause != "busy":
        engine.assume_once(leg, "dial-error-message", cause)
    engine.end_leg(leg, cause, ERROR_MESSAGES[cause])


def forward(engine: Runtime, leg: Leg, verb: bxml.Forward) -> None:
    """Forward: hand an unanswered inbound call to ``to`` (§4.5)."""
    if leg.direction != "inbound" or leg.answer_ms is not None or leg.parent is not None:
        engine.assume(leg, "forward-answered")
        engine.end_leg(leg, "application-error", "<Forward> needs an unanswered inbound call")
        return
    leg.activity = "forward"
    leg.cursor = None
    number = str(verb.to)
    timeout = to_ms(verb.call_timeout if verb.call_timeout is not None else DEFAULT_CALL_TIMEOUT)
    _ring_destination(engine, leg, number, timeout, _forward_outcome)


def _forward_outcome(
    engine: Runtime, leg: Leg, number: str, outcome: str, hangs_up_ms: int
) -> None:
    engine.observe(Dialled(engine.sched.now, leg.label, leg.id, number, "Forward", outcome))
    if outcome == "answered":
        engine.answer(leg)
        engine.sched.at(engine.sched.now + hangs_up_ms, COMMAND, _forwarded_hangup, leg, owner=leg)
    else:
        end_unreached(engine, leg, CAUSES[outcome])


def _ring_destination(
    engine: Runtime, leg: Leg, number: str, timeout_ms: int, outcome: Callable[..., None]
) -> None:
    dest = _destinations_of(engine, leg).get(number)
    if isinstance(dest, Voicemail):
        engine.note(leg, "voicemail", f"{number}: greeting {dest.greeting:g} s")
    if isinstance(dest, Answers) and to_ms(dest.after) < timeout_ms:
        due, result, hang = to_ms(dest.after), "answered", to_ms(dest.hangs_up_after)
    elif isinstance(dest, (Busy, Rejects)):
        engine.assume(leg, "busy-timing", number)
        due, hang = BUSY_AFTER_MS, 0
        result = "busy" if isinstance(dest, Busy) else "rejected"
    else:
        if dest is None:
            engine.assume(leg, "busy-timing", f"{number} has no destination entry")
        due, result, hang = timeout_ms, "no-answer", 0
    engine.sched.at(engine.sched.now + due, INPUT, outcome, leg, number, result, hang, owner=leg)


def _destinations_of(engine: Runtime, leg: Leg) -> dict[str, Destination]:
    return (leg.parent or leg).destinations


def transfer(engine: Runtime, leg: Leg, verb: bxml.Transfer) -> None:
    """Transfer: dial every destination at once; the first to answer wins (§4.27)."""
    run = TransferRun(verb, leg.cursor.base_url if leg.cursor else "")
    leg.activity = run
    timeout = to_ms(verb.call_timeout if verb.call_timeout is not None else DEFAULT_CALL_TIMEOUT)
    children = verb.children
    caller_id = verb.transfer_caller_id or (leg.from_ if leg.direction == "inbound" else leg.to)
    for index, child in enumerate(children):
        label = "B" if len(children) == 1 else f"B{index + 1}"
        number = child.text.strip()  # type: ignore[attr-defined]
        b_leg = engine.new_leg(label, "outbound", caller_id, number)
        b_leg.parent = leg
        b_leg.application_id = leg.application_id  # the call's own, when calls differ in it
        b_leg.transfer_caller_id = caller_id
        b_leg.transfer_to = number
        b_leg.tag = leg.tag
        b_leg.transfer = child
        b_leg.base_url = run.base_url
        child_tag = getattr(child, "tag", None)
        if isinstance(child_tag, str):
            b_leg.tag = child_tag.strip() or None
        dest = _destinations_of(engine, leg).get(number)
        if isinstance(dest, Answers) and dest.script:
            _b_script(engine, b_leg, dest.script)
        run.b_legs.append((b_leg, child))
        engine.note(b_leg, "dial", f"{number} (Transfer, callTimeout {timeout / 1000:g} s)")
        _ring_destination(engine, b_leg, number, timeout, _b_outcome)
    caller.listen_in_background(engine, leg, 0)


def _b_script(engine: Runtime, b_leg: Leg, steps: tuple[Step, ...]) -> None:
    """The called person's steps; hang_up(after=) counts from the B-leg's start."""
    for step in steps:
        if isinstance(step, HangUp) and step.after is not None:
            due = engine.sched.now + to_ms(step.after)
            engine.sched.at(due, COMMAND, caller.caller_hangup, b_leg, step, owner=b_leg)
        else:
            b_leg.script.append(step)


def _forwarded_hangup(engine: Runtime, leg: Leg) -> None:
    engine.end_leg(leg, "hangup")


def _b_outcome(engine: Runtime, b_leg: Leg, number: str, outcome: str, hangs_up_ms: int) -> None:
    a_leg = b_leg.parent
    assert a_leg is not None
    run = a_leg.activity
    if not isinstance(run, TransferRun) or run.winner is not None:
        engine.end_leg(b_leg, "cancel")
        return
    engine.observe(Dialled(engine.sched.now, b_leg.label, b_leg.id, number, "Transfer", outcome))
    if outcome != "answered":
        end_unreached(engine, b_leg, CAUSES[outcome])
        return
    run.winner = b_leg
    engine.answer(b_leg)
    for other, _ in run.b_legs:
        if other is not b_leg and other.up:
            engine.end_leg(other, "cancel")
    engine.sched.at(engine.sched.now + hangs_up_ms, COMMAND, _callee_hangup, b_leg, owner=b_leg)
    target, fallback = engine.targets(b_leg, b_leg.transfer, "transfer_answer")
    if target is None:
        b_leg.cursor = None
        bridge(engine, b_leg)
        return
    payload = payloads.transfer_answer(b_leg, engine.start_time, engine.sched.now)
    engine.send(b_leg, "transferAnswer", payload, target, fallback, synchronous=True)


def _callee_hangup(engine: Runtime, b_leg: Leg) -> None:
    engine.note(b_leg, "hangs-up", "called party")
    engine.end_leg(b_leg, "hangup")


def bridge(engine: Runtime, b_leg: Leg) -> None:
    """Bridge an answered B-leg with its A-leg once its transferAnswer reply ends."""
    b_leg.activity = "bridged"
    engine.note(b_leg, "bridged", f"with {b_leg.parent.label if b_leg.parent else '?'}")


def b_leg_ended(engine: Runtime, b_leg: Leg) -> None:
    """A B-leg ended: send transferComplete (or go on) when the Transfer is over."""
    a_leg = b_leg.parent
    assert a_leg is not None
    run = a_leg.activity
    if not a_leg.up or not isinstance(run, TransferRun):
        return
    if run.winner is not None and b_leg is not run.winner:
        return
    if run.winner is None and any(b.up for b, _ in run.b_legs):
        return
    if run.winner is None:
        engine.assume(a_leg, "transfer-failure-cause")
    _transfer_complete(engine, a_leg, run, b_leg)


def _transfer_complete(engine: Runtime, a_leg: Leg, run: TransferRun, b_leg: Leg) -> None:
    a_leg.activity = None
    a_leg.epoch += 1
    cause = b_leg.cause or "hangup"
    error = b_leg.error_message
    target, fallback = engine.targets(a_leg, run.verb, "transfer_complete")
    if target is None:
        engine.advance(a_leg)
        return
    payload = payloads.transfer_complete(
        a_leg, b_leg, engine.start_time, engine.sched.now, cause, error
    )
    engine.send(a_leg, "transferComplete", payload, target, fallback, synchronous=True)


def end_b_legs(engine: Runtime, run: TransferRun) -> None:
    """The A-leg's Transfer ends: an answered B-leg hangs up, a ringing one is cancelled
    (cause ``cancel``: "cancelled by its originator while it was ringing", webhooks
    transferDisconnect)."""
    for b_leg, _ in run.b_legs:
        engine.end_leg(b_leg, "hangup" if b_leg.answer_ms is not None else "cancel")


def b_disconnect(engine: Runtime, b_leg: Leg) -> None:
    """Send ``transferDisconnect`` for an ended B-leg when its URL was set."""
    child = b_leg.transfer
    if child is None:
        return
    target = engine.target(b_leg, child, "transfer_disconnect_url", "transfer_disconnect_method")
    if target is not None:
        payload = payloads.transfer_disconnect(b_leg, engine.start_time, engine.sched.now)
        engine.send(b_leg, "transferDisconnect", payload, target, synchronous=False)
