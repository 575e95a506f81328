"""Tests of callcontrol.webhooks.WebhookApp, served by waitress on 127.0.0.1 and driven over HTTP."""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

import bxml
from bxml import Gather, Hangup, Response, SpeakSentence
from callcontrol.events import DisconnectEvent, Event, GatherEvent, UnknownEvent
from callcontrol.webhooks import DEFAULT_FALLBACK_TEXT, HOSTED_PREFIX, WebhookApp
from tests.wsgi_server import serve_wsgi

XML = "application/xml; charset=utf-8"
CALL_ID = "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d"
PASSWORD = "pa55-w0rd-never-logged"


@pytest.fixture(autouse=True)
def _no_hosting_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CALLCONTROL_HOSTING_SECRET", raising=False)


def callback(event_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": "2019-06-20T15:56:11.554Z",
        "accountId": "55555555",
        "from": "+15551112222",
        "to": "+15553334444",
        "direction": "outbound",
        "callId": CALL_ID,
        **fields,
    }


GATHER = callback("gather", digits="1", terminatingDigit="#")
DISCONNECT = callback("disconnect", cause="hangup", endTime="2019-06-20T15:58:00.000Z")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class MenuApp(WebhookApp):
    """The app most tests drive; ``seen`` lists the events its handlers received."""

    seen: list[Event]


def menu_app(**options: Any) -> MenuApp:
    app = MenuApp(**options)
    seen: list[Event] = []
    app.seen = seen

    @app.route("/answer")
    def answer(event: Event) -> Response:
        seen.append(event)
        return Response(Gather(SpeakSentence("Press 1."), gather_url="/menu", max_digits=1))

    @app.on("gather")
    def menu(event: GatherEvent) -> Response | None:
        seen.append(event)
        if event.digits == "0":
            return None
        return Response(SpeakSentence(f"You pressed {event.digits}."), Hangup())

    @app.on("disconnect")
    def disconnect(event: DisconnectEvent) -> Response:
        seen.append(event)
        return Response(SpeakSentence("nobody hears this"))

    @app.route("/text")
    def text(event: Event) -> str:
        return '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>'

    @app.route("/bytes")
    def raw(event: Event) -> bytes:
        return b"<Response><Pause duration='1'/></Response>"

    @app.route("/crash")
    def crash(event: Event) -> Response:
        raise RuntimeError("handler bug")

    @app.route("/invalid")
    def invalid(event: Event) -> str:
        return "<Response><Gather maxDigits='99'/></Response>"

    @app.route("/not-xml")
    def not_xml(event: Event) -> str:
        return "<Response><Hangup>"

    @app.route("/bxml-root")
    def bxml_root(event: Event) -> bxml.Bxml:
        return bxml.Bxml(Hangup())

    @app.route("/wrong-type")
    def wrong_type(event: Event) -> int:
        return 42

    return app


class Switch:
    """The one WSGI app the module's server runs; each test installs the app it drives."""

    def __init__(self) -> None:
        self.app: WebhookApp | None = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        assert self.app is not None, "no app installed"
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Switch, str]]:
    switch = Switch()
    with serve_wsgi(switch) as url:
        yield switch, url


@pytest.fixture
def serve(server: tuple[Switch, str]) -> Iterator[Callable[[WebhookApp], str]]:
    """Install an app on the running server; gives the server's base URL."""
    switch, url = server

    def install(app: WebhookApp) -> str:
        switch.app = app
        return url

    yield install
    switch.app = None


@pytest.fixture
def app() -> MenuApp:
    return menu_app()


@pytest.fixture
def base(serve: Callable[[WebhookApp], str], app: WebhookApp) -> str:
    return serve(app)


def parsed(reply: requests.Response) -> Response:
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == XML
    doc = bxml.parse(reply.content)
    assert isinstance(doc, Response)
    return doc


