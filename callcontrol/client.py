"""The Voice API Calls client: create, inspect, list, redirect and end calls.

    from callcontrol import CallsClient

    with CallsClient.from_env() as client:
        call = client.create_call(
            to="+15551234567",
            from_="+15557654321",
            application_id="04e88489-df02-4e34-a0ee-27a91849555f",
            answer_url="https://example.com/answer",
        )
        for state in client.list_calls(to="+15551234567"):
            print(state.call_id, state.state)
        client.hangup(call.call_id)

Every request model is checked before anything is sent; every failure is a
:class:`~callcontrol.exceptions.CallControlError`.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import MISSING, Field, fields
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from . import _checks as check
from ._auth import (
    BasicAuth,
    ClientCredentialsAuth,
    Token,
    check_credential,
    is_bearer_token,
    renewal_time,
)
from ._body import DEFAULT_MAX_RESPONSE_BYTES
from ._bxml_payload import bxml_payload
from ._http import Transport
from ._redact import Redactor
from ._time import format_datetime, parse_datetime
from ._version import __version__
from .exceptions import CallControlError, InvalidRequestError, UnexpectedResponseError
from .models import CallbackMethod, CallState, CreateCall, CreateCallResponse, UpdateCall
from .pagination import CallsPage, iter_calls, next_link
from .retry import DEFAULT_RETRY, NO_RETRY, RetryPolicy

if TYPE_CHECKING:
    import bxml

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOKEN_URL",
    "CallsClient",
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

USER_AGENT = f"bxml-callcontrol/{__version__} python-requests/{requests.__version__}"

_JSON = "application/json; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_FORM = "application/x-www-form-urlencoded"

ModelT = TypeVar("ModelT", CreateCall, UpdateCall)


class CallsClient:
    """A client for the Voice API's Calls endpoints, for one account.

    Give either ``username`` and ``password`` (HTTP Basic, an API user's credentials) or
    ``client_id`` and ``client_secret`` (OAuth2 client credentials; the bearer token is
    cached and renewed a minute before it expires).

    :param account_id: the Bandwidth account id, e.g. ``"9900000"``.
    :param base_url: the Voice API root (a local emulator's URL in tests).
    :param token_url: the OAuth2 token endpoint.
    :param timeout: seconds as ``(connect, read)``, or one number for both; each bounds one
        wait on the network.
    :param deadline: seconds one operation may take in all, retries, waits and reading the
        response included (None: no limit); passing it raises
        :class:`~callcontrol.exceptions.DeadlineExceededError`. Every network wait is capped
        by the time left and the body is read one socket read at a time; only a status line
        and headers sent byte by byte are bounded by the read timeout per byte instead.
    :param max_response_bytes: the largest response body accepted, counted after
        decompression; a larger one raises
        :class:`~callcontrol.exceptions.ResponseTooLargeError`.
    :param retry: the :class:`~callcontrol.retry.RetryPolicy`; None never retries.
    :param session: a :class:`requests.Session` to use; the caller keeps ownership of it.
    :param clock: a monotonic clock in seconds, for the token lifetime and the deadline.

    The client is safe to share between threads, and is a context manager that closes
    its connection pool on exit.
    """

    def __init__(
        self,
        account_id: str,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        token_url: str = DEFAULT_TOKEN_URL,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        account_segment = _path_segment("CallsClient", "account_id", account_id)
        self.account_id = account_id
        self.base_url = _service_url("base_url", base_url).rstrip("/")
        self.token_url = _service_url("token_url", token_url)
        self._calls_url = f"{self.base_url}/accounts/{account_segment}/calls"
        checked_timeout = _timeout(timeout)
        if deadline is not None and not _positive(deadline):
            check.fail(
                "CallsClient", "deadline", deadline, "must be a positive number of seconds or None"
            )
        if not _positive(max_response_bytes) or not isinstance(max_response_bytes, int):
            check.fail(
                "CallsClient",
                "max_response_bytes",
                max_response_bytes,
                "must be a whole number of bytes, at least 1",
            )
        self._redact = Redactor()
        self._auth = self._make_auth(username, password, client_id, client_secret, clock)
        # Created last, so that a bad argument never leaves an unclosed session behind.
        self._owns_session = session is None
        self._session = session if session is not None else _new_session()
        self._transport = Transport(
            self._session,
            timeout=checked_timeout,
            retry=retry if retry is not None else NO_RETRY,
            user_agent=USER_AGENT,
            redact=self._redact,
            deadline=None if deadline is None else float(deadline),
            max_response_bytes=max_response_bytes,
            clock=clock,
        )
        self._closed = False
        self._close_lock = threading.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> CallsClient:
        """Build a client from ``BW_*`` environment variables; keyword arguments win.

        Reads BW_ACCOUNT_ID (required), BW_USERNAME and BW_PASSWORD, or BW_CLIENT_ID and
        BW_CLIENT_SECRET, and BW_VOICE_BASE_URL (optional).
        """
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
            raise InvalidRequestError(
                f"CallsClient.from_env: {text}; {_READ}", field=problems[0][0]
            )
        return cls(account_id, **values)

    # -- the five operations -----------------------------------------------------------

    def create_call(self, call: CreateCall | None = None, /, **fields: Any) -> CreateCallResponse:
        """Place an outbound call (createCall); give a :class:`CreateCall` or its fields.

        The call is queued and dialled at the account's rate. If the request times out after
        it was sent, it is not sent again (that could place a second call): the
        :class:`~callcontrol.exceptions.TransportError` has ``maybe_sent=True``.
        """
        body = _request_model(CreateCall, call, fields)
        response = self._send("POST", self._calls_url, json_body=body.to_dict())
        return CreateCallResponse.from_dict(_json_object(response, self._redact))

    def get_call_state(self, call_id: str) -> CallState:
        """The current state of a call (getCallState); 404 once it ended over 7 days ago."""
        response = self._send("GET", self._call_url(call_id))
        return CallState.from_dict(_json_object(response, self._redact))

    def list_calls(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        min_start_time: datetime | str | None = None,
        max_start_time: datetime | str | None = None,
        disconnect_cause: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[CallState]:
        """Every call matching the filters (listCalls), oldest first, fetched page by page.

        The filters are checked now; pages are fetched lazily, as the iterator advances,
        following the API's ``Link: <...>; rel="next"`` header exactly as given. Each call
        is yielded once; a page with no new call ends the listing, and more than the API's
        10,000 calls (or 10,001 pages) raises :class:`UnexpectedResponseError`.
        """
        params = _list_params(
            to, from_, min_start_time, max_start_time, disconnect_cause, page_size
        )
        return iter_calls(
            lambda: self._fetch_page(self._calls_url, params),
            lambda url: self._fetch_page(self._next_url(url, from_server=True), None),
        )

    def list_calls_page(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        min_start_time: datetime | str | None = None,
        max_start_time: datetime | str | None = None,
        disconnect_cause: str | None = None,
        page_size: int | None = None,
        next_url: str | None = None,
    ) -> CallsPage:
        """One page of listCalls, with the URL of the next page (``page.next_url``).

        Pass ``next_url`` alone to fetch the page after an earlier one; it already carries
        the filters.
        """
        if next_url is not None:
            given = [to, from_, min_start_time, max_start_time, disconnect_cause, page_size]
            if any(value is not None for value in given):
                raise InvalidRequestError(
                    "next_url already carries the filters; pass it alone", field="next_url"
                )
            check.text("list_calls_page", "next_url", next_url, required=True)
            return self._fetch_page(self._next_url(next_url, from_server=False), None)
        params = _list_params(
            to, from_, min_start_time, max_start_time, disconnect_cause, page_size
        )
        return self._fetch_page(self._calls_url, params)

    def update_call(self, call_id: str, update: UpdateCall | None = None, /, **fields: Any) -> None:
        """Redirect a call to new BXML, or end it (updateCall).

        Give an :class:`UpdateCall` or its fields. A call that cannot be changed in its
        current state raises :class:`~callcontrol.exceptions.ConflictError` (409).
        """
        url = self._call_url(call_id)
        body = _request_model(UpdateCall, update, fields)
        self._send("POST", url, json_body=body.to_dict())

    def update_call_bxml(self, call_id: str, doc: bxml.Bxml | str) -> None:
        """Replace the BXML running on an active call (updateCallBxml).

        ``doc`` is a :class:`bxml.Bxml` or a BXML string with a ``<Bxml>`` root. It is checked
        against the BXML schema and the 64 KB limit before it is sent.

        Bandwidth starts the document over on every PUT, so, as with createCall, a request
        that may have reached the server is not sent again (a ``<Transfer>`` would dial
        twice): a timeout after sending raises a
        :class:`~callcontrol.exceptions.TransportError` with ``maybe_sent=True``, and a 5xx
        is raised at once. A refused connection and 429 are still retried.
        """
        url = self._call_url(call_id) + "/bxml"
        self._send("PUT", url, body=bxml_payload(doc), content_type=_XML, idempotent=False)

    # -- conveniences --------------------------------------------------------------------

    def redirect(
        self,
        call_id: str,
        url: str,
        *,
        method: CallbackMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        fallback_url: str | None = None,
        fallback_method: CallbackMethod | None = None,
        fallback_username: str | None = None,
        fallback_password: str | None = None,
        tag: str | None = None,
    ) -> None:
        """Interrupt the call and continue it with the BXML that ``url`` returns."""
        update = UpdateCall(
            state="active",
            redirect_url=url,
            redirect_method=method,
            username=username,
            password=password,
            redirect_fallback_url=fallback_url,
            redirect_fallback_method=fallback_method,
            fallback_username=fallback_username,
            fallback_password=fallback_password,
            tag=tag,
        )
        self.update_call(call_id, update)

    def hangup(self, call_id: str) -> None:
        """End the call: hang up if answered, cancel or reject it if not (state=completed)."""
        self.update_call(call_id, UpdateCall(state="completed"))

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Release the connection pool (a session passed in by the caller stays open)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> CallsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"CallsClient(account_id={self.account_id!r}, base_url={self.base_url!r}, "
            f"auth={self._auth.kind!r})"
        )

    # -- internals -----------------------------------------------------------------------

    def _make_auth(
        self,
        username: str | None,
        password: str | None,
        client_id: str | None,
        client_secret: str | None,
        clock: Callable[[], float],
    ) -> BasicAuth | ClientCredentialsAuth:
        basic = username is not None or password is not None
        oauth = client_id is not None or client_secret is not None
        if basic == oauth:
            raise InvalidRequestError(
                "give either username and password, or client_id and client_secret"
                + (", not both" if basic else ""),
                field="username",
            )
        if basic:
            check_credential("CallsClient", "username", username, secret=False, user=True)
            check_credential("CallsClient", "password", password, secret=True, user=False)
            self._redact.add_basic(str(username), str(password))
            return BasicAuth(str(username), str(password))
        check_credential("CallsClient", "client_id", client_id, secret=False, user=True)
        check_credential("CallsClient", "client_secret", client_secret, secret=True, user=False)
        self._redact.add_basic(str(client_id), str(client_secret))
        credentials = BasicAuth(str(client_id), str(client_secret))
        return ClientCredentialsAuth(lambda now: self._fetch_token(credentials, now), clock)

    def _fetch_token(self, credentials: BasicAuth, now: float) -> Token:
        response = self._send(
            "POST",
            self.token_url,
            body=b"grant_type=client_credentials",
            content_type=_FORM,
            auth=credentials,
        )
        data = _json_object(response, self._redact)
        token, expires_in = data.get("access_token"), data.get("expires_in")
        if isinstance(token, str):
            self._redact.add_token(token)
        if not isinstance(token, str) or not token:
            raise UnexpectedResponseError(
                f"the token endpoint answered {response.status_code} without an access_token",
                status=response.status_code,
            )
        if not is_bearer_token(token):
            raise UnexpectedResponseError(
                f"the token endpoint answered {response.status_code} with an access_token "
                "that cannot be sent as a bearer token (RFC 6750 allows letters, digits "
                "and -._~+/ followed by =)",
                status=response.status_code,
            )
        if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
            raise UnexpectedResponseError(
                f"the token endpoint answered {response.status_code} without a numeric expires_in",
                status=response.status_code,
            )
        return Token(token, renewal_time(now, float(expires_in)))

    def _call_url(self, call_id: str) -> str:
        return f"{self._calls_url}/{_path_segment('CallsClient', 'call_id', call_id)}"

    def _next_url(self, url: str, *, from_server: bool) -> str:
        """Refuse a next-page URL on another origin: our credentials would go with it."""
        if _origin(url) == _origin(self.base_url):
            return url
        message = self._redact(f"refusing to send credentials to {url}: not on {self.base_url}")
        if from_server:
            raise UnexpectedResponseError(f"the API sent a next-page link {message}")
        raise InvalidRequestError(message, field="next_url", value=url)

    def _fetch_page(self, url: str, params: Mapping[str, str] | None) -> CallsPage:
        response = self._send("GET", url, params=params)
        data = _json(response, self._redact)
        if not isinstance(data, list):
            raise UnexpectedResponseError(
                self._redact(
                    f"GET {url}: expected a JSON array of calls, got {type(data).__name__}"
                ),
                status=response.status_code,
                body=self._redact(response.text),
            )
        items = [CallState.from_dict(item) for item in data]
        return CallsPage(items, next_link(response.headers, response.url))

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        auth: BasicAuth | ClientCredentialsAuth | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        if self._closed:
            raise CallControlError("this CallsClient is closed")
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            content_type = _JSON
        response = self._transport.request(
            method,
            url,
            auth=auth if auth is not None else self._auth,
            params=params,
            body=body,
            content_type=content_type,
            idempotent=idempotent,
        )
        if response.status_code >= 300:
            location = response.headers.get("Location", "no Location")
            raise UnexpectedResponseError(
                self._redact(
                    f"{method} {url}: unexpected redirect {response.status_code} ({location})"
                ),
                status=response.status_code,
            )
        return response


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


def _new_session() -> requests.Session:
    session = requests.Session()
    # Retries are ours (RetryPolicy): urllib3 must not resend anything on its own.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _path_segment(owner: str, name: str, value: object) -> str:
    """``value`` percent-encoded as one URL path segment.

    URL handling removes ``.`` and ``..`` segments (``calls/..`` would address the account),
    so they are refused rather than sent somewhere else.
    """
    check.text(owner, name, value, required=True)
    segment = cast(str, value)
    if segment in (".", ".."):
        check.fail(owner, name, value, "must not be '.' or '..' (a URL path drops such segments)")
    return quote(segment, safe="")


def _service_url(name: str, value: str) -> str:
    check.url("CallsClient", name, value, max_length=None, required=True)
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None:
        check.fail(
            "CallsClient",
            name,
            "***",
            "must not contain credentials; pass username= and password= instead",
        )
    if parts.query or parts.fragment:
        check.fail("CallsClient", name, value, "must not have a query or fragment")
    return value


def _timeout(value: float | tuple[float, float]) -> tuple[float, float]:
    pair = value if isinstance(value, tuple) else (value, value)
    if len(pair) != 2 or not all(_positive(v) for v in pair):
        check.fail(
            "CallsClient",
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


def _request_model(cls: type[ModelT], given: ModelT | None, values: Mapping[str, Any]) -> ModelT:
    """The request model from an instance or from keyword fields (not both)."""
    name = cls.__name__
    if given is not None:
        if values:
            raise InvalidRequestError(f"pass a {name} or keyword fields, not both")
        if not isinstance(given, cls):
            raise InvalidRequestError(f"expected a {name}, not {type(given).__name__}")
        return given
    known = {f.name for f in fields(cls)}
    for key in values:
        if key not in known:
            raise TypeError(f"{name} has no field {key!r}{_did_you_mean(key, known)}")
    missing = [
        f.name for f in fields(cls) if f.init and _required(f) and values.get(f.name) is None
    ]
    if missing:
        raise InvalidRequestError(
            f"{name}: missing required field(s) {', '.join(missing)}", field=missing[0]
        )
    return cls(**values)


def _required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _did_you_mean(key: str, known: set[str]) -> str:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
    if snake in known:
        return f"; did you mean {snake!r}?"
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _list_params(
    to: str | None,
    from_: str | None,
    min_start_time: datetime | str | None,
    max_start_time: datetime | str | None,
    disconnect_cause: str | None,
    page_size: int | None,
) -> dict[str, str]:
    owner = "list_calls"
    for name, value in (("to", to), ("from_", from_), ("disconnect_cause", disconnect_cause)):
        check.text(owner, name, value)
        check.integer(owner, "page_size", page_size, low=1, high=10000)
    params = {
        "to": to,
        "from": from_,
        "minStartTime": _time_param("min_start_time", min_start_time),
        "maxStartTime": _time_param("max_start_time", max_start_time),
        "disconnectCause": disconnect_cause,
        "pageSize": str(page_size) if page_size is not None else None,
    }
    _check_time_order(min_start_time, max_start_time)
    return {key: value for key, value in params.items() if value is not None}


def _time_param(name: str, value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            check.fail(
                "list_calls",
                name,
                value,
                "must be timezone-aware (e.g. datetime.now(timezone.utc))",
            )
        return format_datetime(value)
    if not isinstance(value, str) or parse_datetime(value) is None:
        check.fail(
            "list_calls",
            name,
            value,
            "must be a datetime or an ISO 8601 string like '2022-06-21T19:13:21Z'",
        )
    return value


def _check_time_order(low: datetime | str | None, high: datetime | str | None) -> None:
    start, end = _as_datetime(low), _as_datetime(high)
    if start is not None and end is not None and start > end:
        check.fail(
            "list_calls", "min_start_time", low, f"must not be after max_start_time ({high!r})"
        )


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        return parse_datetime(value)
    return value


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


_NOT_JSON = object()


def _json(response: requests.Response, redact: Callable[[str], str]) -> Any:
    try:
        data = response.json()
    except ValueError:
        # Raised below, outside this block: the decoder's error holds the whole body.
        data = _NOT_JSON
    if data is _NOT_JSON:
        body = redact(response.text)
        snippet = " ".join(body.split())[:200]
        raise UnexpectedResponseError(
            redact(
                f"{response.request.method} {response.url}: the {response.status_code} "
                f"answer is not JSON: {snippet!r}"
            ),
            status=response.status_code,
            body=body,
        )
    return data


def _json_object(response: requests.Response, redact: Callable[[str], str]) -> Mapping[str, Any]:
    data = _json(response, redact)
    if not isinstance(data, dict):
        raise UnexpectedResponseError(
            redact(
                f"{response.request.method} {response.url}: expected a JSON object, "
                f"got {type(data).__name__}"
            ),
            status=response.status_code,
            body=redact(response.text),
        )
    return data
