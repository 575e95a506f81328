"""Tests of callcontrol.events: typed callback events, read from JSON or query parameters."""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcontrol import events as ev
from callcontrol.events import (
    AnswerEvent,
    ConferenceMemberJoinEvent,
    DisconnectEvent,
    Event,
    EventParseError,
    GatherEvent,
    InitiateEvent,
    MediaStreamRejectedEvent,
    MediaStreamStartedEvent,
    MediaStreamStoppedEvent,
    RealTimeTranscriptionAvailableEvent,
    RealTimeTranscriptionRejectedEvent,
    RealTimeTranscriptionStartedEvent,
    RealTimeTranscriptionStoppedEvent,
    RecordCompleteEvent,
    TranscriptionAvailableEvent,
    UnknownEvent,
    event_class,
    parse_event,
)
from callcontrol.exceptions import CallControlError

CONTRACT = Path(__file__).resolve().parents[2].parent / "shared" / "contract" / "bandwidth.yml"

# The 21 voice callback schemas of the contract, with the eventType each one carries.
CONTRACT_EVENTS: dict[str, tuple[str, type[Event]]] = {
    "answerCallback": ("answer", ev.AnswerEvent),
    "bridgeCompleteCallback": ("bridgeComplete", ev.BridgeCompleteEvent),
    "bridgeTargetCompleteCallback": ("bridgeTargetComplete", ev.BridgeTargetCompleteEvent),
    "conferenceCompletedCallback": ("conferenceCompleted", ev.ConferenceCompletedEvent),
    "conferenceCreatedCallback": ("conferenceCreated", ev.ConferenceCreatedEvent),
    "conferenceMemberExitCallback": ("conferenceMemberExit", ev.ConferenceMemberExitEvent),
    "conferenceMemberJoinCallback": ("conferenceMemberJoin", ev.ConferenceMemberJoinEvent),
    "conferenceRecordingAvailableCallback": (
        "conferenceRecordingAvailable",
        ev.ConferenceRecordingAvailableEvent,
    ),
    "conferenceRedirectCallback": ("conferenceRedirect", ev.ConferenceRedirectEvent),
    "disconnectCallback": ("disconnect", ev.DisconnectEvent),
    "dtmfCallback": ("dtmf", ev.DtmfEvent),
    "gatherCallback": ("gather", ev.GatherEvent),
    "initiateCallback": ("initiate", ev.InitiateEvent),
    "machineDetectionCompleteCallback": (
        "machineDetectionComplete",
        ev.MachineDetectionCompleteEvent,
    ),
    "recordingAvailableCallback": ("recordingAvailable", ev.RecordingAvailableEvent),
    "recordingCompleteCallback": ("recordingComplete", ev.RecordCompleteEvent),
    "redirectCallback": ("redirect", ev.RedirectEvent),
    "transcriptionAvailableCallback": ("transcriptionAvailable", ev.TranscriptionAvailableEvent),
    "transferAnswerCallback": ("transferAnswer", ev.TransferAnswerEvent),
    "transferCompleteCallback": ("transferComplete", ev.TransferCompleteEvent),
    "transferDisconnectCallback": ("transferDisconnect", ev.TransferDisconnectEvent),
}
# Nested schema properties that are illustrations rather than fields.
NOT_FIELDS = {"diversion.unknown"}

SYNCHRONOUS = {  # Bandwidth's webhook documentation
    "initiate", "answer", "gather", "redirect", "recordComplete", "recordingComplete",
    "transferAnswer", "transferComplete", "bridgeComplete", "bridgeTargetComplete",
    "conferenceCreated", "conferenceMemberJoin", "conferenceMemberExit", "conferenceRedirect",
    "referComplete",
}  # fmt: skip
ASYNCHRONOUS = {
    "disconnect", "dtmf", "machineDetectionComplete", "recordingAvailable",
    "conferenceRecordingAvailable", "conferenceCompleted", "transcriptionAvailable",
    "transferDisconnect", "mediaStreamStarted", "mediaStreamRejected", "mediaStreamStopped",
    "realTimeTranscriptionStarted", "realTimeTranscriptionRejected",
    "realTimeTranscriptionStopped", "realTimeTranscriptionAvailable",
}  # fmt: skip

CALL = {
    "eventTime": "2019-06-20T15:56:11.554Z",
    "accountId": "55555555",
    "applicationId": "7fc9698a-b04a-468b-9e8f-91238c0d0086",
    "from": "+15551112222",
    "to": "+15553334444",
    "direction": "outbound",
    "callId": "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
    "callUrl": "https://voice.bandwidth.com/api/v2/accounts/55555555/calls/c-95ac8d6e",
    "startTime": "2019-06-20T15:54:22.234Z",
    "answerTime": "2019-06-20T15:54:25.432Z",
}


