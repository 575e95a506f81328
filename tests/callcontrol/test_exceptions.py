"""The exception tree, the status table, error bodies, Retry-After and credential safety."""

from __future__ import annotations

import base64
import json
import pickle
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

import callcontrol
from callcontrol.exceptions import (
    STATUS_ERRORS,
    ApiError,
    BadRequestError,
    CallControlError,
    ConflictError,
    DeadlineExceededError,
    ForbiddenError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnexpectedResponseError,
    UnsupportedMediaTypeError,
    api_error,
    error_class_for,
    parse_retry_after,
    redact_headers,
)

from .calls_helpers import CALL_ID, CALLS_URL, PASSWORD, USERNAME, exception_texts, make_client

CALL_URL = f"{CALLS_URL}/{CALL_ID}"

TABLE = [
    (400, BadRequestError),
    (401, UnauthorizedError),
    (403, ForbiddenError),
    (404, NotFoundError),
    (405, MethodNotAllowedError),
    (409, ConflictError),
    (415, UnsupportedMediaTypeError),
    (429, RateLimitError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
    (599, ServerError),
    (402, ApiError),
    (418, ApiError),
    (422, ApiError),
]


@pytest.mark.parametrize(("status", "cls"), TABLE, ids=[str(s) for s, _ in TABLE])
@responses.activate
def test_status_table_maps_every_status_to_its_class(status: int, cls: type[ApiError]) -> None:
    body = {"type": "validation", "description": f"problem {status}", "id": "err-1"}
    responses.get(CALL_URL, status=status, json=body, headers={"X-Request-Id": "r1"})
    client = make_client(retry=None)
    with pytest.raises(ApiError) as info:
        client.get_call_state(CALL_ID)
    error = info.value
    assert type(error) is cls
    assert (error.status, error.error_type, error.description, error.error_id) == (
        status,
        "validation",
        f"problem {status}",
        "err-1",
    )
    assert (error.method, error.url) == ("GET", CALL_URL)
    assert error.headers["X-Request-Id"] == "r1"
    assert error.body and f"problem {status}" in str(error)
    assert str(status) in str(error) and "GET" in str(error) and CALL_URL in str(error)


def test_every_class_is_a_call_control_error() -> None:
    for cls in {*STATUS_ERRORS.values(), ApiError, TransportError, UnexpectedResponseError}:
        assert issubclass(cls, CallControlError)
    assert issubclass(InvalidRequestError, ValueError)
    assert issubclass(UnexpectedResponseError, ValueError)
    assert all(issubclass(cls, ApiError) for cls in STATUS_ERRORS.values())


def test_table_lists_each_documented_status_once() -> None:
    documented = {400, 401, 403, 404, 405, 409, 415, 429, 500}
    assert documented <= set(STATUS_ERRORS)
    assert error_class_for(507) is ServerError
    assert error_class_for(451) is ApiError
    assert error_class_for(300) is ApiError


def test_exceptions_are_exported_from_the_package() -> None:
    for cls in {*STATUS_ERRORS.values(), ApiError, CallControlError, TransportError}:
        assert getattr(callcontrol, cls.__name__) is cls


class TestBodies:
    """Error bodies of every shape still give a useful message."""

    def test_plain_text_body_is_the_description_of_the_message(self) -> None:
        error = api_error(502, "GET", CALL_URL, {}, "upstream connect error or disconnect\n")
        assert isinstance(error, ServerError)
        assert error.description is None and error.error_type is None
        assert "502 Bad Gateway: upstream connect error or disconnect" in str(error)

    def test_html_page_contributes_its_title(self) -> None:
        body = "<html><head><title>503 Service Temporarily Unavailable</title></head>" + (
            "<body>" + "x" * 5000 + "</body></html>"
        )
        error = api_error(503, "GET", CALL_URL, {"Content-Type": "text/html"}, body)
        assert "503 Service Unavailable: 503 Service Temporarily Unavailable" in str(error)
        assert "xxxx" not in str(error)

    def test_long_text_is_cut_short_in_the_message_but_kept_whole_in_body(self) -> None:
        body = "y" * 1000
        error = api_error(500, "POST", CALLS_URL, {}, body)
        assert len(str(error)) < 400 and str(error).count("y") < 250
        assert error.body == body

    def test_empty_body(self) -> None:
        assert "(empty body)" in str(api_error(404, "GET", CALL_URL, {}, ""))

    def test_oauth_error_body(self) -> None:
        body = '{"error": "invalid_client", "error_description": "Bad client credentials"}'
        error = api_error(401, "POST", "https://api.example/token", {}, body)
        assert (error.error_type, error.description) == ("invalid_client", "Bad client credentials")

    @pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "{not json"])
    def test_json_that_is_not_an_object(self, body: str) -> None:
        error = api_error(400, "GET", CALL_URL, {}, body)
        assert error.error_type is None and error.description is None
        assert isinstance(error, BadRequestError)

    def test_unknown_status_phrase(self) -> None:
        assert str(api_error(499, "GET", CALL_URL, {}, "")).startswith("499 Error")

    def test_error_id_is_shown(self) -> None:
        body = '{"type": "internal-error", "description": "boom", "id": "e-42"}'
        assert "(error id e-42)" in str(api_error(500, "GET", CALL_URL, {}, body))

    def test_repr_is_short(self) -> None:
        error = api_error(404, "GET", CALL_URL, {}, '{"description": "Call [x] not found"}')
        assert repr(error).startswith("NotFoundError(status=404, ")
        assert "Call [x] not found" in repr(error)


