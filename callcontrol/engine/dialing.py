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
from .script import Answers, Busy, Destination, Rejects, Voicemail

if TYPE_CHECKING:
    from .core import Engine

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


def end_unreached(engine: Engine, leg: Leg, cause: str) -> None:
    """End a dialled leg that never answered, with the error fields Bandwidth sends."""
    if cause != "busy":
        engine._assume_once(leg, "dial-error-message", cause)
    engine._end_leg(leg, cause, ERROR_MESSAGES[cause])


def bridge_verb(engine: Engine, leg: Leg, verb: bxml.Bridge) -> None:
    """Bridge: fails, there is no target call (``no-bridge-target``)."""
    engine._assume(leg, "no-bridge-target", verb.text.strip())
    target, fallback = engine._targets(leg, verb, "bridge_complete")
    if target is None:
        return
    payload = payloads.call_fields("bridgeComplete", leg, engine.start_time, engine.sched.now)
    payload["cause"] = "unknown"
    payload["errorMessage"] = f"call {verb.text.strip()} is not part of this simulation"
    engine._send(leg, "bridgeComplete", payload, target, fallback, synchronous=True)


def forward(engine: Engine, leg: Leg, verb: bxml.Forward) -> None:
    """Forward: hand an unanswered inbound call to ``to`` (§4.5)."""
    if leg.direction != "inbound" or leg.answer_ms is not None or leg.parent is not None:
        engine._assume(leg, "forward-answered")
        engine._end_leg(leg, "application-error", "<Forward> needs an unanswered inbound call")
        return
    leg.activity = "forward"
    leg.cursor = None
    number = str(verb.to)
    timeout = to_ms(verb.call_timeout if verb.call_timeout is not None else DEFAULT_CALL_TIMEOUT)
    _ring_destination(engine, leg, number, timeout, _forward_outcome)


def _forward_outcome(engine: Engine, leg: Leg, number: str, outcome: str, hangs_up_ms: int) -> None:
    engine.transfer_outcomes.append((number, outcome))
    engine._note(leg, "forward", f"{number} -> {outcome}")
    if outcome == "answered":
        engine._answer(leg)
        engine.sched.at(
            engine.sched.now + hangs_up_ms, COMMAND, type(engine)._end_leg, leg, "hangup", owner=leg
        )
    else:
        end_unreached(engine, leg, CAUSES[outcome])


def _ring_destination(
    engine: Engine, leg: Leg, number: str, timeout_ms: int, outcome: Callable[..., None]
) -> None:
    dest = _destinations_of(engine, leg).get(number)
    if isinstance(dest, Voicemail):
        engine._note(leg, "voicemail", f"{number}: greeting {dest.greeting:g} s")
    if isinstance(dest, Answers) and to_ms(dest.after) < timeout_ms:
        due, result, hang = to_ms(dest.after), "answered", to_ms(dest.hangs_up_after)
    elif isinstance(dest, (Busy, Rejects)):
        engine._assume(leg, "busy-timing", number)
        due, hang = BUSY_AFTER_MS, 0
        result = "busy" if isinstance(dest, Busy) else "rejected"
    else:
        if dest is None:
            engine._assume(leg, "busy-timing", f"{number} has no destination entry")
        due, result, hang = timeout_ms, "no-answer", 0
    engine.sched.at(engine.sched.now + due, INPUT, outcome, leg, number, result, hang, owner=leg)


def _destinations_of(engine: Engine, leg: Leg) -> dict[str, Destination]:
    return (leg.parent or leg).destinations


