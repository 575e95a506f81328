"""Hostile and odd input: every request gets a 4xx with a clear message and close() raises
nothing; the emulator serves only its own address; memory stays bounded.
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import pytest
import requests

from callcontrol.emulator import EmulatorError, Exchange, VoiceEmulator
from callcontrol.emulator.emulator import MAX_EXCHANGES
from callcontrol.emulator.faults import MAX_SCRIPTED
from callcontrol.emulator.server import host_allowed

from .helpers import CALLEE, CALLER, call_body, calls_path, raw

AUTH = "Basic " + base64.b64encode(b"emulator:emulator-password").decode()


def port_of(emu: VoiceEmulator) -> int:
    return int(emu.base_url.split(":")[2].split("/")[0])


def exchange(emu: VoiceEmulator, head: str, body: bytes = b"") -> bytes:
    """Send raw bytes; return everything the emulator answers before it closes."""
    with socket.create_connection(("127.0.0.1", port_of(emu)), timeout=10) as conn:
        conn.sendall(head.encode() + body)
        conn.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return data


def request_head(emu: VoiceEmulator, path: str, *headers: str, method: str = "POST") -> str:
    lines = [f"{method} {path} HTTP/1.1", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines)


def description(data: bytes) -> str:
    body = data.split(b"\r\n\r\n", 1)[1]
    return str(json.loads(body)["description"])


BAD_CREATES = [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"callTimeout": Infinity}', "Infinity is not a JSON number"),
    (b'{"callbackTimeout": NaN}', "NaN is not a JSON number"),
]


@pytest.mark.parametrize(("body", "message"), BAD_CREATES, ids=["nested", "inf", "nan"])
def test_bodies_that_are_not_json_get_400(body: bytes, message: str) -> None:
    with VoiceEmulator(clock="manual") as emu:
        reply = raw(emu, "POST", calls_path(emu), body)
        assert reply.status_code == 400
        assert message in reply.json()["description"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"answerUrl": "http://[::1"}, "Invalid answerUrl: 'http://[::1' is not a URL"),
        ({"answerUrl": "http://127.0.0.1:99999/a"}, "Invalid answerUrl"),
        ({"disconnectUrl": "https:///x"}, "Invalid disconnectUrl: 'https:///x' names no host"),
        ({"callTimeout": 1e308}, "callTimeout must be within the range [1, 300]"),
        (
            {"machineDetection": {"mode": "sync", "detectionTimeout": 1e308}},
            "machineDetection.detectionTimeout must be from 0 to 1e+09 seconds",
        ),
    ],
)
def test_values_out_of_any_range_get_400(change: dict[str, Any], message: str) -> None:
    with VoiceEmulator(clock="manual") as emu:
        reply = raw(emu, "POST", calls_path(emu), call_body(emu, **change))
        assert reply.status_code == 400
        assert message in reply.json()["description"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("pageSize=%C2%B2", "pageSize must be within the range [1, 10000]"),
        ("minStartTime=2024-01-01T00:00:00%2B99:00", "Invalid minStartTime"),
    ],
)
def test_list_queries_out_of_range_get_400(query: str, message: str) -> None:
    with VoiceEmulator(clock="manual") as emu:
        reply = raw(emu, "GET", calls_path(emu) + "?" + query)
        assert reply.status_code == 400
        assert message in reply.json()["description"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/faults",
            {"operation": "createCall", "status": 429, "retry_after": "soon"},
            'retry_after must be a number of seconds, but was "soon"',
        ),
        (
            "/faults",
            {"operation": "createCall", "status": "503"},
            'status must be a whole number, but was "503"',
        ),
        (
            "/faults",
            {"operation": "createCall", "status": 503, "times": MAX_SCRIPTED + 1},
            f"at most {MAX_SCRIPTED} scripted faults",
        ),
        ("/advance", {"seconds": 1e308}, "seconds must be from 0 to 1e+09 seconds"),
        ("/advance", {"secs": 1}, "Unknown field 'secs'"),
        (
            "/callees",
            {"number": CALLEE, "script": [{"leave_message": 1e308}]},
            "script[0].leave_message must be from 0 to 1e+09 seconds",
        ),
        (
            "/callees",
            {"number": CALLEE, "script": [{"hang_up": {"after": -1}}]},
            "script[0].after must be from 0",
        ),
        (
            "/destinations",
            {"number": CALLEE, "behaviour": {"answers": {"after": 1e308}}},
            "behaviour.answers.after must be from 0 to 1e+09 seconds",
        ),
    ],
)
def test_bad_admin_values_get_400(path: str, body: dict[str, Any], message: str) -> None:
    with VoiceEmulator(clock="manual") as emu:
        root = emu.base_url.removesuffix("/api/v2")
        reply = requests.post(
            root + "/_emulator" + path, json=body, headers={"Authorization": AUTH}, timeout=10
        )
        assert reply.status_code == 400, reply.text
        assert message in reply.json()["description"]


@pytest.mark.parametrize(
    ("length", "status", "message"),
    [
        ("abc", 400, "Content-Length must be a whole number of bytes, not 'abc'"),
        ("-5", 400, "Content-Length must be a whole number of bytes, not '-5'"),
        ("99999999999", 413, "Body too large"),
    ],
)
def test_bad_content_length_gets_4xx(length: str, status: int, message: str) -> None:
    with VoiceEmulator(clock="manual") as emu:
        head = request_head(
            emu,
            "/api/v2" + calls_path(emu),
            "Host: 127.0.0.1",
            f"Authorization: {AUTH}",
            f"Content-Length: {length}",
        )
        data = exchange(emu, head)
        assert data.startswith(f"HTTP/1.1 {status} ".encode())
        assert message in description(data)


def test_a_chunked_body_gets_411_not_a_misread_stream() -> None:
    with VoiceEmulator(clock="manual") as emu:
        head = request_head(
            emu, "/api/v2" + calls_path(emu), "Host: 127.0.0.1", "Transfer-Encoding: chunked"
        )
        data = exchange(emu, head, b"2\r\n{}\r\n0\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 411 ")


def test_a_body_shorter_than_its_length_times_out_and_the_connection_closes() -> None:
    with VoiceEmulator(clock="manual") as emu:
        emu._api_server.idle_timeout = 0.2
        head = request_head(
            emu, "/api/v2" + calls_path(emu), "Host: 127.0.0.1", "Content-Length: 50"
        )
        assert exchange(emu, head, b"{}") == b""


def test_an_idle_connection_is_closed() -> None:
    with VoiceEmulator(clock="manual") as emu:
        emu._api_server.idle_timeout = 0.2
        with socket.create_connection(("127.0.0.1", port_of(emu)), timeout=10) as conn:
            assert conn.recv(10) == b""  # closed by the emulator, not by this timeout


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:9090", "127.0.0.1.evil.example", "", "[::1"]
)
def test_requests_for_another_host_are_refused(host: str) -> None:
    # DNS rebinding: a page at evil.example whose name now resolves to 127.0.0.1.
    with VoiceEmulator(clock="manual") as emu:
        headers = [f"Authorization: {AUTH}"] + ([f"Host: {host}"] if host else [])
        data = exchange(emu, request_head(emu, "/api/v2" + calls_path(emu), *headers, method="GET"))
        assert data.startswith(b"HTTP/1.1 421 ")
        assert "the Host must be this emulator's address" in description(data)


@pytest.mark.parametrize(
    ("header", "bound", "allowed"),
    [
        ("127.0.0.1:9090", "127.0.0.1", True),
        ("localhost:9090", "127.0.0.1", True),
        ("LOCALHOST", "127.0.0.1", True),
        ("[::1]:9090", "::1", True),
        ("192.168.1.5:9090", "192.168.1.5", True),
        ("192.168.1.6:9090", "192.168.1.5", False),
        ("192.168.1.6", "0.0.0.0", True),
        ("ivr.example", "0.0.0.0", False),
        ("ivr.example", "127.0.0.1", False),
        (None, "127.0.0.1", False),
    ],
)
def test_host_allowed(header: str | None, bound: str, allowed: bool) -> None:
    assert host_allowed(header, bound) is allowed


def test_a_non_loopback_host_needs_opt_in_and_a_password_of_ones_own() -> None:
    with pytest.raises(ValueError, match="allow_remote=True"):
        VoiceEmulator(host="0.0.0.0")
    with pytest.raises(ValueError, match="a password of your own"):
        VoiceEmulator(host="0.0.0.0", allow_remote=True)
    with VoiceEmulator(host="0.0.0.0", allow_remote=True, password="s3cret-enough") as emu:
        assert emu.base_url.startswith("http://0.0.0.0:")


REDIRECT_WITH_CREDENTIALS = (
    b'<Response><Redirect redirectUrl="http://192.0.2.1/next" username="u" password="p"/>'
    b"</Response>"
)


def redirecting_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/xml")])
    return [REDIRECT_WITH_CREDENTIALS]


def test_credentials_never_go_over_plain_http_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 192.0.2.1 (TEST-NET-1) stands for an app elsewhere that challenges with 401: the
    # emulator must not answer the challenge with credentials over plain http.
    from callcontrol.emulator import emulator as module
    from callcontrol.engine.model import FetchResult

    real_fetch = module.fetch  # type: ignore[attr-defined]
    sent: list[dict[str, str]] = []

    def fetch(
        method: str, url: str, body: bytes, headers: dict[str, str], *a: Any, **k: Any
    ) -> Any:
        if "192.0.2.1" not in url:
            return real_fetch(method, url, body, headers, *a, **k)
        sent.append(headers)
        return FetchResult(401, b""), [("WWW-Authenticate", 'Basic realm="app"')]

    monkeypatch.setattr(module, "fetch", fetch)
    with VoiceEmulator(app=redirecting_app, speed=100.0) as emu, emu.client() as client:
        call_id = client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
        ).call_id
        state = emu.wait_for(call_id, state="disconnected", timeout=15)
    assert "credentials and its URL is plain http" in (state.error_message or "")
    assert sent and all("Authorization" not in headers for headers in sent)


def test_wrong_passwords_of_any_length_are_refused() -> None:
    with VoiceEmulator(clock="manual") as emu:
        for password in ("", "e", "emulator-passwor", "emulator-password!", "x" * 5000):
            token = base64.b64encode(f"emulator:{password}".encode()).decode()
            reply = raw(emu, "GET", calls_path(emu), authorization=f"Basic {token}")
            assert reply.status_code == 401


def test_the_exchange_log_keeps_the_last_ones_only() -> None:
    with VoiceEmulator(clock="manual") as emu:
        for _ in range(3):
            emu._record_rest(_reply())
        for _ in range(MAX_EXCHANGES):
            emu.exchanges.append(Exchange("rest", "listCalls", 200, (), b""))
        assert len(emu.exchanges) == MAX_EXCHANGES


def _reply() -> Any:
    from callcontrol.emulator.api import Reply

    return Reply(200, operation="getStatistics")


def test_close_raises_nothing_after_all_of_this() -> None:
    emu = VoiceEmulator(clock="manual")
    for body, _ in BAD_CREATES:
        raw(emu, "POST", calls_path(emu), body)
    raw(emu, "GET", calls_path(emu) + "?pageSize=%C2%B2")
    exchange(emu, request_head(emu, "/x", "Host: 127.0.0.1", "Content-Length: zz"))
    emu.close()
    with pytest.raises(EmulatorError, match="closed"):
        emu.statistics()
