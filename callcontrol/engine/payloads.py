"""Callback payloads, one builder per eventType (voice-api §9.3 and §9.4).

Payloads are plain dicts in a fixed key order, built once per callback; every one parses
with :func:`callcontrol.parse_event` into the same fields (a test checks each builder).
``tag`` is left out when the call has none; B-leg fields only appear on B-leg events.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from .model import Leg

EPOCH = datetime(2026, 1, 1, 9, 0, 0, tzinfo=timezone.utc)


_STAMPS: dict[tuple[datetime, int], str] = {}
# Per start time: its UTC midnight and how many ms after it the start is (None when the
# start is naive or finer than a millisecond: those take the slow path).
_ORIGINS: dict[datetime, tuple[datetime, int] | None] = {}
_DATES: dict[tuple[datetime, int], str] = {}
_DAY_MS = 86_400_000


def timestamp(start: datetime, ms: int) -> str:
    """The wall-clock ISO 8601 time of virtual millisecond ``ms`` (``…T09:00:01.500Z``)."""
    key = (start, ms)
    text = _STAMPS.get(key)
    if text is None:
        if len(_STAMPS) >= 4096:
            _STAMPS.clear()
        text = _STAMPS[key] = _stamp(start, ms)
    return text


def _stamp(start: datetime, ms: int) -> str:
    if start not in _ORIGINS:
        _ORIGINS[start] = _origin(start)
    origin = _ORIGINS[start]
    if origin is None:
        moment = (start + timedelta(milliseconds=ms)).astimezone(timezone.utc)
        return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    # In whole milliseconds: the clock of many calls moves on, so few instants repeat.
    midnight, offset = origin
    day, rest = divmod(offset + ms, _DAY_MS)
    date = _DATES.get((start, day))
    if date is None:
        if len(_DATES) >= 4096:
            _DATES.clear()
        date = _DATES[(start, day)] = (midnight + timedelta(days=day)).date().isoformat()
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{date}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def _origin(start: datetime) -> tuple[datetime, int] | None:
    if start.tzinfo is None or start.microsecond % 1000:
        return None
    utc = start.astimezone(timezone.utc)
    midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight, (utc - midnight) // timedelta(milliseconds=1)


def iso_duration(ms: int) -> str:
    """An ISO 8601 duration such as ``PT13.67S``."""
    seconds = f"{ms / 1000:.3f}".rstrip("0").rstrip(".")
    return f"PT{seconds}S"


def call_fields(event_type: str, leg: Leg, start: datetime, now: int) -> dict[str, Any]:
    """The [CALL] fields of voice-api §9.3 for ``leg`` at virtual time ``now``."""
    payload: dict[str, Any] = {
        "eventType": event_type,
        "eventTime": timestamp(start, now),
        "accountId": leg.account_id,
        "applicationId": leg.application_id,
        "from": leg.from_,
        "to": leg.to,
        "direction": leg.direction,
        "callId": leg.id,
        "callUrl": leg.call_url,
        "startTime": timestamp(start, leg.start_ms),
    }
    if leg.answer_ms is not None and event_type != "initiate":
        payload["answerTime"] = timestamp(start, leg.answer_ms)
    if leg.tag is not None and event_type != "initiate":
        payload["tag"] = leg.tag
    return payload


def transfer_fields(payload: dict[str, Any], leg: Leg, *, parent: bool = True) -> None:
    """Add the [XFER] fields when ``leg`` is a Transfer B-leg.

    A B-leg's events carry the original call's ``from`` and ``to``; the B-leg's own
    numbers are transferCallerId and transferTo (webhooks transferAnswer and
    transferDisconnect: "the from field of the original call").
    """
    if leg.parent is None:
        return
    payload["from"] = leg.parent.from_
    payload["to"] = leg.parent.to
    if parent:
        payload["parentCallId"] = leg.parent.id
    payload["transferCallerId"] = leg.transfer_caller_id or leg.from_
    payload["transferTo"] = leg.transfer_to or leg.to


def leg_event(event_type: str, leg: Leg, start: datetime, now: int, **extra: Any) -> dict[str, Any]:
    """A call event with the B-leg fields when they apply, plus ``extra`` fields."""
    payload = call_fields(event_type, leg, start, now)
    transfer_fields(payload, leg)
    payload.update(extra)
    return payload


def disconnect(leg: Leg, start: datetime, now: int) -> dict[str, Any]:
    """The ``disconnect`` event of an A-leg."""
    return _end_fields(call_fields("disconnect", leg, start, now), leg, start, now)


def transfer_disconnect(leg: Leg, start: datetime, now: int) -> dict[str, Any]:
    """The ``transferDisconnect`` event of a B-leg."""
    return _end_fields(leg_event("transferDisconnect", leg, start, now), leg, start, now)


def _end_fields(payload: dict[str, Any], leg: Leg, start: datetime, now: int) -> dict[str, Any]:
    """Add the end time, cause and error message of a leg that has ended to ``payload``."""
    payload["endTime"] = timestamp(start, leg.end_ms if leg.end_ms is not None else now)
    payload["cause"] = leg.cause or "hangup"
    if leg.error_message:
        payload["errorMessage"] = leg.error_message
        payload["errorId"] = error_id(leg)
    return payload


def error_id(leg: Leg) -> str:
    """The errorId of an ended leg's error: a UUID that stays the same for the same call."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{leg.call_url}#{leg.end_ms}"))


