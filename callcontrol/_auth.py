"""Request authentication: HTTP Basic, or an OAuth2 client-credentials bearer token.

Both are callables that :mod:`requests` applies to each request (given on every request,
they also stop requests from reading ``~/.netrc`` credentials over ours); the async client
uses :func:`basic_header`, :class:`Token` and :func:`renewal_time` with its own token cache.
Nothing here imports requests. Neither repr shows a secret.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import _checks as check
from .contract import basic_authorization

if TYPE_CHECKING:
    import requests

#: Renew a token this many seconds before it expires (as the official SDK does).
RENEW_MARGIN = 60.0

# RFC 6750 b64token: what may follow "Bearer " in an Authorization header.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class BasicAuth:
    """``Authorization: Basic ...`` from an API user's username and password."""

    kind = "basic"

    def __init__(self, username: str, password: str) -> None:
        self._header = basic_header(username, password)

    def header(self) -> str:
        """The ``Authorization`` value."""
        return self._header

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request

    def __repr__(self) -> str:
        return "BasicAuth(***)"


@dataclass(frozen=True)
class Token:
    """An access token and the clock reading after which it must not be used."""

    value: str
    expires_at: float


#: Fetches a fresh token; given the clock reading taken just before the request.
TokenFetcher = Callable[[float], Token]


class ClientCredentialsAuth:
    """``Authorization: Bearer ...`` with a cached OAuth2 client-credentials token.

    The token is fetched on first use and again when fewer than :data:`RENEW_MARGIN`
    seconds of its lifetime remain. One lock makes concurrent threads share one fetch.
    """

    kind = "oauth2"

    def __init__(self, fetch: TokenFetcher, clock: Callable[[], float]) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Token | None = None

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def token(self) -> str:
        """The current access token, fetched or renewed when needed."""
        with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at:
                token = self._fetch(self._clock())
                self._token = token
            return token.value

    def invalidate(self, rejected: str) -> None:
        """Forget the cached token if it is ``rejected``, so that the next use fetches anew.

        When another thread already replaced it, the cached token is kept: the caller
        retries with it rather than fetching one more.
        """
        with self._lock:
            if self._token is not None and self._token.value == rejected:
                self._token = None

    def __repr__(self) -> str:
        return "ClientCredentialsAuth(***)"


def renewal_time(fetched_at: float, expires_in: float) -> float:
    """When to stop using a token that lives ``expires_in`` seconds from ``fetched_at``.

    Short-lived tokens are renewed at half their lifetime rather than never being usable.
    """
    margin = min(RENEW_MARGIN, expires_in / 2)
    return fetched_at + expires_in - margin


#: The ``Authorization`` value for HTTP Basic (one home: :mod:`callcontrol.contract`).
basic_header = basic_authorization


def check_credential(owner: str, name: str, value: object, *, secret: bool, user: bool) -> None:
    """A non-empty string that can be sent: UTF-8 encodable, and no ``:`` in a user name."""
    check.text(owner, name, value, required=True, secret=secret)
    if user and ":" in str(value):
        check.fail(owner, name, value, "must not contain ':' (HTTP Basic uses it as separator)")


def is_bearer_token(value: str) -> bool:
    """Whether ``value`` can follow ``Bearer `` in a header (RFC 6750 characters only)."""
    return _BEARER_TOKEN.fullmatch(value) is not None
