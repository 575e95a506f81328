"""The emulator's own API under ``/_emulator/``, for apps that are not written in Python.

It mirrors the Python API (same Basic credentials as the Calls API)::

    GET  /_emulator                          version, account, clock
    POST /_emulator/callees                  {"number": "+1555...", "script": [{"press": "1"}, ...]}
    POST /_emulator/destinations             {"number": "+1555...", "behaviour": "busy"}
    POST /_emulator/faults                   {"operation": "createCall", "status": 503, "times": 1}
    POST /_emulator/advance                  {"seconds": 5}   (manual clock only)
    GET  /_emulator/calls/{callId}/timeline  the call's transcript, callbacks, heard, pressed

Script steps: ``{"press": "12#"}``, ``{"silence": true}``, ``{"leave_message": 5}``,
``{"hang_up": true}`` or ``{"hang_up": {"after": 3}}``. Behaviours: ``"busy"``,
``"no_answer"``, ``"answers"`` or ``{"answers": {"after": 2, "hangs_up_after": 60}}``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..engine.script import Destination, Step
from ..engine.steps import answers, busy, hang_up, leave_message, no_answer, press, silence
from .validate import ApiError, bad, finite_seconds, json_object

if TYPE_CHECKING:
    from .emulator import VoiceEmulator

PREFIX = "/_emulator"
_TIMELINE = re.compile(r"/_emulator/calls/(?P<call>[^/]+)/timeline/?")
_ROUTES = {
    "": ("GET",),
    "/callees": ("POST",),
    "/destinations": ("POST",),
    "/faults": ("POST",),
    "/advance": ("POST",),
}


def handle(emu: VoiceEmulator, method: str, path: str, body: bytes) -> tuple[int, Any]:
    """Answer one admin request (authenticated already): a status and a JSON value or None."""
    timeline = _TIMELINE.fullmatch(path)
    if timeline is not None:
        if method != "GET":
            raise ApiError(405, "validation", "Method Not Allowed")
        return 200, _timeline(emu, timeline["call"])
    route = path[len(PREFIX) :].rstrip("/")
    if route not in _ROUTES:
        raise ApiError(404, "validation", f"Not found: no emulator resource at {path}")
    if method not in _ROUTES[route]:
        raise ApiError(405, "validation", "Method Not Allowed")
    if route == "":
        return 200, _info(emu)
    fields = json_object(body)
    try:
        if route == "/callees":
            emu.callee(
                _text(fields, "number"),
                script=[_step(s, i) for i, s in enumerate(_list(fields, "script"))],
            )
        elif route == "/destinations":
            emu.destination(_text(fields, "number"), _behaviour(fields.get("behaviour")))
        elif route == "/faults":
            _fault(emu, fields)
        else:
            _advance(emu, fields)
    except (TypeError, ValueError) as exc:
        raise bad(str(exc)) from None
    return 204, None


def _info(emu: VoiceEmulator) -> dict[str, Any]:
    clock = emu._clock
    return {
        "version": __version__,
        "accountId": emu.account_id,
        "username": emu.username,
        "baseUrl": emu.base_url,
        "clock": clock.mode,
        "speed": clock.speed,
        "now": clock.at(clock.now_ms()).isoformat(),
    }


def _timeline(emu: VoiceEmulator, call_id: str) -> dict[str, Any]:
    try:
        call = emu.timeline(call_id)
    except KeyError:
        raise ApiError(404, "validation", f"Call [{call_id}] not found") from None
    return {
        "callId": call.call_id,
        "state": call.state,
        "disconnectCause": call.disconnect_cause,
        "heard": call.heard,
        "pressed": call.pressed,
        "callbacks": [
            {"eventType": c.event_type, "method": c.method, "url": c.url, "status": c.status}
            for c in call.callbacks
        ],
        "lines": [entry.render() for entry in call.transcript],
        "events": [seen.to_json() for seen in call.observations],
    }


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise bad(f"{name} must be a non-empty string, but was {json.dumps(value)}")
    return value


def _list(fields: dict[str, Any], name: str) -> list[Any]:
    value = fields.get(name, [])
    if not isinstance(value, list):
        raise bad(f"{name} must be a list, but was {json.dumps(value)}")
    return value


def _step(value: Any, index: int) -> Step:
    where = f"script[{index}]"
    if not isinstance(value, dict) or len(value) != 1:
        raise bad(
            f'{where} must be one of {{"press": ...}}, {{"silence": true}}, '
            f'{{"leave_message": seconds}}, {{"hang_up": ...}}; got {json.dumps(value)}'
        )
    ((kind, arg),) = value.items()
    if kind == "press" and isinstance(arg, str):
        return press(arg)
    if kind == "silence" and arg is True:
        return silence()
    if kind == "leave_message" and isinstance(arg, (int, float)) and not isinstance(arg, bool):
        return leave_message(finite_seconds(arg, f"{where}.leave_message"))
    if kind == "hang_up" and arg is True:
        return hang_up()
    if kind == "hang_up" and isinstance(arg, dict) and set(arg) <= {"after"}:
        after = arg.get("after")
        return hang_up(after=None if after is None else finite_seconds(after, f"{where}.after"))
    raise bad(
        f"{where}: {json.dumps(value)} is not a step (press, silence, leave_message, hang_up)"
    )


def _behaviour(value: Any) -> Destination:
    if value == "busy":
        return busy()
    if value == "no_answer":
        return no_answer()
    if value == "answers":
        return answers()
    if isinstance(value, dict) and set(value) == {"answers"} and isinstance(value["answers"], dict):
        options = value["answers"]
        if set(options) <= {"after", "hangs_up_after"}:
            checked = {
                name: finite_seconds(seconds, f"behaviour.answers.{name}")
                for name, seconds in options.items()
                if seconds is not None or name == "after"
            }
            usual = answers()
            return answers(
                after=checked.get("after", usual.after),
                hangs_up_after=checked.get("hangs_up_after", usual.hangs_up_after),
            )
    raise bad(
        'behaviour must be "busy", "no_answer", "answers" or {"answers": {"after": s, '
        f'"hangs_up_after": s}}}}, but was {json.dumps(value)}'
    )


def _fault(emu: VoiceEmulator, fields: dict[str, Any]) -> None:
    known = {"operation", "status", "times", "retry_after", "drop"}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise bad(f"Unknown field {unknown[0]!r}; the fields are {sorted(known)}")
    retry_after = fields.get("retry_after")
    if retry_after is not None:
        retry_after = finite_seconds(retry_after, "retry_after", limit=86400)
    for name in ("status", "times"):
        value = fields.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise bad(f"{name} must be a whole number, but was {json.dumps(value)}")
    drop = fields.get("drop")
    if drop is not None and not isinstance(drop, str):
        raise bad(f'drop must be "before" or "after", but was {json.dumps(drop)}')
    emu.faults.next(
        _text(fields, "operation"),
        status=fields.get("status"),
        times=fields.get("times", 1),
        retry_after=retry_after,
        drop=drop,
    )


def _advance(emu: VoiceEmulator, fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - {"seconds"})
    if unknown:
        raise bad(f"Unknown field {unknown[0]!r}; the only field is 'seconds'")
    seconds = fields.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
        raise bad(f"seconds must be a number, 0 or more, but was {json.dumps(seconds)}")
    seconds = finite_seconds(seconds, "seconds")
    if not emu._clock.manual:
        raise ApiError(409, "validation", "advance needs the manual clock; this one is real")
    emu.advance(seconds)
