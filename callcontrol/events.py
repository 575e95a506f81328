"""Typed callback events: what Bandwidth sends to the application's webhook URLs.

:func:`parse_event` reads a callback (a JSON body, or the query parameters of a GET callback)
into one :class:`Event` subclass per ``eventType``, with snake_case attributes::

    event = parse_event(request_body)
    if isinstance(event, GatherEvent) and event.digits == "1":
        ...

Timestamps are timezone-aware datetimes, durations are timedeltas. Nothing is dropped: fields
this library does not know stay in ``event.extra`` and an unknown ``eventType`` gives an
:class:`UnknownEvent`. ``event.to_dict()`` gives back the camelCase JSON, spelled as received
(timestamps and durations included), so ``parse_event(payload).to_dict() == payload``.

The hierarchy::

    Event                      eventType, eventTime, tag
    ├── CallEvent              + accountId, applicationId, from, to, direction, callId, ...
    │   ├── AnswerEvent, GatherEvent, DisconnectEvent, ... (one class per eventType)
    │   └── UnknownEvent       any other eventType
    └── ConferenceEvent        + conferenceId, name
        └── ConferenceCreatedEvent, ConferenceMemberJoinEvent, ...
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from ._wire import (
    CALLBACK,
    ComparedByFields,
    Reading,
    Wire,
    WireError,
    dump_fields,
    field_specs,
    fields_repr,
    load_fields,
)
from .exceptions import CallControlError

__all__ = [
    "AnswerEvent",
    "BridgeCompleteEvent",
    "BridgeTargetCompleteEvent",
    "CallEvent",
    "ConferenceCompletedEvent",
    "ConferenceCreatedEvent",
    "ConferenceEvent",
    "ConferenceMemberExitEvent",
    "ConferenceMemberJoinEvent",
    "ConferenceRecordingAvailableEvent",
    "ConferenceRedirectEvent",
    "DisconnectEvent",
    "Diversion",
    "DtmfEvent",
    "Event",
    "EventParseError",
    "GatherEvent",
    "InitiateEvent",
    "MachineDetectionCompleteEvent",
    "MachineDetectionResult",
    "MediaStream",
    "MediaStreamRejectedEvent",
    "MediaStreamStartedEvent",
    "MediaStreamStoppedEvent",
    "RealTimeTranscription",
    "RealTimeTranscriptionAvailableEvent",
    "RealTimeTranscriptionRejectedEvent",
    "RealTimeTranscriptionStartedEvent",
    "RealTimeTranscriptionStoppedEvent",
    "RecordCompleteEvent",
    "RecordingAvailableEvent",
    "RedirectEvent",
    "ReferCompleteEvent",
    "StirShaken",
    "Transcription",
    "TranscriptionAvailableEvent",
    "TransferAnswerEvent",
    "TransferCompleteEvent",
    "TransferDisconnectEvent",
    "UnknownEvent",
    "event_class",
    "parse_event",
]

_R = TypeVar("_R", bound="_Record")


class EventParseError(CallControlError, ValueError):
    """A callback could not be read as an event (not JSON, not an object, a bad field value).

    ``json_path`` is the JSON name of the offending field when there is one, dotted for a
    field of a nested object (``"eventTime"``, ``"machineDetectionResult.duration"``); it is
    the name in the payload, not the Python attribute (``"from"``, not ``"from_"``).
    """

    def __init__(self, message: str, *, json_path: str | None = None) -> None:
        self.json_path = json_path
        super().__init__(message)


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class _Record(ComparedByFields):
    """Base of events and of the objects nested in them: typed fields plus ``extra``.

    ``extra`` holds the fields this library does not know, exactly as received.
    """

    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)
    _wire: Wire | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        clashes = sorted(set(self.extra) & set(field_specs(type(self)))) if self.extra else ()
        if clashes:
            raise ValueError(f"extra may not hold typed fields of {type(self).__name__}: {clashes}")

    @classmethod
    def _from_json(cls: type[_R], data: Mapping[str, Any], path: str, reading: Reading) -> _R:
        values, extra, wire = load_fields(cls, data, path, reading)
        # What the generated __init__ would store, in its order, without its per-field calls.
        state = (_INIT_DEFAULTS.get(cls) or _init_defaults(cls)).copy()
        state.update(values)
        state["extra"] = copy.deepcopy(extra) if extra else {}
        state["_wire"] = wire
        record = object.__new__(cls)
        object.__setattr__(record, "__dict__", state)
        record.__post_init__()
        return record

    def to_dict(self) -> dict[str, Any]:
        """The camelCase JSON object, with every received field spelled as it was received."""
        return copy.deepcopy(dump_fields(self, self._wire, self.extra))

    def __repr__(self) -> str:
        return fields_repr(self)


_INIT_DEFAULTS: dict[type, dict[str, Any]] = {}


def _init_defaults(cls: type) -> dict[str, Any]:
    """Every ``__init__`` field of a record class with its default, in declaration order.

    Records are plain dataclasses: every field has a default (``extra`` a factory, which
    :meth:`_Record._from_json` always fills), and ``__init__`` only stores the fields.
    """
    defaults = {}
    for item in dataclasses.fields(cls):
        if item.init:
            if item.name != "extra" and item.default is dataclasses.MISSING:
                raise TypeError(f"{cls.__name__}.{item.name} needs a plain default")
            defaults[item.name] = item.default
    _INIT_DEFAULTS[cls] = defaults
    return defaults


# -- objects nested in events ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class MachineDetectionResult(_Record):
    """Answering-machine detection outcome: ``value`` (human, answering-machine, ...)."""

    value: str | None = None
    duration: timedelta | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class Diversion(_Record):
    """The most recent Diversion header of an inbound call; unlisted keys go to ``extra``."""

    orig_to: str | None = None
    reason: str | None = None
    privacy: str | None = None
    screen: str | None = None
    counter: str | None = None
    limit: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class StirShaken(_Record):
    """STIR/SHAKEN verification of an inbound call."""

    verstat: str | None = None
    attestation_indicator: str | None = None
    originating_id: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class Transcription(_Record):
    """A recording's transcription; the API documents two shapes, both are read."""

    speaker: int | None = None
    text: str | None = None
    confidence: float | None = None
    id: str | None = None
    url: str | None = None
    status: str | None = None
    completed_time: datetime | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class MediaStream(_Record):
    """A ``<StartStream>`` websocket stream."""

    id: str | None = None
    name: str | None = None
    destination: str | None = None
    start_time: datetime | None = None
    tracks: tuple[str, ...] | None = None
    type: str | None = None
    duration: timedelta | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class RealTimeTranscription(_Record):
    """A ``<StartTranscription>`` real-time transcription."""

    id: str | None = None
    name: str | None = None
    start_time: datetime | None = None
    tracks: tuple[str, ...] | None = None
    destination: str | None = None
    stabilized: bool | None = None
    duration: timedelta | None = None
    status: str | None = None
    url: str | None = None
    completed_time: datetime | None = None


