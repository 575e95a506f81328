"""Retry rules: what is retried, how long the client waits, and what is never sent twice."""

from __future__ import annotations

import logging
import socket
from email.utils import formatdate

import pytest
import requests
import responses
from responses.registries import OrderedRegistry
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from callcontrol import (
    CallsClient,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from callcontrol._build import Outgoing
from callcontrol.retry import DEFAULT_RETRY, NO_RETRY, Failure

from .calls_helpers import (
    ACCOUNT_ID,
    CALL_ID,
    CALLS_URL,
    CREATE_FIELDS,
    PASSWORD,
    Sleeps,
    call_state_json,
    create_response_json,
    instant_retry,
    make_client,
)

CALL_URL = f"{CALLS_URL}/{CALL_ID}"
BXML = "<Bxml><Transfer><PhoneNumber>+15551230000</PhoneNumber></Transfer></Bxml>"
CLOCK = 1_700_000_000.0


def _refused() -> requests.ConnectionError:
    """What requests raises when nothing listens on the port."""
    message = "Failed to establish a new connection: [Errno 111] Connection refused"
    reason = NewConnectionError(None, message)  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def _dropped() -> requests.ConnectionError:
    """What requests raises when the server closes the connection after the request."""
    cause = ProtocolError("Connection aborted.", ConnectionResetError(104, "reset by peer"))
    return requests.ConnectionError(cause)


class TestPolicy:
    """The pure decisions of RetryPolicy."""

    @pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE"])
    def test_429_is_retried_for_every_method(self, method: str) -> None:
        assert RetryPolicy().retry_status(method, 429, 0)

    @pytest.mark.parametrize(
        ("method", "expected"), [("GET", True), ("PUT", True), ("POST", False)]
    )
    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_5xx_only_for_idempotent_methods(
        self, method: str, expected: bool, status: int
    ) -> None:
        assert RetryPolicy().retry_status(method, status, 0) is expected

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 415, 501])
    def test_other_statuses_are_final(self, status: int) -> None:
        assert not RetryPolicy().retry_status("GET", status, 0)

    @pytest.mark.parametrize(
        ("method", "failure", "expected"),
        [
            ("POST", Failure.NOT_SENT, True),
            ("GET", Failure.NOT_SENT, True),
            ("POST", Failure.MAYBE_SENT, False),
            ("GET", Failure.MAYBE_SENT, True),
            ("PUT", Failure.MAYBE_SENT, True),
            ("GET", Failure.FATAL, False),
        ],
    )
    def test_failures(self, method: str, failure: Failure, expected: bool) -> None:
        assert RetryPolicy().retry_failure(method, failure, 0) is expected

    @pytest.mark.parametrize("failure", [Failure.MAYBE_SENT, Failure.NOT_SENT])
    def test_idempotent_false_makes_a_put_once_only(self, failure: Failure) -> None:
        policy = RetryPolicy()
        expected = failure is Failure.NOT_SENT
        assert policy.retry_failure("PUT", failure, 0, idempotent=False) is expected
        assert not policy.retry_status("PUT", 500, 0, idempotent=False)
        assert policy.retry_status("PUT", 429, 0, idempotent=False)
        assert policy.retry_failure("POST", Failure.MAYBE_SENT, 0, idempotent=True)
        assert policy.is_idempotent("put") and not policy.is_idempotent("PUT", False)

    def test_retries_stop_at_max_retries(self) -> None:
        policy = RetryPolicy(max_retries=2)
        assert policy.retry_status("GET", 429, 1) and not policy.retry_status("GET", 429, 2)
        assert not policy.retry_failure("GET", Failure.NOT_SENT, 2)
        assert not NO_RETRY.retry_status("GET", 429, 0)

    def test_backoff_doubles_up_to_the_cap_with_jitter(self) -> None:
        low = RetryPolicy(backoff_base=1, backoff_max=5, jitter=0.5, random=lambda: 0.0)
        high = RetryPolicy(backoff_base=1, backoff_max=5, jitter=0.5, random=lambda: 0.999999)
        assert [low.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 2.5, 2.5]
        assert [round(high.backoff(n), 3) for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
        assert RetryPolicy(jitter=0, backoff_base=2).backoff(1) == 4.0

    def test_delay_honours_retry_after_up_to_the_cap(self) -> None:
        policy = RetryPolicy(max_retry_after=10, random=lambda: 0.5)
        assert policy.delay(0, 3.0) == 3.0
        assert policy.delay(0, 10.0) == 10.0
        assert policy.delay(0, 11.0) is None
        assert policy.delay(0, None) == policy.backoff(0)

    @pytest.mark.parametrize(
        "settings",
        [
            {"max_retries": -1},
            {"max_retries": 1.5},
            {"max_retries": True},
            {"jitter": 2},
            {"backoff_base": -1},
            {"max_retry_after": -5},
        ],
    )
    def test_bad_settings(self, settings: dict[str, object]) -> None:
        with pytest.raises((TypeError, ValueError)):
            RetryPolicy(**settings)  # type: ignore[arg-type]

    def test_policy_is_a_frozen_value(self) -> None:
        assert RetryPolicy() == DEFAULT_RETRY
        with pytest.raises(AttributeError):
            DEFAULT_RETRY.max_retries = 9  # type: ignore[misc]


class TestClientRetries:
    """The client applies the rules to real request sequences."""

    @responses.activate(registry=OrderedRegistry)
    def test_create_call_429_then_success(self) -> None:
        sleeps = Sleeps()
        limited = {"type": "error", "description": "Account call creation rate limit exceeded"}
        responses.post(CALLS_URL, status=429, json=limited, headers={"Retry-After": "2"})
        responses.post(CALLS_URL, status=201, json=create_response_json())
        client = make_client(retry=instant_retry(sleeps))
        result = client.create_call(**CREATE_FIELDS)
        assert result.call_id == CALL_ID
        assert len(responses.calls) == 2
        assert responses.calls[0].request.body == responses.calls[1].request.body
        assert sleeps == [2.0]

    @responses.activate
    def test_create_call_is_not_resent_after_a_500(self) -> None:
        sleeps = Sleeps()
        responses.post(CALLS_URL, status=500, json={"type": "internal-error"})
        client = make_client(retry=instant_retry(sleeps))
        with pytest.raises(ServerError):
            client.create_call(**CREATE_FIELDS)
        assert len(responses.calls) == 1 and sleeps == []

    @responses.activate
    def test_update_call_is_not_resent_after_a_503(self) -> None:
        responses.post(CALL_URL, status=503, json={"type": "system-overloaded"})
        with pytest.raises(ServerError):
            make_client().hangup(CALL_ID)
        assert len(responses.calls) == 1

    @responses.activate
    def test_create_call_is_not_resent_after_a_read_timeout(self) -> None:
        responses.post(CALLS_URL, body=requests.exceptions.ReadTimeout("read timed out"))
        with pytest.raises(TransportError) as info:
            make_client().create_call(**CREATE_FIELDS)
        assert len(responses.calls) == 1
        assert info.value.maybe_sent is True
        assert "may have reached the server" in str(info.value)

    @responses.activate
    def test_create_call_is_not_resent_after_a_dropped_connection(self) -> None:
        responses.post(CALLS_URL, body=_dropped())
        with pytest.raises(TransportError) as info:
            make_client().create_call(**CREATE_FIELDS)
        assert len(responses.calls) == 1 and info.value.maybe_sent

    @responses.activate(registry=OrderedRegistry)
    def test_create_call_is_retried_when_the_connection_was_refused(self) -> None:
        responses.post(CALLS_URL, body=_refused())
        responses.post(CALLS_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
        responses.post(CALLS_URL, status=201, json=create_response_json())
        assert make_client().create_call(**CREATE_FIELDS).call_id == CALL_ID
        assert len(responses.calls) == 3

    @responses.activate(registry=OrderedRegistry)
    def test_get_is_retried_after_5xx_and_read_timeouts(self) -> None:
        sleeps = Sleeps()
        responses.get(CALL_URL, status=503, body="overloaded")
        responses.get(CALL_URL, body=requests.exceptions.ReadTimeout("slow"))
        responses.get(CALL_URL, status=502, body="bad gateway")
        responses.get(CALL_URL, json=call_state_json())
        client = make_client(retry=instant_retry(sleeps, backoff_base=1, jitter=0))
        assert client.get_call_state(CALL_ID).call_id == CALL_ID
        assert sleeps == [1.0, 2.0, 4.0]

    @responses.activate(registry=OrderedRegistry)
    def test_put_is_retried_after_a_500(self) -> None:
        responses.put(f"{CALL_URL}/bxml", status=500)
        responses.put(f"{CALL_URL}/bxml", status=204)
        client = make_client()
        client._send(
            Outgoing("PUT", f"{CALL_URL}/bxml", body=b"<Bxml/>", content_type="application/xml")
        )
        assert len(responses.calls) == 2

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    @responses.activate
    def test_update_call_bxml_is_not_resent_after_a_5xx(self, status: int) -> None:
        # Bandwidth starts the document over on each PUT: a retried <Transfer> dials again.
        sleeps = Sleeps()
        responses.put(f"{CALL_URL}/bxml", status=status, json={"type": "internal-error"})
        with pytest.raises(ServerError):
            make_client(retry=instant_retry(sleeps)).update_call_bxml(CALL_ID, BXML)
        assert len(responses.calls) == 1 and sleeps == []

    @pytest.mark.parametrize("error", [requests.exceptions.ReadTimeout("slow"), _dropped()])
    @responses.activate
    def test_update_call_bxml_is_not_resent_when_its_answer_was_lost(
        self, error: Exception
    ) -> None:
        responses.put(f"{CALL_URL}/bxml", body=error)
        with pytest.raises(TransportError) as info:
            make_client().update_call_bxml(CALL_ID, BXML)
        assert len(responses.calls) == 1 and info.value.maybe_sent is True
        assert "may have reached the server and taken effect" in str(info.value)

    @responses.activate(registry=OrderedRegistry)
    def test_update_call_bxml_is_retried_after_429_and_a_refused_connection(self) -> None:
        sleeps = Sleeps()
        responses.put(f"{CALL_URL}/bxml", status=429, headers={"Retry-After": "3"})
        responses.put(f"{CALL_URL}/bxml", body=_refused())
        responses.put(f"{CALL_URL}/bxml", status=204)
        make_client(retry=instant_retry(sleeps)).update_call_bxml(CALL_ID, BXML)
        assert len(responses.calls) == 3 and sleeps[0] == 3.0

    @responses.activate
    def test_retries_run_out(self) -> None:
        sleeps = Sleeps()
        responses.get(CALL_URL, status=429, headers={"Retry-After": "1"})
        client = make_client(retry=instant_retry(sleeps, max_retries=3))
        with pytest.raises(RateLimitError) as info:
            client.get_call_state(CALL_ID)
        assert len(responses.calls) == 4 and sleeps == [1.0, 1.0, 1.0]
        assert info.value.retry_after == 1.0

    @responses.activate
    def test_a_retry_after_beyond_the_cap_is_raised_at_once(self) -> None:
        sleeps = Sleeps()
        responses.post(CALLS_URL, status=429, headers={"Retry-After": "3600"})
        client = make_client(retry=instant_retry(sleeps, max_retry_after=60))
        with pytest.raises(RateLimitError) as info:
            client.create_call(**CREATE_FIELDS)
        assert info.value.retry_after == 3600.0
        assert len(responses.calls) == 1 and sleeps == []

    @responses.activate(registry=OrderedRegistry)
    def test_retry_after_as_an_http_date_uses_the_injected_clock(self) -> None:
        sleeps = Sleeps()
        when = formatdate(CLOCK + 12, usegmt=True)
        responses.get(CALL_URL, status=429, headers={"Retry-After": when})
        responses.get(CALL_URL, json=call_state_json())
        make_client(retry=instant_retry(sleeps, clock=lambda: CLOCK)).get_call_state(CALL_ID)
        assert sleeps == [12.0]

    @responses.activate(registry=OrderedRegistry)
    def test_503_retry_after_is_honoured_for_get(self) -> None:
        sleeps = Sleeps()
        responses.get(CALL_URL, status=503, headers={"Retry-After": "4"})
        responses.get(CALL_URL, json=call_state_json())
        make_client(retry=instant_retry(sleeps)).get_call_state(CALL_ID)
        assert sleeps == [4.0]

    @responses.activate
    def test_no_retry_policy(self) -> None:
        responses.get(CALL_URL, status=429)
        with pytest.raises(RateLimitError):
            make_client(retry=None).get_call_state(CALL_ID)
        assert len(responses.calls) == 1

    @responses.activate
    def test_tls_failures_are_not_retried(self) -> None:
        responses.get(CALL_URL, body=requests.exceptions.SSLError("certificate verify failed"))
        with pytest.raises(TransportError) as info:
            make_client().get_call_state(CALL_ID)
        assert len(responses.calls) == 1 and not info.value.maybe_sent
        assert "TLS failure" in str(info.value)

    @responses.activate(registry=OrderedRegistry)
    def test_retries_are_logged_at_debug_without_credentials(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        responses.get(CALL_URL, status=503)
        responses.get(CALL_URL, json=call_state_json())
        with caplog.at_level(logging.DEBUG, logger="callcontrol"):
            make_client().get_call_state(CALL_ID)
        retries = [r for r in caplog.records if "retry 1 of 3" in r.getMessage()]
        assert len(retries) == 1 and retries[0].levelno == logging.DEBUG
        assert retries[0].name == "callcontrol"
        assert f"GET {CALL_URL} failed (HTTP 503)" in retries[0].getMessage()
        assert all(PASSWORD not in r.getMessage() for r in caplog.records)


def test_a_refused_connection_on_loopback_is_retried_then_reported() -> None:
    with socket.socket() as sock:  # bind, then close: the port is free and refuses
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps = Sleeps()
    client = CallsClient(
        ACCOUNT_ID,
        username="u",
        password=PASSWORD,
        base_url=f"http://127.0.0.1:{port}/api/v2",
        retry=instant_retry(sleeps, max_retries=2),
    )
    with client, pytest.raises(TransportError) as info:
        client.create_call(**CREATE_FIELDS)
    assert info.value.maybe_sent is False
    assert len(sleeps) == 2
    assert "after 3 attempts" in str(info.value) and "connection failed" in str(info.value)
    assert isinstance(info.value.__cause__, requests.ConnectionError)


def test_a_bxml_put_whose_connection_drops_after_arriving_is_sent_once() -> None:
    from .raw_http import DROP, serve_raw

    with serve_raw(lambda request: DROP) as server:
        client = CallsClient(
            ACCOUNT_ID, username="u", password=PASSWORD, base_url=server.url, retry=instant_retry()
        )
        with client, pytest.raises(TransportError) as info:
            client.update_call_bxml(CALL_ID, BXML)
    assert server.count("PUT", "/bxml") == 1
    assert info.value.maybe_sent is True and "taken effect" in str(info.value)


def _request_exceptions() -> list[type[requests.RequestException]]:
    found: list[type[requests.RequestException]] = []
    stack: list[type[requests.RequestException]] = [requests.RequestException]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    # JSONDecodeError comes from response.json(), which the client reads itself.
    sent = {c for c in found if c.__module__.startswith("requests")}
    return sorted(sent - {requests.exceptions.JSONDecodeError}, key=str)


@pytest.mark.parametrize("cls", _request_exceptions(), ids=lambda c: c.__name__)
def test_every_requests_exception_becomes_a_transport_error(
    cls: type[requests.RequestException],
) -> None:
    from callcontrol._http import classify, transport_error

    exc = cls("boom")
    failure = classify(exc)
    error = transport_error("POST", CALLS_URL, exc, failure, 0)
    assert isinstance(error, TransportError)
    assert error.maybe_sent is (failure is Failure.MAYBE_SENT)
    if issubclass(cls, requests.exceptions.ConnectTimeout):
        assert failure is Failure.NOT_SENT
    if issubclass(cls, requests.exceptions.ReadTimeout):
        assert failure is Failure.MAYBE_SENT
