"""One behavioural suite for both clients: CallsClient and AsyncCallsClient, over real HTTP
on 127.0.0.1, must do the same thing (operations, wire format, retry rules, deadline, size
limit, OAuth2, redaction, errors). The async client runs through a blocking portal, so each
test reads the same for both.
"""

from __future__ import annotations

import base64
import gzip
import inspect
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
import pytest

from callcontrol import (
    ApiError,
    AsyncCallsClient,
    CallControlError,
    CallsClient,
    ConflictError,
    CreateCall,
    DeadlineExceededError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnexpectedResponseError,
)
from callcontrol._version import __version__

from .calls_helpers import (
    ACCOUNT_ID,
    CALL_ID,
    CREATE_FIELDS,
    PASSWORD,
    USERNAME,
    Sleeps,
    call_state_json,
    create_response_json,
    exception_texts,
    instant_retry,
)
from .fake_voice_api import FakeVoiceApi, serve
from .raw_http import DROP, Answer, Received, serve_raw

CALLS = f"/accounts/{ACCOUNT_ID}/calls"
BXML = "<Bxml><Transfer><PhoneNumber>+15551230000</PhoneNumber></Transfer></Bxml>"


class Blocking:
    """An AsyncCallsClient seen through a blocking portal: each coroutine method is run on
    the portal's event loop and its result returned; ``list_calls`` is collected."""

    def __init__(self, client: AsyncCallsClient, portal: Any) -> None:
        self.client = client
        self.portal = portal

    def list_calls(self, **filters: Any) -> Iterator[Any]:
        calls = self.client.list_calls(**filters)  # filters are checked now, as in sync

        async def collect() -> list[Any]:
            return [call async for call in calls]

        return iter(self.portal.call(collect))

    def close(self) -> None:
        self.portal.call(self.client.aclose)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not inspect.iscoroutinefunction(attr):
            return attr
        return lambda *args, **kwargs: self.portal.call(lambda: attr(*args, **kwargs))


Make = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def make(request: pytest.FixtureRequest) -> Iterator[Make]:
    """Builds a client of the kind under test (closed at the end): ``make(base_url, **kw)``."""
    made: list[Any] = []
    with anyio.from_thread.start_blocking_portal() as portal:

        def build(base_url: str, **overrides: Any) -> Any:
            settings: dict[str, Any] = {
                "username": USERNAME,
                "password": PASSWORD,
                "base_url": base_url,
                "retry": instant_retry(),
            }
            settings.update(overrides)
            if request.param == "sync":
                client: Any = CallsClient(ACCOUNT_ID, **settings)
            else:
                client = Blocking(AsyncCallsClient(ACCOUNT_ID, **settings), portal)
            made.append(client)
            return client

        try:
            yield build
        finally:
            for client in made:
                client.close()


@pytest.fixture
def api() -> Iterator[FakeVoiceApi]:
    fake = FakeVoiceApi(ACCOUNT_ID, USERNAME, PASSWORD)
    with serve(fake) as base_url:
        fake.base_url = base_url  # type: ignore[attr-defined]
        yield fake


def _url(api: FakeVoiceApi) -> str:
    return str(api.base_url)  # type: ignore[attr-defined]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- the operations -------------------------------------------------------------------------


def test_every_operation(make: Make, api: FakeVoiceApi) -> None:
    from bxml import Bxml, Hangup, SpeakSentence

    client = make(_url(api))
    created = [client.create_call(**{**CREATE_FIELDS, "to": f"+1919555000{i}"}) for i in range(5)]
    assert created[0].call_url == f"{_url(api)}{CALLS}/{created[0].call_id}"
    state = client.get_call_state(created[0].call_id)
    assert state.state == "answered" and state.to == "+19195550000"
    listed = list(client.list_calls(page_size=2))
    assert [c.call_id for c in listed] == [c.call_id for c in created]
    only = list(client.list_calls(to="+19195550003", page_size=2))
    assert [c.call_id for c in only] == [created[3].call_id]
    client.redirect(created[1].call_id, "https://app.example/next", tag="step-2")
    assert api.redirects[created[1].call_id] == [
        {"state": "active", "redirectUrl": "https://app.example/next", "tag": "step-2"}
    ]
    client.update_call_bxml(created[2].call_id, Bxml(SpeakSentence("Goodbye"), Hangup()))
    client.update_call_bxml(created[2].call_id, "<Bxml><Hangup/></Bxml>")
    assert "<SpeakSentence>Goodbye</SpeakSentence>" in api.bxml[created[2].call_id][0]
    assert api.bxml[created[2].call_id][1] == "<Bxml><Hangup/></Bxml>"
    client.hangup(created[1].call_id)
    assert client.get_call_state(created[1].call_id).state == "disconnected"
    with pytest.raises(ConflictError, match="cannot be modified"):
        client.hangup(created[1].call_id)


