"""How an in-process WSGI reply is read: its status line (one without a number is named in
the error), what the app writes, and an app that never starts the response."""

from __future__ import annotations

from typing import Any

import pytest

from callcontrol.testing import AppError, CallSimulator
from callcontrol.testing.fetch import WsgiApp

from ..engine.apps import xml

BASE = "https://ivr.test"


def app_with_status(status: str) -> WsgiApp:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "application/xml")])
        return [xml("<Hangup/>").encode()]

    return app


@pytest.mark.parametrize(
    "status", ["OK", "", "2OO OK", "20 OK", "2000 OK", "\u0662\u0660\u0660 OK"]
)
def test_a_status_line_without_a_code_is_named_in_the_error(status):
    # Issue 20 item 9: this was a bare ValueError or IndexError from int().
    with pytest.raises(AppError) as raised:
        CallSimulator(app_with_status(status), base_url=BASE).inbound("/answer")
    message = str(raised.value)
    assert "POST https://ivr.test/answer (initiate)" in message
    assert f"WSGI status {status!r}" in message and "3-digit code" in message


def test_without_raising_app_errors_the_callback_fails_with_the_reason():
    sim = CallSimulator(app_with_status("OK"), base_url=BASE, raise_app_errors=False)
    call = sim.inbound("/answer")
    call.assert_ended("callback-error")
    assert call.error is not None and "WSGI status 'OK'" in call.error


@pytest.mark.parametrize(
    ("status", "cause"), [("200 OK", "rejected"), ("500 Oops", "callback-error")]
)
def test_a_status_line_with_a_code_is_read(status, cause):
    sim = CallSimulator(app_with_status(status), base_url=BASE, raise_app_errors=False)
    sim.inbound("/answer").assert_ended(cause)


def test_what_the_app_writes_comes_before_what_it_returns():
    # PEP 3333: bytes given to start_response's write() callable come first.
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "application/xml")])
        write(b"<Response><SpeakSentence>first</SpeakSentence>")
        return [b"<SpeakSentence>second</SpeakSentence></Response>"]

    call = CallSimulator(app, base_url=BASE).inbound("/answer")
    assert call.heard == ["first", "second"]


def test_an_app_that_never_starts_the_response_answered_500():
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return []

    sim = CallSimulator(app, base_url=BASE, raise_app_errors=False)
    sim.inbound("/answer").assert_ended("callback-error")
