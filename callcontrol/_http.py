"""Sending one API request with :mod:`requests`: timeouts, the deadline, and error mapping.

Responses are streamed and read whole by :mod:`callcontrol._body`, within the operation's
deadline and the size limit, before anything looks at them. When to retry is decided by
:mod:`callcontrol._attempts`, as for the async client.

Every exception from :mod:`requests` becomes a :class:`TransportError` (chained with
``raise ... from``), every error status an :class:`ApiError` from the status table.
Log lines name the method and URL only: never headers, bodies or credentials.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
import requests.exceptions as rex
from urllib3.exceptions import ConnectTimeoutError as Urllib3ConnectTimeout
from urllib3.exceptions import NewConnectionError

from ._attempts import DONE, RENEW, Attempts, Deadline, transport_failure
from ._auth import BasicAuth, ClientCredentialsAuth
from ._body import DEFAULT_MAX_RESPONSE_BYTES, read_body
from ._build import Outgoing
from ._reply import Reply
from .exceptions import TransportError
from .retry import Failure, RetryPolicy

TimeoutPair = tuple[float, float]
Auth = BasicAuth | ClientCredentialsAuth

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
    attempts, waits between them and reading the response, measured on ``clock``. The
    decisions are :class:`~callcontrol._attempts.Attempts`'s, shared with the async client.
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

    def request(self, outgoing: Outgoing, *, auth: Auth) -> Reply:
        """Send until success or a final failure; return the 2xx/3xx response, read whole."""
        headers = outgoing.headers(self.user_agent)
        deadline = Deadline(self.deadline, self.clock)
        attempts = Attempts(
            outgoing.method,
            outgoing.url,
            self.retry,
            deadline,
            self.redact,
            idempotent=outgoing.idempotent,
        )
        renew = auth.invalidate if isinstance(auth, ClientCredentialsAuth) else None
        while True:
            attempts.start()
            try:
                response = self._attempt(outgoing, attempts.what, headers, auth, deadline)
            except rex.RequestException as exc:
                wait = attempts.failed(classify(exc), describe(exc))
                if isinstance(wait, TransportError):
                    raise wait from exc
                self.retry.sleep(wait)
                continue
            reply = Reply(
                outgoing.method,
                outgoing.url,
                response.url,
                response.status_code,
                response.headers,
                response.content,
                response.request.headers.get("Authorization", ""),
            )
            step = attempts.answered(reply, renew)
            if step == DONE:
                return reply
            if step != RENEW:
                self.retry.sleep(float(step))

    def _attempt(
        self,
        outgoing: Outgoing,
        what: Callable[[], str],
        headers: Mapping[str, str],
        auth: Auth,
        deadline: Deadline,
    ) -> requests.Response:
        response = self.session.request(
            outgoing.method,
            outgoing.url,
            params=outgoing.params,
            data=outgoing.body,
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
    """A TransportError saying what failed and whether the request may have been received
    (``once``: and may have taken effect, since it is never sent twice)."""
    return transport_failure(method, url, describe(exc), failure, retries, redact, once=once)


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
