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

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

from . import _reply as read
from ._auth import BasicAuth, ClientCredentialsAuth, Token
from ._build import HANGUP, Outgoing, RequestBuilder, check_next_url_alone, redirect_update
from ._config import (
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_URL,
    configure,
    env_arguments,
)
from ._http import Transport
from ._reply import Reply
from ._version import __version__
from .exceptions import CallControlError
from .models import CallbackMethod, CallState, CreateCall, CreateCallResponse, UpdateCall
from .pagination import CallsPage, iter_calls
from .retry import DEFAULT_RETRY, RetryPolicy

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

USER_AGENT = f"bxml-callcontrol/{__version__} python-requests/{requests.__version__}"


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
        config = configure(
            "CallsClient",
            account_id,
            username=username,
            password=password,
            client_id=client_id,
            client_secret=client_secret,
            base_url=base_url,
            token_url=token_url,
            timeout=timeout,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            retry=retry,
        )
        self.account_id = account_id
        self.base_url = config.base_url
        self.token_url = config.token_url
        self._config = config
        self._build = RequestBuilder(config, "CallsClient")
        self._redact = config.redact
        self._calls_url = config.calls_url
        self._auth = self._make_auth(clock)
        # Created last, so that a bad argument never leaves an unclosed session behind.
        self._owns_session = session is None
        self._session = session if session is not None else _new_session()
        self._transport = Transport(
            self._session,
            timeout=config.timeout,
            retry=config.retry,
            user_agent=USER_AGENT,
            redact=self._redact,
            deadline=config.deadline,
            max_response_bytes=config.max_response_bytes,
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
        account_id, values = env_arguments("CallsClient", environ, overrides)
        return cls(account_id, **values)

    # -- the five operations -----------------------------------------------------------

    def create_call(self, call: CreateCall | None = None, /, **fields: Any) -> CreateCallResponse:
        """Place an outbound call (createCall); give a :class:`CreateCall` or its fields.

        The call is queued and dialled at the account's rate. If the request times out after
        it was sent, it is not sent again (that could place a second call): the
        :class:`~callcontrol.exceptions.TransportError` has ``maybe_sent=True``.
        """
        reply = self._send(self._build.create_call(call, fields))
        return read.create_response(reply, self._redact)

    def get_call_state(self, call_id: str) -> CallState:
        """The current state of a call (getCallState); 404 once it ended over 7 days ago."""
        reply = self._send(self._build.get_call_state(call_id))
        return read.call_state(reply, self._redact)

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
        first = self._build.list_calls(
            to, from_, min_start_time, max_start_time, disconnect_cause, page_size
        )
        return iter_calls(
            lambda: self._fetch_page(first),
            lambda url: self._fetch_page(self._build.next_page(url, from_server=True)),
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
            check_next_url_alone(
                [to, from_, min_start_time, max_start_time, disconnect_cause, page_size]
            )
            return self._fetch_page(self._build.next_page(next_url, from_server=False))
        return self._fetch_page(
            self._build.list_calls(
                to, from_, min_start_time, max_start_time, disconnect_cause, page_size
            )
        )

    def update_call(self, call_id: str, update: UpdateCall | None = None, /, **fields: Any) -> None:
        """Redirect a call to new BXML, or end it (updateCall).

        Give an :class:`UpdateCall` or its fields. A call that cannot be changed in its
        current state raises :class:`~callcontrol.exceptions.ConflictError` (409).
        """
        self._send(self._build.update_call(call_id, update, fields))

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
        self._send(self._build.update_call_bxml(call_id, doc))

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
        update = redirect_update(
            url,
            method=method,
            username=username,
            password=password,
            fallback_url=fallback_url,
            fallback_method=fallback_method,
            fallback_username=fallback_username,
            fallback_password=fallback_password,
            tag=tag,
        )
        self.update_call(call_id, update)

    def hangup(self, call_id: str) -> None:
        """End the call: hang up if answered, cancel or reject it if not (state=completed)."""
        self.update_call(call_id, HANGUP)

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

    def _make_auth(self, clock: Callable[[], float]) -> BasicAuth | ClientCredentialsAuth:
        credentials = self._config.credentials
        pair = BasicAuth(credentials.user, credentials.secret)
        if credentials.kind == "basic":
            return pair
        return ClientCredentialsAuth(lambda now: self._fetch_token(pair, now), clock)

    def _fetch_token(self, credentials: BasicAuth, now: float) -> Token:
        reply = self._send(self._build.token(), auth=credentials)
        return read.token(reply, now, self._redact, self._redact.add_token)

    def _call_url(self, call_id: str) -> str:
        return self._build.call_url(call_id)

    def _fetch_page(self, outgoing: Outgoing) -> CallsPage:
        return read.calls_page(self._send(outgoing), self._redact)

    def _send(
        self, outgoing: Outgoing, *, auth: BasicAuth | ClientCredentialsAuth | None = None
    ) -> Reply:
        if self._closed:
            raise CallControlError("this CallsClient is closed")
        reply = self._transport.request(outgoing, auth=auth if auth is not None else self._auth)
        reply.check_not_redirect(self._redact)
        return reply


def _new_session() -> requests.Session:
    session = requests.Session()
    # Retries are ours (RetryPolicy): urllib3 must not resend anything on its own.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
