"""Every payload the engine builds parses back with parse_event and fits the contract.

Schemas come from ../shared/contract/bandwidth.yml, closed (no unknown keys at any depth)
so a misspelt field fails. Event types the contract lacks (media streams, real-time
transcription) are checked with parse_event only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcontrol import parse_event
from callcontrol.engine import payloads
from callcontrol.testing import (
    Callback,
    CallSimulator,
    answers,
    busy,
    hang_up,
    leave_message,
    machine,
    press,
    silence,
)

from .apps import RoutesApp, xml

SPEC_PATH = next(
    (
        folder / "shared/contract/bandwidth.yml"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared/contract/bandwidth.yml").is_file()
    ),
    Path(__file__).resolve().parents[3].parent / "shared/contract/bandwidth.yml",
)
SCHEMAS = {
    "initiate": "initiateCallback",
    "answer": "answerCallback",
    "gather": "gatherCallback",
    "redirect": "redirectCallback",
    "disconnect": "disconnectCallback",
    "dtmf": "dtmfCallback",
    "recordComplete": "recordingCompleteCallback",
    "recordingAvailable": "recordingAvailableCallback",
    "transferAnswer": "transferAnswerCallback",
    "transferComplete": "transferCompleteCallback",
    "transferDisconnect": "transferDisconnectCallback",
    "bridgeComplete": "bridgeCompleteCallback",
    "machineDetectionComplete": "machineDetectionCompleteCallback",
    "conferenceCreated": "conferenceCreatedCallback",
    "conferenceMemberJoin": "conferenceMemberJoinCallback",
    "conferenceMemberExit": "conferenceMemberExitCallback",
    "conferenceCompleted": "conferenceCompletedCallback",
    "conferenceRecordingAvailable": "conferenceRecordingAvailableCallback",
}
# Fields the Bandwidth docs (voice-api §9.4) list but the contract's schema does not.
DOCUMENTED_EXTRAS = {"transferAnswer": {"parentCallId"}}

AGENT, OTHER = "+15550001111", "+15550002222"
ALICE, BOB = "sip:alice@pbx.example.com", "sip:bob@pbx.example.com"
_STRING, _TIME = {"type": "string"}, {"type": "string", "format": "date-time"}
# The contract has no referComplete schema: this one is written from Bandwidth's
# "Refer Complete" webhook page, closed and with the fields it always lists required.
REFER_COMPLETE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "eventType",
        "eventTime",
        "accountId",
        "applicationId",
        "from",
        "to",
        "direction",
        "callId",
        "callUrl",
        "startTime",
        "answerTime",
        "referCallStatus",
    ],
    "properties": {
        "eventType": {"const": "referComplete"},
        "eventTime": _TIME,
        "accountId": _STRING,
        "applicationId": _STRING,
        "from": _STRING,
        "to": _STRING,
        "direction": {"enum": ["inbound", "outbound"]},
        "callId": _STRING,
        "callUrl": {"type": "string", "format": "uri"},
        "startTime": _TIME,
        "answerTime": _TIME,
        "tag": _STRING,
        "referCallStatus": {"enum": ["success", "failure"]},
        "referSipResponseCode": {"type": "integer", "minimum": 100, "maximum": 699},
        "notifySipResponseCode": {"type": "integer", "minimum": 100, "maximum": 699},
    },
}
FLOWS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "inbound",
        {
            "/answer": xml(
                '<Tag>t</Tag><StartGather dtmfUrl="/dtmf"/><SpeakSentence>hi there</SpeakSentence>'
                '<StopGather/><Gather gatherUrl="/g" maxDigits="1"/>'
            ),
            "/g": xml('<Redirect redirectUrl="/rec"/>'),
            "/rec": xml(
                '<StartRecording recordingAvailableUrl="/file" transcribe="true" '
                'transcriptionAvailableUrl="/text"/>'
                '<Record recordCompleteUrl="/xfer" recordingAvailableUrl="/file"/>'
            ),
            "/xfer": xml(
                f'<Transfer transferCompleteUrl="/bridge" transferCallerId="+15559990000">'
                f'<PhoneNumber transferAnswerUrl="/whisper" transferDisconnectUrl="/bd">{AGENT}'
                f'</PhoneNumber><PhoneNumber transferDisconnectUrl="/bd">{OTHER}</PhoneNumber>'
                "</Transfer>"
            ),
            "/whisper": xml(
                '<StartGather dtmfUrl="/dtmf"/><Gather gatherUrl="/bg" firstDigitTimeout="1"/>'
            ),
            "/bg": xml("<SpeakSentence>bridging</SpeakSentence>"),
            "/bridge": xml('<Bridge bridgeCompleteUrl="/streams">c-x</Bridge>'),
            "/streams": xml(
                '<StartStream name="a" destination="wss://s.test" streamEventUrl="/se"/>'
                '<StartStream name="a" destination="wss://s.test" streamEventUrl="/se"/>'
                '<StartTranscription name="b" destination="wss://s.test" transcriptionEventUrl="/te"/>'
                '<Pause duration="1"/>'
            ),
        },
        {
            "script": [press("5", barge_in=0.1), press("1"), leave_message(2)],
            "destinations": {AGENT: answers(after=1, hangs_up_after=5), OTHER: answers(after=3)},
        },
    ),
    (
        "outbound",
        {
            "/answer": xml(
                f'<Transfer transferCompleteUrl="/c"><PhoneNumber transferDisconnectUrl="/bd">{AGENT}</PhoneNumber></Transfer>'
            ),
            "/c": xml('<Gather gatherUrl="/g" gatherMethod="GET" firstDigitTimeout="1"/>'),
        },
        {"script": [silence()], "destinations": {AGENT: busy()}},
    ),
    (
        "inbound",
        {
            "/answer": xml(
                f'<Tag>r</Tag><Refer referCompleteUrl="/rc"><SipUri>{BOB}</SipUri></Refer>'
            ),
            "/rc": xml(f'<Refer referCompleteUrl="/rc2"><SipUri>{ALICE}</SipUri></Refer>'),
        },
        {
            "from_": "sip:caller@pbx.example.com",
            "destinations": {BOB: busy(), ALICE: answers(after=1)},
        },
    ),
    (
        "inbound",
        {
            "/answer": xml('<Tag>t1</Tag><Conference conferenceEventUrl="/conf">room</Conference>'),
            "/conf": lambda event: (
                xml(
                    '<StartRecording recordingAvailableUrl="/crec"/>'
                    "<SpeakSentence>welcome</SpeakSentence>"
                )
                if event["eventType"] == "conferenceCreated"
                else None
            ),
        },
        {"script": [hang_up(after=10)]},
    ),
    (
        "outbound",
        {"/answer": xml('<Pause duration="12"/>')},
        {"machine_detection": {"mode": "sync"}, "destinations": {"+15553334444": machine()}},
    ),
    (
        "outbound",
        {"/answer": xml('<Tag>amd</Tag><Pause duration="12"/>')},
        {"machine_detection": {"callbackUrl": "/amd"}},
    ),
]


def all_callbacks() -> list[Callback]:
    out: list[Callback] = []
    for direction, routes, kwargs in FLOWS:
        app = RoutesApp(routes)
        sim = CallSimulator(app, base_url="https://ivr.test", username="u", password="p")
        start = sim.inbound if direction == "inbound" else sim.outbound
        call = start("/answer", disconnect_url="/status", **kwargs)
        out.extend(call.callbacks)
    return out


CALLBACKS = all_callbacks()
EVENT_TYPES = {cb.event_type for cb in CALLBACKS}


def test_the_flows_cover_every_event_the_engine_sends():
    assert EVENT_TYPES >= {
        *SCHEMAS,
        "referComplete",
        "mediaStreamStarted",
        "mediaStreamRejected",
        "mediaStreamStopped",
        "realTimeTranscriptionStarted",
        "realTimeTranscriptionStopped",
        "realTimeTranscriptionAvailable",
        "transcriptionAvailable",
    }


@pytest.mark.parametrize("index", range(len(CALLBACKS)))
def test_payload_round_trips_through_parse_event(index):
    payload = CALLBACKS[index].payload
    event = parse_event(payload)
    assert event.event_type == payload["eventType"]
    assert event.to_dict() == payload
    assert not event.extra, f"fields parse_event does not know: {sorted(event.extra)}"


# -- the contract ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec():
    if not SPEC_PATH.is_file():
        pytest.skip(f"the OpenAPI contract is not here ({SPEC_PATH})")
    yaml = pytest.importorskip("yaml")
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def resolve(spec: dict[str, Any], node: Any) -> Any:
    if isinstance(node, list):
        return [resolve(spec, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return resolve(spec, target)
    out = {key: resolve(spec, value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def closed(node: Any, extras: Iterable[str] = frozenset()) -> Any:
    node = copy.deepcopy(node)
    for name in extras:
        node["properties"][name] = {"type": "string"}
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if "properties" in current:
                current.setdefault("additionalProperties", False)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return node


@pytest.mark.parametrize("event_type", sorted(SCHEMAS))
def test_payloads_validate_against_the_contract(spec, event_type):
    jsonschema = pytest.importorskip("jsonschema")
    schema = closed(
        resolve(spec, spec["components"]["schemas"][SCHEMAS[event_type]]),
        DOCUMENTED_EXTRAS.get(event_type, ()),
    )
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    payloads = [cb.payload for cb in CALLBACKS if cb.event_type == event_type]
    assert payloads
    for payload in payloads:
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(payload)]
        assert not errors, f"{event_type}: {errors}"


def test_refer_complete_payloads_fit_the_documented_fields():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(
        REFER_COMPLETE_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    payloads = [cb.payload for cb in CALLBACKS if cb.event_type == "referComplete"]
    assert {p["referCallStatus"] for p in payloads} == {"success", "failure"}
    for payload in payloads:
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(payload)]
        assert not errors, errors


@given(
    start=st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5)), None]),
    ),
    ms=st.integers(min_value=0, max_value=400 * 86_400_000),
)
def test_timestamp_is_the_start_plus_the_virtual_milliseconds_in_utc(start, ms):
    expected = (start + timedelta(milliseconds=ms)).astimezone(timezone.utc)
    text = expected.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    assert payloads.timestamp(start, ms) == text
