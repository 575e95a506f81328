"""Shared pieces of the emulator tests: an IVR app and raw HTTP requests."""

from __future__ import annotations

import base64
import json
from typing import Any

import requests

from bxml import Gather, Hangup, Response, SpeakSentence
from callcontrol import WebhookApp
from callcontrol.emulator import VoiceEmulator

CALLER = "+15551230000"
CALLEE = "+15553334444"


def ivr_app() -> WebhookApp:
    """A menu (Gather) that thanks the caller for the digit and hangs up."""
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        prompt = SpeakSentence("Press 1 for sales.")
        return Response(Gather(prompt, gather_url="/menu", max_digits=1))

    @app.route("/menu")
    def menu(event: Any) -> Response:
        return Response(SpeakSentence(f"You pressed {event.digits}."), Hangup())

    @app.route("/redirected")
    def redirected(event: Any) -> Response:
        return Response(SpeakSentence("You were redirected."), Hangup())

    @app.route("/disconnect")
    def disconnect(event: Any) -> None:
        return None

    return app


def auth(username: str = "emulator", password: str = "emulator-password") -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def call_body(emu: VoiceEmulator, **extra: Any) -> dict[str, Any]:
    base = emu.app_url or "http://127.0.0.1:9"
    body = {
        "to": CALLEE,
        "from": CALLER,
        "answerUrl": f"{base}/answer",
        "applicationId": "app-1",
    }
    body.update(extra)
    return body


def raw(
    emu: VoiceEmulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    content_type: str | None = "application/json",
    authorization: str | None = None,
) -> requests.Response:
    """One request with full control over headers and body."""
    headers = {"Authorization": authorization or auth()}
    data: bytes | None = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if content_type:
            headers["Content-Type"] = content_type
    return requests.request(method, emu.base_url + path, data=data, headers=headers, timeout=10)


def calls_path(emu: VoiceEmulator, call_id: str | None = None) -> str:
    path = f"/accounts/{emu.account_id}/calls"
    return path if call_id is None else f"{path}/{call_id}"
