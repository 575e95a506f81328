"""Sending one API request: timeouts, the deadline, retries, error mapping and debug logging.

Responses are streamed and read whole by :mod:`callcontrol._body`, within the operation's
deadline and the size limit, before anything looks at them.

Every exception from :mod:`requests` becomes a :class:`TransportError` (chained with
``raise ... from``), every error status an :class:`ApiError` from the status table.
Log lines name the method and URL only: never headers, bodies or credentials.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
import requests.exceptions as rex
from requests.auth import AuthBase
from urllib3.exceptions import ConnectTimeoutError as Urllib3ConnectTimeout
from urllib3.exceptions import NewConnectionError

from ._auth import ClientCredentialsAuth
from ._body import DEFAULT_MAX_RESPONSE_BYTES, Deadline, read_body
from .exceptions import ApiError, TransportError, UnauthorizedError, api_error, parse_retry_after
from .retry import Failure, RetryPolicy

logger = logging.getLogger("callcontrol")

TimeoutPair = tuple[float, float]

_FATAL = (
    rex.SSLError,
    rex.InvalidURL,
    rex.InvalidSchema,
    rex.MissingSchema,
    rex.InvalidHeader,
    rex.URLRequired,
)
_USERINFO = re.compile(r"//[^/@\s]*@")
_OBJECT_PREFIX = re.compile(r"^<[^>]*>:\s*")


class Transport:
    """Sends requests over one session, applying the retry policy, deadline and size limit.

    ``deadline`` (seconds, None for none) bounds one call of :meth:`request` as a whole:
    attempts, waits between them and reading the response, measured on ``clock``.
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        timeout: TimeoutPair,
        retry: RetryPolicy,
        user_agent: str,
        redact: Callable[[str], str] = str,
        deadline: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.timeout = timeout
        self.retry = retry
        self.user_agent = user_agent
        self.redact = redact
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.clock = clock

    def request(
        self,
        method: str,
        url: str,
        *,
        auth: AuthBase,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send until success or a final failure; return the 2xx/3xx response, read whole.

        ``idempotent=False`` marks a request that must not be sent again once it may have
        reached the server, whatever its method (see :mod:`callcontrol.retry`).
        """
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        deadline = Deadline(self.deadline, self.clock)

        def what() -> str:
            return self.redact(f"{method} {url}")

        retries = 0
        renewed = maybe_sent = False
        while True:
            if deadline.remaining() <= 0:
                raise deadline.exceeded(what(), maybe_sent=maybe_sent)
            try:
                response = self._attempt(method, url, what, params, body, headers, auth, deadline)
            except rex.RequestException as exc:
                failure = classify(exc)
                maybe_sent = maybe_sent or failure is Failure.MAYBE_SENT
                self._after_failure(
                    method, url, exc, failure, retries, deadline, maybe_sent, idempotent
                )
                retries += 1
                continue
            maybe_sent = True
            logger.debug("%s %s -> %d", method, url, response.status_code)
            if response.status_code < 400:
                return response
            error = self._error(method, url, response)
            if not renewed and _renew_token(auth, error, response):
                renewed = True
                logger.debug("%s %s: bearer token refused, fetching a new one", method, url)
                continue
            delay = self._retry_delay(method, response, retries, idempotent)
            if delay is None or not deadline.allows(delay):
                raise error
            self._wait(method, url, f"HTTP {response.status_code}", delay, retries)
            retries += 1

    def _attempt(
        self,
        method: str,
        url: str,
        what: Callable[[], str],
        params: Mapping[str, str] | None,
        body: bytes | None,
        headers: Mapping[str, str],
        auth: AuthBase,
        deadline: Deadline,
    ) -> requests.Response:
        response = self.session.request(
            method,
            url,
            params=params,
            data=body,
            headers=headers,
            auth=auth,
            timeout=deadline.cap(self.timeout),
            allow_redirects=False,
            stream=True,
        )
        read_body(
            response,
            what=what,
            deadline=deadline,
            read_timeout=self.timeout[1],
            max_bytes=self.max_response_bytes,
        )
        return response

    def _after_failure(
        self,
        method: str,
        url: str,
        exc: rex.RequestException,
        failure: Failure,
        retries: int,
        deadline: Deadline,
        maybe_sent: bool,
        idempotent: bool | None,
    ) -> None:
        """Wait before the next attempt, or raise the failure if there is none.

        ``maybe_sent`` says whether this or an earlier attempt may have reached the server.
        """
        if deadline.remaining() <= 0:
            what = self.redact(f"{method} {url} ({describe(exc)})")
            raise deadline.exceeded(what, maybe_sent=maybe_sent) from exc
        delay = (
            self.retry.backoff(retries)
            if self.retry.retry_failure(method, failure, retries, idempotent=idempotent)
            else None
        )
        if delay is None or not deadline.allows(delay):
            once = not self.retry.is_idempotent(method, idempotent)
            failed = transport_error(method, url, exc, failure, retries, self.redact, once=once)
            raise failed from exc
        self._wait(method, url, self.redact(describe(exc)), delay, retries)

    def _error(self, method: str, url: str, response: requests.Response) -> ApiError:
        body = response.text
        response.close()
        headers = dict(response.headers)
        return api_error(
            response.status_code,
            method,
            url,
            headers,
            body,
            now=self.retry.clock(),
            redact=self.redact,
        )

    def _retry_delay(
        self, method: str, response: requests.Response, retries: int, idempotent: bool | None
    ) -> float | None:
        if not self.retry.retry_status(
            method, response.status_code, retries, idempotent=idempotent
        ):
            return None
        value = response.headers.get("Retry-After")
        retry_after = parse_retry_after(value, now=self.retry.clock()) if value else None
        return self.retry.delay(retries, retry_after)

    def _wait(self, method: str, url: str, reason: str, delay: float, retries: int) -> None:
        logger.debug(
            "%s %s failed (%s); retry %d of %d in %.2f s",
            method,
            url,
            reason,
            retries + 1,
            self.retry.max_retries,
            delay,
        )
        self.retry.sleep(delay)


def _renew_token(auth: AuthBase, error: ApiError, response: requests.Response) -> bool:
    """A 401 to a bearer token may mean it was revoked early: drop it and try once more.

    Under concurrency the token may already have been replaced by another thread that got
    the same 401; the retry then uses that replacement.
    """
    if not isinstance(error, UnauthorizedError) or not isinstance(auth, ClientCredentialsAuth):
        return False
    sent = response.request.headers.get("Authorization", "")
    if not sent.startswith("Bearer "):
        return False
    auth.invalidate(sent[len("Bearer ") :])
    return True


def classify(exc: rex.RequestException) -> Failure:
    """Whether a failed attempt may have reached the server."""
    if isinstance(exc, rex.ConnectTimeout):
        return Failure.NOT_SENT
    if isinstance(exc, _FATAL):
        return Failure.FATAL
    if isinstance(exc, rex.ConnectionError) and not isinstance(exc, rex.ProxyError):
        if any(isinstance(e, (NewConnectionError, Urllib3ConnectTimeout)) for e in _chain(exc)):
            return Failure.NOT_SENT
        return Failure.MAYBE_SENT
    if isinstance(exc, (rex.Timeout, rex.ProxyError, rex.ChunkedEncodingError)):
        return Failure.MAYBE_SENT
    if isinstance(exc, rex.ContentDecodingError):
        return Failure.MAYBE_SENT
    return Failure.FATAL


def transport_error(
    method: str,
    url: str,
    exc: rex.RequestException,
    failure: Failure,
    retries: int,
    redact: Callable[[str], str] = str,
    *,
    once: bool = False,
) -> TransportError:
    """A TransportError saying what failed and whether the request may have been received.

    ``once`` marks a request that is never sent twice (createCall, updateCall,
    updateCallBxml): the message then says it may have taken effect.
    """
    tries = f" after {retries + 1} attempts" if retries else ""
    message = f"{method} {url} failed{tries}: {describe(exc)}"
    if failure is Failure.MAYBE_SENT:
        message += "; the request may have reached the server"
        if once:
            message += " and taken effect (it is not sent again)"
    return TransportError(redact(message), maybe_sent=failure is Failure.MAYBE_SENT)


def describe(exc: rex.RequestException) -> str:
    """A short reason for a failed attempt, with any URL credentials removed."""
    if isinstance(exc, rex.ConnectTimeout):
        kind = "timed out connecting"
    elif isinstance(exc, rex.ReadTimeout):
        kind = "timed out waiting for the response"
    elif isinstance(exc, rex.SSLError):
        kind = "TLS failure"
    elif isinstance(exc, rex.ProxyError):
        kind = "proxy failure"
    elif isinstance(exc, rex.ConnectionError):
        kind = "connection failed"
    else:
        kind = type(exc).__name__
    detail = _innermost_message(exc)
    return f"{kind} ({detail})" if detail else kind


def _innermost_message(exc: BaseException) -> str:
    last = ""
    for item in _chain(exc):
        text = _OBJECT_PREFIX.sub("", str(item)).strip()
        if text:
            last = text
    last = _USERINFO.sub("//", last)
    return last if len(last) <= 200 else last[:197] + "..."


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what it wraps (args, ``reason``, causes), outermost first."""
    seen: set[int] = set()
    current: Any = exc
    while isinstance(current, BaseException) and id(current) not in seen:
        seen.add(id(current))
        yield current
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in current.args if isinstance(a, BaseException)), None)
        if inner is None:
            inner = current.__cause__ or current.__context__
        current = inner
