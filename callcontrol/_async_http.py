"""Sending one API request with httpx, for :class:`~callcontrol.AsyncCallsClient`.

The async twin of :mod:`callcontrol._http`: the same decisions (:mod:`callcontrol._attempts`),
the same reading (:mod:`callcontrol._reply`), only the sending and waiting differ. Every
exception from httpx becomes a :class:`TransportError` (chained), every error status an
:class:`ApiError`. Waits use anyio, as httpx does.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping

import anyio
import httpx

from ._attempts import DONE, RENEW, Attempts, Deadline, declared_too_large, too_large
from ._auth import Token
from ._build import Outgoing
from ._config import DEFAULT_MAX_RESPONSE_BYTES
from ._reply import Headers, Reply
from .exceptions import TransportError
from .retry import Failure, RetryPolicy

__all__ = ["AsyncTokens", "AsyncTransport", "classify", "describe"]

TimeoutPair = tuple[float, float]
#: The ``Authorization`` value for the next attempt (a bearer token may be fetched first).
Authorization = Callable[[], Awaitable[str]]


class AsyncTransport:
    """Sends requests over one :class:`httpx.AsyncClient`, applying the retry policy, the
    deadline and the size limit, as :class:`callcontrol._http.Transport` does.

    ``deadline`` bounds one call of :meth:`request` as a whole, the status line and headers
    included (a server trickling them is cut off too).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout: TimeoutPair,
        retry: RetryPolicy,
        user_agent: str,
        redact: Callable[[str], str] = str,
        deadline: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.retry = retry
        self.user_agent = user_agent
        self.redact = redact
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.clock = clock

    async def request(
        self,
        outgoing: Outgoing,
        *,
        authorization: Authorization,
        renew: Callable[[str], None] | None = None,
    ) -> Reply:
        """Send until success or a final failure; return the 2xx/3xx response, read whole.

        ``renew`` drops a bearer token the API refused (given the token).
        """
        deadline = Deadline(self.deadline, self.clock)
        attempts = Attempts(
            outgoing.method,
            outgoing.url,
            self.retry,
            deadline,
            self.redact,
            idempotent=outgoing.idempotent,
        )
        while True:
            attempts.start()
            headers = outgoing.headers(self.user_agent)
            headers["Authorization"] = await authorization()
            try:
                reply = await self._attempt(outgoing, headers, deadline, attempts)
            except (httpx.RequestError, httpx.InvalidURL) as exc:
                wait = attempts.failed(classify(exc), describe(exc))
                if isinstance(wait, TransportError):
                    raise wait from exc
                await self._sleep(wait)
                continue
            step = attempts.answered(reply, renew)
            if step == DONE:
                return reply
            if step != RENEW:
                await self._sleep(float(step))

    async def _attempt(
        self,
        outgoing: Outgoing,
        headers: dict[str, str],
        deadline: Deadline,
        attempts: Attempts,
    ) -> Reply:
        left = deadline.remaining()
        exchange = self._exchange(outgoing, headers, deadline, attempts)
        try:
            if math.isinf(left):
                return await exchange
            if _ASYNCIO_TIMEOUT is not None and _on_asyncio():
                async with _ASYNCIO_TIMEOUT(max(left, 0.001)):  # cheaper than a cancel scope
                    return await exchange
            with anyio.fail_after(max(left, 0.001)):
                return await exchange
        except TimeoutError:
            # Where the deadline struck is not known: the request may have been sent.
            what = f"{attempts.what()} (waiting for the response)"
            raise deadline.exceeded(what, maybe_sent=True) from None

    async def _exchange(
        self,
        outgoing: Outgoing,
        headers: dict[str, str],
        deadline: Deadline,
        attempts: Attempts,
    ) -> Reply:
        connect, read = deadline.cap(self.timeout)
        request = self.client.build_request(
            outgoing.method,
            outgoing.url,
            params=outgoing.params,
            content=outgoing.body,
            headers=headers,
            timeout=httpx.Timeout(connect=connect, read=read, write=read, pool=connect),
        )
        response = await self.client.send(request, stream=True, follow_redirects=False)
        try:
            body = await self._read(response, deadline, attempts)
        finally:
            await response.aclose()
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
        return Reply(
            outgoing.method,
            outgoing.url,
            str(response.url),
            response.status_code,
            Headers(pairs),
            body,
            headers["Authorization"],
        )

    async def _read(
        self, response: httpx.Response, deadline: Deadline, attempts: Attempts
    ) -> bytes:
        limit = self.max_response_bytes
        declared = declared_too_large(response.headers, limit)
        if declared is not None:
            raise too_large(attempts.what(), f"announces {declared} bytes", limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            if deadline.remaining() <= 0:
                what = f"{attempts.what()} (reading the response)"
                raise deadline.exceeded(what, maybe_sent=True)
            size += len(chunk)
            if size > limit:
                raise too_large(attempts.what(), "holds more bytes (once decompressed)", limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _sleep(self, seconds: float) -> None:
        """Wait before a retry: ``anyio.sleep`` for the default policy, else the policy's
        ``sleep`` (awaited when it returns an awaitable, as an ``async def`` does)."""
        if self.retry.sleep is time.sleep:
            await anyio.sleep(seconds)
            return
        result = self.retry.sleep(seconds)
        if inspect.isawaitable(result):
            await result


class AsyncTokens:
    """``Authorization: Bearer ...`` with a cached OAuth2 client-credentials token, for the
    async client: fetched on first use and again :data:`~callcontrol._auth.RENEW_MARGIN`
    seconds before it expires; one lock makes concurrent tasks share one fetch."""

    kind = "oauth2"

    def __init__(self, fetch: Callable[[float], Awaitable[Token]], clock: Callable[[], float]):
        self._fetch = fetch
        self._clock = clock
        self._lock = anyio.Lock()
        self._token: Token | None = None

    async def header(self) -> str:
        """The ``Authorization`` value, with a token fetched or renewed when needed."""
        async with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at:
                token = await self._fetch(self._clock())
                self._token = token
            return f"Bearer {token.value}"

    def invalidate(self, rejected: str) -> None:
        """Forget the cached token if it is ``rejected`` (another task may have replaced it:
        then the replacement is kept)."""
        if self._token is not None and self._token.value == rejected:
            self._token = None

    def __repr__(self) -> str:
        return "AsyncTokens(***)"


#: ``asyncio.timeout`` (Python 3.11+), used under asyncio; anyio's cancel scope elsewhere.
_ASYNCIO_TIMEOUT = getattr(asyncio, "timeout", None)


def _on_asyncio() -> bool:
    """Whether the running event loop is asyncio's (not trio's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def classify(exc: Exception) -> Failure:
    """Whether a failed attempt may have reached the server."""
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Failure.NOT_SENT
    if isinstance(exc, httpx.ConnectError):
        return Failure.FATAL if _tls_failure(exc) else Failure.NOT_SENT
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL)):
        return Failure.FATAL
    if isinstance(exc, httpx.TooManyRedirects):
        return Failure.FATAL
    # Timeouts and failures after connecting, a dropped connection, a proxy failure, a
    # body that cannot be decoded: the request may have been received.
    return Failure.MAYBE_SENT


def describe(exc: Exception) -> str:
    """A short reason for a failed attempt (httpx messages carry no credentials)."""
    kinds: Mapping[type[Exception], str] = {
        httpx.ConnectTimeout: "timed out connecting",
        httpx.PoolTimeout: "timed out waiting for a free connection",
        httpx.ReadTimeout: "timed out waiting for the response",
        httpx.WriteTimeout: "timed out sending the request",
        httpx.ProxyError: "proxy failure",
        httpx.RemoteProtocolError: "connection dropped",
    }
    kind = next((text for cls, text in kinds.items() if isinstance(exc, cls)), None)
    if kind is None and isinstance(exc, httpx.ConnectError) and _tls_failure(exc):
        kind = "TLS failure"
    elif kind is None and isinstance(exc, httpx.NetworkError):
        kind = "connection failed"
    detail = str(exc).strip()
    text = kind or type(exc).__name__
    if detail:
        detail = detail if len(detail) <= 200 else detail[:197] + "..."
        return f"{text} ({detail})"
    return text


def _tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
