"""Small WSGI apps the load tests run against (importable as MODULE:APP for the CLI)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
XML = [("Content-Type", "application/xml")]
HANGUP = b"<Response><SpeakSentence>Bye.</SpeakSentence><Hangup/></Response>"
#: The seconds ``slow`` sleeps, past the 1 s callback timeout the tests give.
SLOW_SECONDS = 1.5


def _read(environ: dict[str, Any]) -> dict[str, Any]:
    size = int(environ.get("CONTENT_LENGTH") or 0)
    return json.loads(environ["wsgi.input"].read(size) or b"{}")  # type: ignore[no-any-return]


def replying(body: bytes, status: str = "200 OK") -> Callable[..., Iterable[bytes]]:
    """An app answering every callback with ``body`` and ``status``."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        _read(environ)
        start_response(status, XML)
        return [body]

    return app


def slow(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Answers after :data:`SLOW_SECONDS`."""
    _read(environ)
    time.sleep(SLOW_SECONDS)
    start_response("200 OK", XML)
    return [HANGUP]


def paused(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """/answer: a 3 s Pause, then /next, which hangs up."""
    _read(environ)
    start_response("200 OK", XML)
    if environ["PATH_INFO"] == "/answer":
        return [b'<Response><Pause duration="3"/><Redirect redirectUrl="/next"/></Response>']
    return [HANGUP]


def guarded(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Answers 401 with a Basic challenge unless the callback carries Basic ivr:hunter2."""
    return _guard(environ, start_response, [("WWW-Authenticate", 'Basic realm="ivr"')])


def guarded_without_challenge(
    environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """Answers 401 without WWW-Authenticate unless the callback carries Basic ivr:hunter2."""
    return _guard(environ, start_response, [])


def _guard(
    environ: dict[str, Any], start_response: StartResponse, challenge: list[tuple[str, str]]
) -> Iterable[bytes]:
    _read(environ)
    expected = "Basic " + base64.b64encode(b"ivr:hunter2").decode()
    if environ.get("HTTP_AUTHORIZATION") != expected:
        start_response("401 Unauthorized", XML + challenge)
        return [b""]
    start_response("200 OK", XML)
    return [HANGUP]


def elsewhere(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """/answer redirects to another host, which the load test cannot reach."""
    _read(environ)
    start_response("200 OK", XML)
    return [b'<Response><Redirect redirectUrl="https://other.test/next"/></Response>']


failing = replying(b"", "500 Internal Server Error")
invalid = replying(b"<Response><Bogus/></Response>")
fixed = replying(HANGUP)


def get_redirect(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """/answer redirects with GET; /next answers only a GET carrying the event in its query."""
    _read(environ)
    if environ["PATH_INFO"] == "/answer":
        start_response("200 OK", XML)
        return [b'<Response><Redirect redirectUrl="/next" redirectMethod="GET"/></Response>']
    if environ["REQUEST_METHOD"] != "GET" or "eventType=redirect" not in environ["QUERY_STRING"]:
        start_response("400 Bad Request", XML)
        return [b""]
    start_response("200 OK", XML)
    return [HANGUP]