def snake(key: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in key)
    return out + "_" if out == "from" else out


def typed_keys(event: Any) -> set[str]:
    return {key for key in event.to_dict() if key not in event.extra}


# -- the contract's callback schemas ---------------------------------------------------------


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not CONTRACT.exists():
        pytest.skip(f"the OpenAPI contract is not at {CONTRACT}; contract tests need it")
    yaml = pytest.importorskip("yaml")
    document = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    found: dict[str, Any] = document["components"]["schemas"]
    return found


def resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def sample(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """A value valid for ``schema``, built from the contract's own examples."""
    schema = resolve(schema, schemas)
    if "properties" in schema:
        return {name: sample(prop, schemas) for name, prop in schema["properties"].items()}
    if "example" in schema:
        return schema["example"]
    fallback = {"string": "x", "integer": 1, "number": 0.5, "boolean": True, "object": {}}
    return fallback[schema.get("type", "string")]


def test_the_contract_lists_exactly_the_known_voice_callbacks(schemas):
    voice = {
        name
        for name, schema in schemas.items()
        if name.endswith("Callback") and "eventType" in schema.get("properties", {})
    }
    assert voice == set(CONTRACT_EVENTS)


@pytest.mark.parametrize("schema_name", sorted(CONTRACT_EVENTS))
def test_every_contract_callback_parses_into_its_class(schema_name, schemas):
    event_type, cls = CONTRACT_EVENTS[schema_name]
    payload = sample(schemas[schema_name], schemas)
    payload["eventType"] = event_type

    event = parse_event(json.dumps(payload))

    assert type(event) is cls
    assert event.event_type == event_type
    assert event.to_dict() == payload
    assert parse_event(event.to_dict()) == event


@pytest.mark.parametrize("schema_name", sorted(CONTRACT_EVENTS))
def test_every_contract_field_is_a_typed_attribute(schema_name, schemas):
    """A field the contract adds must fail here, not land silently in ``extra``."""
    event_type, _ = CONTRACT_EVENTS[schema_name]
    payload = sample(schemas[schema_name], schemas)
    payload["eventType"] = event_type
    event = parse_event(payload)
    assert_all_typed(event, payload, "")


def assert_all_typed(record: Any, payload: dict[str, Any], path: str) -> None:
    for key, value in payload.items():
        if path + key in NOT_FIELDS:
            assert key in record.extra
            continue
        assert key not in record.extra, f"{path}{key} is not a typed field"
        attribute = getattr(record, snake(key))
        if isinstance(value, dict) and hasattr(attribute, "extra"):
            assert_all_typed(attribute, value, f"{path}{key}.")


def test_contract_field_values_are_typed(schemas):
    payload = sample(schemas["disconnectCallback"], schemas)
    payload["eventType"] = "disconnect"
    event = parse_event(payload)
    assert isinstance(event, DisconnectEvent)
    assert event.sip_response_code == 486
    assert event.event_time == datetime(2022, 6, 17, 22, 19, 40, 375000, tzinfo=timezone.utc)
    assert event.end_time is not None and event.end_time.tzinfo is not None
    assert event.from_ == payload["from"]

    payload = sample(schemas["initiateCallback"], schemas)
    payload["eventType"] = "initiate"
    event = parse_event(payload)
    assert isinstance(event, InitiateEvent)
    assert event.diversion is not None and event.diversion.orig_to == "+15558884444"
    assert event.diversion.extra == {"unknown": "unknownValue"}
    assert event.stir_shaken is not None and event.stir_shaken.attestation_indicator == "A"
    assert event.sip_headers == {"x-custom-header": "customer-value", "x-session-id": "sess-12345"}


# -- wire examples from Bandwidth's webhook pages ---------------------------------------------------------

GATHER_WIRE = {
    "eventType": "gather",
    **CALL,
    "digits": "123",
    "terminatingDigit": "#",
}


def test_the_gather_wire_example():
    event = parse_event(json.dumps(GATHER_WIRE).encode())
    assert isinstance(event, GatherEvent)
    assert event.is_synchronous
    assert (event.digits, event.terminating_digit) == ("123", "#")
    assert event.call_id == CALL["callId"]
    assert event.from_ == "+15551112222"
    assert event.answer_time == datetime(2019, 6, 20, 15, 54, 25, 432000, tzinfo=timezone.utc)
    assert event.tag is None and event.parent_call_id is None
    assert event.extra == {}
    assert event.to_dict() == GATHER_WIRE
    assert list(event.to_dict()) == list(GATHER_WIRE)


def test_a_gather_timeout_keeps_empty_digits():
    event = parse_event({**GATHER_WIRE, "digits": "", "terminatingDigit": ""})
    assert isinstance(event, GatherEvent)
    assert event.digits == "" and event.terminating_digit == ""


def test_record_complete_has_two_names():
    for name in ("recordComplete", "recordingComplete"):
        event = parse_event({"eventType": name, **CALL, "duration": "PT13.67S", "channels": 2})
        assert isinstance(event, RecordCompleteEvent)
        assert event.event_type == name and event.is_synchronous
        assert event.duration == timedelta(seconds=13, microseconds=670000)
        assert event.to_dict()["eventType"] == name
    assert RecordCompleteEvent().event_type == "recordComplete"


MEDIA_STREAM = {
    "id": "s-1",
    "name": "live",
    "destination": "wss://example.test/stream",
    "startTime": "2022-06-21T19:13:21.123Z",
    "tracks": ["inbound", "outbound"],
    "type": "WebSocket",
}
TRANSCRIPTION = {
    "id": "t-1",
    "name": "live",
    "startTime": "2022-06-21T19:13:21.123Z",
    "tracks": ["inbound"],
    "destination": "wss://example.test/transcripts",
    "stabilized": True,
}

AD_EVENTS = [
    (MediaStreamStartedEvent, {"eventType": "mediaStreamStarted", "mediaStream": MEDIA_STREAM}),
    (
        MediaStreamRejectedEvent,
        {
            "eventType": "mediaStreamRejected",
            "cause": "duplicate",
            "errorMessage": "a stream named live already runs",
            "mediaStream": MEDIA_STREAM,
            "originalMediaStream": MEDIA_STREAM,
        },
    ),
    (
        MediaStreamStoppedEvent,
        {
            "eventType": "mediaStreamStopped",
            "cause": "closed",
            "mediaStream": {**MEDIA_STREAM, "duration": "PT32.5S"},
        },
    ),
    (
        RealTimeTranscriptionStartedEvent,
        {"eventType": "realTimeTranscriptionStarted", "realTimeTranscription": TRANSCRIPTION},
    ),
    (
        RealTimeTranscriptionRejectedEvent,
        {
            "eventType": "realTimeTranscriptionRejected",
            "cause": "track-limit",
            "errorMessage": "too many tracks",
            "realTimeTranscription": TRANSCRIPTION,
            "originalTranscription": TRANSCRIPTION,
        },
    ),
    (
        RealTimeTranscriptionStoppedEvent,
        {
            "eventType": "realTimeTranscriptionStopped",
            "cause": "closed",
            "realTimeTranscription": {**TRANSCRIPTION, "duration": "PT1M2S"},
        },
    ),
    (
        RealTimeTranscriptionAvailableEvent,
        {
            "eventType": "realTimeTranscriptionAvailable",
            "realTimeTranscription": {
                **TRANSCRIPTION,
                "status": "available",
                "url": "https://voice.bandwidth.com/api/v2/transcriptions/t-1",
                "completedTime": "2022-06-21T19:14:21.123Z",
            },
        },
    ),
    (
        TranscriptionAvailableEvent,
        {
            "eventType": "transcriptionAvailable",
            "recordingId": "r-1",
            "transcription": {
                "id": "t-2",
                "url": "https://voice.bandwidth.com/api/v2/transcriptions/t-2",
                "status": "available",
                "completedTime": "2022-06-21T19:14:21.123Z",
            },
        },
    ),
]


@pytest.mark.parametrize(("cls", "body"), AD_EVENTS, ids=lambda v: getattr(v, "__name__", ""))
def test_stream_and_transcription_events(cls, body):
    payload = {**CALL, **body}
    event = parse_event(payload)
    assert type(event) is cls
    assert not event.is_synchronous
    assert event.to_dict() == payload
    assert_all_typed(event, payload, "")


def test_nested_objects_are_typed():
    event = parse_event({**CALL, **AD_EVENTS[2][1]})
    assert isinstance(event, MediaStreamStoppedEvent)
    assert event.media_stream is not None
    assert event.media_stream.tracks == ("inbound", "outbound")
    assert event.media_stream.duration == timedelta(seconds=32.5)
    assert event.media_stream.start_time == datetime(
        2022, 6, 21, 19, 13, 21, 123000, tzinfo=timezone.utc
    )
    event = parse_event({**CALL, **AD_EVENTS[3][1]})
    assert isinstance(event, RealTimeTranscriptionStartedEvent)
    assert event.real_time_transcription is not None
    assert event.real_time_transcription.stabilized is True


# -- synchronous or not ----------------------------------------------------------------------


def test_is_synchronous_follows_the_reference():
    assert SYNCHRONOUS.isdisjoint(ASYNCHRONOUS)
    for name in SYNCHRONOUS:
        assert event_class(name).is_synchronous, name
    for name in ASYNCHRONOUS:
        assert not event_class(name).is_synchronous, name
    assert not UnknownEvent.is_synchronous


def test_every_event_type_has_its_own_class():
    names = SYNCHRONOUS | ASYNCHRONOUS
    classes = {event_class(name) for name in names}
    assert UnknownEvent not in classes
    assert len(classes) == len(names) - 1  # recordComplete and recordingComplete share one
    for cls in classes:
        assert cls.__name__ in ev.__all__
        assert cls.__doc__


# -- GET callbacks: query parameters are strings ---------------------------------------------


def test_query_parameters_are_converted():
    query = {
        "eventType": "disconnect",
        **CALL,
        "answerTime": "",
        "cause": "busy",
        "sipResponseCode": "486",
        "tag": "",
    }
    event = parse_event(query)
    assert isinstance(event, DisconnectEvent)
    assert event.sip_response_code == 486
    assert event.answer_time is None
    assert event.tag == ""
    assert event.to_dict()["sipResponseCode"] == 486
    assert event.to_dict()["answerTime"] is None


def test_json_encoded_objects_in_query_parameters():
    query = {
        "eventType": "answer",
        **CALL,
        "machineDetectionResult": '{"value": "human", "duration": "PT4.9891287S"}',
    }
    event = parse_event(query)
    assert isinstance(event, AnswerEvent)
    result = event.machine_detection_result
    assert result is not None and result.value == "human"
    assert result.duration == timedelta(seconds=4, microseconds=989128)
    assert event.to_dict()["machineDetectionResult"] == {
        "value": "human",
        "duration": "PT4.9891287S",
    }

    query = {
        "eventType": "initiate",
        "diversion": '{"origTo": "+15558884444", "reason": "no-answer", "hops": "1"}',
        "stirShaken": '{"verstat": "TN-Validation-Passed"}',
        "sipHeaders": '{"x-a": "1"}',
    }
    event = parse_event(query)
    assert isinstance(event, InitiateEvent)
    assert event.diversion is not None and event.diversion.extra == {"hops": "1"}
    assert event.stir_shaken is not None and event.stir_shaken.verstat == "TN-Validation-Passed"
    assert event.sip_headers == {"x-a": "1"}

    query = {
        "eventType": "realTimeTranscriptionStarted",
        "realTimeTranscription": json.dumps(TRANSCRIPTION),
    }
    event = parse_event(query)
    assert isinstance(event, RealTimeTranscriptionStartedEvent)
    assert event.real_time_transcription is not None
    assert event.real_time_transcription.tracks == ("inbound",)


def test_scalar_strings_are_converted_inside_nested_objects():
    event = parse_event(
        {
            "eventType": "transcriptionAvailable",
            "transcription": {"speaker": "1", "confidence": "0.75", "text": "hi"},
        }
    )
    assert isinstance(event, TranscriptionAvailableEvent)
    assert event.transcription is not None
    assert (event.transcription.speaker, event.transcription.confidence) == (1, 0.75)
    event = parse_event(
        {
            "eventType": "realTimeTranscriptionStarted",
            "realTimeTranscription": '{"stabilized": "FALSE"}',
        }
    )
    assert isinstance(event, RealTimeTranscriptionStartedEvent)
    assert event.real_time_transcription is not None
    assert event.real_time_transcription.stabilized is False


# -- timestamps and durations ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-06-20T15:56:11.554Z", datetime(2019, 6, 20, 15, 56, 11, 554000, timezone.utc)),
        ("2019-06-20T15:56:11Z", datetime(2019, 6, 20, 15, 56, 11, tzinfo=timezone.utc)),
        ("2019-06-20T15:56:11.123456789Z", datetime(2019, 6, 20, 15, 56, 11, 123456, timezone.utc)),
        ("2019-06-20T17:56:11.5+02:00", datetime(2019, 6, 20, 15, 56, 11, 500000, timezone.utc)),
        ("2019-06-20T10:56:11-0500", datetime(2019, 6, 20, 15, 56, 11, tzinfo=timezone.utc)),
        ("2019-06-20T15:56:11.554", datetime(2019, 6, 20, 15, 56, 11, 554000, timezone.utc)),
    ],
)
def test_timestamps_are_aware_and_keep_their_text(text, expected):
    event = parse_event({"eventType": "redirect", "eventTime": text})
    assert event.event_time == expected
    assert event.event_time is not None and event.event_time.tzinfo is not None
    assert event.to_dict() == {"eventType": "redirect", "eventTime": text}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT4.9891287S", timedelta(seconds=4, microseconds=989128)),
        ("PT20.056S", timedelta(seconds=20, milliseconds=56)),
        ("PT0S", timedelta(0)),
        ("PT1M2,5S", timedelta(minutes=1, seconds=2.5)),
        ("P1DT2H3M4S", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("P2W", timedelta(weeks=2)),
        ("PT1.5H", timedelta(minutes=90)),
    ],
)
def test_durations_are_timedeltas_and_keep_their_text(text, expected):
    event = parse_event({"eventType": "recordingAvailable", "duration": text})
    assert event.duration == expected  # type: ignore[attr-defined]
    assert event.to_dict()["duration"] == text


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"eventTime": "yesterday"}, "eventTime"),
        ({"eventTime": "2019-13-01T00:00:00Z"}, "eventTime"),
        ({"eventTime": 1561046171}, "eventTime"),
        ({"duration": "4.98 seconds"}, "duration"),
        ({"duration": "P1M"}, "duration"),
        ({"duration": "PT"}, "duration"),
        ({"duration": "P"}, "duration"),
        ({"channels": "two"}, "channels"),
        ({"channels": True}, "channels"),
        ({"channels": 1.5}, "channels"),
        ({"callId": 42}, "callId"),
        ({"from": ["+1"]}, "from"),
        ({"tag": {"a": 1}}, "tag"),
        ({"transcription": 5}, "transcription"),
        ({"transcription": "{not json"}, "transcription"),
        ({"transcription": {"confidence": "high"}}, "transcription.confidence"),
        ({"transcription": {"completedTime": "now"}}, "transcription.completedTime"),
    ],
)
def test_a_bad_field_value_names_the_field(payload, path):
    with pytest.raises(EventParseError) as info:
        parse_event({"eventType": "transcriptionAvailable", **payload})
    assert info.value.json_path == path
    assert repr(path) in str(info.value)


