"""Every REST answer and every callback of whole emulated calls against bandwidth.yml.

REST bodies are checked against the operation's documented response for that status;
callbacks against their ``*Callback`` schema, closed (no field the schema lacks) and with
the [CALL] fields of voice-api §9.3 required. The ``Link`` format follows voice-api §5.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from bxml import Bxml, Hangup, SpeakSentence
from callcontrol.emulator import Exchange, VoiceEmulator
from callcontrol.testing import busy, press
from tests.callcontrol.test_contract import SPEC_PATH, closed, resolve
from tests.wsgi_server import serve_wsgi

from .helpers import CALLEE, CALLER, call_body, calls_path, ivr_app, raw

PATHS = {
    "createCall": ("/accounts/{accountId}/calls", "post"),
    "listCalls": ("/accounts/{accountId}/calls", "get"),
    "getCallState": ("/accounts/{accountId}/calls/{callId}", "get"),
    "updateCall": ("/accounts/{accountId}/calls/{callId}", "post"),
    "updateCallBxml": ("/accounts/{accountId}/calls/{callId}/bxml", "put"),
    "getStatistics": ("/accounts/{accountId}/statistics", "get"),
}
CALL_FIELDS = [
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
]
SCHEMA_OF = {"recordComplete": "recordingCompleteCallback"}
LINK = re.compile(r'<(?P<url>https?://[^>]+[?&]pageToken=[^>&]+[^>]*)>; rel="next"')


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    import yaml

    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # type: ignore[no-any-return]


def _run_calls() -> list[Exchange]:
    with (
        serve_wsgi(ivr_app(), threads=8) as url,
        VoiceEmulator(app=url, speed=200.0, calls_per_second=50.0) as emu,
    ):
        client = emu.client()
        emu.callee(CALLEE, script=[press("1")])
        emu.destination("+15550001111", busy())
        common = {"from_": CALLER, "application_id": "app-1", "disconnect_url": f"{url}/disconnect"}
        pressed = client.create_call(to=CALLEE, answer_url=f"{url}/answer", tag="t1", **common)
        emu.wait_for(pressed.call_id, state="disconnected")
        replaced = client.create_call(to="+15550002222", answer_url=f"{url}/answer", **common)
        emu.wait_for(replaced.call_id, verb="Gather")
        client.update_call_bxml(replaced.call_id, Bxml(SpeakSentence("Bye"), Hangup()))
        redirected = client.create_call(to="+15550002222", answer_url=f"{url}/answer", **common)
        emu.wait_for(redirected.call_id, verb="Gather")
        client.redirect(redirected.call_id, f"{url}/redirected")
        engaged = client.create_call(to="+15550001111", answer_url=f"{url}/answer", **common)
        for call_id in (replaced.call_id, redirected.call_id, engaged.call_id):
            emu.wait_for(call_id, state="disconnected")
            client.get_call_state(call_id)
        list(client.list_calls(page_size=2))
        raw(emu, "GET", f"/accounts/{emu.account_id}/statistics")
        # error answers
        raw(emu, "POST", calls_path(emu, pressed.call_id), {"redirectUrl": f"{url}/x"})  # 409
        raw(emu, "POST", calls_path(emu), call_body(emu, to="nope"))  # 400
        raw(emu, "GET", calls_path(emu), authorization="Basic eDp5")  # 401
        raw(emu, "GET", "/accounts/42/calls")  # 403
        raw(emu, "GET", calls_path(emu, "c-missing"))  # 404
        raw(emu, "DELETE", calls_path(emu))  # 405
        raw(emu, "POST", calls_path(emu), call_body(emu), content_type="text/plain")  # 415
        emu.faults.next("createCall", status=429)
        raw(emu, "POST", calls_path(emu), call_body(emu))  # 429
        emu.faults.next("listCalls", status=500)
        raw(emu, "GET", calls_path(emu))  # 500
    return list(emu.exchanges)


@pytest.fixture(scope="module")
def exchanges() -> list[Exchange]:
    return _run_calls()


def test_every_rest_answer_matches_the_contract(
    spec: dict[str, Any], exchanges: list[Exchange]
) -> None:
    rest = [e for e in exchanges if e.kind == "rest" and e.operation]
    assert {e.status for e in rest} >= {200, 201, 204, 400, 401, 403, 404, 405, 409, 415, 429, 500}
    for exchange in rest:
        path, method = PATHS[exchange.operation]
        documented = spec["paths"][path][method]["responses"]
        assert str(exchange.status) in documented, (exchange.operation, exchange.status)
        response = resolve(spec, documented[str(exchange.status)])
        headers = dict(exchange.headers)
        if exchange.status == 201:
            assert headers["Location"].startswith("http")
        if exchange.status == 429:
            assert headers["Retry-After"]
        content = response.get("content", {}).get("application/json")
        if content is None:
            assert exchange.body == b"", exchange
            continue
        jsonschema.validate(json.loads(exchange.body), closed(content["schema"]))


def test_link_headers_follow_voice_api_section_5(exchanges: list[Exchange]) -> None:
    links = [
        dict(e.headers)["Link"] for e in exchanges if e.kind == "rest" and "Link" in dict(e.headers)
    ]
    assert links
    for link in links:
        assert LINK.fullmatch(link), link


def test_every_callback_matches_its_closed_schema(
    spec: dict[str, Any], exchanges: list[Exchange]
) -> None:
    callbacks = [e for e in exchanges if e.kind == "callback"]
    kinds = {e.operation for e in callbacks}
    assert kinds >= {"answer", "gather", "redirect", "disconnect"}
    for exchange in callbacks:
        name = SCHEMA_OF.get(exchange.operation, exchange.operation + "Callback")
        schema = closed(resolve(spec, spec["components"]["schemas"][name]))
        schema["required"] = [f for f in CALL_FIELDS if f in schema["properties"]]
        payload = json.loads(exchange.body)
        jsonschema.validate(payload, schema)
        assert payload["eventType"] == exchange.operation