def assert_error(reply: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status
    assert reply.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = reply.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and len(body["message"]) < 300
    return body


# -- answering callbacks ---------------------------------------------------------------------


def test_a_post_callback_gets_the_handlers_document(base, app):
    reply = requests.post(f"{base}/answer", json=callback("answer"), timeout=10)
    doc = parsed(reply)
    assert doc == Response(Gather(SpeakSentence("Press 1."), gather_url="/menu", max_digits=1))
    assert reply.headers["Content-Length"] == str(len(reply.content))
    assert type(app.seen[0]).__name__ == "AnswerEvent"
    assert app.seen[0].call_id == CALL_ID


def test_a_get_callback_reads_query_parameters(base, app):
    reply = requests.get(f"{base}/menu", params=GATHER, timeout=10)
    assert parsed(reply) == Response(SpeakSentence("You pressed 1."), Hangup())
    event = app.seen[0]
    assert isinstance(event, GatherEvent)
    assert event.digits == "1" and event.terminating_digit == "#"
    assert event.event_time is not None and event.event_time.tzinfo is not None


def test_get_query_parameters_are_typed(base, app):
    query = {**DISCONNECT, "sipResponseCode": "486"}
    reply = requests.get(f"{base}/status", params=query, timeout=10)
    assert reply.status_code == 204
    event = app.seen[0]
    assert isinstance(event, DisconnectEvent)
    assert event.sip_response_code == 486


def test_a_form_encoded_post_is_read_like_a_query(base, app):
    reply = requests.post(f"{base}/menu", data=GATHER, timeout=10)
    assert parsed(reply) == Response(SpeakSentence("You pressed 1."), Hangup())


def test_a_json_body_labelled_as_a_form_is_still_json(base, app):
    reply = requests.post(
        f"{base}/menu",
        data=json.dumps(GATHER),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert parsed(reply) == Response(SpeakSentence("You pressed 1."), Hangup())


def test_a_post_with_an_empty_body_reads_the_query_string(base, app):
    reply = requests.post(f"{base}/menu?{urlencode(GATHER)}", timeout=10)
    assert parsed(reply) == Response(SpeakSentence("You pressed 1."), Hangup())


def test_a_synchronous_event_answered_with_none_gets_204(base):
    reply = requests.post(f"{base}/menu", json={**GATHER, "digits": "0"}, timeout=10)
    assert reply.status_code == 204
    assert reply.content == b""


def test_an_asynchronous_event_always_gets_204(base, app, caplog):
    with caplog.at_level(logging.WARNING, logger="callcontrol.webhooks"):
        reply = requests.post(f"{base}/disconnect", json=DISCONNECT, timeout=10)
    assert reply.status_code == 204
    assert reply.content == b""
    assert isinstance(app.seen[0], DisconnectEvent)
    assert "ignored the document" in caplog.text
    assert CALL_ID in caplog.text


def test_a_bxml_string_or_bytes_is_validated_and_sent(base):
    assert parsed(requests.post(f"{base}/text", json=GATHER, timeout=10)) == Response(Hangup())
    doc = parsed(requests.post(f"{base}/bytes", json=GATHER, timeout=10))
    assert doc == Response(bxml.Pause(duration=1))


def test_a_path_route_wins_over_an_event_handler(base, app):
    reply = requests.post(f"{base}/answer", json=GATHER, timeout=10)
    assert "Press 1." in reply.text


def test_an_event_handler_serves_any_path(base):
    for path in ("/menu", "/deep/nested/path", "/"):
        reply = requests.post(base + path, json=GATHER, timeout=10)
        assert reply.status_code == 200


def test_both_record_complete_names_reach_one_handler(serve):
    app = WebhookApp()
    received: list[str] = []

    @app.on("recordComplete")
    def record(event: Event) -> None:
        received.append(event.event_type)

    base = serve(app)
    for name in ("recordComplete", "recordingComplete"):
        assert requests.post(base, json=callback(name), timeout=10).status_code == 204
    assert received == ["recordComplete", "recordingComplete"]


def test_an_unknown_event_type_reaches_its_route_and_may_get_a_document(serve):
    app = WebhookApp()

    @app.route("/any")
    def anything(event: Event) -> Response:
        assert isinstance(event, UnknownEvent)
        assert event.extra == {"holdId": "h-1"}
        return Response(Hangup())

    url = serve(app)
    reply = requests.post(f"{url}/any", json=callback("holdStarted", holdId="h-1"), timeout=10)
    assert parsed(reply) == Response(Hangup())


# -- failures never leave the caller in silence ----------------------------------------------


def fallback_doc() -> Response:
    return Response(SpeakSentence(DEFAULT_FALLBACK_TEXT), Hangup())


@pytest.mark.parametrize("path", ["/crash", "/invalid", "/not-xml", "/bxml-root", "/wrong-type"])
def test_a_failing_handler_gets_the_fallback(base, caplog, path):
    with caplog.at_level(logging.ERROR, logger="callcontrol.webhooks"):
        reply = requests.post(base + path, json=GATHER, timeout=10)
    assert parsed(reply) == fallback_doc()
    assert CALL_ID in caplog.text
    assert "gather" in caplog.text


def test_a_crash_is_logged_with_its_traceback(base, caplog):
    with caplog.at_level(logging.ERROR, logger="callcontrol.webhooks"):
        requests.post(f"{base}/crash", json=GATHER, timeout=10)
    (record,) = [r for r in caplog.records if r.name == "callcontrol.webhooks"]
    assert record.exc_info is not None
    assert "handler bug" in str(record.exc_info[1])


def test_an_invalid_document_is_logged_with_its_problems(base, caplog):
    with caplog.at_level(logging.ERROR, logger="callcontrol.webhooks"):
        requests.post(f"{base}/invalid", json=GATHER, timeout=10)
    assert "maxDigits" in caplog.text


def test_a_crash_on_an_asynchronous_event_gets_204_and_is_logged(base, caplog):
    with caplog.at_level(logging.ERROR, logger="callcontrol.webhooks"):
        reply = requests.post(f"{base}/crash", json=DISCONNECT, timeout=10)
    assert reply.status_code == 204
    assert reply.content == b""
    assert CALL_ID in caplog.text
    assert "handler bug" in caplog.text


CONFERENCE_JOIN = {
    "eventType": "conferenceMemberJoin",
    "eventTime": "2019-06-20T15:56:11.554Z",
    "conferenceId": "conf-1",
    "name": "room",
    "callId": CALL_ID,
}


@pytest.mark.parametrize("path", ["/crash", "/invalid", "/bxml-root"])
def test_a_failing_handler_of_a_conference_event_gets_204_not_the_fallback(base, caplog, path):
    # The default fallback hangs up, which Bandwidth refuses in a conference reply.
    with caplog.at_level(logging.ERROR, logger="callcontrol.webhooks"):
        reply = requests.post(f"{base}{path}", json=CONFERENCE_JOIN, timeout=10)
    assert reply.status_code == 204
    assert "conf-1" in caplog.text


def test_a_custom_fallback_is_used(serve):
    custom = Response(SpeakSentence("Transferring you to an operator."), Hangup())
    app = WebhookApp(fallback=custom.to_xml())

    @app.on("gather")
    def fail(event: Event) -> None:
        raise ValueError("boom")

    base = serve(app)
    assert parsed(requests.post(base, json=GATHER, timeout=10)) == custom


def test_the_fallback_is_validated_up_front():
    with pytest.raises(bxml.BxmlError):
        WebhookApp(fallback="<Response><Gather maxDigits='99'/></Response>")
    with pytest.raises(TypeError, match="Bxml"):
        WebhookApp(fallback=bxml.Bxml(Hangup()))  # type: ignore[arg-type]


# -- refusing requests -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1,2]", b'{"digits": "1"}', b'{"eventType": ""}', b"", b'{"eventTime": 5}'],
)
def test_a_body_that_is_not_an_event_gets_400(base, body):
    reply = requests.post(
        f"{base}/answer", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert_error(reply, 400, "invalid_event")


def test_a_bad_field_gets_400_naming_it(base):
    reply = requests.post(f"{base}/answer", json=callback("answer", eventTime="soon"), timeout=10)
    assert "eventTime" in assert_error(reply, 400, "invalid_event")["message"]


def test_a_repeated_query_parameter_gets_400(base):
    reply = requests.get(f"{base}/menu?eventType=gather&digits=1&digits=2", timeout=10)
    assert_error(reply, 400, "invalid_request")


def test_an_undecodable_query_parameter_gets_400(base):
    reply = requests.get(f"{base}/menu?eventType=gather&digits=%FF", timeout=10)
    assert_error(reply, 400, "invalid_request")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_get_405(base, method):
    reply = requests.request(method, f"{base}/answer", json=GATHER, timeout=10)
    assert_error(reply, 405, "method_not_allowed")
    assert reply.headers["Allow"] == "GET, POST"


def test_head_gets_405(base):
    reply = requests.head(f"{base}/answer", timeout=10)
    assert reply.status_code == 405
    assert reply.headers["Allow"] == "GET, POST"


def test_a_path_without_route_or_event_handler_gets_404(base):
    reply = requests.post(f"{base}/nowhere", json=callback("answer"), timeout=10)
    assert_error(reply, 404, "not_found")


def test_an_asynchronous_event_without_a_handler_gets_204(base, caplog):
    with caplog.at_level(logging.INFO, logger="callcontrol.webhooks"):
        reply = requests.post(f"{base}/status", json=callback("dtmf", digit="5"), timeout=10)
    assert reply.status_code == 204
    assert reply.content == b""
    assert "no handler for the dtmf event" in caplog.text
    assert CALL_ID in caplog.text


def test_an_app_without_event_handlers_answers_by_what_the_body_is(serve):
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Event) -> None:
        return None

    base = serve(app)
    garbage = requests.post(f"{base}/elsewhere", data=b"not even json", timeout=10)
    assert_error(garbage, 404, "not_found")
    synchronous = requests.post(f"{base}/elsewhere", json=callback("redirect"), timeout=10)
    assert_error(synchronous, 404, "not_found")
    assert requests.post(f"{base}/elsewhere", json=DISCONNECT, timeout=10).status_code == 204
    assert requests.get(f"{base}/elsewhere", params=DISCONNECT, timeout=10).status_code == 204


def test_a_body_over_the_limit_gets_413(serve):
    app = menu_app(max_body_bytes=200)
    base = serve(app)
    small = requests.post(f"{base}/menu", json={"eventType": "gather", "digits": "1"}, timeout=10)
    big = requests.post(f"{base}/menu", json={**GATHER, "pad": "x" * 300}, timeout=10)
    assert small.status_code == 200
    assert_error(big, 413, "body_too_large")
    assert app.seen == [app.seen[0]]  # the big one never reached a handler


def test_a_chunked_body_over_the_limit_gets_413(serve):
    app = menu_app(max_body_bytes=200)
    chunks = (
        json.dumps({**GATHER, "pad": "x" * 300}).encode()[i : i + 50] for i in range(0, 500, 50)
    )
    base = serve(app)
    reply = requests.post(f"{base}/menu", data=chunks, timeout=10)
    assert_error(reply, 413, "body_too_large")


def test_a_query_string_over_the_limit_gets_414(serve):
    app = menu_app(max_body_bytes=200)
    base = serve(app)
    reply = requests.get(f"{base}/menu", params={**GATHER, "pad": "x" * 300}, timeout=10)
    assert_error(reply, 414, "query_too_long")


# -- calling the WSGI app directly, for what a well-behaved HTTP client cannot send ----------


def call(app: WebhookApp, body: bytes, **environ: Any) -> tuple[str, dict[str, str], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, dict(headers)

    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/menu",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        **environ,
    }
    out = b"".join(app(env, start_response))
    return captured["status"], captured["headers"], out


class Overflowing(io.BytesIO):
    """A broken input stream that returns more than it is asked for."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(-1)


def counting_validate(monkeypatch: pytest.MonkeyPatch, fail_first: bool = False) -> list[bytes]:
    """Count the calls of bxml.validate (the first one raising, if asked)."""
    calls: list[bytes] = []
    real = bxml.validate

    def validate(data: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(data)
        if fail_first and len(calls) == 1:
            raise bxml.ValidationError([])
        real(data, *args, **kwargs)

    monkeypatch.setattr(bxml, "validate", validate)
    return calls


def test_a_repeated_document_is_validated_once(monkeypatch):
    app = WebhookApp()
    calls = counting_validate(monkeypatch)
    doc = Response(SpeakSentence(f"Only this test says {uuid.uuid4()}."), Hangup())
    app.on("gather")(lambda event: doc)
    body = json.dumps(GATHER).encode()
    for _ in range(3):
        status, _, reply = call(app, body, CONTENT_LENGTH=str(len(body)))
        assert status.startswith("200") and reply == doc.to_bytes()
    assert calls == [doc.to_bytes()]


def test_a_document_that_failed_validation_is_validated_again(monkeypatch):
    app = WebhookApp()
    calls = counting_validate(monkeypatch, fail_first=True)
    doc = Response(SpeakSentence(f"Only this test says {uuid.uuid4()}."))
    app.on("gather")(lambda event: doc)
    body = json.dumps(GATHER).encode()
    first = call(app, body, CONTENT_LENGTH=str(len(body)))
    second = call(app, body, CONTENT_LENGTH=str(len(body)))
    assert DEFAULT_FALLBACK_TEXT.encode() in first[2]
    assert second[2] == doc.to_bytes()
    assert len(calls) == 2


def test_the_bytes_actually_read_are_limited_too():
    app = menu_app(max_body_bytes=200)
    big = json.dumps({**GATHER, "pad": "x" * 300}).encode()
    status, _, _ = call(app, big, **{"wsgi.input_terminated": True})
    assert status.startswith("413")
    status, _, _ = call(app, b"", CONTENT_LENGTH="10", **{"wsgi.input": Overflowing(big)})
    assert status.startswith("413")


def test_without_a_length_or_terminated_input_the_body_is_not_read():
    app = menu_app()
    status, _, body = call(app, json.dumps(GATHER).encode())
    assert status.startswith("400")
    assert b"empty" in body


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "\u00b2"])
def test_an_invalid_content_length_gets_400(length):
    status, headers, body = call(menu_app(), b"{}", CONTENT_LENGTH=length)
    assert status.startswith("400")
    assert json.loads(body)["error"] == "invalid_request"
    assert headers["Content-Type"] == "application/json"


def test_mounted_under_a_prefix_routes_on_path_info():
    body = json.dumps(callback("answer")).encode()
    status, headers, out = call(
        menu_app(),
        body,
        SCRIPT_NAME="/bandwidth",
        PATH_INFO="/answer",
        CONTENT_LENGTH=str(len(body)),
    )
    assert status == "200 OK"
    assert headers["Content-Type"] == XML
    assert b"Press 1." in out


# -- basic auth ------------------------------------------------------------------------------


@pytest.fixture
def secured(serve) -> tuple[str, MenuApp]:
    app = menu_app(username="bandwidth", password=PASSWORD)
    return serve(app), app


def test_right_credentials_are_let_in(secured):
    base, _ = secured
    reply = requests.post(f"{base}/menu", json=GATHER, auth=("bandwidth", PASSWORD), timeout=10)
    assert reply.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic " + "Ym9ndXM6Ym9ndXM="},  # bogus:bogus
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic YmFuZHdpZHRo"},  # "bandwidth", no colon
        {"Authorization": "Basic"},
    ],
)
def test_missing_or_malformed_credentials_get_401(secured, headers, caplog):
    base, app = secured
    with caplog.at_level(logging.DEBUG, logger="callcontrol.webhooks"):
        reply = requests.post(f"{base}/menu", json=GATHER, headers=headers, timeout=10)
    assert_error(reply, 401, "unauthorized")
    assert reply.headers["WWW-Authenticate"].startswith('Basic realm="')
    assert app.seen == []
    # No credentials at all is Bandwidth's first attempt (voice-api §9.2): only a debug line.
    assert ("challenged" if not headers else "refused") in caplog.text


@pytest.mark.parametrize(
    "auth", [("bandwidth", "wrong"), ("someone", PASSWORD), ("bandwidth", PASSWORD + "x"), ("", "")]
)
def test_wrong_credentials_get_401(secured, auth):
    base, app = secured
    reply = requests.post(f"{base}/menu", json=GATHER, auth=auth, timeout=10)
    assert_error(reply, 401, "unauthorized")
    assert app.seen == []


def test_auth_is_checked_before_anything_else(secured):
    base, _ = secured
    assert requests.put(f"{base}/menu", timeout=10).status_code == 401
    assert requests.post(f"{base}/nowhere", data=b"x", timeout=10).status_code == 401


def test_non_ascii_credentials_work(serve):
    app = menu_app(username="zoë", password="pässwörd")
    base = serve(app)
    token = "Basic " + __import__("base64").b64encode("zoë:pässwörd".encode()).decode()
    reply = requests.post(f"{base}/menu", json=GATHER, headers={"Authorization": token}, timeout=10)
    assert reply.status_code == 200


def test_credentials_never_show_in_repr_or_logs(secured, caplog):
    base, app = secured
    assert PASSWORD not in repr(app)
    assert "bandwidth" not in repr(app)
    with caplog.at_level(logging.DEBUG):
        requests.post(f"{base}/crash", json=GATHER, auth=("bandwidth", PASSWORD), timeout=10)
        requests.post(f"{base}/menu", json=GATHER, auth=("bandwidth", "nope"), timeout=10)
    assert caplog.records
    assert PASSWORD not in caplog.text and "nope" not in caplog.text


# -- hosted documents ------------------------------------------------------------------------


def test_a_hosted_document_answers_every_redirect_until_it_expires(serve):
    app = WebhookApp()
    doc = Response(SpeakSentence("An operator will join you."), Hangup())
    path = app.host(doc, ttl=60)
    assert path.startswith(HOSTED_PREFIX) and len(path) > len(HOSTED_PREFIX) + 30
    base = serve(app)
    first = requests.post(base + path, json=callback("redirect"), timeout=10)
    second = requests.post(base + path, json=callback("redirect"), timeout=10)
    assert parsed(first) == doc
    assert parsed(second) == doc


def test_a_hosted_document_can_be_fetched_with_get(serve):
    app = WebhookApp()
    path = app.host(Response(Hangup()).to_xml())
    base = serve(app)
    reply = requests.get(base + path, params=callback("redirect"), timeout=10)
    assert parsed(reply) == Response(Hangup())


def test_an_expired_hosted_document_is_gone(serve):
    clock = Clock()
    app = WebhookApp(clock=clock)
    path = app.host(Response(Hangup()), ttl=30)
    clock.now += 30
    base = serve(app)
    assert requests.post(base + path, json=callback("redirect"), timeout=10).status_code == 404


def test_a_hosted_document_survives_until_its_ttl(serve):
    clock = Clock()
    app = WebhookApp(clock=clock)
    path = app.host(Response(Hangup()), ttl=30)
    clock.now += 29.5
    base = serve(app)
    assert requests.post(base + path, json=callback("redirect"), timeout=10).status_code == 200


def test_an_asynchronous_event_to_a_hosted_path_gets_204(serve):
    app = WebhookApp()
    path = app.host(Response(Hangup()))
    base = serve(app)
    assert requests.post(base + path, json=DISCONNECT, timeout=10).status_code == 204
    assert requests.post(base + path, json=callback("redirect"), timeout=10).status_code == 200
    assert requests.post(base + path, json=DISCONNECT, timeout=10).status_code == 204
    unknown = f"{base}{HOSTED_PREFIX}{'x' * 32}"
    assert requests.post(unknown, json=DISCONNECT, timeout=10).status_code == 204
    assert requests.post(unknown, json=callback("redirect"), timeout=10).status_code == 404


def test_hosted_paths_are_unguessable_and_distinct(serve):
    app = WebhookApp()
    paths = {app.host(Response(Hangup())) for _ in range(50)}
    assert len(paths) == 50
    base = serve(app)
    reply = requests.post(f"{base}{HOSTED_PREFIX}guess", json=callback("redirect"), timeout=10)
    assert reply.status_code == 404


def test_hosting_validates_the_document_now():
    app = WebhookApp()
    with pytest.raises(bxml.BxmlError):
        app.host("<Response><Gather maxDigits='99'/></Response>")
    with pytest.raises(TypeError):
        app.host(bxml.Bxml(Hangup()))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ttl"):
        app.host(Response(Hangup()), ttl=0)


def test_hosted_documents_need_credentials_too(serve, caplog):
    app = WebhookApp(username="bw", password=PASSWORD)
    path = app.host(Response(Hangup()))
    base = serve(app)
    with caplog.at_level(logging.DEBUG, logger="callcontrol.webhooks"):
        assert requests.post(base + path, json=callback("redirect"), timeout=10).status_code == 401
    assert "challenged a callback to /_bxml/..." in caplog.text
    assert path not in caplog.text
    reply = requests.post(base + path, json=callback("redirect"), auth=("bw", PASSWORD), timeout=10)
    assert reply.status_code == 200


# -- registration ----------------------------------------------------------------------------


def test_registration_mistakes_are_refused():
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Event) -> None:
        return None

    @app.on("gather")
    def gather(event: Event) -> None:
        return None

    with pytest.raises(ValueError, match="already"):
        app.route("/answer")
    with pytest.raises(ValueError, match="starts with"):
        app.route("answer")
    with pytest.raises(ValueError, match="reserved"):
        app.route(HOSTED_PREFIX + "x")
    with pytest.raises(ValueError, match="already"):
        app.on("redirect", "gather")
    with pytest.raises(TypeError):
        app.on()
    with pytest.raises(ValueError):
        app.on("")


def test_decorators_return_the_handler_unchanged():
    app = WebhookApp()

    def handler(event: Event) -> None:
        return None

    assert app.route("/x")(handler) is handler
    assert app.on("gather")(handler) is handler


@pytest.mark.parametrize(
    "options",
    [{"username": "bw"}, {"password": "pw"}, {"max_body_bytes": 0}, {"max_body_bytes": True}],
)
def test_bad_options_are_refused(options):
    with pytest.raises((ValueError, TypeError)):
        WebhookApp(**options)


def test_repr_names_routes_and_events():
    app = menu_app(username="bw", password=PASSWORD)
    text = repr(app)
    assert "/answer" in text and "gather" in text and "auth=basic" in text


# -- the example -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Any:
    path = Path(__file__).resolve().parents[2] / "examples" / "webhook_server.py"
    spec = importlib.util.spec_from_file_location("webhook_server_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_server_answers_a_call(serve, example):
    base = serve(example.app)

    menu = parsed(requests.post(f"{base}/answer", json=callback("initiate"), timeout=10))
    assert "Press 1 for sales" in menu.to_xml()
    chosen = parsed(requests.get(f"{base}/menu", params={**GATHER, "digits": "2"}, timeout=10))
    assert "support" in chosen.to_xml()
    again = parsed(requests.post(f"{base}/menu", json={**GATHER, "digits": ""}, timeout=10))
    assert "Are you still there?" in again.to_xml()
    assert requests.post(f"{base}/status", json=DISCONNECT, timeout=10).status_code == 204


def headers_only(base: str, declared: int) -> bytes:
    """Send a POST that declares ``declared`` bytes but sends 1 KB; what the server answers.

    Reads until the server closes the connection, for at most 10 s (then the socket times
    out and the test fails: the server was waiting for the rest of the body).
    """
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST /menu HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head + b"{" + b" " * 1023)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


def test_waitress_refuses_an_oversized_body_before_it_is_sent(example):
    # Without the example's setting, waitress waits for all 50 MB before the app can say 413.
    options = example.waitress_options(example.app)
    with serve_wsgi(example.app, **options) as base:
        answer = headers_only(base, 50 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_the_waitress_limit_lets_exactly_max_body_bytes_through(example):
    limit = example.app.max_body_bytes
    body = json.dumps({**GATHER, "digits": "2", "pad": ""}).encode()
    exact = body[:-2] + b"x" * (limit - len(body)) + body[-2:]
    assert len(exact) == limit
    headers = {"Content-Type": "application/json"}
    with serve_wsgi(example.app, **example.waitress_options(example.app)) as base:
        accepted = requests.post(f"{base}/menu", data=exact, headers=headers, timeout=10)
        refused = requests.post(f"{base}/menu", data=exact + b" ", headers=headers, timeout=10)
    assert "support" in parsed(accepted).to_xml()
    assert refused.status_code == 413


# -- credentials on verbs (voice-api §9.2: a verb's callbacks carry the verb's credentials) --


def _wsgi_post(app: WebhookApp, path: str, event: dict[str, Any], **environ: str) -> bytes:
    body = json.dumps(event).encode()
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "HTTP_HOST": "ivr.test",
        "HTTP_AUTHORIZATION": "Basic Ync6czNjcmV0",  # bw:s3cret
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **environ,
    }

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    return b"".join(app(env, start_response))


def _attrs(verb: bxml.Element) -> dict[str, Any]:
    return verb.attributes


def _reply_app(doc: Response, **options: Any) -> WebhookApp:
    app = WebhookApp(username="bw", password="s3cret", **options)
    app.route("/answer")(lambda event: doc)
    return app


def test_credentials_on_verbs_stamps_the_verbs_whose_urls_the_app_serves():
    doc = Response(
        Gather(SpeakSentence("Hi"), gather_url="/menu", gather_fallback_url="menu-backup"),
        bxml.Redirect(redirect_url="https://ivr.test/next", username="own", password="pw"),
        bxml.Record(record_complete_url="/done", recording_available_url="https://other.test/r"),
    )
    reply = bxml.parse(
        _wsgi_post(
            _reply_app(doc, credentials_on_verbs=True),
            "/answer",
            {"eventType": "initiate", "callId": "c-1"},
        )
    )
    gather, redirect, record = (_attrs(verb) for verb in reply.children)
    assert (gather["username"], gather["password"]) == ("bw", "s3cret")
    assert (gather["fallback_username"], gather["fallback_password"]) == ("bw", "s3cret")
    assert (redirect["username"], redirect["password"]) == ("own", "pw")  # its own are kept
    assert "username" not in record  # one URL is on another host: never send it ours
    assert "username" not in _attrs(doc.children[0])  # the handler's document is unchanged


def test_credentials_on_verbs_knows_the_host_without_a_host_header():
    doc = Response(bxml.Redirect(redirect_url="https://ivr.test:8443/next"))
    app = _reply_app(doc, credentials_on_verbs=True)
    event = {"eventType": "initiate", "callId": "c-1"}
    server = {"HTTP_HOST": "", "SERVER_NAME": "ivr.test", "SERVER_PORT": "8443"}
    reply = bxml.parse(_wsgi_post(app, "/answer", event, **server))
    assert _attrs(reply.children[0])["username"] == "bw"


def test_credentials_on_verbs_respects_the_mount_point():
    doc = Response(bxml.Redirect(redirect_url="/elsewhere"), bxml.Redirect(redirect_url="next"))
    app = _reply_app(doc, credentials_on_verbs=True)
    reply = bxml.parse(
        _wsgi_post(app, "/answer", {"eventType": "initiate", "callId": "c-1"}, SCRIPT_NAME="/bw")
    )
    outside, inside = (_attrs(verb) for verb in reply.children)
    assert "username" not in outside and inside["username"] == "bw"


def test_without_credentials_on_verbs_a_verb_calling_the_app_is_warned_of_once(caplog):
    doc = Response(Gather(SpeakSentence("Hi"), gather_url="/menu"))
    app = _reply_app(doc)
    with caplog.at_level(logging.WARNING, "callcontrol.webhooks"):
        for _ in range(2):
            reply = bxml.parse(_wsgi_post(app, "/answer", {"eventType": "initiate", "callId": "c"}))
    assert "username" not in _attrs(reply.children[0])
    warnings = [r.getMessage() for r in caplog.records if "no credentials" in r.getMessage()]
    assert len(warnings) == 1 and "<Gather> with /menu" in warnings[0]
    assert "s3cret" not in warnings[0]


def test_credentials_on_verbs_needs_the_apps_credentials():
    with pytest.raises(ValueError, match="needs the app's username and password"):
        WebhookApp(credentials_on_verbs=True)
    with pytest.raises(TypeError, match="True or False"):
        WebhookApp(username="a", password="b", credentials_on_verbs="yes")  # type: ignore[arg-type]


_URLS = st.sampled_from(
    ["menu", "/menu", "/bw/menu", "https://ivr.test/bw/next", "https://ivr.test/other",
     "https://elsewhere.test/bw/x", "//elsewhere.test/x"]
)  # fmt: skip
_MINE = {"menu", "/bw/menu", "https://ivr.test/bw/next"}  # served under SCRIPT_NAME=/bw


@given(
    st.lists(
        st.tuples(_URLS, st.none() | _URLS, st.none() | _URLS, st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_stamped_credentials_go_only_to_verbs_whose_every_url_is_the_apps(verbs):
    # The app's credentials must never travel to another host (a verb's username/password
    # go to all its URLs, voice-api §9.2), and a verb's own credentials are kept.
    doc = Response(
        *(
            bxml.Record(
                record_complete_url=complete,
                recording_available_url=available,
                record_complete_fallback_url=fallback,
                username="own" if own else None,
                password="pw" if own else None,
            )
            for complete, available, fallback, own in verbs
        )
    )
    app = _reply_app(doc, credentials_on_verbs=True)
    event = {"eventType": "initiate", "callId": "c-1"}
    reply = bxml.parse(_wsgi_post(app, "/answer", event, SCRIPT_NAME="/bw"))
    for (complete, available, fallback, own), verb in zip(verbs, reply.children, strict=True):
        attrs = _attrs(verb)
        primary = [url for url in (complete, available) if url is not None]
        if own:
            assert attrs["username"] == "own"
        else:
            assert ("username" in attrs) == all(url in _MINE for url in primary)
        assert ("fallback_username" in attrs) == (fallback is not None and fallback in _MINE)


def test_the_challenge_step_is_not_a_warning_but_wrong_credentials_are(caplog):
    # voice-api §9.2: every authenticated callback first comes without credentials.
    app = _reply_app(Response(Hangup()))
    event = {"eventType": "initiate", "callId": "c-1"}
    with caplog.at_level(logging.DEBUG, "callcontrol.webhooks"):
        _wsgi_post(app, "/answer", event, HTTP_AUTHORIZATION="")
        _wsgi_post(app, "/answer", event, HTTP_AUTHORIZATION="Basic Ync6d3Jvbmc=")  # bw:wrong
    levels = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert levels == [
        ("DEBUG", "challenged a callback to /answer for its credentials"),
        ("WARNING", "refused a callback to /answer: wrong credentials"),
    ]


def test_hosted_documents_get_the_apps_credentials_on_their_verbs_too():
    app = WebhookApp(username="bw", password="s3cret", credentials_on_verbs=True)
    path = app.host(Response(Gather(SpeakSentence("Still there?"), gather_url="/menu")))
    reply = bxml.parse(_wsgi_post(app, path, {"eventType": "redirect", "callId": "c-1"}))
    assert _attrs(reply.children[0])["username"] == "bw"