# -- the event bases ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class Event(_Record):
    """Base of every callback event.

    ``EVENT_TYPES`` lists the ``eventType`` values a class stands for; ``is_synchronous``
    says whether Bandwidth waits for BXML in the reply (voice-api §9.1). Built directly,
    an event's ``event_type`` defaults to the first of its ``EVENT_TYPES``::

        GatherEvent(call_id="c-1", digits="1").to_dict()
        # {'eventType': 'gather', 'callId': 'c-1', 'digits': '1'}
    """

    EVENT_TYPES: ClassVar[tuple[str, ...]] = ()
    is_synchronous: ClassVar[bool] = False

    event_type: str = ""
    event_time: datetime | None = None
    tag: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.event_type:
            if not self.EVENT_TYPES:
                raise ValueError(f"{type(self).__name__} needs an event_type")
            object.__setattr__(self, "event_type", self.EVENT_TYPES[0])
        elif self.EVENT_TYPES and self.event_type not in self.EVENT_TYPES:
            allowed = ", ".join(self.EVENT_TYPES)
            raise ValueError(
                f"{type(self).__name__} stands for eventType {allowed}, not {self.event_type!r}"
            )


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class CallEvent(Event):
    """An event about one call leg; carries the fields common to call events (voice-api §9.3).

    ``privacy`` and ``caller_display_name`` echo what createCall asked for (``privacy``,
    ``display_name``) on the events of an outbound call that set them.
    """

    account_id: str | None = None
    application_id: str | None = None
    from_: str | None = None
    to: str | None = None
    direction: str | None = None
    call_id: str | None = None
    call_url: str | None = None
    enqueued_time: datetime | None = None
    start_time: datetime | None = None
    answer_time: datetime | None = None
    privacy: bool | None = None
    caller_display_name: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class _LegEvent(CallEvent):
    """A call event that may concern the B-leg of a ``<Transfer>``."""

    parent_call_id: str | None = None
    transfer_caller_id: str | None = None
    transfer_to: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class _RecordingEvent(_LegEvent):
    """A call event about a recording file."""

    recording_id: str | None = None
    media_url: str | None = None
    channels: int | None = None
    end_time: datetime | None = None
    duration: timedelta | None = None
    file_format: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class ConferenceEvent(Event):
    """An event about a conference rather than one call."""

    conference_id: str | None = None
    name: str | None = None


