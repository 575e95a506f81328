"""Paging through listCalls: one page at a time, or lazily over every item.

The API marks a further page with ``Link: <url>; rel="next"``. That URL already carries the
page token, so it is followed exactly as given and never rebuilt from the filters::

    page = client.list_calls_page(to="+15551234567", page_size=100)
    while True:
        handle(page.items)
        if page.next_url is None:
            break
        page = client.list_calls_page(next_url=page.next_url)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

from requests.utils import parse_header_links

from .exceptions import UnexpectedResponseError
from .models import CallState

__all__ = ["MAX_PAGES", "MAX_RESULTS", "CallsPage", "iter_calls", "next_link"]

logger = logging.getLogger("callcontrol")

#: The most calls one listCalls listing returns (the API's documented maximum).
MAX_RESULTS = 10_000
#: The most pages followed: every call on its own page (pageSize=1), plus an empty last one.
MAX_PAGES = MAX_RESULTS + 1


@dataclass(frozen=True)
class CallsPage:
    """One page of listCalls results and the URL of the next page (None on the last page)."""

    items: list[CallState]
    next_url: str | None = None

    def __iter__(self) -> Iterator[CallState]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_next(self) -> bool:
        """Whether the API announced another page."""
        return self.next_url is not None


def next_link(headers: Mapping[str, str], base_url: str) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, resolved against ``base_url``.

    Handles several links in one header, several ``rel`` values in one link (``rel="next
    last"``), any case and spacing. An absolute target is returned unchanged.
    """
    value = headers.get("Link")
    if not value:
        return None
    for link in parse_header_links(value):
        rels = str(link.get("rel", "")).lower().split()
        target = str(link.get("url", "")).strip()
        if "next" in rels and target:
            return urljoin(base_url, target)
    return None


def iter_calls(
    first: Callable[[], CallsPage],
    fetch: Callable[[str], CallsPage],
    *,
    max_results: int = MAX_RESULTS,
    max_pages: int = MAX_PAGES,
) -> Iterator[CallState]:
    """Yield every call of ``first()`` and the pages after it, fetching each page on demand.

    The listing ends on the last page, and also on a page that brings no call not seen
    before (an empty page, or repeats) whatever its next link says. Each call is yielded
    once. Raises :class:`UnexpectedResponseError` instead of going on for ever: when the API
    sends a next link it already sent, more than ``max_results`` calls, or more than
    ``max_pages`` pages.
    """
    page = first()
    links: set[str] = set()
    seen: set[str] = set()
    count = pages = 0
    while True:
        pages += 1
        fresh = _new_calls(page.items, seen)
        if not fresh:
            if page.next_url is not None:
                logger.debug("listCalls: a page brought no new call; stopping there")
            return
        count += len(fresh)
        if count > max_results:
            raise UnexpectedResponseError(
                f"listCalls returns at most {max_results} calls, but the API sent more; "
                "stopping (narrow the listing with min_start_time/max_start_time)"
            )
        yield from fresh
        if page.next_url is None:
            return
        if page.next_url in links:
            raise UnexpectedResponseError(
                f"the API sent the same next-page link twice ({page.next_url}); stopping"
            )
        if pages >= max_pages:
            raise UnexpectedResponseError(
                f"listCalls sent more than {max_pages} pages; stopping (narrow the listing "
                "with min_start_time/max_start_time, or page by hand with list_calls_page)"
            )
        links.add(page.next_url)
        page = fetch(page.next_url)


def _new_calls(items: list[CallState], seen: set[str]) -> list[CallState]:
    """The calls of ``items`` not seen before (a call without an id always counts as new)."""
    fresh = []
    for item in items:
        if item.call_id is None:
            fresh.append(item)
        elif item.call_id not in seen:
            seen.add(item.call_id)
            fresh.append(item)
    return fresh