class TestRetryAfter:
    """RateLimitError.retry_after from Retry-After seconds or an HTTP date."""

    NOW = 1_700_000_000.0

    def _error(self, value: str | None) -> RateLimitError:
        headers = {} if value is None else {"Retry-After": value}
        error = api_error(429, "POST", CALLS_URL, headers, "{}", now=self.NOW)
        assert isinstance(error, RateLimitError)
        return error

    def test_seconds(self) -> None:
        assert self._error("7").retry_after == 7.0

    def test_http_date(self) -> None:
        when = datetime.fromtimestamp(self.NOW + 30, tz=timezone.utc)
        assert self._error(format_datetime(when, usegmt=True)).retry_after == 30.0

    def test_date_in_the_past_is_zero(self) -> None:
        assert self._error("Wed, 21 Oct 2015 07:28:00 GMT").retry_after == 0.0

    def test_absent_or_unreadable(self) -> None:
        assert self._error(None).retry_after is None
        assert self._error("soon").retry_after is None
        assert self._error("nan").retry_after is None

    def test_lower_case_header_name(self) -> None:
        error = api_error(429, "GET", CALL_URL, {"retry-after": "3"}, "")
        assert isinstance(error, RateLimitError) and error.retry_after == 3.0

    @pytest.mark.parametrize(
        ("value", "expected"),
        [("0", 0.0), (" 12 ", 12.0), ("1.5", 1.5), ("-4", 0.0), ("inf", None), ("", None)],
    )
    def test_parse_retry_after(self, value: str, expected: float | None) -> None:
        assert parse_retry_after(value, now=self.NOW) == expected


class TestCredentialSafety:
    """No credential appears in messages, reprs, headers or bodies of errors."""

    def test_sensitive_response_headers_are_redacted(self) -> None:
        headers = {"Set-Cookie": "session=abc", "authorization": "Basic xyz", "X-Other": "ok"}
        assert redact_headers(headers) == {
            "Set-Cookie": "[redacted]",
            "authorization": "[redacted]",
            "X-Other": "ok",
        }
        error = api_error(500, "GET", CALL_URL, headers, "")
        assert "abc" not in repr(error.headers) and "xyz" not in repr(error.headers)

    @responses.activate
    def test_api_error_from_a_basic_auth_request(self) -> None:
        responses.get(CALL_URL, status=401, json={"type": "authentication-error"})
        client = make_client(retry=None)
        with pytest.raises(UnauthorizedError) as info:
            client.get_call_state(CALL_ID)
        text = " ".join([str(info.value), repr(info.value), repr(info.value.headers)])
        assert PASSWORD not in text
        assert "Authorization" not in info.value.headers
        sent = responses.calls[0].request.headers["Authorization"]
        assert sent.split()[1] not in text

    def test_invalid_secret_values_are_not_echoed(self) -> None:
        with pytest.raises(InvalidRequestError) as info:
            callcontrol.UpdateCall(redirect_url="https://a.example/r", password="x" * 2000)
        assert "xxxx" not in str(info.value) and info.value.value == "***"
        assert info.value.field == "password"

    def test_client_repr_has_no_credentials(self) -> None:
        client = make_client()
        assert PASSWORD not in repr(client) and USERNAME not in repr(client)
        assert PASSWORD not in repr(client._auth)