def test_parse_errors_carry_the_json_path_not_a_python_field():
    """``field`` is InvalidRequestError's Python name; events speak of JSON paths instead."""
    body = {"eventType": "answer", "machineDetectionResult": {"duration": "soon"}}
    with pytest.raises(EventParseError) as info:
        parse_event(body)
    assert info.value.json_path == "machineDetectionResult.duration"
    assert not hasattr(info.value, "field")
    with pytest.raises(EventParseError) as info:
        parse_event({"from": "+15551112222"})
    assert info.value.json_path == "eventType"
    with pytest.raises(EventParseError) as info:
        parse_event(b"[]")
    assert info.value.json_path is None


def test_bad_nested_values_name_the_path():
    for body in (
        {"eventType": "mediaStreamStarted", "mediaStream": {"tracks": [1]}},
        {"eventType": "mediaStreamStarted", "mediaStream": {"tracks": "inbound"}},
        {"eventType": "initiate", "sipHeaders": {"x-a": 1}},
        {"eventType": "realTimeTranscriptionStarted", "realTimeTranscription": {"stabilized": "y"}},
    ):
        with pytest.raises(EventParseError, match="field '"):
            parse_event(body)


# -- not an event at all ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        "   ",
        b"not json",
        b'{"eventType": "gather"',
        b"\xff\xfe\x00garbage",
        b"[1, 2]",
        '"gather"',
        "42",
        "null",
        "{}",
        '{"eventType": ""}',
        '{"eventType": 5}',
        '{"eventType": null}',
        {"callId": "c-1"},
        b"[" * 100_000,
    ],
)
def test_input_that_is_not_an_event_is_refused(data):
    with pytest.raises(EventParseError) as info:
        parse_event(data)
    assert isinstance(info.value, CallControlError)
    assert isinstance(info.value, ValueError)
    assert len(str(info.value)) < 300


