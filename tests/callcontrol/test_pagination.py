"""listCalls paging: Link headers, laziness, filters, hand paging and safety checks."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import responses
from hypothesis import given, settings
from hypothesis import strategies as st
from responses import matchers

from callcontrol import CallsPage, CallState, InvalidRequestError, UnexpectedResponseError
from callcontrol.pagination import MAX_PAGES, MAX_RESULTS, iter_calls, next_link

from .calls_helpers import CALLS_URL, call_state_json, make_client
from .fake_voice_api import serve

# Deliberately odd: encoded characters and a parameter order no client would produce.
PAGE_2 = f"{CALLS_URL}?pageToken=eyJvZmZzZXQiOjJ9%3D%3D&to=%2B19195551234&pageSize=2"
PAGE_3 = f"{CALLS_URL}?pageSize=2&to=%2B19195551234&pageToken=a%2Fb%2Bc"


def _page(ids: list[str], next_url: str | None) -> dict[str, Any]:
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return {"json": [call_state_json(i) for i in ids], "headers": headers}


def _register_three_pages() -> None:
    responses.get(CALLS_URL, **_page(["c-1", "c-2"], PAGE_2), match=[_query(to="+19195551234")])
    responses.get(PAGE_2, **_page(["c-3", "c-4"], PAGE_3), match=[_exact_url(PAGE_2)])
    responses.get(PAGE_3, **_page(["c-5"], None), match=[_exact_url(PAGE_3)])


def _query(**params: str) -> Any:
    return matchers.query_param_matcher(params)


def _exact_url(url: str) -> Any:
    """Match only if the request URL is byte-for-byte ``url``."""

    def match(request: Any) -> tuple[bool, str]:
        return request.url == url, f"{request.url} != {url}"

    return match


class TestNextLink:
    """Reading rel="next" out of a Link header."""

    BASE = "https://voice.example/api/v2/accounts/1/calls?pageSize=2"

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ('<https://a.example/p2?t=1>; rel="next"', "https://a.example/p2?t=1"),
            ("<https://a.example/p2>; rel=next", "https://a.example/p2"),
            ('<https://a.example/p2>;rel="NEXT"', "https://a.example/p2"),
            ('<https://a.example/p2>; rel="next last"', "https://a.example/p2"),
            (
                '<https://a.example/p1>; rel="prev", <https://a.example/p3>; rel="next"',
                "https://a.example/p3",
            ),
            ('<https://a.example/p2?a=1,2>; rel="next"', "https://a.example/p2?a=1,2"),
            ('< https://a.example/p2 >; rel="next"', "https://a.example/p2"),
            (
                '</api/v2/accounts/1/calls?pageToken=x>; rel="next"',
                "https://voice.example/api/v2/accounts/1/calls?pageToken=x",
            ),
            ('<https://a.example/p1>; rel="prev"', None),
            ('<>; rel="next"', None),
            ("", None),
            ("garbage", None),
        ],
    )
    def test_parse(self, header: str, expected: str | None) -> None:
        assert next_link({"Link": header}, self.BASE) == expected

    def test_no_header(self) -> None:
        assert next_link({}, self.BASE) is None


class TestListCalls:
    """The lazy iterator over every page."""

    @responses.activate
    def test_follows_each_link_exactly_as_given(self) -> None:
        _register_three_pages()
        client = make_client()
        calls = list(client.list_calls(to="+19195551234"))
        assert [c.call_id for c in calls] == ["c-1", "c-2", "c-3", "c-4", "c-5"]
        assert all(isinstance(c, CallState) for c in calls)
        assert [r.request.url for r in responses.calls] == [
            f"{CALLS_URL}?to=%2B19195551234",
            PAGE_2,
            PAGE_3,
        ]

    @responses.activate
    def test_pages_are_fetched_only_when_needed(self) -> None:
        _register_three_pages()
        iterator = make_client().list_calls(to="+19195551234")
        assert len(responses.calls) == 0
        assert next(iterator).call_id == "c-1"
        assert len(responses.calls) == 1
        next(iterator)
        assert len(responses.calls) == 1
        assert next(iterator).call_id == "c-3"
        assert len(responses.calls) == 2

    @responses.activate
    def test_empty_result(self) -> None:
        responses.get(CALLS_URL, json=[])
        assert list(make_client().list_calls()) == []

    @responses.activate
    def test_filters_become_query_parameters(self) -> None:
        start = datetime(2022, 6, 21, 21, 13, 21, tzinfo=timezone(timedelta(hours=2)))
        expected = {
            "to": "+19195551234",
            "from": "+19195554321",
            "minStartTime": "2022-06-21T19:13:21Z",
            "maxStartTime": "2022-06-22T00:00:00.000+00:00",
            "disconnectCause": "hangup",
            "pageSize": "500",
        }
        responses.get(CALLS_URL, json=[], match=[matchers.query_param_matcher(expected)])
        calls = make_client().list_calls(
            to="+19195551234",
            from_="+19195554321",
            min_start_time=start,
            max_start_time="2022-06-22T00:00:00.000+00:00",
            disconnect_cause="hangup",
            page_size=500,
        )
        assert list(calls) == []
        assert "to=%2B19195551234" in str(responses.calls[0].request.url)

    @pytest.mark.parametrize(
        ("filters", "field"),
        [
            ({"page_size": 0}, "page_size"),
            ({"page_size": 10001}, "page_size"),
            ({"page_size": True}, "page_size"),
            ({"page_size": "10"}, "page_size"),
            ({"min_start_time": datetime(2022, 1, 1)}, "min_start_time"),
            ({"max_start_time": "last tuesday"}, "max_start_time"),
            ({"max_start_time": 1655800000}, "max_start_time"),
            ({"to": 15551234567}, "to"),
            (
                {
                    "min_start_time": "2022-06-22T00:00:00Z",
                    "max_start_time": "2022-06-21T00:00:00Z",
                },
                "min_start_time",
            ),
        ],
    )
    @responses.activate
    def test_bad_filters_are_refused_before_any_request(
        self, filters: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(InvalidRequestError) as info:
            make_client().list_calls(**filters)
        assert info.value.field == field
        assert len(responses.calls) == 0

    @responses.activate
    def test_page_size_bounds_are_accepted(self) -> None:
        responses.get(CALLS_URL, json=[])
        client = make_client()
        assert list(client.list_calls(page_size=1)) == []
        assert list(client.list_calls(page_size=10000)) == []

    @responses.activate
    def test_a_repeated_next_link_stops_the_loop(self) -> None:
        responses.get(CALLS_URL, **_page(["c-1"], PAGE_2), match=[_exact_url(CALLS_URL)])
        responses.get(PAGE_2, **_page(["c-2"], PAGE_2), match=[_exact_url(PAGE_2)])
        iterator = make_client().list_calls()
        assert [next(iterator).call_id, next(iterator).call_id] == ["c-1", "c-2"]
        with pytest.raises(UnexpectedResponseError, match="same next-page link twice"):
            next(iterator)

    @responses.activate
    def test_a_next_link_to_another_host_is_not_followed(self) -> None:
        evil = "https://evil.example/api/v2/accounts/9900000/calls?pageToken=x"
        responses.get(CALLS_URL, **_page(["c-1"], evil))
        with pytest.raises(UnexpectedResponseError, match="refusing to send credentials"):
            list(make_client().list_calls())
        assert len(responses.calls) == 1

    @responses.activate
    def test_a_body_that_is_not_an_array(self) -> None:
        responses.get(CALLS_URL, json={"calls": []})
        with pytest.raises(UnexpectedResponseError, match="expected a JSON array"):
            list(make_client().list_calls())

    @responses.activate
    def test_a_body_that_is_not_json(self) -> None:
        responses.get(CALLS_URL, body="<html>maintenance</html>", content_type="text/html")
        with pytest.raises(UnexpectedResponseError, match="not JSON"):
            list(make_client().list_calls())


class TestListCallsPage:
    """One page at a time, for callers who page by hand."""

    @responses.activate
    def test_page_then_next_url(self) -> None:
        _register_three_pages()
        client = make_client()
        page = client.list_calls_page(to="+19195551234")
        assert isinstance(page, CallsPage)
        assert [c.call_id for c in page] == ["c-1", "c-2"] and len(page) == 2
        assert page.next_url == PAGE_2 and page.has_next
        page = client.list_calls_page(next_url=page.next_url)
        page = client.list_calls_page(next_url=page.next_url)
        assert [c.call_id for c in page.items] == ["c-5"]
        assert page.next_url is None and not page.has_next

    def test_next_url_goes_alone(self) -> None:
        with pytest.raises(InvalidRequestError, match="pass it alone"):
            make_client().list_calls_page(next_url=PAGE_2, page_size=5)

    def test_next_url_must_be_on_the_api(self) -> None:
        with pytest.raises(InvalidRequestError, match="refusing to send credentials"):
            make_client().list_calls_page(next_url="http://voice.bandwidth.com/api/v2/x")


def test_iter_calls_is_lazy_over_pages() -> None:
    fetched: list[str] = []

    def fetch(url: str) -> CallsPage:
        fetched.append(url)
        return CallsPage([CallState(call_id=url)], None)

    first = CallsPage([CallState(call_id="a")], "next-1")
    iterator = iter_calls(lambda: first, fetch)
    assert next(iterator).call_id == "a" and fetched == []
    assert next(iterator).call_id == "next-1" and fetched == ["next-1"]
    assert list(iterator) == []


class TestEndlessPaging:
    """A server that keeps announcing pages cannot keep the iterator going."""

    @staticmethod
    def _endless(pages: list[list[str]], limit: int = 200) -> Any:
        """Serve ``pages`` then empty ones, each with a fresh next link; 400 after ``limit``."""
        served = []

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            served.append(environ.get("QUERY_STRING", ""))
            if len(served) > limit:
                start_response("400 Bad Request", [("Content-Type", "application/json")])
                return [b'{"type": "validation", "description": "too many requests"}']
            n = len(served)
            ids = pages[n - 1] if n <= len(pages) else []
            base = f"http://{environ['HTTP_HOST']}{environ['PATH_INFO']}"
            headers = [
                ("Content-Type", "application/json"),
                ("Link", f'<{base}?pageToken=t{n}>; rel="next"'),
            ]
            start_response("200 OK", headers)
            return [json.dumps([call_state_json(i) for i in ids]).encode()]

        app.served = served  # type: ignore[attr-defined]
        return app

    def test_empty_pages_with_new_links_end_the_listing(self) -> None:
        app = self._endless([["c-1", "c-2"], ["c-3"]])
        with serve(app) as url:
            calls = list(make_client(base_url=url).list_calls())
        assert [c.call_id for c in calls] == ["c-1", "c-2", "c-3"]
        assert len(app.served) == 3

    def test_a_page_of_calls_already_seen_ends_the_listing(self) -> None:
        app = self._endless([["c-1", "c-2"], ["c-2", "c-3"], ["c-1", "c-3"], ["c-4"]])
        with serve(app) as url:
            calls = list(make_client(base_url=url).list_calls())
        assert [c.call_id for c in calls] == ["c-1", "c-2", "c-3"]
        assert len(app.served) == 3

    def test_more_calls_than_the_api_returns_is_an_error(self) -> None:
        def fetch(url: str) -> CallsPage:
            n = int(url.rsplit("-", 1)[1])
            return CallsPage([CallState(call_id=f"c-{n}")], f"next-{n + 1}")

        iterator = iter_calls(lambda: fetch("next-0"), fetch, max_results=5)
        assert [c.call_id for c in itertools.islice(iterator, 5)] == [f"c-{i}" for i in range(5)]
        with pytest.raises(UnexpectedResponseError, match="at most 5 calls"):
            next(iterator)

    def test_the_page_limit(self) -> None:
        def fetch(url: str) -> CallsPage:
            return CallsPage([CallState(call_id=None)], url + "+")

        with pytest.raises(UnexpectedResponseError, match="more than 3 pages") as info:
            list(iter_calls(lambda: fetch("p"), fetch, max_pages=3))
        assert "max_start_time" in str(info.value)

    def test_the_documented_limits(self) -> None:
        assert MAX_RESULTS == 10000 and MAX_PAGES >= MAX_RESULTS

    @settings(max_examples=40, deadline=None)
    @given(
        st.lists(st.lists(st.sampled_from([f"c-{i}" for i in range(12)]), max_size=5), max_size=12)
    )
    def test_any_server_ends_with_each_call_once(self, pages: list[list[str]]) -> None:
        fetched: list[str] = []

        def page(n: int) -> CallsPage:
            ids = pages[n] if n < len(pages) else []
            return CallsPage([CallState(call_id=i) for i in ids], f"next-{n + 1}")

        def fetch(url: str) -> CallsPage:
            fetched.append(url)
            return page(int(url.rsplit("-", 1)[1]))

        ids = [c.call_id for c in iter_calls(lambda: page(0), fetch)]
        assert len(ids) == len(set(ids))
        assert len(fetched) <= len(pages)
