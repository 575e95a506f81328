"""Reading a response whoever sent it: headers, text, JSON, pages and token answers."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcontrol import UnexpectedResponseError
from callcontrol._reply import Headers, Reply, calls_page, json_value, token

URL = "https://voice.example/api/accounts/1/calls"


def reply(body: bytes, content_type: str = "application/json", **headers: str) -> Reply:
    pairs = [("Content-Type", content_type), *headers.items()]
    return Reply("GET", URL, URL + "?pageSize=2", 200, Headers(pairs), body)


def test_headers_are_found_in_any_case_and_listed_as_sent() -> None:
    headers = Headers([("Retry-After", "3"), ("X-Echo", "a"), ("x-echo", "b")])
    assert headers["retry-after"] == headers.get("RETRY-AFTER") == "3"
    assert "x-ECHO" in headers and "Link" not in headers and headers.get("Link") is None
    assert list(headers) == ["Retry-After", "X-Echo"] and len(headers) == 2
    assert dict(headers) == {"Retry-After": "3", "X-Echo": "a, b"}  # repeated: joined
    assert repr(headers) == "Headers({'Retry-After': '3', 'X-Echo': 'a, b'})"


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        ("text/plain; charset=iso-8859-1", "café".encode("latin-1"), "café"),
        ('text/plain; Charset="UTF-8"', "café".encode(), "café"),
        ("text/plain", "café".encode(), "café"),  # no charset: UTF-8
        ("text/plain; charset=no-such-codec", b"caf\xc3\xa9", "café"),  # unknown: UTF-8
        ("text/plain", b"caf\xe9", "caf\ufffd"),  # bad bytes are replaced, never raised
    ],
)
def test_text_uses_the_charset_named(content_type: str, body: bytes, text: str) -> None:
    assert reply(body, content_type).text == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "utf-8-sig"])
def test_json_in_any_unicode_encoding(encoding: str) -> None:
    data = [{"callId": "c-é"}]
    assert json_value(reply(json.dumps(data).encode(encoding)), str) == data


@given(st.binary(max_size=40))
def test_a_body_that_is_not_json_is_an_unexpected_response(body: bytes) -> None:
    try:
        json.loads(body)
    except ValueError:
        with pytest.raises(UnexpectedResponseError, match="answer is not JSON") as info:
            json_value(reply(body), str)
        assert f"GET {URL}?pageSize=2: the 200 answer" in str(info.value)


def test_a_page_and_its_next_link() -> None:
    link = '</api/accounts/1/calls?pageToken=abc>; rel="next"'
    page = calls_page(reply(b'[{"callId": "c-1"}]', Link=link), str)
    assert [c.call_id for c in page] == ["c-1"]
    assert page.next_url == "https://voice.example/api/accounts/1/calls?pageToken=abc"
    with pytest.raises(UnexpectedResponseError, match="expected a JSON array of calls, got dict"):
        calls_page(reply(b"{}"), str)


def test_a_token_answer_is_remembered_before_it_is_checked() -> None:
    seen: list[str] = []
    good = token(reply(b'{"access_token": "tok-1", "expires_in": 3600}'), 100.0, str, seen.append)
    assert (good.value, good.expires_at) == ("tok-1", 100.0 + 3600 - 60)
    with pytest.raises(UnexpectedResponseError, match="cannot be sent as a bearer token"):
        token(reply(b'{"access_token": "t k", "expires_in": 10}'), 0.0, str, seen.append)
    with pytest.raises(UnexpectedResponseError, match="without a numeric expires_in"):
        token(reply(b'{"access_token": "t", "expires_in": true}'), 0.0, str, seen.append)
    assert seen == ["tok-1", "t k", "t"]