def test_only_json_text_or_mappings_are_read():
    with pytest.raises(EventParseError, match="list"):
        parse_event([("eventType", "gather")])  # type: ignore[arg-type]


# -- unknown event types and fields ----------------------------------------------------------


def test_an_unknown_event_type_keeps_everything():
    payload = {**CALL, "eventType": "holdStarted", "holdId": "h-1", "nested": {"a": [1, None]}}
    event = parse_event(payload)
    assert type(event) is UnknownEvent
    assert event.event_type == "holdStarted"
    assert event.call_id == CALL["callId"]
    assert event.extra == {"holdId": "h-1", "nested": {"a": [1, None]}}
    assert not event.is_synchronous
    assert event.to_dict() == payload


def test_unknown_fields_are_kept_and_nulls_stay_null():
    payload = {**GATHER_WIRE, "tag": None, "newField": {"x": 1}, "terminatingDigits": "#"}
    event = parse_event(payload)
    assert event.extra == {"newField": {"x": 1}, "terminatingDigits": "#"}
    assert event.to_dict() == payload


def test_to_dict_returns_a_copy():
    event = parse_event({**GATHER_WIRE, "newField": {"x": [1]}})
    out = event.to_dict()
    out["newField"]["x"].append(2)
    assert event.extra == {"newField": {"x": [1]}}


