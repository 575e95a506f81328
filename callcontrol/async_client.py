"""The Voice API Calls client for asyncio applications, built on httpx.

    from callcontrol import AsyncCallsClient

    async with AsyncCallsClient.from_env() as client:
        call = await client.create_call(
            to="+15551234567",
            from_="+15557654321",
            application_id="04e88489-df02-4e34-a0ee-27a91849555f",
            answer_url="https://example.com/answer",
        )
        async for state in client.list_calls(to="+15551234567"):
            print(state.call_id, state.state)
        await client.hangup(call.call_id)

It is :class:`~callcontrol.CallsClient` with ``await``: the same operations, arguments,
models, errors, retry rules (never two createCalls, never two updateCallBxml once one may
have arrived), deadline, response size limit, OAuth2 and redaction; both clients build,
read and decide with the same code, only the sending differs. Install the extra:
``pip install 'bxml-callcontrol[async]'``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

try:
    import httpx
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "AsyncCallsClient needs httpx: pip install 'bxml-callcontrol[async]'"
    ) from exc

from . import _reply as read
from ._async_http import AsyncTokens, AsyncTransport
from ._auth import Token, basic_header
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
from ._reply import Reply
from ._version import __version__
from .exceptions import CallControlError
from .models import CallbackMethod, CallState, CreateCall, CreateCallResponse, UpdateCall
from .pagination import CallsPage, aiter_calls
from .retry import DEFAULT_RETRY, RetryPolicy

if TYPE_CHECKING:
    import bxml

__all__ = ["AsyncCallsClient"]

USER_AGENT = f"bxml-callcontrol/{__version__} python-httpx/{httpx.__version__}"

_OWNER = "AsyncCallsClient"


class AsyncCallsClient:
    """An async client for the Voice API's Calls endpoints, for one account.

    The arguments are :class:`~callcontrol.CallsClient`'s, except ``http_client`` for
    ``session``: an :class:`httpx.AsyncClient` to send with, which the caller keeps and
    closes (by default the client makes its own and closes it on :meth:`aclose`).
    ``retry.sleep`` is awaited when it returns an awaitable; the default policy waits with
    ``anyio.sleep``, never blocking the event loop. The ``deadline`` also cuts off a status
    line and headers that arrive byte by byte.

    Use it as ``async with AsyncCallsClient(...) as client:``; it is safe to share between
    the tasks of one event loop.
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
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        config = configure(
            _OWNER,
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
        self._build = RequestBuilder(config, _OWNER)
        self._redact = config.redact
        credentials = config.credentials
        self._basic = basic_header(credentials.user, credentials.secret)
        self._tokens = (
            AsyncTokens(self._fetch_token, clock) if credentials.kind == "oauth2" else None
        )
        # Created last, so that a bad argument never leaves an unclosed client behind.
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else _new_http_client()
        self._transport = AsyncTransport(
            self._http,
            timeout=config.timeout,
            retry=config.retry,
            user_agent=USER_AGENT,
            redact=self._redact,
            deadline=config.deadline,
            max_response_bytes=config.max_response_bytes,
            clock=clock,
        )
        self._closed = False

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> AsyncCallsClient:
        """Build a client from ``BW_*`` environment variables; keyword arguments win.

        Reads BW_ACCOUNT_ID (required), BW_USERNAME and BW_PASSWORD, or BW_CLIENT_ID and
        BW_CLIENT_SECRET, and BW_VOICE_BASE_URL (optional).
        """
        account_id, values = env_arguments(_OWNER, environ, overrides)
        return cls(account_id, **values)

    # -- the five operations -----------------------------------------------------------

    async def create_call(
        self, call: CreateCall | None = None, /, **fields: Any
    ) -> CreateCallResponse:
        """Place an outbound call (createCall); give a :class:`CreateCall` or its fields.

        Never sent twice once it may have arrived: such a failure is a
        :class:`~callcontrol.exceptions.TransportError` with ``maybe_sent=True``.
        """
        reply = await self._send(self._build.create_call(call, fields))
        return read.create_response(reply, self._redact)

    async def get_call_state(self, call_id: str) -> CallState:
        """The current state of a call (getCallState); 404 once it ended over 7 days ago."""
        reply = await self._send(self._build.get_call_state(call_id))
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
    ) -> AsyncIterator[CallState]:
        """Every call matching the filters (listCalls), oldest first: ``async for`` over it.

        The filters are checked now; pages are fetched as the iteration advances, by the
        rules of :meth:`callcontrol.CallsClient.list_calls`.
        """
        first = self._build.list_calls(
            to, from_, min_start_time, max_start_time, disconnect_cause, page_size
        )
        return aiter_calls(
            lambda: self._fetch_page(first),
            lambda url: self._fetch_page(self._build.next_page(url, from_server=True)),
        )

    async def list_calls_page(
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
        """One page of listCalls, with the URL of the next page (``page.next_url``); pass
        ``next_url`` alone to fetch the page after an earlier one."""
        if next_url is not None:
            check_next_url_alone(
                [to, from_, min_start_time, max_start_time, disconnect_cause, page_size]
            )
            return await self._fetch_page(self._build.next_page(next_url, from_server=False))
        return await self._fetch_page(
            self._build.list_calls(
                to, from_, min_start_time, max_start_time, disconnect_cause, page_size
            )
        )

    async def update_call(
        self, call_id: str, update: UpdateCall | None = None, /, **fields: Any
    ) -> None:
        """Redirect a call to new BXML, or end it (updateCall); 409 when it cannot change."""
        await self._send(self._build.update_call(call_id, update, fields))

    async def update_call_bxml(self, call_id: str, doc: bxml.Bxml | str) -> None:
        """Replace the BXML running on an active call (updateCallBxml).

        Checked against the BXML schema and the 64 KB limit first. Never sent twice once
        it may have arrived (Bandwidth starts the document over on every PUT).
        """
        await self._send(self._build.update_call_bxml(call_id, doc))

    # -- conveniences --------------------------------------------------------------------

    async def redirect(
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
        await self.update_call(call_id, update)

    async def hangup(self, call_id: str) -> None:
        """End the call: hang up if answered, cancel or reject it if not (state=completed)."""
        await self.update_call(call_id, HANGUP)

    # -- lifecycle -----------------------------------------------------------------------

    async def aclose(self) -> None:
        """Release the connection pool (an ``http_client`` passed in stays open)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncCallsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        kind = self._config.credentials.kind
        return (
            f"AsyncCallsClient(account_id={self.account_id!r}, base_url={self.base_url!r}, "
            f"auth={kind!r})"
        )

    # -- internals -----------------------------------------------------------------------

    async def _authorization(self) -> str:
        return self._basic if self._tokens is None else await self._tokens.header()

    async def _basic_authorization(self) -> str:
        return self._basic

    async def _fetch_token(self, now: float) -> Token:
        reply = await self._send(self._build.token(), token=True)
        return read.token(reply, now, self._redact, self._redact.add_token)

    async def _fetch_page(self, outgoing: Outgoing) -> CallsPage:
        return read.calls_page(await self._send(outgoing), self._redact)

    async def _send(self, outgoing: Outgoing, *, token: bool = False) -> Reply:
        if self._closed:
            raise CallControlError("this AsyncCallsClient is closed")
        if token:
            reply = await self._transport.request(outgoing, authorization=self._basic_authorization)
        else:
            renew = self._tokens.invalidate if self._tokens is not None else None
            reply = await self._transport.request(
                outgoing, authorization=self._authorization, renew=renew
            )
        reply.check_not_redirect(self._redact)
        return reply


def _new_http_client() -> httpx.AsyncClient:
    # Retries are ours (RetryPolicy); redirects are never followed. Enough connections
    # for a hundred concurrent operations on one client.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return httpx.AsyncClient(limits=limits, follow_redirects=False)
