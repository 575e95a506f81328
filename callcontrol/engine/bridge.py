"""<Bridge> (bxml-spec §4.1): join this call with another call of the same engine.

The target's BXML is cancelled and the two stay bridged until one of them leaves (hangs up
or is redirected). Whichever leaves first decides the event: this call first, then
bridgeTargetComplete goes to the target (or, without bridgeTargetCompleteUrl, the target is
hung up); the target first, then bridgeComplete goes to this call (or, without
bridgeCompleteUrl, this call goes on with the next verb).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import bxml

from . import payloads
from .activities import BridgedRun, BridgeRun
from .model import Leg
from .observations import BridgeEnded, BridgeMade

if TYPE_CHECKING:
    from .runtime import Runtime


def bridge_verb(engine: Runtime, leg: Leg, verb: bxml.Bridge) -> None:
    """Bridge: bridge the call whose id is the verb's text with this one (§4.1)."""
    call_id = " ".join(verb.text.split())
    other = engine.find_leg(call_id)
    if other is None:
        engine.assume(leg, "no-bridge-target", call_id)
        _failed(engine, leg, verb, f"no call {call_id} is known here to bridge with")
        return
    problem = _unbridgeable(leg, other)
    if problem is not None:
        engine.assume(leg, "bridge-failure-cause", problem)
        _failed(engine, leg, verb, problem)
        return
    complete = engine.targets(leg, verb, "bridge_complete")
    target_complete = engine.targets(leg, verb, "bridge_target_complete")
    engine.interrupt(other)  # "Any BXML the target is running is cancelled" (§4.1)
    if other.answer_ms is None:
        engine.assume(other, "bridge-answers-inbound")
        engine.answer(other)
    leg.activity = BridgeRun(verb, other, complete, target_complete)
    other.activity = BridgedRun(leg)
    now = engine.sched.now
    engine.observe(BridgeMade(now, leg.label, leg.id, other.id, True))
    engine.observe(BridgeMade(now, other.label, other.id, leg.id, False))


def _unbridgeable(leg: Leg, other: Leg) -> str | None:
    if other is leg or other.root is leg.root:
        return "a call cannot be bridged with itself or its own Transfer leg"
    if not other.up:
        return f"call {other.id} has already ended"
    if other.direction == "outbound" and other.answer_ms is None:
        return f"call {other.id} is an outbound call not answered yet"
    if other.activity == "forward":
        return f"call {other.id} is running <Forward>"
    if isinstance(other.activity, (BridgeRun, BridgedRun)):
        return f"call {other.id} is in another bridge"
    return None


def _failed(engine: Runtime, leg: Leg, verb: bxml.Bridge, message: str) -> None:
    target, fallback = engine.targets(leg, verb, "bridge_complete")
    if target is None:
        return  # no bridgeCompleteUrl: the next verb runs (§4.1)
    payload = payloads.call_fields("bridgeComplete", leg, engine.start_time, engine.sched.now)
    payload["cause"] = "unknown"
    payload["errorMessage"] = message
    engine.send(leg, "bridgeComplete", payload, target, fallback, synchronous=True)


def origin_left(engine: Runtime, leg: Leg, run: BridgeRun) -> None:
    """This call left the bridge first: bridgeTargetComplete, or hang the target up."""
    other = run.target
    if not other.up or not isinstance(other.activity, BridgedRun):
        return
    other.activity = None
    other.epoch += 1
    now = engine.sched.now
    engine.observe(BridgeEnded(now, leg.label, leg.id, other.id, True))
    engine.observe(BridgeEnded(now, other.label, other.id, leg.id, False))
    target, fallback = run.target_complete
    if target is None:
        engine.end_leg(other, "hangup")  # no bridgeTargetCompleteUrl (§4.1)
        return
    payload = payloads.call_fields("bridgeTargetComplete", other, engine.start_time, now)
    engine.send(other, "bridgeTargetComplete", payload, target, fallback, synchronous=True)


def target_left(engine: Runtime, other: Leg, bridged: BridgedRun) -> None:
    """The target left the bridge first: bridgeComplete, or this call goes on."""
    leg = bridged.origin
    run = leg.activity
    if not leg.up or not isinstance(run, BridgeRun) or run.target is not other:
        return
    leg.activity = None
    leg.epoch += 1
    now = engine.sched.now
    engine.observe(BridgeEnded(now, other.label, other.id, leg.id, True))
    engine.observe(BridgeEnded(now, leg.label, leg.id, other.id, False))
    target, fallback = run.complete
    if target is None:
        engine.advance(leg)
        return
    payload = payloads.call_fields("bridgeComplete", leg, engine.start_time, now)
    engine.send(leg, "bridgeComplete", payload, target, fallback, synchronous=True)