# -- call events ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class InitiateEvent(CallEvent):
    """An inbound call arrived; answer with the BXML that handles it."""

    EVENT_TYPES = ("initiate",)
    is_synchronous = True

    diversion: Diversion | None = None
    stir_shaken: StirShaken | None = None
    uui: str | None = None
    sip_call_id: str | None = None
    sip_headers: Mapping[str, str] | None = field(default=None, hash=False)


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class AnswerEvent(CallEvent):
    """An outbound call was answered; answer with the BXML to run."""

    EVENT_TYPES = ("answer",)
    is_synchronous = True

    machine_detection_result: MachineDetectionResult | None = None
    sip_call_id: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class BridgeCompleteEvent(CallEvent):
    """The bridge target left first, or bridging failed: then ``cause`` is busy, rejected or
    unknown (voice-api §9)."""

    EVENT_TYPES = ("bridgeComplete",)
    is_synchronous = True

    cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class BridgeTargetCompleteEvent(CallEvent):
    """The originating call left the bridge first; ``call_id`` is the target call."""

    EVENT_TYPES = ("bridgeTargetComplete",)
    is_synchronous = True


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class DisconnectEvent(CallEvent):
    """The call ended; ``cause`` says why: hangup, busy, timeout, cancel, rejected,
    callback-error, invalid-bxml, application-error, account-limit, node-capacity-exceeded,
    error or unknown (voice-api §4.2; Bandwidth may add values, so it stays a str)."""

    EVENT_TYPES = ("disconnect",)

    end_time: datetime | None = None
    cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None
    sip_call_id: str | None = None
    sip_response_code: int | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class DtmfEvent(_LegEvent):
    """One digit pressed while ``<StartGather>`` listens."""

    EVENT_TYPES = ("dtmf",)

    digit: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class GatherEvent(_LegEvent):
    """A ``<Gather>`` finished; ``digits`` is ``""`` on a timeout."""

    EVENT_TYPES = ("gather",)
    is_synchronous = True

    digits: str | None = None
    terminating_digit: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class MachineDetectionCompleteEvent(CallEvent):
    """Asynchronous answering-machine detection finished."""

    EVENT_TYPES = ("machineDetectionComplete",)

    machine_detection_result: MachineDetectionResult | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class RecordCompleteEvent(_RecordingEvent):
    """A ``<Record>`` finished with the call still up (``recordComplete``/``recordingComplete``)."""

    EVENT_TYPES = ("recordComplete", "recordingComplete")
    is_synchronous = True


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class RecordingAvailableEvent(_RecordingEvent):
    """A recording file can be downloaded from ``media_url``."""

    EVENT_TYPES = ("recordingAvailable",)

    status: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class TranscriptionAvailableEvent(_RecordingEvent):
    """The transcription of a recording is ready."""

    EVENT_TYPES = ("transcriptionAvailable",)

    transcription: Transcription | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class RedirectEvent(_LegEvent):
    """A ``<Redirect>`` verb or an updateCall redirect asks for new BXML."""

    EVENT_TYPES = ("redirect",)
    is_synchronous = True


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class ReferCompleteEvent(CallEvent):
    """A ``<Refer>`` (SIP REFER) finished: ``refer_call_status`` is ``success`` or ``failure``.

    On success the caller's endpoint talks to the refer target and the call is gone, so
    the reply is ignored; on failure the call is still up and the reply's BXML runs on it.
    ``refer_sip_response_code`` answers the REFER itself (202, 405, 603, ...);
    ``notify_sip_response_code`` is the final code the endpoint reported by NOTIFY, absent
    when the REFER was refused or no final NOTIFY came.
    """

    EVENT_TYPES = ("referComplete",)
    is_synchronous = True

    refer_call_status: str | None = None
    refer_sip_response_code: int | None = None
    notify_sip_response_code: int | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class TransferAnswerEvent(_LegEvent):
    """A ``<Transfer>`` destination answered; the BXML runs on that B-leg only."""

    EVENT_TYPES = ("transferAnswer",)
    is_synchronous = True


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class TransferCompleteEvent(_LegEvent):
    """The transfer's B-leg ended or the transfer failed; the BXML runs on the A-leg.

    ``cause`` is one of hangup, busy, timeout, cancel, rejected, callback-error, invalid-bxml,
    application-error, account-limit, node-capacity-exceeded, error or unknown (voice-api
    §4.2; Bandwidth may add values, so it stays a str).
    """

    EVENT_TYPES = ("transferComplete",)
    is_synchronous = True

    cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class TransferDisconnectEvent(_LegEvent):
    """A ``<Transfer>`` leg ended, for any reason.

    ``cause`` is one of hangup, busy, timeout, cancel, rejected, callback-error, invalid-bxml,
    application-error, account-limit, node-capacity-exceeded, error or unknown (voice-api
    §4.2; Bandwidth may add values, so it stays a str).
    """

    EVENT_TYPES = ("transferDisconnect",)

    end_time: datetime | None = None
    cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class MediaStreamStartedEvent(CallEvent):
    """A ``<StartStream>`` stream began."""

    EVENT_TYPES = ("mediaStreamStarted",)

    media_stream: MediaStream | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class MediaStreamRejectedEvent(CallEvent):
    """A ``<StartStream>`` stream could not start; ``cause`` is connection-error, duplicate,
    error or track-limit (voice-api §9)."""

    EVENT_TYPES = ("mediaStreamRejected",)

    cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None
    media_stream: MediaStream | None = None
    original_media_stream: MediaStream | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class MediaStreamStoppedEvent(CallEvent):
    """A media stream stopped (``<StopStream>``, the call ended, or an error); ``cause`` is
    closed, connection-error or error (voice-api §9)."""

    EVENT_TYPES = ("mediaStreamStopped",)

    cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None
    media_stream: MediaStream | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class RealTimeTranscriptionStartedEvent(CallEvent):
    """A ``<StartTranscription>`` transcription began."""

    EVENT_TYPES = ("realTimeTranscriptionStarted",)

    real_time_transcription: RealTimeTranscription | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class RealTimeTranscriptionRejectedEvent(CallEvent):
    """A real-time transcription could not start; ``cause`` is connection-error, duplicate,
    error or track-limit (voice-api §9)."""

    EVENT_TYPES = ("realTimeTranscriptionRejected",)

    cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None
    real_time_transcription: RealTimeTranscription | None = None
    original_transcription: RealTimeTranscription | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class RealTimeTranscriptionStoppedEvent(CallEvent):
    """A real-time transcription stopped; ``cause`` is closed, connection-error or error
    (voice-api §9)."""

    EVENT_TYPES = ("realTimeTranscriptionStopped",)

    cause: str | None = None
    error_message: str | None = None
    error_id: str | None = None
    real_time_transcription: RealTimeTranscription | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class RealTimeTranscriptionAvailableEvent(CallEvent):
    """The transcript of a real-time transcription can be downloaded."""

    EVENT_TYPES = ("realTimeTranscriptionAvailable",)

    real_time_transcription: RealTimeTranscription | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class UnknownEvent(CallEvent):
    """An ``eventType`` this library does not know; every field is kept.

    Whether Bandwidth expects BXML for it cannot be known, so ``is_synchronous`` is False.
    """


