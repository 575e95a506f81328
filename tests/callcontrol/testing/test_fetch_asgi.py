"""ASGI apps driven in process (callcontrol.testing.fetch): the exact wire bytes, the Basic
auth challenge, app errors with their request, a 5xx as an app error, and a wall-clock guard
against an app that never answers; the simulator, explorer and plugin take them unasked."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bxml import Gather, Hangup, Response, SpeakSentence
from callcontrol import Event, WebhookApp
from callcontrol.testing import (
    AppError,
    CallSimulator,
    assert_no_dead_ends,
    explore,
    press,
)

from .test_app_errors import bare_verb, invalid, raises, webhook_ivr

BASE = "https://ivr.test"
HANGUP = Response(SpeakSentence("Hello."), Hangup()).to_bytes()


class Recorder:
    """A bare ASGI app: keeps each request, answers ``status`` with ``body``."""

    def __init__(self, status: int = 200, body: bytes = HANGUP, auth: str | None = None) -> None:
        self.status, self.body, self.auth = status, body, auth
        self.requests: list[tuple[dict[str, Any], bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        self.requests.append((scope, message["body"]))
        headers = dict(scope["headers"])
        if self.auth is not None and headers.get(b"authorization", b"").decode() != self.auth:
            challenge = [(b"www-authenticate", b'Basic realm="x"')]
            await send({"type": "http.response.start", "status": 401, "headers": challenge})
            await send({"type": "http.response.body", "body": b""})
            return
        kind = [(b"content-type", b"application/xml")]
        await send({"type": "http.response.start", "status": self.status, "headers": kind})
        await send({"type": "http.response.body", "body": self.body})


def test_the_scope_and_body_are_the_wire_request() -> None:
    app = Recorder()
    call = CallSimulator(app, base_url=BASE).inbound("/answer?x=1")
    [(scope, body)] = app.requests
    assert body == json.dumps(call.callbacks[0].payload, separators=(",", ":")).encode()
    assert (scope["type"], scope["method"], scope["path"]) == ("http", "POST", "/answer")
    assert scope["query_string"] == b"x=1" and scope["scheme"] == "https"
    headers = dict(scope["headers"])
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"content-length"] == str(len(body)).encode()
    assert headers[b"host"] == b"ivr.test"
    assert headers[b"user-agent"].startswith(b"BandwidthAPI/v2")
    assert b"authorization" not in headers


def test_a_get_callback_carries_its_fields_in_the_query() -> None:
    app = Recorder()
    CallSimulator(app, base_url=BASE).inbound("/answer", method="GET")
    [(scope, body)] = app.requests
    assert scope["method"] == "GET" and body == b""
    assert b"eventType=initiate" in scope["query_string"]


def test_credentials_go_only_in_answer_to_the_challenge() -> None:
    authorization = "Basic dTpw"  # u:p
    app = Recorder(auth=authorization)
    call = CallSimulator(app, base_url=BASE, username="u", password="p").inbound("/answer")
    call.assert_ended("hangup")
    first, second = (dict(scope["headers"]) for scope, _ in app.requests)
    assert b"authorization" not in first
    assert second[b"authorization"] == authorization.encode()


def test_an_exception_is_raised_in_the_test_with_the_request() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise LookupError("no such caller")

    with pytest.raises(AppError, match="LookupError on POST https://ivr.test/answer") as info:
        CallSimulator(app, base_url=BASE).inbound("/answer")
    assert info.value.request.event_type == "initiate"
    assert isinstance(info.value.__cause__, LookupError)


def test_a_5xx_is_an_app_error_and_without_raising_the_callback_fails() -> None:
    app = Recorder(status=503, body=b"down")
    with pytest.raises(AppError, match="HTTP 503") as info:
        CallSimulator(app, base_url=BASE).inbound("/answer")
    assert info.value.status == 503
    call = CallSimulator(app, base_url=BASE, raise_app_errors=False).inbound("/answer")
    call.assert_ended("callback-error")


def test_a_webhook_app_handler_failure_hidden_by_the_fallback_is_raised() -> None:
    app = WebhookApp()

    @app.route("/answer")
    async def answer(event: Event) -> Response:
        raise ZeroDivisionError("oops")

    with pytest.raises(AppError, match="ZeroDivisionError") as info:
        CallSimulator(app.asgi, base_url=BASE).inbound("/answer")
    assert info.value.kind == "app-error"


def test_an_app_that_never_answers_times_the_callback_out() -> None:
    forever = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await forever.wait()

    sim = CallSimulator(app, base_url=BASE, timeout=0.2)
    call = sim.inbound("/answer")
    assert call.error is not None and "did not answer within 0.2 s" in call.error
    # A timeout is not a connection error: the callback is not sent a second time.
    assert [cb.event_type for cb in call.callbacks] == ["initiate"]
    assert "sync-connection-retry" not in call.assumptions


def test_an_app_that_returns_without_a_whole_response_is_an_app_error() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    with pytest.raises(AppError, match="without a whole response"):
        CallSimulator(app, base_url=BASE).inbound("/answer")


def test_a_simulator_runs_inside_a_running_event_loop() -> None:
    async def test_body() -> None:
        CallSimulator(Recorder(), base_url=BASE).inbound("/answer").assert_ended("hangup")

    asyncio.run(test_body())


def test_the_loop_stays_between_callbacks_as_a_servers_does() -> None:
    loops: list[object] = []
    app = WebhookApp()

    @app.route("/answer")
    async def answer(event: Event) -> Response:
        loops.append(asyncio.get_running_loop())
        return Response(Gather(SpeakSentence("Press 1."), gather_url="/done", max_digits=1))

    @app.route("/done")
    async def done(event: Event) -> Response:
        loops.append(asyncio.get_running_loop())
        return Response(SpeakSentence("Bye."), Hangup())

    sim = CallSimulator(app.asgi, base_url=BASE)
    sim.inbound("/answer", script=[press("1")])
    assert len(loops) == 2 and loops[0] is loops[1]


def menu() -> WebhookApp:
    app = WebhookApp()

    @app.route("/answer")
    async def answer(event: Event) -> Response:
        return Response(Gather(SpeakSentence("Press 1."), gather_url="/choice", max_digits=1))

    @app.route("/choice")
    def choice(event: Any) -> Response:
        if event.digits == "1":
            return Response(SpeakSentence("One."), Hangup())
        return Response(SpeakSentence("Goodbye."), Hangup())

    return app


def test_explore_and_assert_no_dead_ends_take_an_asgi_app() -> None:
    graph = explore(menu().asgi, base_url=BASE)
    assert graph.calls > 1 and not graph.findings
    assert_no_dead_ends(menu().asgi, base_url=BASE)


def test_a_mounted_asgi_app_serves_another_host() -> None:
    other = Recorder()
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Event) -> Response:
        return Response(Gather(gather_url="https://other.test/x", max_digits=1))

    sim = CallSimulator(app, base_url=BASE)
    sim.mount("https://other.test", other)
    sim.inbound("/answer", script=[press("5")])
    assert [scope["path"] for scope, _ in other.requests] == ["/x"]


@pytest.mark.parametrize(
    ("handler", "kind"),
    [(raises, "app-error"), (bare_verb, "invalid-bxml"), (invalid, "invalid-bxml")],
)
def test_the_wsgi_app_error_cases_raise_the_same_over_asgi(handler: Any, kind: str) -> None:
    kinds = []
    for app in (webhook_ivr(handler), webhook_ivr(handler).asgi):
        with pytest.raises(AppError, match=r"POST https://ivr.test/choice") as info:
            CallSimulator(app, base_url=BASE).inbound("/answer", script=[press("2")])
        kinds.append(info.value.kind)
    assert kinds == [kind, kind]