def test_the_wire_format(make: Make, api: FakeVoiceApi) -> None:
    client = make(_url(api))
    call = CreateCall(**CREATE_FIELDS, display_name="Zoë", tag="vip")
    client.create_call(call)
    request = api.requests[-1]
    assert request.method == "POST" and request.path == CALLS
    assert (
        request.body
        == json.dumps(call.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
    )
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == _basic(USERNAME, PASSWORD)
    assert request.headers["User-Agent"].startswith(f"bxml-callcontrol/{__version__} python-")
    api.add_call("c-x")
    client.update_call_bxml("c-x", "<Bxml><Hangup/></Bxml>")
    put = api.requests[-1]
    assert (put.method, put.path) == ("PUT", f"{CALLS}/c-x/bxml")
    assert put.headers["Content-Type"] == "application/xml; charset=utf-8"


def test_call_ids_are_one_path_segment(make: Make) -> None:
    def app(request: Received) -> Answer:
        return Answer.json(200, call_state_json())

    with serve_raw(app) as server:
        make(server.url).get_call_state("../other?x")
    assert server.received[0].path == f"{CALLS}/..%2Fother%3Fx"


def test_paging_by_hand(make: Make, api: FakeVoiceApi) -> None:
    for i in range(5):
        api.add_call(f"c-{i}", to="+15550000000")
    client = make(_url(api))
    page = client.list_calls_page(page_size=3)
    assert len(page) == 3 and page.next_url is not None and page.next_url.startswith(_url(api))
    last = client.list_calls_page(next_url=page.next_url)
    assert [c.call_id for c in last] == ["c-3", "c-4"] and last.next_url is None
    with pytest.raises(InvalidRequestError, match="pass it alone"):
        client.list_calls_page(next_url=page.next_url, to="+1555")
    with pytest.raises(InvalidRequestError, match="refusing to send credentials"):
        client.list_calls_page(next_url="https://elsewhere.example/calls?pageToken=x")


def test_a_next_link_to_another_origin_is_refused(make: Make) -> None:
    def app(request: Received) -> Answer:
        link = '<https://evil.example/calls?page=2>; rel="next"'
        return Answer.json(200, [call_state_json("c-1")], Link=link)

    with serve_raw(app) as server:
        with pytest.raises(UnexpectedResponseError, match="next-page link refusing"):
            list(make(server.url).list_calls())
    assert len(server.received) == 1


def test_bad_values_send_nothing(make: Make, api: FakeVoiceApi) -> None:
    client = make(_url(api))
    with pytest.raises(InvalidRequestError, match="call_timeout"):
        client.create_call(**CREATE_FIELDS, call_timeout=0)
    with pytest.raises(InvalidRequestError, match="call_id"):
        client.get_call_state("..")
    with pytest.raises(InvalidRequestError, match="min_start_time"):
        client.list_calls(min_start_time="yesterday")
    with pytest.raises(TypeError, match="did you mean 'answer_url'"):
        client.create_call(**{**CREATE_FIELDS, "answerUrl": "https://a.example"})
    assert api.requests == []


def test_errors_from_the_server(make: Make, api: FakeVoiceApi) -> None:
    with pytest.raises(NotFoundError, match=r"Call \[nope\] not found"):
        make(_url(api)).get_call_state("nope")
    with pytest.raises(UnauthorizedError) as info:
        make(_url(api), password="wrong-password").get_call_state("nope")
    assert "wrong-password" not in exception_texts(info.value)


def test_a_body_that_is_not_json(make: Make) -> None:
    with serve_raw(lambda r: Answer(200, b"<html>oops</html>")) as server:
        with pytest.raises(UnexpectedResponseError, match="not JSON: '<html>oops</html>'"):
            make(server.url).get_call_state(CALL_ID)


def test_redirects_are_not_followed(make: Make) -> None:
    moved = Answer(302, headers={"Location": "https://elsewhere.example/"})
    with serve_raw(lambda r: moved) as server:
        with pytest.raises(UnexpectedResponseError, match="unexpected redirect 302"):
            make(server.url).get_call_state(CALL_ID)
    assert len(server.received) == 1


def test_a_closed_client_sends_nothing(make: Make, api: FakeVoiceApi) -> None:
    client = make(_url(api))
    client.close()
    with pytest.raises(CallControlError, match="is closed"):
        client.get_call_state("c-1")
    assert api.requests == []


def test_bad_arguments_name_the_client(make: Make) -> None:
    with pytest.raises(InvalidRequestError, match=r"CallsClient\.deadline"):
        make("http://127.0.0.1:9", deadline=0)
    with pytest.raises(InvalidRequestError, match="must not contain credentials") as info:
        make("https://user:pw@h.example/api")
    assert "pw@" not in str(info.value)


# -- OAuth2 ---------------------------------------------------------------------------------


def test_oauth_token_is_fetched_once_and_renewed_when_revoked(
    make: Make, api: FakeVoiceApi
) -> None:
    api.add_call("c-1")
    api.revoke_every = 3
    client = make(
        _url(api),
        username=None,
        password=None,
        client_id=api.client_id,
        client_secret=api.client_secret,
        token_url=f"{_url(api)}/oauth2/token",
    )
    for _ in range(7):
        assert client.get_call_state("c-1").call_id == "c-1"
    assert [r.path for r in api.requests].count("/oauth2/token") == 3
    token_request = next(r for r in api.requests if r.path == "/oauth2/token")
    assert token_request.headers["Authorization"] == _basic(api.client_id, api.client_secret)
    assert token_request.body == b"grant_type=client_credentials"
    assert api.requests[1].headers["Authorization"].startswith("Bearer ")


def test_an_unusable_token_is_refused_without_showing_it(make: Make) -> None:
    secret_tail = "Zq9-unique-tail"

    def app(request: Received) -> Answer:
        return Answer.json(200, {"access_token": f"tok\n{secret_tail}", "expires_in": 60})

    with serve_raw(app) as server:
        client = make(
            server.url,
            username=None,
            password=None,
            client_id="cid",
            client_secret="csecret-1",
            token_url=f"{server.url}/token",
        )
        with pytest.raises(UnexpectedResponseError, match="access_token") as info:
            client.get_call_state(CALL_ID)
    assert secret_tail not in exception_texts(info.value)
    assert len(server.received) == 1


def _echo(status: int) -> Callable[[Received], Answer]:
    def app(request: Received) -> Answer:
        auth = request.headers.get("Authorization", "")
        said = f"you sent Authorization: {auth} and body {request.body.decode()!r}"
        data = {"type": "validation", "description": said, "id": auth}
        return Answer.json(status, data, **{"X-Echo": auth})

    return app


@pytest.mark.parametrize("status", [400, 500])
def test_echoed_credentials_never_reach_an_exception(make: Make, status: int) -> None:
    pair_b64 = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    with serve_raw(_echo(status)) as server:
        client = make(server.url, retry=None)
        with pytest.raises(ApiError) as info:
            client.update_call(CALL_ID, redirect_url="https://a.example/r", tag="x")
    assert "you sent Authorization: Basic [redacted]" in str(info.value)
    texts = exception_texts(info.value)
    assert PASSWORD not in texts and pair_b64 not in texts
    assert info.value.headers.get("X-Echo") == "Basic [redacted]"


# -- what is retried, and what is never sent twice ------------------------------------------


def _script(*answers: Answer | None) -> Callable[[Received], Answer | None]:
    queue = list(answers)
    return lambda request: queue.pop(0) if queue else Answer(599)


def test_create_call_is_never_resent_once_it_may_have_arrived(make: Make) -> None:
    with serve_raw(_script(DROP)) as server:
        with pytest.raises(TransportError) as info:
            make(server.url).create_call(**CREATE_FIELDS)
    assert server.count("POST") == 1 and info.value.maybe_sent is True
    assert "may have reached the server and taken effect" in str(info.value)


@pytest.mark.parametrize("first", [DROP, Answer(500), Answer(503, headers={"Retry-After": "1"})])
def test_update_call_bxml_is_never_resent_once_it_may_have_arrived(
    make: Make, first: Answer | None
) -> None:
    sleeps = Sleeps()
    with serve_raw(_script(first, Answer(204))) as server:
        client = make(server.url, retry=instant_retry(sleeps))
        with pytest.raises((TransportError, ServerError)) as info:
            client.update_call_bxml(CALL_ID, BXML)
    assert server.count("PUT", "/bxml") == 1 and sleeps == []
    if isinstance(info.value, TransportError):
        assert info.value.maybe_sent is True


def test_429_is_retried_for_every_operation_honouring_retry_after(make: Make) -> None:
    sleeps = Sleeps()
    limited = Answer.json(429, {"type": "rate"}, **{"Retry-After": "2"})
    created = Answer.json(201, create_response_json())
    with serve_raw(_script(limited, created, limited, Answer(204))) as server:
        client = make(server.url, retry=instant_retry(sleeps))
        assert client.create_call(**CREATE_FIELDS).call_id == CALL_ID
        client.update_call_bxml(CALL_ID, BXML)
    assert sleeps == [2.0, 2.0] and server.count("POST") == 2 and server.count("PUT") == 2
    assert server.received[0].body == server.received[1].body


def test_a_get_is_retried_after_a_drop_and_5xx(make: Make) -> None:
    sleeps = Sleeps()
    state = Answer.json(200, call_state_json())
    with serve_raw(_script(DROP, Answer(503), Answer(502), state)) as server:
        client = make(server.url, retry=instant_retry(sleeps, backoff_base=1, jitter=0))
        assert client.get_call_state(CALL_ID).call_id == CALL_ID
    assert sleeps == [1.0, 2.0, 4.0] and server.count("GET") == 4


def test_retries_run_out(make: Make) -> None:
    sleeps = Sleeps()
    limited = Answer(429, headers={"Retry-After": "1"})
    with serve_raw(lambda r: limited) as server:
        client = make(server.url, retry=instant_retry(sleeps, max_retries=2))
        with pytest.raises(RateLimitError) as info:
            client.get_call_state(CALL_ID)
    assert server.count("GET") == 3 and sleeps == [1.0, 1.0] and info.value.retry_after == 1.0


def test_a_refused_connection_is_retried_then_reported(make: Make) -> None:
    with socket.socket() as sock:  # bind, then close: the port is free and refuses
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    client = make(f"http://127.0.0.1:{port}/api", retry=instant_retry(sleeps, max_retries=2))
    with pytest.raises(TransportError) as info:
        client.create_call(**CREATE_FIELDS)
    assert info.value.maybe_sent is False and len(sleeps) == 2
    assert "after 3 attempts" in str(info.value) and "connection failed" in str(info.value)


# -- the deadline and the size limit --------------------------------------------------------


def test_a_trickling_server_cannot_hold_a_call_past_the_deadline(make: Make) -> None:
    from .test_body import Trickle

    app = Trickle(pause=0.05, size=60)  # 3 s in all, each byte well within the read timeout
    with serve(app) as url:
        client = make(url, deadline=0.4, timeout=(1.0, 1.0), retry=None)
        with pytest.raises(DeadlineExceededError, match="0.4 s deadline") as info:
            client.get_call_state(CALL_ID)
        app.stop.set()
    assert info.value.maybe_sent is True
    assert 0 < app.sent < app.size


def test_a_gzip_bomb_is_stopped_at_the_limit(make: Make) -> None:
    compressed = gzip.compress(b" " * (8 * 1024 * 1024), compresslevel=9)
    bomb = Answer(200, compressed, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    with serve_raw(lambda r: bomb) as server:
        client = make(server.url, max_response_bytes=256 * 1024)
        with pytest.raises(ResponseTooLargeError, match="max_response_bytes") as info:
            client.get_call_state(CALL_ID)
    assert info.value.maybe_sent is True and "262144" in str(info.value)


def test_an_announced_length_over_the_limit_is_refused(make: Make) -> None:
    body = json.dumps(call_state_json(errorMessage="x" * 5000)).encode()
    answer = Answer(200, body, {"Content-Type": "application/json"})
    with serve_raw(lambda r: answer) as server:
        with pytest.raises(ResponseTooLargeError, match=f"announces {len(body)} bytes"):
            make(server.url, max_response_bytes=4096).get_call_state(CALL_ID)
        assert make(server.url).get_call_state(CALL_ID).error_message == "x" * 5000


def test_a_retry_after_past_the_deadline_is_raised_at_once(make: Make) -> None:
    sleeps = Sleeps()
    with serve_raw(lambda r: Answer(429, headers={"Retry-After": "30"})) as server:
        client = make(server.url, retry=instant_retry(sleeps), deadline=10)
        with pytest.raises(RateLimitError):
            client.create_call(**CREATE_FIELDS)
    assert sleeps == [] and server.count("POST") == 1


def test_a_bxml_put_applied_whose_answer_is_lost_is_not_sent_again_on_the_emulator(
    make: Make,
) -> None:
    # The emulator applies the PUT, then drops the connection (issue 20: a retried
    # <Transfer> dialled again). Exactly one updateCallBxml reaches it.
    from bxml import Bxml, Pause, Response
    from callcontrol.emulator import VoiceEmulator

    def holding(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
        return [Response(Pause(duration=3600)).to_bytes()]

    with VoiceEmulator(app=holding, clock="manual") as emulator:
        client = make(emulator.base_url, username=emulator.username, password=emulator.password)
        created = emulator.client().create_call(
            to="+15553334444",
            from_="+15551230000",
            answer_url=f"{emulator.app_url}/answer",
            application_id="app",
        )
        emulator.advance(1)
        assert client.get_call_state(created.call_id).state == "answered"
        emulator.faults.next("updateCallBxml", drop="after")
        with pytest.raises(TransportError) as info:
            client.update_call_bxml(created.call_id, Bxml(Pause(duration=5)))
        puts = [e for e in emulator.exchanges if e.operation == "updateCallBxml"]
    assert info.value.maybe_sent is True
    assert [e.drop for e in puts] == ["after"]  # applied once, its answer lost, not resent
