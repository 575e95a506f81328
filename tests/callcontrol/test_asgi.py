"""WebhookApp over ASGI (``app.asgi``): the same answers as over WSGI, async handlers awaited,
plain ones off the event loop, app errors reported through the scope, mounted under a
prefix, and served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from bxml import Gather, Hangup, Response, SpeakSentence
from callcontrol import Event, GatherEvent, WebhookApp
from callcontrol._asgi_call import call, http_scope, is_asgi
from callcontrol.asgi import AsgiWebhooks
from callcontrol.webhooks import APP_ERRORS_KEY, DEFAULT_FALLBACK_TEXT

USER, PASSWORD = "bw", "s3cret"
GOOD_AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def payload(event_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": "2026-01-01T09:00:01.000Z",
        "accountId": "9900000",
        "applicationId": "app-1",
        "from": "+15551112222",
        "to": "+15553334444",
        "direction": "inbound",
        "callId": "c-1",
        "callUrl": "https://voice.test/calls/c-1",
        "startTime": "2026-01-01T09:00:00.000Z",
        **fields,
    }


def menu_app(*, async_answer: bool = True, **options: Any) -> WebhookApp:
    """A menu: an async (or plain) /answer handler, a plain gather handler that raises on 9
    and returns invalid BXML on 8."""
    app = WebhookApp(**options)

    async def answer(event: Event) -> Response:
        await asyncio.sleep(0)
        return Response(Gather(SpeakSentence("Press 1."), gather_url="menu", max_digits=1))

    def plain_answer(event: Event) -> Response:
        return Response(Gather(SpeakSentence("Press 1."), gather_url="menu", max_digits=1))

    app.route("/answer")(answer if async_answer else plain_answer)

    @app.on("gather")
    def menu(event: GatherEvent) -> Response | str:
        if event.digits == "9":
            raise KeyError("nine")
        if event.digits == "8":
            return "<Response><Gather maxDigits='99'/></Response>"
        return Response(SpeakSentence(f"You pressed {event.digits}."), Hangup())

    return app


def over_wsgi(
    app: WebhookApp,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
    script_name: str = "",
) -> tuple[int, list[tuple[str, str]], bytes, list[Any]]:
    headers = headers or {}
    reported: list[Any] = []
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": script_name,
        "QUERY_STRING": query,
        "SERVER_NAME": "ivr.test",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)) if body else "",
        APP_ERRORS_KEY: reported,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else "HTTP_" + key] = value
    captured: dict[str, Any] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        captured["status"], captured["headers"] = status, response_headers

    out = b"".join(app(environ, start_response))
    found = sorted((name.lower(), value) for name, value in captured["headers"])
    return int(captured["status"][:3]), found, out, reported


def over_asgi(
    app: Any,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: str = "",
    root_path: str = "",
) -> tuple[int, list[tuple[str, str]], bytes, list[Any]]:
    sent = dict(headers or {})
    if body:
        sent["Content-Length"] = str(len(body))
    reported: list[Any] = []
    url = f"https://ivr.test{root_path}{path}" + (f"?{query}" if query else "")
    scope = http_scope(method, url, sent.items(), root_path=root_path, app_errors=reported)
    response = asyncio.run(call(app, scope, body))
    assert response.status is not None and response.complete
    return response.status, sorted(response.headers), response.body, reported


# -- the same answers ---------------------------------------------------------------------

BODIES = st.one_of(
    st.sampled_from(
        [
            json.dumps(payload("initiate")).encode(),
            json.dumps(payload("gather", digits="1")).encode(),
            json.dumps(payload("gather", digits="9")).encode(),
            json.dumps(payload("gather", digits="8")).encode(),
            json.dumps(payload("disconnect")).encode(),
            json.dumps(payload("someNewEvent")).encode(),
            b"eventType=gather&callId=c-2&digits=1",
            b"",
            b"{not json",
        ]
    ),
    st.binary(max_size=80),
)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["POST", "GET", "PUT"]),
    path=st.sampled_from(["/answer", "/menu", "/nowhere", "/_hosted/x.y"]),
    body=BODIES,
    query=st.sampled_from(["", "eventType=gather&callId=c&digits=1", "a=1&a=2", "%ff=1"]),
    auth=st.sampled_from([None, GOOD_AUTH, "Basic Ync6d3Jvbmc=", "Bearer x", "Basic !!"]),
    content_type=st.sampled_from([None, "application/json", "application/x-www-form-urlencoded"]),
    limited=st.booleans(),
)
def test_asgi_answers_exactly_as_wsgi(
    method: str,
    path: str,
    body: bytes,
    query: str,
    auth: str | None,
    content_type: str | None,
    limited: bool,
) -> None:
    app = menu_app(
        async_answer=False,
        username=USER,
        password=PASSWORD,
        credentials_on_verbs=True,
        max_body_bytes=40 if limited else 65536,
    )
    headers = {"Host": "ivr.test"}
    if auth is not None:
        headers["Authorization"] = auth
    if content_type is not None:
        headers["Content-Type"] = content_type
    if method == "GET":
        body = b""
    wsgi = over_wsgi(app, method, path, body, headers, query)
    asgi = over_asgi(app.asgi, method, path, body, headers, query)
    assert asgi[:3] == wsgi[:3]
    assert [(kind, type(error)) for kind, error in asgi[3]] == [
        (kind, type(error)) for kind, error in wsgi[3]
    ]


def test_an_async_handler_is_awaited_and_its_document_stamped_with_the_credentials() -> None:
    app = menu_app(username=USER, password=PASSWORD, credentials_on_verbs=True)
    headers = {"Authorization": GOOD_AUTH, "Content-Type": "application/json"}
    body = json.dumps(payload("initiate")).encode()
    status, found, reply, reported = over_asgi(app.asgi, "POST", "/answer", body, headers)
    assert status == 200 and reported == []
    assert ("content-type", "application/xml; charset=utf-8") in found
    assert b'gatherUrl="menu"' in reply and b'username="bw"' in reply


def test_the_challenge_comes_first_as_over_wsgi() -> None:
    app = menu_app(username=USER, password=PASSWORD)
    status, found, _, _ = over_asgi(app.asgi, "POST", "/answer", b"{}")
    assert status == 401
    assert dict(found)["www-authenticate"].startswith('Basic realm="callcontrol webhooks"')


def test_app_asgi_is_one_asgi_app_per_webhook_app() -> None:
    app = menu_app()
    assert app.asgi is app.asgi and isinstance(app.asgi, AsgiWebhooks)
    assert is_asgi(app.asgi) and not is_asgi(app)
    assert repr(app.asgi).endswith(".asgi")


# -- handlers -----------------------------------------------------------------------------


def test_a_plain_handler_runs_off_the_event_loop_so_others_proceed() -> None:
    app = WebhookApp()
    released = threading.Event()
    threads: dict[str, int] = {}

    @app.route("/slow")
    def slow(event: Event) -> Response:
        threads["slow"] = threading.get_ident()
        # Only the async handler, running meanwhile on the loop, sets this.
        assert released.wait(timeout=30), "the event loop was blocked by a plain handler"
        return Response(SpeakSentence("slow"))

    @app.route("/fast")
    async def fast(event: Event) -> Response:
        threads["loop"] = threading.get_ident()
        released.set()
        return Response(SpeakSentence("fast"))

    body = json.dumps(payload("initiate")).encode()

    async def both() -> list[Any]:
        scopes = [
            http_scope("POST", f"https://ivr.test{path}", [("content-type", "application/json")])
            for path in ("/slow", "/fast")
        ]
        return await asyncio.gather(*(call(app.asgi, scope, body) for scope in scopes))

    slow_reply, fast_reply = asyncio.run(both())
    assert b"slow" in slow_reply.body and b"fast" in fast_reply.body
    assert threads["slow"] != threads["loop"]


def test_an_async_handler_under_wsgi_is_an_app_error_answered_with_the_fallback() -> None:
    app = menu_app()
    body = json.dumps(payload("initiate")).encode()
    status, _, reply, reported = over_wsgi(app, "POST", "/answer", body)
    assert status == 200 and DEFAULT_FALLBACK_TEXT.encode() in reply
    [(kind, error)] = reported
    assert kind == "app-error" and isinstance(error, TypeError)
    assert "async def" in str(error) and "app.asgi" in str(error)


def test_a_lambda_returning_a_coroutine_is_awaited_under_asgi() -> None:
    app = WebhookApp()

    async def document() -> Response:
        return Response(SpeakSentence("awaited"))

    app.route("/answer")(lambda event: document())
    body = json.dumps(payload("initiate")).encode()
    status, _, reply, _ = over_asgi(app.asgi, "POST", "/answer", body)
    assert status == 200 and b"awaited" in reply


@pytest.mark.parametrize(("digits", "kind"), [("9", "app-error"), ("8", "invalid-bxml")])
def test_failures_are_reported_through_the_scope_extensions(digits: str, kind: str) -> None:
    app = menu_app()
    body = json.dumps(payload("gather", digits=digits)).encode()
    status, _, reply, reported = over_asgi(app.asgi, "POST", "/menu", body)
    assert status == 200 and DEFAULT_FALLBACK_TEXT.encode() in reply
    assert [found for found, _ in reported] == [kind]


def test_without_a_driver_the_fallback_is_all_there_is() -> None:
    app = menu_app()
    body = json.dumps(payload("gather", digits="9")).encode()
    scope = http_scope("POST", "https://ivr.test/menu", [])
    response = asyncio.run(call(app.asgi, scope, body))
    assert response.status == 200 and DEFAULT_FALLBACK_TEXT.encode() in response.body


# -- the body ---------------------------------------------------------------------------------


def test_a_chunked_body_over_the_limit_is_refused_without_reading_it_all() -> None:
    app = menu_app(max_body_bytes=100)
    received: list[int] = []

    async def receive() -> dict[str, Any]:
        received.append(1)
        return {"type": "http.request", "body": b"x" * 60, "more_body": len(received) < 50}

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = http_scope("POST", "https://ivr.test/answer", [])
    asyncio.run(app.asgi(scope, receive, send))
    assert sent[0]["status"] == 413 and len(received) == 2


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    app = menu_app(max_body_bytes=100)
    headers = {"Content-Length": "101"}
    scope = http_scope("POST", "https://ivr.test/answer", headers.items())

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app.asgi(scope, receive, send))
    assert sent[0]["status"] == 413


# -- mounting and protocols -------------------------------------------------------------------


def test_mounted_under_a_prefix_it_routes_below_it_and_stamps_its_own_urls() -> None:
    app = WebhookApp(username=USER, password=PASSWORD, credentials_on_verbs=True)

    @app.route("/answer")
    def answer(event: Event) -> Response:
        return Response(
            Gather(gather_url="/bw/menu", max_digits=1),
            Gather(gather_url="/elsewhere", max_digits=1),
        )

    headers = {"Authorization": GOOD_AUTH, "Host": "ivr.test"}
    body = json.dumps(payload("initiate")).encode()
    status, _, reply, _ = over_asgi(app.asgi, "POST", "/answer", body, headers, root_path="/bw")
    assert status == 200
    stamped, other = reply.split(b"<Gather")[1:]
    assert b'username="bw"' in stamped and b"username" not in other
    wsgi = over_wsgi(app, "POST", "/answer", body, headers, script_name="/bw")
    assert wsgi[2] == reply


def test_mounted_in_starlette_and_fastapi() -> None:
    fastapi = pytest.importorskip("fastapi")
    outer = fastapi.FastAPI()
    inner = menu_app()
    outer.mount("/voice", inner.asgi)
    body = json.dumps(payload("gather", digits="1")).encode()
    status, _, reply, _ = over_asgi(outer, "POST", "/voice/menu", body)
    assert status == 200 and b"You pressed 1." in reply
    assert over_asgi(outer, "POST", "/menu", body)[0] == 404


def test_lifespan_is_answered_and_websockets_refused() -> None:
    app = menu_app()
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    asyncio.run(app.asgi({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    sent.clear()
    asyncio.run(app.asgi({"type": "websocket", "path": "/"}, receive, send))
    assert sent == ["websocket.close"]
    with pytest.raises(ValueError, match="'other' is not served"):
        asyncio.run(app.asgi({"type": "other"}, receive, send))


def test_served_by_uvicorn_on_loopback() -> None:
    pytest.importorskip("uvicorn")
    from callcontrol.load.serve import serve

    app = menu_app(username=USER, password=PASSWORD)
    with serve(app.asgi, 2) as base:
        first = requests.post(f"{base}/menu", json=payload("gather", digits="3"), timeout=10)
        assert first.status_code == 401 and "WWW-Authenticate" in first.headers
        second = requests.post(
            f"{base}/menu",
            json=payload("gather", digits="3"),
            auth=(USER, PASSWORD),
            timeout=10,
        )
    assert second.status_code == 200
    assert second.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert b"You pressed 3." in second.content


def test_a_hosted_document_in_a_shared_store_is_read_off_the_event_loop() -> None:
    from callcontrol.hosting import MemoryStore

    readers: list[int] = []

    class Shared(MemoryStore):
        def get(self, key: str) -> bytes | None:
            readers.append(threading.get_ident())
            return super().get(key)

    app = WebhookApp(hosting_store=Shared())
    path = app.host(Response(SpeakSentence("Hosted."), Hangup()))
    body = json.dumps(payload("redirect")).encode()

    async def fetch() -> tuple[Any, int]:
        scope = http_scope("POST", f"https://ivr.test{path}", [])
        return await call(app.asgi, scope, body), threading.get_ident()

    response, loop_thread = asyncio.run(fetch())
    assert response.status == 200 and b"Hosted." in response.body
    assert readers and loop_thread not in readers
