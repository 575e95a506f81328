"""Exceptions raised by :mod:`callcontrol`, and the one table that maps HTTP statuses to them.

The tree::

    CallControlError
    ├── InvalidRequestError (also ValueError)  a request the client refuses to send
    ├── TransportError                         no HTTP response (timeout, refused, reset)
    │   ├── DeadlineExceededError              the operation's deadline passed
    │   └── ResponseTooLargeError              the body exceeds max_response_bytes
    ├── UnexpectedResponseError (also ValueError)  a 2xx/3xx answer the client cannot read
    └── ApiError                               the API answered with an error status
        ├── BadRequestError            400
        ├── UnauthorizedError          401
        ├── ForbiddenError             403
        ├── NotFoundError              404
        ├── MethodNotAllowedError      405
        ├── ConflictError              409
        ├── UnsupportedMediaTypeError  415
        ├── RateLimitError             429  (``retry_after`` in seconds)
        └── ServerError                5xx

Catch :class:`CallControlError` to handle every failure of the client::

    try:
        client.update_call(call_id, state="completed")
    except callcontrol.ConflictError:
        pass  # the call already ended
    except callcontrol.CallControlError as exc:
        log.warning("could not hang up: %s", exc)

No message, repr or attribute of these exceptions contains a credential: request
``Authorization`` headers are never stored, sensitive response headers are redacted, and
credentials a server echoes into its answer are masked.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

#: Header names whose values are replaced by ``"[redacted]"`` in :attr:`ApiError.headers`.
REDACTED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

_BODY_PREVIEW = 200
# Proxies and load balancers answer with HTML pages; their title is the useful part.
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class CallControlError(Exception):
    """Root of every exception raised by :mod:`callcontrol`."""


class InvalidRequestError(CallControlError, ValueError):
    """A request value is not allowed; nothing was sent.

    ``field`` names the offending field (the Python name, e.g. ``"call_timeout"``) and
    ``value`` holds what was given (``"***"`` for a secret).
    """

    def __init__(self, message: str, *, field: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class TransportError(CallControlError):
    """No HTTP response was received: a timeout, a refused or dropped connection, a TLS failure.

    ``maybe_sent`` is True when the request may have reached the server (for example a read
    timeout): a createCall that failed this way may still have placed the call.
    The underlying :mod:`requests` exception is chained as ``__cause__``.
    """

    def __init__(self, message: str, *, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class DeadlineExceededError(TransportError):
    """The operation took longer than the client's ``deadline``, retries and waits included.

    ``maybe_sent`` says whether an attempt may have reached the server.
    """


class ResponseTooLargeError(TransportError):
    """The response body is larger than the client's ``max_response_bytes``.

    The size is counted after decompression. The server received the request
    (``maybe_sent`` is True); its answer was dropped unread.
    """


class UnexpectedResponseError(CallControlError, ValueError):
    """The API answered without an error status, but with something the client cannot read."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ApiError(CallControlError):
    """The Voice API answered with an error status.

    ``error_type``, ``description`` and ``error_id`` come from the API's VoiceApiError body
    (``type``, ``description``, ``id``) when there is one; ``body`` is the raw response text.
    ``headers`` are the response headers, with sensitive ones redacted.
    """

    def __init__(
        self,
        status: int,
        error_type: str | None,
        description: str | None,
        error_id: str | None,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: str,
    ) -> None:
        self.status = status
        self.error_type = error_type
        self.description = description
        self.error_id = error_id
        self.method = method
        self.url = url
        self.headers = redact_headers(headers)
        self.body = body
        super().__init__(self._message())

    def _message(self) -> str:
        reason = _reason(self.status)
        text = self.description or _preview(self.body) or "(empty body)"
        kind = f" [{self.error_type}]" if self.error_type else ""
        error_id = f" (error id {self.error_id})" if self.error_id else ""
        return f"{self.status} {reason}{kind}: {text}{error_id} - {self.method} {self.url}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status}, error_type={self.error_type!r}, "
            f"description={self.description!r}, method={self.method!r}, url={self.url!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        args = (
            self.status,
            self.error_type,
            self.description,
            self.error_id,
            self.method,
            self.url,
            self.headers,
            self.body,
        )
        return (type(self), args, self.__dict__.copy())