def test_the_input_mapping_is_not_shared():
    payload: dict[str, Any] = {"eventType": "gather", "newField": {"x": 1}}
    event = parse_event(payload)
    payload["newField"]["x"] = 2
    assert event.extra == {"newField": {"x": 1}}


# -- events built in code --------------------------------------------------------------------


def test_built_events_serialize_canonically():
    event = GatherEvent(
        call_id="c-1",
        from_="+15551112222",
        event_time=datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc),
        digits="1",
    )
    assert event.event_type == "gather"
    assert event.to_dict() == {
        "eventType": "gather",
        "eventTime": "2024-01-02T03:04:05.678Z",
        "from": "+15551112222",
        "callId": "c-1",
        "digits": "1",
    }
    assert parse_event(event.to_dict()) == event


def test_built_events_check_their_event_type_and_extra():
    with pytest.raises(ValueError, match="gather"):
        GatherEvent(event_type="answer")
    with pytest.raises(ValueError, match="needs an event_type"):
        UnknownEvent()
    with pytest.raises(ValueError, match="digits"):
        GatherEvent(extra={"digits": "1"})


def test_replace_gives_the_canonical_spelling():
    event = parse_event({"eventType": "gather", "eventTime": "2019-06-20T17:56:11.5+02:00"})
    assert isinstance(event, GatherEvent)
    changed = dataclasses.replace(event, digits="9")
    assert changed.to_dict() == {
        "eventType": "gather",
        "eventTime": "2019-06-20T15:56:11.500Z",
        "digits": "9",
    }


