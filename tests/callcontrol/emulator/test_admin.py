"""The emulator's own HTTP API under /_emulator (callees, destinations, faults, clock, timeline)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from callcontrol.emulator import VoiceEmulator

from .helpers import CALLEE, auth, call_body, calls_path, ivr_app


def admin(
    emu: VoiceEmulator, method: str, path: str, body: Any = None, **headers: str
) -> requests.Response:
    root = emu.base_url.removesuffix("/api/v2")
    sent = {"Authorization": auth(), **headers}
    return requests.request(method, root + "/_emulator" + path, json=body, headers=sent, timeout=10)


def test_info_names_the_account_and_clock() -> None:
    with VoiceEmulator(clock="manual") as emu:
        info = admin(emu, "GET", "").json()
        assert info["accountId"] == "9900000" and info["clock"] == "manual"
        assert "password" not in info


def test_a_call_scripted_over_http_end_to_end() -> None:
    with VoiceEmulator(app=ivr_app(), clock="manual") as emu:
        assert (
            admin(
                emu, "POST", "/callees", {"number": CALLEE, "script": [{"press": "7"}]}
            ).status_code
            == 204
        )
        created = requests.post(
            emu.base_url + calls_path(emu),
            json=call_body(emu),
            headers={"Authorization": auth()},
            timeout=10,
        ).json()
        assert admin(emu, "POST", "/advance", {"seconds": 30}).status_code == 204
        timeline = admin(emu, "GET", f"/calls/{created['callId']}/timeline").json()
        assert timeline["pressed"] == ["7"]
        assert "You pressed 7." in timeline["heard"]
        assert [c["eventType"] for c in timeline["callbacks"]] == ["answer", "gather"]
        assert timeline["state"] == "disconnected" and timeline["disconnectCause"] == "hangup"
        assert any("pressed   7" in line for line in timeline["lines"])
        events = timeline["events"]
        assert [e["verb"] for e in events if e["type"] == "VerbStarted"][:1] == ["Gather"]


def test_destinations_and_faults_over_http() -> None:
    with VoiceEmulator(app=ivr_app(), clock="manual") as emu:
        assert (
            admin(emu, "POST", "/destinations", {"number": CALLEE, "behaviour": "busy"}).status_code
            == 204
        )
        assert (
            admin(emu, "POST", "/faults", {"operation": "createCall", "status": 503}).status_code
            == 204
        )
        headers = {"Authorization": auth()}
        url = emu.base_url + calls_path(emu)
        assert (
            requests.post(url, json=call_body(emu), headers=headers, timeout=10).status_code == 503
        )
        created = requests.post(url, json=call_body(emu), headers=headers, timeout=10).json()
        emu.advance(10)
        assert emu.client().get_call_state(created["callId"]).disconnect_cause == "busy"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/callees", {"number": "", "script": []}, "number must be a non-empty string"),
        (
            "/callees",
            {"number": CALLEE, "script": [{"press": "x"}]},
            "digits must be one or more of 0-9",
        ),
        ("/callees", {"number": CALLEE, "script": [{"dance": True}]}, "script[0]"),
        ("/destinations", {"number": CALLEE, "behaviour": "maybe"}, "behaviour must be"),
        (
            "/faults",
            {"operation": "createCall", "status": 503, "colour": 1},
            "Unknown field 'colour'",
        ),
        ("/faults", {"operation": "nope", "status": 503}, "unknown operation"),
        ("/advance", {"seconds": -1}, "seconds must be a number, 0 or more"),
    ],
)
def test_bad_admin_requests_get_400(path: str, body: dict[str, Any], message: str) -> None:
    with VoiceEmulator(clock="manual") as emu:
        reply = admin(emu, "POST", path, body)
        assert reply.status_code == 400
        assert message in reply.json()["description"]


def test_admin_statuses() -> None:
    with VoiceEmulator() as emu:
        assert admin(emu, "GET", "", Authorization="Basic eDp5").status_code == 401
        assert admin(emu, "GET", "/nothing").status_code == 404
        assert admin(emu, "GET", "/callees").status_code == 405
        assert admin(emu, "GET", "/calls/c-none/timeline").status_code == 404
        assert admin(emu, "POST", "/advance", {"seconds": 1}).status_code == 409
        reply = requests.post(
            emu.base_url.removesuffix("/api/v2") + "/_emulator/faults",
            data=b"{}",
            headers={"Authorization": auth(), "Content-Type": "text/plain"},
            timeout=10,
        )
        assert reply.status_code == 415


DOCS = Path(__file__).resolve().parents[3] / "docs" / "emulator.md"
EXAMPLE = re.compile(
    r"```http\n(?P<method>GET|POST) (?P<path>/_emulator\S*)\n(?P<body>.*?)```", re.S
)


def documented_examples() -> list[tuple[str, str, str]]:
    return [(m["method"], m["path"], m["body"].strip()) for m in EXAMPLE.finditer(DOCS.read_text())]


def test_the_docs_show_every_admin_route() -> None:
    shown = {
        path.split("/")[2] if path.count("/") > 1 else "" for _, path, _ in documented_examples()
    }
    assert shown == {"callees", "destinations", "faults", "advance", "calls"}


def test_every_documented_admin_example_is_accepted() -> None:
    with VoiceEmulator(app=ivr_app(), clock="manual") as emu:
        created = emu.client().create_call(
            to=CALLEE, from_="+15551230000", answer_url=f"{emu.app_url}/answer", application_id="a"
        )
        for method, path, body in documented_examples():
            path = path.replace("{callId}", created.call_id).removeprefix("/_emulator")
            reply = admin(emu, method, path, json.loads(body) if body else None)
            assert reply.status_code in (200, 204), (path, reply.text)
        emu.faults.clear()