# -- conference events ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class ConferenceCreatedEvent(ConferenceEvent):
    """A conference was created; answer with conference BXML, or nothing."""

    EVENT_TYPES = ("conferenceCreated",)
    is_synchronous = True


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class ConferenceRedirectEvent(ConferenceEvent):
    """A conference redirect (REST updateConference) asks for conference BXML."""

    EVENT_TYPES = ("conferenceRedirect",)
    is_synchronous = True


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class ConferenceMemberJoinEvent(ConferenceEvent):
    """A call joined the conference; ``tag`` is the creator's."""

    EVENT_TYPES = ("conferenceMemberJoin",)
    is_synchronous = True

    call_id: str | None = None
    from_: str | None = None
    to: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class ConferenceMemberExitEvent(ConferenceEvent):
    """A call left the conference."""

    EVENT_TYPES = ("conferenceMemberExit",)
    is_synchronous = True

    call_id: str | None = None
    from_: str | None = None
    to: str | None = None


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class ConferenceCompletedEvent(ConferenceEvent):
    """The last member left; the conference is over."""

    EVENT_TYPES = ("conferenceCompleted",)


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class ConferenceRecordingAvailableEvent(ConferenceEvent):
    """A conference recording can be downloaded from ``media_url``."""

    EVENT_TYPES = ("conferenceRecordingAvailable",)

    account_id: str | None = None
    recording_id: str | None = None
    channels: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    duration: timedelta | None = None
    file_format: str | None = None
    media_url: str | None = None
    status: str | None = None