def test_repr_shows_only_what_is_set():
    event = parse_event({"eventType": "gather", "digits": "1", "x": 2})
    assert repr(event) == "GatherEvent(event_type='gather', digits='1', extra={'x': 2})"


# referComplete, from Bandwidth's "Refer Complete" webhook page (the <Refer> verb, SIP REFER).
REFER_COMPLETE = {
    "eventType": "referComplete",
    "eventTime": "2026-05-22T10:07:11.554Z",
    "accountId": "55555555",
    "applicationId": "7fc9698a-b04a-468b-9e8f-91238c0d0086",
    "from": "+15551112222",
    "to": "sip:ivr@example.com",
    "direction": "inbound",
    "callId": "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
    "callUrl": "https://voice.bandwidth.com/api/v2/accounts/55555555/calls/c-95ac8d6e",
    "startTime": "2026-05-22T10:06:01.234Z",
    "answerTime": "2026-05-22T10:06:02.432Z",
    "tag": "support",
    "referCallStatus": "failure",
    "referSipResponseCode": 202,
    "notifySipResponseCode": 486,
}


def test_refer_complete():
    event = parse_event(json.dumps(REFER_COMPLETE))
    assert isinstance(event, ev.ReferCompleteEvent)
    assert event.is_synchronous  # on failure the reply's BXML runs on the call
    assert (event.refer_call_status, event.refer_sip_response_code) == ("failure", 202)
    assert event.notify_sip_response_code == 486
    assert event.extra == {}
    assert event.to_dict() == REFER_COMPLETE
    refused = {**REFER_COMPLETE, "referSipResponseCode": "405"}
    del refused["notifySipResponseCode"]
    event = parse_event(refused)
    assert isinstance(event, ev.ReferCompleteEvent)
    assert event.refer_sip_response_code == 405 and event.notify_sip_response_code is None


@pytest.mark.parametrize(
    "event_type",
    ["answer", "machineDetectionComplete", "mediaStreamStarted", "realTimeTranscriptionRejected"],
)
def test_privacy_and_caller_display_name_are_typed(event_type):
    """The current webhook pages list both on the events of a call created with privacy."""
    payload = {**CALL, "eventType": event_type, "privacy": True, "callerDisplayName": "Private"}
    event = parse_event(payload)
    assert isinstance(event, ev.CallEvent)
    assert (event.privacy, event.caller_display_name) == (True, "Private")
    assert event.extra == {}
    assert event.to_dict() == payload


def test_conference_member_events():
    payload = {
        "eventType": "conferenceMemberJoin",
        "eventTime": "2022-06-17T22:19:40.375Z",
        "conferenceId": "conf-1",
        "name": "standup",
        "callId": "c-1",
        "from": "+15551112222",
        "to": "+15553334444",
        "tag": "creator",
    }
    event = parse_event(payload)
    assert isinstance(event, ConferenceMemberJoinEvent)
    assert (event.conference_id, event.call_id, event.from_) == ("conf-1", "c-1", "+15551112222")
    assert event.is_synchronous
    assert event.to_dict() == payload


# -- properties ------------------------------------------------------------------------------

EVENT_CLASSES: list[type[Event]] = sorted(
    {event_class(name) for name in SYNCHRONOUS | ASYNCHRONOUS}, key=str
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
UTC_TIMES = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(timezone.utc)
)
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
AWARE_TIMES = st.datetimes(
    min_value=datetime(1990, 1, 2), max_value=datetime(2090, 1, 1), timezones=OFFSETS
)
DURATIONS = st.timedeltas(min_value=timedelta(days=-1000), max_value=timedelta(days=1000))


