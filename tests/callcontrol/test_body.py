"""Reading responses: a deadline per operation and a size limit, against real local servers."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from callcontrol import (
    CallsClient,
    DeadlineExceededError,
    InvalidRequestError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
)
from callcontrol._body import Deadline, read_body
from callcontrol.client import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES

from .calls_helpers import (
    ACCOUNT_ID,
    CALL_ID,
    CALLS_URL,
    PASSWORD,
    USERNAME,
    Sleeps,
    call_state_json,
    instant_retry,
    make_client,
)
from .fake_voice_api import serve

CALL_URL = f"{CALLS_URL}/{CALL_ID}"


def _client(base_url: str, **overrides: Any) -> CallsClient:
    settings_: dict[str, Any] = {
        "username": USERNAME,
        "password": PASSWORD,
        "base_url": base_url,
        "retry": None,
    }
    settings_.update(overrides)
    return CallsClient(ACCOUNT_ID, **settings_)


class Trickle:
    """Answers 200 with a JSON object sent one byte at a time, ``pause`` seconds apart."""

    def __init__(self, pause: float, size: int) -> None:
        self.pause, self.size = pause, size
        self.sent = 0
        self.stop = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return self._body()

    def _body(self) -> Iterator[bytes]:
        payload = b"{" + b" " * (self.size - 2) + b"}"
        for byte in payload:
            if self.stop.wait(self.pause):
                return
            self.sent += 1
            yield bytes([byte])


class TestDeadline:
    def test_a_trickling_server_cannot_hold_a_call_past_the_deadline(self) -> None:
        app = Trickle(pause=0.05, size=60)  # 3 s in all, each byte well within the read timeout
        with serve(app) as url:
            client = _client(url, deadline=0.4, timeout=(1.0, 1.0))
            with pytest.raises(DeadlineExceededError, match="0.4 s deadline") as info:
                client.get_call_state(CALL_ID)
            app.stop.set()
        assert info.value.maybe_sent is True
        assert isinstance(info.value, TransportError)
        assert 0 < app.sent < app.size

    @responses.activate
    def test_a_retry_after_past_the_deadline_is_raised_at_once(self) -> None:
        responses.post(CALLS_URL, status=429, headers={"Retry-After": "30"})
        sleeps = Sleeps()
        client = make_client(retry=instant_retry(sleeps), deadline=10)
        with pytest.raises(RateLimitError):
            client.create_call(
                to="+19195551234",
                from_="+19195554321",
                application_id="a",
                answer_url="https://a.example/answer",
            )
        assert sleeps == [] and len(responses.calls) == 1

    @responses.activate
    def test_retries_stop_when_the_next_wait_would_pass_the_deadline(self) -> None:
        responses.get(CALL_URL, status=503)
        now = [0.0]
        sleeps = Sleeps()

        def sleep(seconds: float) -> None:
            sleeps(seconds)
            now[0] += seconds

        retry = instant_retry(sleep=sleep, max_retries=10, backoff_base=1.0, jitter=0.0)
        client = make_client(retry=retry, deadline=5, clock=lambda: now[0])
        with pytest.raises(ServerError):
            client.get_call_state(CALL_ID)
        assert sleeps == [1.0, 2.0] and len(responses.calls) == 3

    @responses.activate
    def test_no_deadline(self) -> None:
        responses.get(CALL_URL, json=call_state_json())
        clock = iter(range(0, 10**9, 10**6))
        client = make_client(deadline=None, clock=lambda: float(next(clock)))
        assert client.get_call_state(CALL_ID).call_id == CALL_ID

    def test_defaults_and_checks(self) -> None:
        client = make_client()
        assert client._transport.deadline == DEFAULT_DEADLINE == 120.0
        assert client._transport.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
        for bad in (0, -1, float("nan"), float("inf"), "5", True):
            with pytest.raises(InvalidRequestError, match="deadline"):
                make_client(deadline=bad)
        for bad in (0, -5, 1.5, "10", True):
            with pytest.raises(InvalidRequestError, match="max_response_bytes"):
                make_client(max_response_bytes=bad)

    def test_deadline_cap(self) -> None:
        now = [0.0]
        deadline = Deadline(3.0, lambda: now[0])
        assert deadline.cap((5.0, 30.0)) == (3.0, 3.0)
        now[0] = 2.5
        assert deadline.cap((5.0, 0.2)) == (0.5, 0.2)
        assert deadline.allows(0.4) and not deadline.allows(0.5)


def _gzip_bomb(inflated: int) -> Any:
    compressed = gzip.compress(b" " * inflated, compresslevel=9)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(compressed))),
        ]
        start_response("200 OK", headers)
        return [compressed]

    return app


class TestSizeLimit:
    def test_a_gzip_bomb_is_stopped_at_the_limit(self) -> None:
        with serve(_gzip_bomb(8 * 1024 * 1024)) as url:
            client = _client(url, max_response_bytes=256 * 1024)
            with pytest.raises(ResponseTooLargeError, match="max_response_bytes") as info:
                client.get_call_state(CALL_ID)
        assert info.value.maybe_sent is True and "262144" in str(info.value)

    def test_an_announced_length_over_the_limit_is_refused_unread(self) -> None:
        body = json.dumps(call_state_json(errorMessage="x" * 5000)).encode()

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]

        with serve(app) as url:
            with pytest.raises(ResponseTooLargeError, match=f"announces {len(body)} bytes"):
                _client(url, max_response_bytes=4096).get_call_state(CALL_ID)
            assert _client(url).get_call_state(CALL_ID).error_message == "x" * 5000

    def test_error_bodies_are_limited_too(self) -> None:
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"e" * 10000]

        with serve(app) as url:
            with pytest.raises(ResponseTooLargeError):
                _client(url, max_response_bytes=1000).get_call_state(CALL_ID)

    @settings(max_examples=30, deadline=None)
    @given(st.integers(0, 3000), st.integers(1, 3000), st.booleans())
    def test_a_body_is_read_whole_exactly_when_it_fits(
        self, size: int, limit: int, compressed: bool
    ) -> None:
        payload = bytes(i % 251 for i in range(size))
        body = gzip.compress(payload) if compressed else payload
        headers = {"Content-Encoding": "gzip"} if compressed else {}
        with responses.RequestsMock() as mock:
            mock.get("https://h.example/x", body=body, headers=headers)
            response = requests.get("https://h.example/x", stream=True, timeout=5)
            deadline = Deadline(None, time.monotonic)
            if size > limit:
                with pytest.raises(ResponseTooLargeError):
                    read_body(
                        response,
                        what=lambda: "x",
                        deadline=deadline,
                        read_timeout=5,
                        max_bytes=limit,
                    )
            else:
                read_body(
                    response, what=lambda: "x", deadline=deadline, read_timeout=5, max_bytes=limit
                )
                assert response.content == payload


def test_a_body_read_whole_gives_the_connection_back_for_the_next_request() -> None:
    from tests.wsgi_server import serve_wsgi

    body = gzip.compress(json.dumps(call_state_json()).encode())
    ports: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        ports.append(environ["REMOTE_PORT"])
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(body))),
        ]
        start_response("200 OK", headers)
        return [body]

    with serve_wsgi(app) as url:
        with _client(url) as client:
            for _ in range(4):
                assert client.get_call_state(CALL_ID).call_id == CALL_ID
    assert len(ports) == 4 and len(set(ports)) == 1
