"""What only the async client has: ``async with``/``async for``, many operations in flight on
one client, awaited waits, its httpx error mapping (httpx.MockTransport), the emulator.

The behaviour it shares with CallsClient is tested once for both, in test_clients.py.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from callcontrol import (
    AsyncCallsClient,
    CallState,
    DeadlineExceededError,
    InvalidRequestError,
    RetryPolicy,
    TransportError,
)
from callcontrol._async_http import classify, describe
from callcontrol.retry import Failure

from .calls_helpers import (
    ACCOUNT_ID,
    CALL_ID,
    CREATE_FIELDS,
    PASSWORD,
    USERNAME,
    call_state_json,
    create_response_json,
    instant_retry,
)
from .fake_voice_api import FakeVoiceApi, serve

BASE = "https://voice.example/api/v2"


@pytest.fixture
def api() -> Iterator[FakeVoiceApi]:
    fake = FakeVoiceApi(ACCOUNT_ID, USERNAME, PASSWORD)
    with serve(fake) as base_url:
        fake.base_url = base_url  # type: ignore[attr-defined]
        yield fake


def _env(api: FakeVoiceApi) -> dict[str, str]:
    return {
        "BW_ACCOUNT_ID": ACCOUNT_ID,
        "BW_USERNAME": USERNAME,
        "BW_PASSWORD": PASSWORD,
        "BW_VOICE_BASE_URL": str(api.base_url),  # type: ignore[attr-defined]
    }


def test_async_with_from_env_and_async_for(api: FakeVoiceApi) -> None:
    for i in range(5):
        api.add_call(f"c-{i}", to="+15550000000")

    async def main() -> list[str]:
        async with AsyncCallsClient.from_env(_env(api)) as client:
            return [call.call_id or "" async for call in client.list_calls(page_size=2)]

    assert asyncio.run(main()) == [f"c-{i}" for i in range(5)]
    assert sum(r.method == "GET" for r in api.requests) == 3


def test_list_calls_checks_its_filters_before_iterating() -> None:
    client = AsyncCallsClient(ACCOUNT_ID, username="u", password="p", base_url=BASE)
    with pytest.raises(InvalidRequestError, match="page_size"):
        client.list_calls(page_size=0)


def test_from_env_names_the_async_client() -> None:
    with pytest.raises(InvalidRequestError, match=r"^AsyncCallsClient\.from_env: .*BW_ACCOUNT_ID"):
        AsyncCallsClient.from_env({})


def test_many_operations_are_in_flight_at_once_on_one_client(api: FakeVoiceApi) -> None:
    together = 20
    for i in range(100):
        api.add_call(f"c-{i}")
    barrier = threading.Barrier(together, timeout=20)

    def hold(environ: dict[str, Any]) -> None:
        if int(environ["PATH_INFO"].rsplit("-", 1)[1]) < together:
            barrier.wait()  # returns only once `together` requests are in flight together

    api.before = hold

    async def main() -> list[CallState]:
        async with AsyncCallsClient.from_env(_env(api)) as client:
            ids = [f"c-{i}" for i in range(100)]
            return await asyncio.gather(*(client.get_call_state(i) for i in ids))

    states = asyncio.run(main())
    assert [s.call_id for s in states] == [f"c-{i}" for i in range(100)]
    assert api.max_in_flight >= together


def test_concurrent_tasks_share_one_token_fetch(api: FakeVoiceApi) -> None:
    api.add_call("c-1")

    async def main() -> None:
        client = AsyncCallsClient(
            ACCOUNT_ID,
            client_id=api.client_id,
            client_secret=api.client_secret,
            base_url=str(api.base_url),  # type: ignore[attr-defined]
            token_url=f"{api.base_url}/oauth2/token",  # type: ignore[attr-defined]
        )
        async with client:
            await asyncio.gather(*(client.get_call_state("c-1") for _ in range(20)))

    asyncio.run(main())
    assert [r.path for r in api.requests].count("/oauth2/token") == 1
    assert len(api.requests) == 21


# -- waits ----------------------------------------------------------------------------------


def _mock(handler: Callable[[httpx.Request], httpx.Response], **overrides: Any) -> Any:
    """A client over httpx.MockTransport (for the httpx error mapping: no network)."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    settings: dict[str, Any] = {
        "username": USERNAME,
        "password": PASSWORD,
        "base_url": BASE,
        "http_client": http,
        "retry": instant_retry(),
    }
    settings.update(overrides)
    return AsyncCallsClient(ACCOUNT_ID, **settings), http