def transfer(engine: Engine, leg: Leg, verb: bxml.Transfer) -> None:
    """Transfer: dial every destination at once; the first to answer wins (§4.27)."""
    run = TransferRun(verb, leg.cursor.base_url if leg.cursor else "")
    leg.activity = run
    timeout = to_ms(verb.call_timeout if verb.call_timeout is not None else DEFAULT_CALL_TIMEOUT)
    children = verb.children
    caller_id = verb.transfer_caller_id or (leg.from_ if leg.direction == "inbound" else leg.to)
    for index, child in enumerate(children):
        label = "B" if len(children) == 1 else f"B{index + 1}"
        number = child.text.strip()  # type: ignore[attr-defined]
        b_leg = engine._new_leg(label, "outbound", caller_id, number)
        b_leg.parent = leg
        b_leg.transfer_caller_id = caller_id
        b_leg.transfer_to = number
        b_leg.tag = leg.tag
        b_leg.transfer = child
        b_leg.base_url = run.base_url
        child_tag = getattr(child, "tag", None)
        if isinstance(child_tag, str):
            b_leg.tag = child_tag.strip() or None
        run.b_legs.append((b_leg, child))
        engine._note(b_leg, "dial", f"{number} (Transfer, callTimeout {timeout / 1000:g} s)")
        _ring_destination(engine, b_leg, number, timeout, _b_outcome)
    caller.listen_in_background(engine, leg, 0)


def _b_outcome(engine: Engine, b_leg: Leg, number: str, outcome: str, hangs_up_ms: int) -> None:
    a_leg = b_leg.parent
    assert a_leg is not None
    run = a_leg.activity
    if not isinstance(run, TransferRun) or run.winner is not None:
        engine._end_leg(b_leg, "cancel")
        return
    engine.transfer_outcomes.append((number, outcome))
    engine._note(b_leg, "dial", f"{number} -> {outcome}")
    if outcome != "answered":
        end_unreached(engine, b_leg, CAUSES[outcome])
        return
    run.winner = b_leg
    engine._answer(b_leg)
    for other, _ in run.b_legs:
        if other is not b_leg and other.up:
            engine._end_leg(other, "cancel")
    engine.sched.at(engine.sched.now + hangs_up_ms, COMMAND, _callee_hangup, b_leg, owner=b_leg)
    target, fallback = engine._targets(b_leg, b_leg.transfer, "transfer_answer")
    if target is None:
        b_leg.cursor = None
        bridge(engine, b_leg)
        return
    payload = payloads.transfer_answer(b_leg, engine.start_time, engine.sched.now)
    engine._send(b_leg, "transferAnswer", payload, target, fallback, synchronous=True)


def _callee_hangup(engine: Engine, b_leg: Leg) -> None:
    engine._note(b_leg, "hangs-up", "called party")
    engine._end_leg(b_leg, "hangup")


def bridge(engine: Engine, b_leg: Leg) -> None:
    """Bridge an answered B-leg with its A-leg once its transferAnswer reply ends."""
    b_leg.activity = "bridged"
    engine._note(b_leg, "bridged", f"with {b_leg.parent.label if b_leg.parent else '?'}")


def b_leg_ended(engine: Engine, b_leg: Leg) -> None:
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
        engine._assume(a_leg, "transfer-failure-cause")
    _transfer_complete(engine, a_leg, run, b_leg)


def _transfer_complete(engine: Engine, a_leg: Leg, run: TransferRun, b_leg: Leg) -> None:
    a_leg.activity = None
    a_leg.epoch += 1
    cause = b_leg.cause or "hangup"
    error = b_leg.error_message
    target, fallback = engine._targets(a_leg, run.verb, "transfer_complete")
    if target is None:
        engine._advance(a_leg)
        return
    payload = payloads.transfer_complete(
        a_leg, b_leg, engine.start_time, engine.sched.now, cause, error
    )
    engine._send(a_leg, "transferComplete", payload, target, fallback, synchronous=True)


def end_b_legs(engine: Engine, run: TransferRun) -> None:
    """The A-leg's Transfer ends: an answered B-leg hangs up, a ringing one is cancelled
    (cause ``cancel``: "cancelled by its originator while it was ringing", webhooks
    transferDisconnect)."""
    for b_leg, _ in run.b_legs:
        engine._end_leg(b_leg, "hangup" if b_leg.answer_ms is not None else "cancel")


def b_disconnect(engine: Engine, b_leg: Leg) -> None:
    """Send ``transferDisconnect`` for an ended B-leg when its URL was set."""
    child = b_leg.transfer
    if child is None:
        return
    target = engine._target(b_leg, child, "transfer_disconnect_url", "transfer_disconnect_method")
    if target is not None:
        payload = payloads.transfer_disconnect(b_leg, engine.start_time, engine.sched.now)
        engine._send(b_leg, "transferDisconnect", payload, target, synchronous=False)