# -- parsing --------------------------------------------------------------------------------

_EVENT_CLASSES: tuple[type[Event], ...] = (
    AnswerEvent,
    BridgeCompleteEvent,
    BridgeTargetCompleteEvent,
    ConferenceCompletedEvent,
    ConferenceCreatedEvent,
    ConferenceMemberExitEvent,
    ConferenceMemberJoinEvent,
    ConferenceRecordingAvailableEvent,
    ConferenceRedirectEvent,
    DisconnectEvent,
    DtmfEvent,
    GatherEvent,
    InitiateEvent,
    MachineDetectionCompleteEvent,
    MediaStreamRejectedEvent,
    MediaStreamStartedEvent,
    MediaStreamStoppedEvent,
    RealTimeTranscriptionAvailableEvent,
    RealTimeTranscriptionRejectedEvent,
    RealTimeTranscriptionStartedEvent,
    RealTimeTranscriptionStoppedEvent,
    RecordCompleteEvent,
    RecordingAvailableEvent,
    RedirectEvent,
    ReferCompleteEvent,
    TranscriptionAvailableEvent,
    TransferAnswerEvent,
    TransferCompleteEvent,
    TransferDisconnectEvent,
)
_BY_TYPE: dict[str, type[Event]] = {name: cls for cls in _EVENT_CLASSES for name in cls.EVENT_TYPES}


def event_class(event_type: str) -> type[Event]:
    """The class :func:`parse_event` gives ``event_type`` (:class:`UnknownEvent` if unknown)."""
    return _BY_TYPE.get(event_type, UnknownEvent)


def _decode(data: Mapping[str, Any] | bytes | bytearray | str) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    if not isinstance(data, (bytes, bytearray, str)):
        raise EventParseError(f"cannot read an event from {type(data).__name__}")
    if not data.strip():
        raise EventParseError("the callback body is empty")
    try:
        decoded = json.loads(data)
    except UnicodeDecodeError:
        raise EventParseError("the callback body is not UTF-8 text") from None
    except ValueError as exc:
        raise EventParseError(f"the callback body is not JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise EventParseError(f"the callback body is a JSON {_json_type(decoded)}, not an object")
    return decoded


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def parse_event(data: Mapping[str, Any] | bytes | bytearray | str) -> Event:
    """Read a callback into its typed :class:`Event`.

    ``data`` is the JSON body (``bytes`` or ``str``), an already decoded object, or the
    query parameters of a GET callback as a mapping of strings: numbers and booleans are
    converted from their text, and nested objects may arrive JSON-encoded. An empty string
    in a typed (non-string) field reads as null.

    Raises :class:`EventParseError` when the input is not a JSON object, has no
    ``eventType``, or holds a value its field cannot take.
    """
    try:
        payload = _decode(data)
        event_type = payload.get("eventType")
        if not isinstance(event_type, str) or not event_type:
            found = "no eventType" if event_type is None else f"eventType {event_type!r}"
            raise EventParseError(
                f"not a callback event: {found} (a non-empty string is required)",
                json_path="eventType",
            )
        return event_class(event_type)._from_json(payload, "", CALLBACK)
    except WireError as exc:
        raise EventParseError(f"invalid callback event: {exc}", json_path=exc.path) from None
    except RecursionError:
        raise EventParseError("the callback is nested too deeply") from None