def _sequence(*steps: httpx.Response | Exception) -> tuple[Any, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return handler, seen


def test_an_async_sleep_is_awaited() -> None:
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    handler, seen = _sequence(
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(200, json=call_state_json()),
    )

    async def main() -> None:
        client, http = _mock(handler, retry=RetryPolicy(sleep=sleep))
        async with http, client:
            await client.get_call_state(CALL_ID)

    asyncio.run(main())
    assert waited == [3.0] and len(seen) == 2


def test_the_default_policy_waits_without_blocking(monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio

    waited: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(anyio, "sleep", fake_sleep)
    handler, _ = _sequence(httpx.Response(503), httpx.Response(200, json=call_state_json()))

    async def main() -> None:
        client, http = _mock(handler, retry=RetryPolicy(random=lambda: 0.0))
        async with http, client:
            await client.get_call_state(CALL_ID)

    asyncio.run(main())
    assert waited == [0.25]  # backoff_base 0.5 with half of it jittered away


def test_a_callers_http_client_stays_open() -> None:
    handler, _ = _sequence(httpx.Response(201, json=create_response_json()))

    async def main() -> bool:
        client, http = _mock(handler)
        async with client:
            await client.create_call(**CREATE_FIELDS)
        closed = bool(http.is_closed)
        await http.aclose()
        return closed

    assert asyncio.run(main()) is False


# -- httpx's exceptions ---------------------------------------------------------------------

REQUEST = httpx.Request("POST", BASE)


def _tls() -> httpx.ConnectError:
    error = httpx.ConnectError("certificate verify failed", request=REQUEST)
    error.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    return error


@pytest.mark.parametrize(
    ("exc", "failure", "reason"),
    [
        (httpx.ConnectTimeout("t", request=REQUEST), Failure.NOT_SENT, "timed out connecting"),
        (httpx.PoolTimeout("t", request=REQUEST), Failure.NOT_SENT, "free connection"),
        (httpx.ConnectError("refused", request=REQUEST), Failure.NOT_SENT, "connection failed"),
        (_tls(), Failure.FATAL, "TLS failure"),
        (httpx.ReadTimeout("t", request=REQUEST), Failure.MAYBE_SENT, "waiting for the response"),
        (httpx.WriteTimeout("t", request=REQUEST), Failure.MAYBE_SENT, "sending the request"),
        (httpx.ReadError("reset", request=REQUEST), Failure.MAYBE_SENT, "connection failed"),
        (httpx.WriteError("reset", request=REQUEST), Failure.MAYBE_SENT, "connection failed"),
        (httpx.RemoteProtocolError("gone", request=REQUEST), Failure.MAYBE_SENT, "dropped"),
        (httpx.ProxyError("p", request=REQUEST), Failure.MAYBE_SENT, "proxy failure"),
        (httpx.DecodingError("bad gzip", request=REQUEST), Failure.MAYBE_SENT, "DecodingError"),
        (httpx.UnsupportedProtocol("ftp", request=REQUEST), Failure.FATAL, "UnsupportedProtocol"),
        (httpx.LocalProtocolError("bad", request=REQUEST), Failure.FATAL, "LocalProtocolError"),
        (httpx.InvalidURL("bad"), Failure.FATAL, "InvalidURL"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_every_httpx_failure_is_classified_and_raised_as_a_transport_error(
    exc: Exception, failure: Failure, reason: str
) -> None:
    assert classify(exc) is failure
    assert reason in describe(exc)
    handler, seen = _sequence(exc, exc, exc, exc)

    async def main() -> None:
        client, http = _mock(handler, retry=instant_retry(max_retries=1))
        async with http, client:
            await client.create_call(**CREATE_FIELDS)

    with pytest.raises(TransportError) as info:
        asyncio.run(main())
    assert info.value.maybe_sent is (failure is Failure.MAYBE_SENT)
    assert info.value.__cause__ is exc
    assert len(seen) == (2 if failure is Failure.NOT_SENT else 1)  # POST: never twice


def test_every_httpx_request_error_is_covered() -> None:
    def subclasses(cls: type) -> set[type]:
        found: set[type] = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    for cls in subclasses(httpx.RequestError):
        exc = cls("boom", request=REQUEST) if cls is not httpx.TooManyRedirects else cls("x")
        assert isinstance(classify(exc), Failure)
        assert describe(exc)


def test_repr_hides_the_credentials() -> None:
    basic = AsyncCallsClient(ACCOUNT_ID, username=USERNAME, password=PASSWORD, base_url=BASE)
    oauth = AsyncCallsClient(ACCOUNT_ID, client_id="cid", client_secret=PASSWORD, base_url=BASE)
    shown = repr(basic) + repr(oauth) + repr(oauth._tokens) + repr(basic._config)
    assert PASSWORD not in shown and USERNAME not in shown
    assert repr(basic) == (
        f"AsyncCallsClient(account_id='{ACCOUNT_ID}', base_url='{BASE}', auth='basic')"
    )
    asyncio.run(basic.aclose())
    asyncio.run(oauth.aclose())


# -- the emulator ---------------------------------------------------------------------------


def test_a_call_on_the_emulator() -> None:
    from callcontrol.emulator import VoiceEmulator

    with VoiceEmulator() as emulator:

        async def main() -> tuple[str | None, str]:  # the created call, as read back
            client = AsyncCallsClient(
                emulator.account_id,
                username=emulator.username,
                password=emulator.password,
                base_url=emulator.base_url,
            )
            async with client:
                created = await client.create_call(
                    to="+15551230001",
                    from_="+15557654321",
                    application_id="app-1",
                    answer_url="http://127.0.0.1:9/answer",
                )
                listed = [c.call_id async for c in client.list_calls(to="+15551230001")]
                assert listed == [created.call_id]
                state = await client.get_call_state(created.call_id)
                return state.call_id, created.call_id

        got, created = asyncio.run(main())
        assert got == created


@pytest.mark.parametrize("backstop", ["asyncio.timeout", "anyio.fail_after"])
def test_the_deadline_cuts_off_headers_sent_byte_by_byte(
    backstop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socketserver

    import callcontrol._async_http as transport

    if backstop == "anyio.fail_after":  # what runs under trio, or before Python 3.11
        monkeypatch.setattr(transport, "_ASYNCIO_TIMEOUT", None)
    elif transport._ASYNCIO_TIMEOUT is None:
        pytest.skip("asyncio.timeout needs Python 3.11")

    stop = threading.Event()
    sent: list[int] = []

    class Trickle(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 12:
                if stop.wait(0.05):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                sent.append(byte)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        block_on_close = False

    server = Server(("127.0.0.1", 0), Trickle)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"

        async def main() -> None:
            client = AsyncCallsClient(
                ACCOUNT_ID, username="u", password="p", base_url=url, deadline=0.4, retry=None
            )
            async with client:
                await client.get_call_state(CALL_ID)

        with pytest.raises(DeadlineExceededError, match="0.4 s deadline") as info:
            asyncio.run(main())
        assert info.value.maybe_sent is True
        # Each byte comes well within the read timeout; without the deadline all would be read.
        assert 0 < len(sent) < 200
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join()
