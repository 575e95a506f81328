"""Reading a response, whoever sent the request: JSON, models, pages, tokens and errors.

Both transports turn what they received, read whole within the deadline and the size limit,
into a :class:`Reply`; everything the clients learn from a response is read here. Every text
taken from a response goes through ``redact`` before it reaches an exception.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ._auth import Token, is_bearer_token, renewal_time
from .exceptions import ApiError, UnexpectedResponseError, api_error
from .models import CallState, CreateCallResponse
from .pagination import CallsPage, next_link

__all__ = ["Headers", "Reply"]

Redact = Callable[[str], str]

_NOT_JSON = object()


class Headers(Mapping[str, str]):
    """Response headers: looked up in any case, listed with the case the server sent
    (repeated names joined with ``", "``, as :mod:`requests` does)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            key = name.lower()
            if key in self._items:
                first, earlier = self._items[key]
                value = f"{earlier}, {value}"
                name = first
            self._items[key] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({dict(self)!r})"


@dataclass(frozen=True)
class Reply:
    """A response read whole.

    ``url`` is the URL asked for, ``sent_url`` the one sent (with the query); ``headers`` is
    a case-insensitive mapping; ``authorization`` the ``Authorization`` header sent.
    """

    method: str
    url: str
    sent_url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    authorization: str = ""

    @cached_property
    def text(self) -> str:
        """The body as text: the charset the headers name, else UTF-8 (bad bytes replaced)."""
        return self.body.decode(_charset(self.headers.get("Content-Type", "")), "replace")

    def sent_bearer(self) -> str | None:
        """The bearer token the request carried, if it carried one."""
        if self.authorization.startswith("Bearer "):
            return self.authorization[len("Bearer ") :]
        return None

    def api_error(self, *, now: float, redact: Redact) -> ApiError:
        """The :class:`ApiError` for an error status (``now`` reads HTTP-date Retry-After)."""
        headers = dict(self.headers)
        return api_error(
            self.status, self.method, self.url, headers, self.text, now=now, redact=redact
        )

    def check_not_redirect(self, redact: Redact) -> None:
        """Raise :class:`UnexpectedResponseError` for a 3xx: redirects are never followed."""
        if self.status >= 300:
            location = self.headers.get("Location", "no Location")
            raise UnexpectedResponseError(
                redact(f"{self.method} {self.url}: unexpected redirect {self.status} ({location})"),
                status=self.status,
            )


def json_value(reply: Reply, redact: Redact) -> Any:
    """The body as JSON (UTF-8, -16 or -32), or :class:`UnexpectedResponseError`."""
    try:
        data = json.loads(reply.body)
    except ValueError:  # a UnicodeDecodeError too
        # Raised below, outside this block: the decoder's error holds the whole body.
        data = _NOT_JSON
    if data is _NOT_JSON:
        body = redact(reply.text)
        snippet = " ".join(body.split())[:200]
        raise UnexpectedResponseError(
            redact(
                f"{reply.method} {reply.sent_url}: the {reply.status} answer is not JSON: "
                f"{snippet!r}"
            ),
            status=reply.status,
            body=body,
        )
    return data


def json_object(reply: Reply, redact: Redact) -> Mapping[str, Any]:
    """The body as a JSON object, or :class:`UnexpectedResponseError`."""
    data = json_value(reply, redact)
    if not isinstance(data, dict):
        raise UnexpectedResponseError(
            redact(
                f"{reply.method} {reply.sent_url}: expected a JSON object, "
                f"got {type(data).__name__}"
            ),
            status=reply.status,
            body=redact(reply.text),
        )
    return data


def call_state(reply: Reply, redact: Redact) -> CallState:
    """A getCallState answer."""
    return CallState.from_dict(json_object(reply, redact))


def create_response(reply: Reply, redact: Redact) -> CreateCallResponse:
    """A createCall answer."""
    return CreateCallResponse.from_dict(json_object(reply, redact))


def calls_page(reply: Reply, redact: Redact) -> CallsPage:
    """A listCalls page, with the URL of the next one from its ``Link`` header."""
    data = json_value(reply, redact)
    if not isinstance(data, list):
        raise UnexpectedResponseError(
            redact(
                f"{reply.method} {reply.url}: expected a JSON array of calls, "
                f"got {type(data).__name__}"
            ),
            status=reply.status,
            body=redact(reply.text),
        )
    items = [CallState.from_dict(item) for item in data]
    return CallsPage(items, next_link(reply.headers, reply.sent_url))


def token(reply: Reply, now: float, redact: Redact, remember: Callable[[str], None]) -> Token:
    """An OAuth2 token answer, fetched at clock reading ``now``.

    ``remember`` is given the token before any check, so that no message can show it.
    """
    data = json_object(reply, redact)
    value, expires_in = data.get("access_token"), data.get("expires_in")
    if isinstance(value, str):
        remember(value)
    status = reply.status
    if not isinstance(value, str) or not value:
        raise UnexpectedResponseError(
            f"the token endpoint answered {status} without an access_token", status=status
        )
    if not is_bearer_token(value):
        raise UnexpectedResponseError(
            f"the token endpoint answered {status} with an access_token "
            "that cannot be sent as a bearer token (RFC 6750 allows letters, digits "
            "and -._~+/ followed by =)",
            status=status,
        )
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
        raise UnexpectedResponseError(
            f"the token endpoint answered {status} without a numeric expires_in", status=status
        )
    return Token(value, renewal_time(now, float(expires_in)))


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
            try:
                "".encode(charset)
            except LookupError:
                break
            return charset
    return "utf-8"
