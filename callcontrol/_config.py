"""A Calls client's configuration: its arguments checked, ``BW_*`` variables, credentials.

Shared by :class:`~callcontrol.CallsClient` and :class:`~callcontrol.AsyncCallsClient`; each
failure names the client (``owner``) and the argument.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from . import _checks as check
from ._auth import check_credential
from ._redact import Redactor
from .exceptions import InvalidRequestError
from .retry import NO_RETRY, RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOKEN_URL",
    "Config",
    "Credentials",
    "configure",
    "env_arguments",
    "path_segment",
]

#: The production Voice API.
DEFAULT_BASE_URL = "https://voice.bandwidth.com/api/v2"
#: Where OAuth2 client credentials are exchanged for a bearer token.
DEFAULT_TOKEN_URL = "https://api.bandwidth.com/api/v1/oauth2/token"
#: Seconds to wait for a connection, and for a response once connected.
DEFAULT_TIMEOUT = (5.0, 30.0)
#: Seconds one operation may take in all: every attempt, the waits between them and reading
#: the response (a server trickling its answer cannot hold a call longer).
DEFAULT_DEADLINE = 120.0
#: The largest response body accepted, in bytes once decompressed (a full 10,000-call
#: listCalls page is about 10 MB).
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    """Basic credentials (``basic``: an API user) or OAuth2 client credentials (``oauth2``:
    exchanged at the token URL for a bearer token). The repr hides both parts."""

    kind: Literal["basic", "oauth2"]
    user: str = field(repr=False)
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Config:
    """Everything a client needs to build, send and read its requests, checked."""

    account_id: str
    base_url: str
    token_url: str
    calls_url: str
    timeout: tuple[float, float]
    deadline: float | None
    max_response_bytes: int
    retry: RetryPolicy
    credentials: Credentials
    #: Masks this client's secrets (and the tokens it fetches) in every message.
    redact: Redactor = field(repr=False, compare=False)


def configure(
    owner: str,
    account_id: str,
    *,
    username: str | None,
    password: str | None,
    client_id: str | None,
    client_secret: str | None,
    base_url: str,
    token_url: str,
    timeout: float | tuple[float, float],
    deadline: float | None,
    max_response_bytes: int,
    retry: RetryPolicy | None,
) -> Config:
    """Check a client's arguments (``owner`` names the client in messages)."""
    account_segment = path_segment(owner, "account_id", account_id)
    base = _service_url(owner, "base_url", base_url).rstrip("/")
    token = _service_url(owner, "token_url", token_url)
    checked_timeout = _timeout(owner, timeout)
    if deadline is not None and not _positive(deadline):
        check.fail(owner, "deadline", deadline, "must be a positive number of seconds or None")
    if not _positive(max_response_bytes) or not isinstance(max_response_bytes, int):
        check.fail(
            owner,
            "max_response_bytes",
            max_response_bytes,
            "must be a whole number of bytes, at least 1",
        )
    redact = Redactor()
    credentials = _credentials(owner, username, password, client_id, client_secret)
    redact.add_basic(credentials.user, credentials.secret)
    return Config(
        account_id=account_id,
        base_url=base,
        token_url=token,
        calls_url=f"{base}/accounts/{account_segment}/calls",
        timeout=checked_timeout,
        deadline=None if deadline is None else float(deadline),
        max_response_bytes=max_response_bytes,
        retry=retry if retry is not None else NO_RETRY,
        credentials=credentials,
        redact=redact,
    )


def _credentials(
    owner: str,
    username: str | None,
    password: str | None,
    client_id: str | None,
    client_secret: str | None,
) -> Credentials:
    basic = username is not None or password is not None
    oauth = client_id is not None or client_secret is not None
    if basic == oauth:
        raise InvalidRequestError(
            "give either username and password, or client_id and client_secret"
            + (", not both" if basic else ""),
            field="username",
        )
    if basic:
        check_credential(owner, "username", username, secret=False, user=True)
        check_credential(owner, "password", password, secret=True, user=False)
        return Credentials("basic", str(username), str(password))
    check_credential(owner, "client_id", client_id, secret=False, user=True)
    check_credential(owner, "client_secret", client_secret, secret=True, user=False)
    return Credentials("oauth2", str(client_id), str(client_secret))