def transfer_complete(
    a_leg: Leg, b_leg: Leg, start: datetime, now: int, cause: str, error: str | None
) -> dict[str, Any]:
    """``transferComplete`` for the A-leg, about B-leg ``b_leg``."""
    payload = call_fields("transferComplete", a_leg, start, now)
    payload["transferCallerId"] = b_leg.transfer_caller_id or b_leg.from_
    payload["transferTo"] = b_leg.transfer_to or b_leg.to
    payload["cause"] = cause
    if error:
        payload["errorMessage"] = error
        payload["errorId"] = error_id(b_leg)
    return payload


def transfer_answer(leg: Leg, start: datetime, now: int) -> dict[str, Any]:
    """``transferAnswer`` for B-leg ``leg`` (parentCallId as in the docs' table)."""
    return leg_event("transferAnswer", leg, start, now)


def recording(
    event_type: str,
    leg: Leg,
    start: datetime,
    now: int,
    info: dict[str, Any],
) -> dict[str, Any]:
    """``recordComplete`` or ``recordingAvailable`` for a finished recording ``info``."""
    payload = call_fields(event_type, leg, start, now)
    transfer_fields(payload, leg)
    payload["recordingId"] = info["id"]
    payload["mediaUrl"] = f"{leg.call_url}/recordings/{info['id']}/media"
    payload["startTime"] = timestamp(start, info["start"])
    payload["endTime"] = timestamp(start, info["end"])
    payload["duration"] = iso_duration(info["end"] - info["start"] - info.get("paused_ms", 0))
    payload["channels"] = info.get("channels", 1)
    payload["fileFormat"] = info["file_format"]
    if event_type == "recordingAvailable":
        payload.pop("answerTime", None)  # not a field of recordingAvailableCallback
        payload["status"] = "complete"
    return payload


#: Transcription needs more than 0.5 s of recording (bxml-spec §4.12 transcribe).
MIN_TRANSCRIBED_MS = 500


def transcription_available(
    leg: Leg, start: datetime, now: int, info: dict[str, Any]
) -> dict[str, Any]:
    """``transcriptionAvailable`` for a finished recording ``info`` (webhooks
    transcriptionAvailable: the recording's fields and a ``transcription`` object)."""
    payload = recording("transcriptionAvailable", leg, start, now, info)
    for absent in ("answerTime", "channels"):  # not in the documented event
        payload.pop(absent, None)
    recorded = info["end"] - info["start"] - info.get("paused_ms", 0)
    long_enough = recorded > MIN_TRANSCRIBED_MS
    payload["transcription"] = {
        "id": "t-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{leg.call_url}/{info['id']}")),
        "url": f"{leg.call_url}/recordings/{info['id']}/transcription",
        "status": "available" if long_enough else "file-size-too-small",
        "completedTime": timestamp(start, now),
    }
    return payload


def conference_event(
    event_type: str,
    start: datetime,
    now: int,
    conference_id: str,
    name: str,
    tag: str | None,
    member: Leg | None = None,
) -> dict[str, Any]:
    """A conference event (voice-api §9.4): conferenceCreated and conferenceCompleted carry
    ``eventType, eventTime, conferenceId, name, tag``; conferenceMemberJoin and
    conferenceMemberExit add the ``member``'s ``callId, from, to``. ``tag`` is the
    creator's, left out when it has none."""
    payload: dict[str, Any] = {
        "eventType": event_type,
        "eventTime": timestamp(start, now),
        "conferenceId": conference_id,
        "name": name,
    }
    if member is not None:
        payload["callId"] = member.id
        payload["from"] = member.from_
        payload["to"] = member.to
    if tag is not None:
        payload["tag"] = tag
    return payload


def conference_recording(
    start: datetime,
    now: int,
    *,
    conference_id: str,
    name: str,
    account_id: str,
    tag: str | None,
    conference_url: str,
    info: dict[str, Any],
) -> dict[str, Any]:
    """``conferenceRecordingAvailable`` (voice-api §9.4) for a finished conference
    recording ``info``: always one channel, the conference's tag."""
    payload: dict[str, Any] = {
        "eventType": "conferenceRecordingAvailable",
        "eventTime": timestamp(start, now),
        "conferenceId": conference_id,
        "name": name,
        "accountId": account_id,
        "recordingId": info["id"],
        "channels": 1,
        "startTime": timestamp(start, info["start"]),
        "endTime": timestamp(start, info["end"]),
        "duration": iso_duration(info["end"] - info["start"] - info.get("paused_ms", 0)),
        "fileFormat": info["file_format"],
        "mediaUrl": f"{conference_url}/recordings/{info['id']}/media",
        "status": "complete",
    }
    if tag is not None:
        payload["tag"] = tag
    return payload
