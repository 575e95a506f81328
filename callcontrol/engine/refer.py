"""<Refer>: a SIP REFER on an inbound SIP call, and its ``referComplete`` callback.

On success the caller's endpoint talks to the refer target and the call ends; the reply to
``referComplete`` is ignored. On failure the call stays up: the reply runs on it, or, with
no ``referCompleteUrl``, the verbs after the Refer do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import bxml

from . import payloads
from .clock import to_ms
from .dialing import BUSY_AFTER_MS
from .model import Leg
from .observations import Dialled
from .script import Answers, Busy, Rejects

if TYPE_CHECKING:
    from .runtime import Runtime

#: A REFER the endpoint accepted fails when no final NOTIFY comes within this time.
NOTIFY_TIMEOUT_MS = 30_000
SIP_SCHEMES = ("sip:", "sips:")


class Outcome(NamedTuple):
    """How a REFER ended: the outcome word, the status and the SIP codes of the payload."""

    outcome: str
    status: str
    refer_code: int | None
    notify_code: int | None


def is_sip_call(leg: Leg) -> bool:
    """An inbound A-leg whose caller or called address is a SIP URI (``refer-sip-call``)."""
    return (
        leg.direction == "inbound"
        and leg.parent is None
        and (leg.from_.startswith(SIP_SCHEMES) or leg.to.startswith(SIP_SCHEMES))
    )


def refer(engine: Runtime, leg: Leg, verb: bxml.Refer) -> None:
    """Refer: send the REFER; the destination entry for the SIP URI decides the outcome."""
    uri = verb.children[0].text.strip()  # type: ignore[attr-defined]
    leg.activity = "refer"
    if not is_sip_call(leg):
        engine.assume(leg, "refer-sip-call", f"{leg.from_} -> {leg.to} is not a SIP call")
        _refer_done(engine, leg, verb, uri, Outcome("not-sent", "failure", None, None))
        return
    engine.assume(leg, "refer-outcome", uri)
    dest = (leg.parent or leg).destinations.get(uri)
    if isinstance(dest, Answers) and to_ms(dest.after) < NOTIFY_TIMEOUT_MS:
        due, outcome = to_ms(dest.after), Outcome("answered", "success", 202, 200)
    elif isinstance(dest, Busy):
        due, outcome = BUSY_AFTER_MS, Outcome("busy", "failure", 202, 486)
    elif isinstance(dest, Rejects):
        due, outcome = 0, Outcome("rejected", "failure", 603, None)
    else:
        due, outcome = NOTIFY_TIMEOUT_MS, Outcome("no-answer", "failure", 202, None)
    engine.note(leg, "refer", f"REFER to {uri}")
    engine.after(leg, due, _refer_done, verb, uri, outcome)


def _refer_done(engine: Runtime, leg: Leg, verb: bxml.Refer, uri: str, outcome: Outcome) -> None:
    leg.activity = None
    leg.epoch += 1
    codes = [f"REFER {outcome.refer_code}"] if outcome.refer_code else []
    codes += [f"NOTIFY {outcome.notify_code}"] if outcome.notify_code else []
    shown = f" ({', '.join(codes)})" if codes else ""
    line = f"{uri} -> {outcome.status}{shown}"
    engine.observe(
        Dialled(engine.sched.now, leg.label, leg.id, uri, "Refer", outcome.outcome, line)
    )
    target, fallback = engine.targets(leg, verb, "refer_complete")
    if target is not None:
        payload = payloads.call_fields("referComplete", leg, engine.start_time, engine.sched.now)
        payload["referCallStatus"] = outcome.status
        if outcome.refer_code is not None:
            payload["referSipResponseCode"] = outcome.refer_code
        if outcome.notify_code is not None:
            payload["notifySipResponseCode"] = outcome.notify_code
        engine.send(leg, "referComplete", payload, target, fallback, synchronous=True)
    if outcome.status == "success":
        engine.assume(leg, "refer-cause")
        engine.end_leg(leg, "hangup")
    elif target is None:
        engine.advance(leg)