@st.composite
def timestamp_texts(draw: st.DrawFn) -> str:
    moment = draw(AWARE_TIMES)
    style = draw(st.sampled_from(["ms-z", "iso", "seconds-z"]))
    if style == "ms-z":
        utc = moment.astimezone(timezone.utc)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if style == "iso":
        return moment.isoformat()
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def duration_texts(draw: st.DrawFn) -> str:
    seconds = draw(st.integers(0, 10**6))
    fraction = draw(st.sampled_from(["", ".5", ".98", ".9891287", ".000"]))
    if draw(st.booleans()):
        return f"PT{seconds}{fraction}S"
    hours, rest = divmod(seconds, 3600)
    return f"PT{hours}H{rest // 60}M{rest % 60}{fraction}S"


def field_types(cls: type) -> dict[str, Any]:
    """The typed fields of a record class: attribute -> the type without ``| None``."""
    hints = typing.get_type_hints(cls)
    out = {}
    for item in dataclasses.fields(cls):
        if item.init and item.name != "extra":
            args = [a for a in typing.get_args(hints[item.name]) if a is not type(None)]
            out[item.name] = args[0] if args else hints[item.name]
    return out


def json_key(attr: str) -> str:
    head, *rest = attr.rstrip("_").split("_")
    return head + "".join(part.capitalize() for part in rest)


def wire_values(kind: Any) -> st.SearchStrategy[Any]:
    """JSON values a field of type ``kind`` accepts."""
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(max_size=30),
        int: st.integers(-(2**31), 2**31),
        float: st.floats(allow_nan=False, allow_infinity=False) | st.integers(-100, 100),
        bool: st.booleans(),
        datetime: timestamp_texts(),
        timedelta: duration_texts(),
    }
    if kind in simple:
        return simple[kind]
    if typing.get_origin(kind) is tuple:
        return st.lists(st.text(max_size=10), max_size=3)
    if typing.get_origin(kind) is Mapping:
        return st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
    return wire_objects(kind)


