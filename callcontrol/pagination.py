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

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

from requests.utils import parse_header_links

from .exceptions import UnexpectedResponseError
from .models import CallState

__all__ = ["CallsPage", "iter_calls", "next_link"]


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
    first: Callable[[], CallsPage], fetch: Callable[[str], CallsPage]
) -> Iterator[CallState]:
    """Yield every item of ``first()`` and the pages after it, fetching each page on demand.

    Raises :class:`UnexpectedResponseError` if the API sends a next link it already sent,
    which would otherwise loop for ever.
    """
    page = first()
    seen: set[str] = set()
    while True:
        yield from page.items
        if page.next_url is None:
            return
        if page.next_url in seen:
            raise UnexpectedResponseError(
                f"the API sent the same next-page link twice ({page.next_url}); stopping"
            )
        seen.add(page.next_url)
        page = fetch(page.next_url)
