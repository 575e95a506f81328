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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from .exceptions import UnexpectedResponseError
from .models import CallState

__all__ = [
    "MAX_PAGES",
    "MAX_RESULTS",
    "CallsPage",
    "Listing",
    "aiter_calls",
    "iter_calls",
    "next_link",
]

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
    # Imported here: the async client reads pages too, and needs nothing else of requests.
    from requests.utils import parse_header_links

    for link in parse_header_links(value):
        rels = str(link.get("rel", "")).lower().split()
        target = str(link.get("url", "")).strip()
        if "next" in rels and target:
            return urljoin(base_url, target)
    return None


@dataclass
class Listing:
    """The rules of one listing, page after page (the sync and async iterators share them).

    The listing ends on the last page, and also on a page that brings no call not seen
    before (an empty page, or repeats) whatever its next link says. Each call is yielded
    once. Raises :class:`UnexpectedResponseError` instead of going on for ever: when the API
    sends a next link it already sent, more than ``max_results`` calls, or more than
    ``max_pages`` pages.
    """

    max_results: int = MAX_RESULTS
    max_pages: int = MAX_PAGES
    _links: set[str] = field(default_factory=set)
    _seen: set[str] = field(default_factory=set)
    _count: int = 0
    _pages: int = 0

    def take(self, page: CallsPage) -> tuple[list[CallState], str | None]:
        """The calls of ``page`` to yield, and the next page's URL (None: the listing ends)."""
        self._pages += 1
        fresh = _new_calls(page.items, self._seen)
        if not fresh:
            if page.next_url is not None:
                logger.debug("listCalls: a page brought no new call; stopping there")
            return [], None
        self._count += len(fresh)
        if self._count > self.max_results:
            raise UnexpectedResponseError(
                f"listCalls returns at most {self.max_results} calls, but the API sent more; "
                "stopping (narrow the listing with min_start_time/max_start_time)"
            )
        return fresh, page.next_url

    def follow(self, url: str) -> None:
        """Before fetching the next page: refuse a repeated link or one page too many."""
        if url in self._links:
            raise UnexpectedResponseError(
                f"the API sent the same next-page link twice ({url}); stopping"
            )
        if self._pages >= self.max_pages:
            raise UnexpectedResponseError(
                f"listCalls sent more than {self.max_pages} pages; stopping (narrow the listing "
                "with min_start_time/max_start_time, or page by hand with list_calls_page)"
            )
        self._links.add(url)


def iter_calls(
    first: Callable[[], CallsPage],
    fetch: Callable[[str], CallsPage],
    *,
    max_results: int = MAX_RESULTS,
    max_pages: int = MAX_PAGES,
) -> Iterator[CallState]:
    """Yield every call of ``first()`` and the pages after it, fetching each page on demand,
    by the rules of :class:`Listing`."""
    listing = Listing(max_results, max_pages)
    page = first()
    while True:
        fresh, next_url = listing.take(page)
        yield from fresh
        if next_url is None:
            return
        listing.follow(next_url)
        page = fetch(next_url)


async def aiter_calls(
    first: Callable[[], Awaitable[CallsPage]],
    fetch: Callable[[str], Awaitable[CallsPage]],
    *,
    max_results: int = MAX_RESULTS,
    max_pages: int = MAX_PAGES,
) -> AsyncIterator[CallState]:
    """:func:`iter_calls` for the async client: ``first`` and ``fetch`` are awaited."""
    listing = Listing(max_results, max_pages)
    page = await first()
    while True:
        fresh, next_url = listing.take(page)
        for call in fresh:
            yield call
        if next_url is None:
            return
        listing.follow(next_url)
        page = await fetch(next_url)


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
