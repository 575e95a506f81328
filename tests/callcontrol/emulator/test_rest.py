"""The Calls REST API's semantics: auth, validation, statuses, headers, listing and retention."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcontrol import ConflictError
from callcontrol.emulator import VoiceEmulator

from .helpers import CALLEE, auth, call_body, calls_path, raw


@pytest.fixture
def emu() -> Iterator[VoiceEmulator]:
    with VoiceEmulator(clock="manual", seed=1) as emulator:
        yield emulator


def test_create_call_answers_201_with_location_and_version(emu: VoiceEmulator) -> None:
    reply = raw(emu, "POST", calls_path(emu), call_body(emu, password=None))
    assert reply.status_code == 201
    body = reply.json()
    assert reply.headers["Location"] == f"{emu.base_url}/accounts/9900000/calls/{body['callId']}"
    assert body["callUrl"] == reply.headers["Location"]
    assert reply.headers["X-Emulator-Version"]
    assert body["answerMethod"] == "POST" and body["priority"] == 5


def test_create_call_masks_passwords(emu: VoiceEmulator) -> None:
    body = call_body(emu, username="u", password="p4ss", answerUrl="http://127.0.0.1:9/a")
    created = raw(emu, "POST", calls_path(emu), body).json()
    assert created["username"] == "u" and created["password"] == "*****"
    assert "p4ss" not in str(created)


@pytest.mark.parametrize(
    ("authorization", "status", "kind"),
    [
        ("Basic bm9ib2R5Om5vcGU=", 401, "authentication-error"),
        ("Bearer token", 401, "authentication-error"),
        (auth(password="wrong"), 401, "authentication-error"),
    ],
)
def test_bad_credentials_get_401(
    emu: VoiceEmulator, authorization: str, status: int, kind: str
) -> None:
    reply = raw(emu, "GET", calls_path(emu), authorization=authorization)
    assert reply.status_code == status
    assert reply.json()["type"] == kind


def test_another_account_gets_403(emu: VoiceEmulator) -> None:
    reply = raw(emu, "GET", "/accounts/1234567/calls")
    assert reply.status_code == 403
    assert reply.json() == {
        "type": "authorization-error",
        "description": "Access is denied",
        "id": "",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"to": "5553334444"}, "Invalid to: must be an E164 telephone number"),
        ({"from": "alice"}, "Invalid from: must be an E164 telephone number"),
        (
            {"to": None},
            "Missing at least one required field. Required fields are [from, to, answerUrl, applicationId] (missing: to)",
        ),
        ({"answerUrl": "ftp://x/y"}, "Invalid answerUrl: only http and https are allowed"),
        ({"answerMethod": "PUT"}, "Invalid answerMethod. Supported methods: [POST, GET]"),
        ({"callTimeout": 301}, "callTimeout must be within the range [1, 300], but was 301"),
        ({"callbackTimeout": 0.5}, "callbackTimeout must be within the range [1, 25], but was 0.5"),
        ({"priority": 2.5}, "priority must be an integer"),
        ({"tag": "x" * 4097}, "tag must contain at most 4096 characters"),
        ({"colour": "red"}, "Unknown field 'colour' for createCall"),
        (
            {"machineDetection": {"mode": "async"}},
            "machineDetection.callbackUrl is required when mode is async",
        ),
        ({"machineDetection": {"mode": "later"}}, "Invalid machineDetection: "),
        (
            {"machineDetection": {"mode": "sync", "colour": 1}},
            "machineDetection has an unknown field 'colour'; the fields are [mode, ",
        ),
        ({"machineDetection": "sync"}, "machineDetection must be a JSON object"),
        (
            {
                "machineDetection": {
                    "callbackUrl": "http://ivr.example.com/amd",
                    "username": "u",
                    "password": "p",
                }
            },
            "Invalid callbackUrl: must be https when username and password are set",
        ),
        ({"username": "u"}, "username and password go together"),
        (
            {"username": "u", "password": "p", "answerUrl": "http://ivr.example.com/a"},
            "Invalid answerUrl: must be https when username and password are set",
        ),
    ],
)
def test_invalid_create_call_gets_400_naming_the_field(
    emu: VoiceEmulator, change: dict[str, object], message: str
) -> None:
    reply = raw(emu, "POST", calls_path(emu), call_body(emu, **change))
    assert reply.status_code == 400
    error = reply.json()
    assert error["type"] == "validation"
    assert error["description"].startswith(message)
    assert emu.created_calls == 0


def test_body_that_is_not_json_gets_400(emu: VoiceEmulator) -> None:
    reply = raw(emu, "POST", calls_path(emu), b"{not json")
    assert reply.status_code == 400
    assert "not valid JSON" in reply.json()["description"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"],
)
def test_json_content_type_with_or_without_charset(emu: VoiceEmulator, content_type: str) -> None:
    reply = raw(emu, "POST", calls_path(emu), call_body(emu), content_type=content_type)
    assert reply.status_code == 201


@pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", None])
def test_wrong_content_type_gets_415(emu: VoiceEmulator, content_type: str | None) -> None:
    reply = raw(emu, "POST", calls_path(emu), call_body(emu), content_type=content_type)
    assert reply.status_code == 415
    assert "not supported" in reply.json()["description"]


def test_unknown_call_and_path_get_404(emu: VoiceEmulator) -> None:
    reply = raw(emu, "GET", calls_path(emu, "c-nope"))
    assert reply.status_code == 404
    assert reply.json()["description"] == "Call [c-nope] not found"
    assert raw(emu, "GET", "/accounts/9900000/conferencez").status_code == 404


def test_wrong_method_gets_405(emu: VoiceEmulator) -> None:
    assert raw(emu, "DELETE", calls_path(emu)).status_code == 405
    call_id = raw(emu, "POST", calls_path(emu), call_body(emu)).json()["callId"]
    reply = raw(emu, "GET", calls_path(emu, call_id) + "/bxml")
    assert reply.status_code == 405
    assert reply.json()["description"] == "Method Not Allowed"


def test_call_moves_from_queued_to_disconnected_with_times(emu: VoiceEmulator) -> None:
    client = emu.client()
    created = client.create_call(
        to=CALLEE, from_="+15551230000", answer_url="http://127.0.0.1:9/answer", application_id="a"
    )
    assert client.get_call_state(created.call_id).state == "queued"
    emu.advance(0)
    state = client.get_call_state(created.call_id)
    assert state.state == "disconnected"  # nothing listens on port 9: callback-error
    assert state.disconnect_cause == "callback-error"
    assert state.enqueued_time and state.start_time and state.end_time
    assert state.answer_time is not None
    assert state.enqueued_time <= state.start_time <= state.end_time


def test_update_of_an_ended_call_gets_409(emu: VoiceEmulator) -> None:
    client = emu.client()
    created = client.create_call(
        to=CALLEE, from_="+15551230000", answer_url="http://127.0.0.1:9/answer", application_id="a"
    )
    emu.advance(0)
    with pytest.raises(ConflictError) as caught:
        client.redirect(created.call_id, "http://127.0.0.1:9/next")
    assert "cannot be modified in its current state" in str(caught.value)
    reply = raw(
        emu,
        "PUT",
        calls_path(emu, created.call_id) + "/bxml",
        b"<Bxml><Hangup/></Bxml>",
        content_type="application/xml",
    )
    assert reply.status_code == 409


def test_queued_call_can_be_cancelled_not_redirected(emu: VoiceEmulator) -> None:
    client = emu.client()
    created = client.create_call(
        to=CALLEE, from_="+15551230000", answer_url="http://127.0.0.1:9/answer", application_id="a"
    )
    with pytest.raises(ConflictError):
        client.redirect(created.call_id, "http://127.0.0.1:9/next")
    client.hangup(created.call_id)
    state = client.get_call_state(created.call_id)
    assert (state.state, state.disconnect_cause, state.start_time) == (
        "disconnected",
        "cancel",
        None,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"state": "paused"}, "Invalid state"),
        ({"state": "active"}, "redirectUrl is required when state is active"),
        (
            {"state": "completed", "redirectUrl": "http://127.0.0.1:9/x"},
            "redirectUrl is not allowed when state is completed",
        ),
        (
            {"redirectUrl": "http://127.0.0.1:9/x", "redirectMethod": "PATCH"},
            "Invalid redirectMethod",
        ),
    ],
)
def test_invalid_update_call_gets_400(
    emu: VoiceEmulator, body: dict[str, object], message: str
) -> None:
    call_id = raw(emu, "POST", calls_path(emu), call_body(emu)).json()["callId"]
    reply = raw(emu, "POST", calls_path(emu, call_id), body)
    assert reply.status_code == 400
    assert reply.json()["description"].startswith(message)


def test_update_call_bxml_checks_content_type_and_document(emu: VoiceEmulator) -> None:
    call_id = raw(emu, "POST", calls_path(emu), call_body(emu)).json()["callId"]
    path = calls_path(emu, call_id) + "/bxml"
    assert raw(emu, "PUT", path, b"<Bxml/>", content_type="application/json").status_code == 415
    reply = raw(emu, "PUT", path, b"<Response><Hangup/></Response>", content_type="application/xml")
    assert reply.status_code == 400
    assert "root must be <Bxml>" in reply.json()["description"]
    hostile = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><Bxml>&a;</Bxml>'
    reply = raw(emu, "PUT", path, hostile, content_type="application/xml")
    assert reply.status_code == 400


def _create_many(emu: VoiceEmulator, count: int, **extra: object) -> list[str]:
    return [
        raw(emu, "POST", calls_path(emu), call_body(emu, **extra)).json()["callId"]
        for _ in range(count)
    ]


def test_list_calls_pages_with_link_header(emu: VoiceEmulator) -> None:
    ids = _create_many(emu, 7)
    reply = raw(emu, "GET", calls_path(emu) + "?pageSize=3")
    seen = [c["callId"] for c in reply.json()]
    pages = 1
    while "Link" in reply.headers:
        link = reply.headers["Link"]
        match = re.fullmatch(r'<(?P<url>[^>]+)>; rel="next"', link)
        assert match, link
        assert match["url"].startswith(emu.base_url + calls_path(emu) + "?")
        assert "pageToken=" in match["url"]
        reply = raw(emu, "GET", match["url"][len(emu.base_url) :])
        seen += [c["callId"] for c in reply.json()]
        pages += 1
    assert seen == ids and pages == 3


def test_list_calls_filters(emu: VoiceEmulator) -> None:
    _create_many(emu, 2)
    other = _create_many(emu, 1, to="+15550009999")
    client = emu.client()
    assert [c.call_id for c in client.list_calls(to="+15550009999")] == other
    assert len(list(client.list_calls(from_="+15551230000"))) == 3
    assert list(client.list_calls(disconnect_cause="busy")) == []
    emu.advance(1)  # 5 calls per second: the third is placed at 0.4 s
    assert len(list(client.list_calls(disconnect_cause="callback-error"))) == 3
    start = client.get_call_state(other[0]).start_time
    assert start is not None
    assert len(list(client.list_calls(min_start_time=start, max_start_time=start))) >= 1


@pytest.mark.parametrize(
    "query",
    [
        "pageSize=0",
        "pageSize=10001",
        "pageSize=x",
        "colour=red",
        "minStartTime=yesterday",
        "pageToken=%%%",
    ],
)
def test_list_calls_refuses_bad_queries(emu: VoiceEmulator, query: str) -> None:
    reply = raw(emu, "GET", calls_path(emu) + "?" + query)
    assert reply.status_code == 400
    assert reply.json()["type"] == "validation"


def test_calls_are_gone_after_seven_days(emu: VoiceEmulator) -> None:
    client = emu.client()
    created = client.create_call(
        to=CALLEE, from_="+15551230000", answer_url="http://127.0.0.1:9/answer", application_id="a"
    )
    emu.advance(days=6)
    assert client.get_call_state(created.call_id).state == "disconnected"
    emu.advance(days=2)
    assert raw(emu, "GET", calls_path(emu, created.call_id)).status_code == 404
    assert list(client.list_calls()) == []
    with pytest.raises(KeyError, match="no call"):  # purged, from the engine too
        emu.timeline(created.call_id)


_optional = {
    "answerMethod": st.sampled_from(["GET", "POST"]),
    "disconnectUrl": st.just("http://127.0.0.1:9/bye"),
    "disconnectMethod": st.sampled_from(["GET", "POST"]),
    "callTimeout": st.integers(1, 300),
    "callbackTimeout": st.floats(1, 25),
    "priority": st.integers(1, 5),
    "tag": st.text(max_size=50),
    "displayName": st.text(alphabet="abc ", max_size=20),
    "privacy": st.booleans(),
}


@settings(max_examples=15, deadline=None)
@given(
    to=st.from_regex(r"\+1[2-9][0-9]{9}", fullmatch=True),
    extra=st.fixed_dictionaries({}, optional=_optional),
)
def test_valid_create_call_bodies_are_accepted_and_echoed(
    to: str, extra: dict[str, object]
) -> None:
    """Invariant: a body within the schema's limits gets 201, and the answer echoes it."""
    with VoiceEmulator(clock="manual") as emulator:
        body = {**call_body(emulator, to=to), **extra}
        headers = {"authorization": auth(), "content-type": "application/json"}
        reply = emulator.api.handle(
            "POST", "/api/v2" + calls_path(emulator), "", headers, json.dumps(body).encode()
        )
        assert reply.status == 201, reply.body
        created = json.loads(reply.body)
        for name in (
            "to",
            "from",
            "answerUrl",
            "applicationId",
            "tag",
            "priority",
            "answerMethod",
            "disconnectUrl",
            "disconnectMethod",
        ):
            if name in body:
                assert created[name] == body[name]
        if "callTimeout" in body:
            assert created["callTimeout"] == float(body["callTimeout"])