class TestTransportError:
    """No response at all: wrapped, chained, flagged."""

    @responses.activate
    def test_wraps_the_requests_exception_with_from(self) -> None:
        cause = requests.exceptions.ReadTimeout("read timed out")
        responses.get(CALL_URL, body=cause)
        client = make_client(retry=None)
        with pytest.raises(TransportError) as info:
            client.get_call_state(CALL_ID)
        assert info.value.__cause__ is cause
        assert info.value.maybe_sent is True
        assert "timed out waiting for the response" in str(info.value)
        assert "GET " + CALL_URL in str(info.value)

    def test_credentials_in_a_proxy_url_are_removed(self) -> None:
        from callcontrol._http import transport_error
        from callcontrol.retry import Failure

        exc = requests.exceptions.ProxyError(
            "Cannot connect to proxy http://bob:hunter2@proxy:3128"
        )
        error = transport_error("GET", CALL_URL, exc, Failure.MAYBE_SENT, 0)
        assert "hunter2" not in str(error) and "bob" not in str(error)


class TestPickling:
    """Errors survive pickling (multiprocessing, task queues)."""

    def test_api_error(self) -> None:
        error = api_error(404, "GET", CALL_URL, {"A": "b"}, '{"description": "gone"}')
        clone = pickle.loads(pickle.dumps(error))
        assert type(clone) is NotFoundError and str(clone) == str(error)
        assert clone.headers == {"A": "b"}

    def test_rate_limit_error_keeps_retry_after(self) -> None:
        error = api_error(429, "POST", CALLS_URL, {"Retry-After": "9"}, "")
        clone = pickle.loads(pickle.dumps(error))
        assert isinstance(clone, RateLimitError) and clone.retry_after == 9.0

    def test_simple_errors(self) -> None:
        error = InvalidRequestError("bad", field="to", value="x")
        clone = pickle.loads(pickle.dumps(error))
        assert (str(clone), clone.field, clone.value) == ("bad", "to", "x")
        transport = pickle.loads(pickle.dumps(TransportError("t", maybe_sent=True)))
        assert transport.maybe_sent is True


def test_deadline_and_size_errors_are_transport_errors() -> None:
    for cls in (DeadlineExceededError, ResponseTooLargeError):
        assert issubclass(cls, TransportError) and getattr(callcontrol, cls.__name__) is cls
        clone = pickle.loads(pickle.dumps(cls("late", maybe_sent=True)))
        assert type(clone) is cls and clone.maybe_sent is True and str(clone) == "late"


_secret = (
    st.text(min_size=4, max_size=24)
    .map(lambda s: f"Zq{s}")
    .filter(lambda s: not any("\ud800" <= ch <= "\udfff" for ch in s) and not {"[", "]"} & set(s))
)


class TestEchoedCredentialsAreRemoved:
    """Whatever the password, a server echoing it (in any form, anywhere) cannot leak it."""

    @settings(max_examples=25, deadline=None)
    @given(
        _secret, st.sampled_from([400, 401, 404, 500]), st.sampled_from(["json", "text", "header"])
    )
    def test_basic(self, password: str, status: int, where: str) -> None:
        pair = f"{USERNAME}:{password}"
        encoded = base64.b64encode(pair.encode()).decode()

        def echo(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            auth = str(request.headers["Authorization"])
            said = f"got {auth} = {pair} / {password} / {json.dumps(password)}"
            if where == "json":
                return status, {}, json.dumps({"type": said, "description": said, "id": said})
            if where == "text":
                return status, {}, said
            return status, {"X-Echo": auth, "Www-Authenticate": said}, ""

        with responses.RequestsMock() as mock:
            mock.add_callback(responses.GET, CALL_URL, callback=echo)
            with pytest.raises(ApiError) as info:
                make_client(password=password, retry=None).get_call_state(CALL_ID)
        error = info.value
        texts = exception_texts(error) + repr(pickle.loads(pickle.dumps(error)).__dict__)
        texts = texts.replace("[redacted]", "\x00")
        assert password not in texts and encoded not in texts and pair not in texts