# -- the environment ------------------------------------------------------------------------

_ENV = {
    "account_id": "BW_ACCOUNT_ID",
    "username": "BW_USERNAME",
    "password": "BW_PASSWORD",
    "client_id": "BW_CLIENT_ID",
    "client_secret": "BW_CLIENT_SECRET",
    "base_url": "BW_VOICE_BASE_URL",
}
_BASIC = frozenset({"username", "password"})
_OAUTH = frozenset({"client_id", "client_secret"})
_CREDENTIALS = _BASIC | _OAUTH
_READ = "read " + ", ".join(_ENV.values())
_PAIRS = "set BW_USERNAME and BW_PASSWORD, or BW_CLIENT_ID and BW_CLIENT_SECRET"


def env_arguments(
    owner: str, environ: Mapping[str, str] | None, overrides: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """A client's account id and keyword arguments from ``BW_*`` variables and ``overrides``
    (which win); ``environ`` defaults to ``os.environ``."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {name: env[key] for name, key in _ENV.items() if env.get(key)}
    problems: list[tuple[str, str]] = []
    if overrides.keys() & _CREDENTIALS:  # credentials given in code replace the environment's
        values = {k: v for k, v in values.items() if k not in _CREDENTIALS}
    else:
        problems += _env_credentials_problems(values.keys())
    values.update(overrides)
    account_id = values.pop("account_id", None)
    if not account_id:
        problems.insert(0, ("account_id", "BW_ACCOUNT_ID is not set (or pass account_id=)"))
    if problems:
        text = "; ".join(problem for _, problem in problems)
        raise InvalidRequestError(f"{owner}.from_env: {text}; {_READ}", field=problems[0][0])
    return account_id, values


def _env_credentials_problems(found: Collection[str]) -> list[tuple[str, str]]:
    """What keeps the ``found`` settings from holding exactly one pair of credentials."""
    basic, oauth = _BASIC & set(found), _OAUTH & set(found)
    if basic and oauth:
        return [("username", f"{_PAIRS}, not both")]
    if not basic and not oauth:
        return [("username", f"no credentials; {_PAIRS} (or pass them as keyword arguments)")]
    if len(basic | oauth) == 1:
        (given,) = basic | oauth
        (missing,) = (_BASIC if basic else _OAUTH) - {given}
        return [(missing, f"{_ENV[missing]} is not set ({_ENV[given]} is)")]
    return []


# -- values -----------------------------------------------------------------------------------


def path_segment(owner: str, name: str, value: object) -> str:
    """``value`` percent-encoded as one URL path segment.

    URL handling removes ``.`` and ``..`` segments (``calls/..`` would address the account),
    so they are refused rather than sent somewhere else.
    """
    check.text(owner, name, value, required=True)
    segment = str(value)
    if segment in (".", ".."):
        check.fail(owner, name, value, "must not be '.' or '..' (a URL path drops such segments)")
    return quote(segment, safe="")


def _service_url(owner: str, name: str, value: str) -> str:
    check.url(owner, name, value, max_length=None, required=True)
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None:
        check.fail(
            owner, name, "***", "must not contain credentials; pass username= and password= instead"
        )
    if parts.query or parts.fragment:
        check.fail(owner, name, value, "must not have a query or fragment")
    return value


def _timeout(owner: str, value: float | tuple[float, float]) -> tuple[float, float]:
    pair = value if isinstance(value, tuple) else (value, value)
    if len(pair) != 2 or not all(_positive(v) for v in pair):
        check.fail(
            owner,
            "timeout",
            value,
            "must be a positive number of seconds, or a (connect, read) pair of them",
        )
    return (float(pair[0]), float(pair[1]))


def _positive(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