class BadRequestError(ApiError):
    """400: the request was malformed or a value was rejected."""


class UnauthorizedError(ApiError):
    """401: the credentials were refused, or they give no access to the account."""


class ForbiddenError(ApiError):
    """403: the user has no access to the Voice API."""


class NotFoundError(ApiError):
    """404: no such call (or it ended more than 7 days ago), or an unknown path."""


class MethodNotAllowedError(ApiError):
    """405: the HTTP method is not allowed on this path."""


class ConflictError(ApiError):
    """409: the call cannot be modified in its current state (ended, or not answered yet)."""


class UnsupportedMediaTypeError(ApiError):
    """415: the request body has a content type the endpoint does not accept."""


class RateLimitError(ApiError):
    """429: a rate limit was hit; ``retry_after`` is how many seconds to wait, when known."""

    def __init__(
        self,
        status: int,
        error_type: str | None,
        description: str | None,
        error_id: str | None,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: str,
        *,
        now: float | None = None,
    ) -> None:
        super().__init__(status, error_type, description, error_id, method, url, headers, body)
        value = _header(headers, "Retry-After")
        self.retry_after = parse_retry_after(value, now=now) if value is not None else None


class ServerError(ApiError):
    """5xx: the API failed to handle the request."""


#: The status table: every documented error status and its exception class.
#: Other 5xx statuses map to :class:`ServerError`, other statuses to :class:`ApiError`.
STATUS_ERRORS: Mapping[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    415: UnsupportedMediaTypeError,
    429: RateLimitError,
    500: ServerError,
    503: ServerError,
}


def error_class_for(status: int) -> type[ApiError]:
    """Return the exception class for an HTTP error ``status``, from :data:`STATUS_ERRORS`."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    if 500 <= status <= 599:
        return ServerError
    return ApiError


def api_error(
    status: int,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: str,
    *,
    now: float | None = None,
    redact: Callable[[str], str] | None = None,
) -> ApiError:
    """Build the right :class:`ApiError` subclass for an error response.

    The body is read as a VoiceApiError (``type``, ``description``, ``id``), or as an OAuth2
    error (``error``, ``error_description``); any other body is kept as text for the message.
    ``now`` (seconds since the epoch) turns an HTTP-date ``Retry-After`` into seconds.
    ``redact`` cleans every text taken from the response (body, its fields, header values
    and the URL) before it reaches the exception, so an echoed credential never shows.
    """
    clean = redact if redact is not None else _unchanged
    error_type, description, error_id = (
        None if value is None else clean(value) for value in _read_error_body(body)
    )
    headers = {name: clean(value) for name, value in headers.items()}
    body, url = clean(body), clean(url)
    cls = error_class_for(status)
    args = (status, error_type, description, error_id, method, url, headers, body)
    if issubclass(cls, RateLimitError):
        return cls(*args, now=now)
    return cls(*args)


def parse_retry_after(value: str, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date.

    Returns None for a value that is neither; a date in the past gives 0.
    """
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value, now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy ``headers``, replacing credential-bearing values with ``"[redacted]"``."""
    return {
        name: "[redacted]" if name.lower() in REDACTED_HEADERS else value
        for name, value in headers.items()
    }


def _unchanged(text: str) -> str:
    return text


def _seconds_until(value: str, now: float | None) -> float | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _read_error_body(body: str) -> tuple[str | None, str | None, str | None]:
    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        return None, None, None
    if not isinstance(data, dict):
        return None, None, None
    error_type = _text(data.get("type")) or _text(data.get("error"))
    description = (
        _text(data.get("description"))
        or _text(data.get("error_description"))
        or _text(data.get("message"))
    )
    return error_type, description, _text(data.get("id"))


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _preview(body: str) -> str:
    title = _HTML_TITLE.search(body)
    text = " ".join((title.group(1) if title else body).split())
    if len(text) > _BODY_PREVIEW:
        return text[: _BODY_PREVIEW - 3] + "..."
    return text