def wire_objects(
    cls: type, fixed: dict[str, Any] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads for ``cls``: any subset of its fields (null allowed), plus unknown fields."""
    types = field_types(cls)
    known = {json_key(attr) for attr in types}
    fields = {
        json_key(attr): st.none() | wire_values(kind)
        for attr, kind in types.items()
        if attr != "event_type"
    }
    extras = st.dictionaries(
        st.text(max_size=12).filter(lambda k: k not in known), JSON_VALUES, max_size=3
    )
    return st.builds(
        lambda present, extra: {**(fixed or {}), **present, **extra},
        st.fixed_dictionaries({}, optional=fields),
        extras,
    )


@st.composite
def wire_events(draw: st.DrawFn) -> dict[str, Any]:
    cls: type[Event] = draw(st.sampled_from([*EVENT_CLASSES, UnknownEvent]))
    if cls is UnknownEvent:
        event_type = draw(st.text(min_size=1, max_size=10).filter(lambda t: t not in ev._BY_TYPE))
    else:
        event_type = draw(st.sampled_from(cls.EVENT_TYPES))
    return draw(wire_objects(cls, {"eventType": event_type}))


@given(wire_events())
def test_generated_payloads_parse_and_round_trip(payload):
    event = parse_event(payload)
    assert type(event) is event_class(payload["eventType"])
    assert event.to_dict() == payload
    assert list(event.to_dict()) == list(payload)
    assert parse_event(json.dumps(payload)) == event
    assert parse_event(event.to_dict()) == event


def reference_read(cls: type, data: Mapping[str, Any], reading: Any) -> Any:
    """Read a record the plain way: every field through its kind, then the constructor."""
    from callcontrol._wire import Wire, WireError, field_specs

    specs = field_specs(cls)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for key, value in data.items():
        spec = specs.get(key)
        if spec is None:
            extra[key] = value
        elif value is None:
            values[spec.attr] = None
        else:
            try:
                values[spec.attr] = loaded = spec.kind.load(value, key, reading)
            except WireError:
                if reading.on_error == "raise":
                    raise
                extra[key] = value
                continue
            if spec.kind.keeps_text and loaded is not None:
                texts[key] = value
    record = cls(extra=extra, **values)
    object.__setattr__(record, "_wire", Wire(tuple(data), texts))
    return record


NESTED_CLASSES = [
    ev.MachineDetectionResult,
    ev.Diversion,
    ev.StirShaken,
    ev.Transcription,
    ev.MediaStream,
    ev.RealTimeTranscription,
]


@given(
    wire_events().map(lambda payload: (event_class(payload["eventType"]), payload))
    | st.sampled_from(NESTED_CLASSES).flatmap(
        lambda cls: wire_objects(cls).map(lambda payload: (cls, payload))
    ),
    st.sampled_from(["callback", "response"]),
)
def test_the_fast_read_gives_what_the_constructor_gives(
    case: tuple[type, dict[str, Any]], how: str
) -> None:
    from callcontrol._wire import CALLBACK, RESPONSE

    cls, payload = case
    reading = CALLBACK if how == "callback" else RESPONSE
    fast = cls._from_json(payload, "", reading)  # type: ignore[attr-defined]
    reference = reference_read(cls, payload, reading)
    assert type(fast) is type(reference)
    assert fast == reference
    assert list(vars(fast)) == list(vars(reference))
    assert vars(fast) == vars(reference)
    assert fast.to_dict() == reference.to_dict()
    assert list(fast.to_dict()) == list(reference.to_dict())


def as_query(payload: dict[str, Any]) -> dict[str, str]:
    """The query parameters of a GET callback carrying ``payload`` (nulls left out)."""
    out = {}
    for key, value in payload.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            out[key] = json.dumps(value)
        else:
            out[key] = str(value)
    return out


@given(wire_events())
def test_generated_query_parameters_give_the_same_typed_fields(payload):
    from_json = parse_event(payload)
    from_query = parse_event(as_query(payload))
    assert type(from_query) is type(from_json)
    for attr in field_types(type(from_json)):
        assert getattr(from_query, attr) == getattr(from_json, attr), attr


@given(
    st.sampled_from(EVENT_CLASSES).flatmap(
        lambda cls: st.fixed_dictionaries(
            {"eventType": st.sampled_from(cls.EVENT_TYPES)},
            optional={
                json_key(attr): JSON_VALUES for attr in field_types(cls) if attr != "event_type"
            },
        )
    )
)
def test_any_json_in_known_fields_parses_or_raises_event_parse_error(payload):
    try:
        event = parse_event(payload)
    except EventParseError as exc:
        assert exc.json_path is not None
    else:
        assert parse_event(event.to_dict()) == event


def typed_values(kind: Any) -> st.SearchStrategy[Any]:
    """Python values of a field of type ``kind``."""
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(max_size=30),
        int: st.integers(-(2**31), 2**31),
        float: st.floats(allow_nan=False, allow_infinity=False),
        bool: st.booleans(),
        datetime: UTC_TIMES | AWARE_TIMES,
        timedelta: DURATIONS,
    }
    if kind in simple:
        return simple[kind]
    if typing.get_origin(kind) is tuple:
        return st.lists(st.text(max_size=10), max_size=3).map(tuple)
    if typing.get_origin(kind) is Mapping:
        return st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
    return built(kind)


def built(cls: type, **fixed: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    types = field_types(cls)
    known = {json_key(attr) for attr in types}
    values = {attr: st.none() | typed_values(kind) for attr, kind in types.items()}
    values.pop("event_type", None)
    extra = st.dictionaries(
        st.text(max_size=12).filter(lambda k: k not in known), JSON_VALUES, max_size=2
    )
    return st.builds(cls, extra=extra, **values, **fixed)


@given(
    st.sampled_from(EVENT_CLASSES).flatmap(
        lambda cls: built(cls, event_type=st.sampled_from(cls.EVENT_TYPES))
    )
)
def test_built_events_round_trip_through_to_dict(event):
    payload = event.to_dict()
    assert json.loads(json.dumps(payload)) == payload
    assert parse_event(payload) == event
    assert parse_event(payload).to_dict() == payload


def test_equality_and_hash_follow_the_fields():
    payload = {**CALL, "eventType": "redirect", "tag": "t", "newField": [1]}
    parsed = parse_event(payload)
    built = ev.RedirectEvent(**{f: getattr(parsed, f) for f in field_types(ev.RedirectEvent)})
    assert built != parsed  # extra differs
    built = dataclasses.replace(built, extra={"newField": [1]})
    assert built == parsed and hash(built) == hash(parsed)
    assert parse_event({**payload, "eventType": "gather"}) != parsed  # another class
    assert parsed != payload
    assert dataclasses.replace(parsed, tag="u") != parsed


def test_every_event_with_a_cause_documents_its_values() -> None:
    import dataclasses

    from callcontrol import events

    with_cause = [
        cls
        for cls in vars(events).values()
        if isinstance(cls, type)
        and dataclasses.is_dataclass(cls)
        and "cause" in {f.name for f in dataclasses.fields(cls)}
    ]
    assert len(with_cause) >= 8
    for cls in with_cause:
        doc = " ".join((cls.__doc__ or "").split())
        assert "``cause`` is" in doc or "``cause`` says why:" in doc, cls.__name__
        assert "voice-api §" in doc, cls.__name__
