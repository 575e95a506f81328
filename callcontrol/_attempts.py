"""The retry decisions of one operation, shared by the sync and the async transport.

A transport sends; this module decides, after each attempt, whether to wait and send
again, renew a refused bearer token, or stop with the right error. It does no I/O and
never sleeps: the transport waits the delay it is given (``time.sleep`` or ``anyio.sleep``).

    attempts = Attempts("GET", url, policy, Deadline(120.0, clock), redact)
    while True:
        attempts.start()                      # raises once the deadline passed
        try:
            reply = send()
        except SomeNetworkError as exc:
            wait = attempts.failed(classify(exc), describe(exc))
            if isinstance(wait, TransportError):
                raise wait from exc
            sleep(wait)
            continue
        step = attempts.answered(reply, renew)  # raises the ApiError of a final answer
        if step is DONE:
            return reply
        if step is not RENEW:
            sleep(step)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Final, Literal

from ._reply import Reply
from .exceptions import (
    DeadlineExceededError,
    ResponseTooLargeError,
    TransportError,
    UnauthorizedError,
    parse_retry_after,
)
from .retry import Failure, RetryPolicy

__all__ = [
    "DONE",
    "RENEW",
    "Attempts",
    "Deadline",
    "declared_too_large",
    "too_large",
    "transport_failure",
]

logger = logging.getLogger("callcontrol")

#: :meth:`Attempts.answered`: the reply is the result.
DONE: Final = "done"
#: :meth:`Attempts.answered`: the bearer token was refused and dropped; send again at once.
RENEW: Final = "renew"

Step = Literal["done", "renew"] | float


class Deadline:
    """The moment an operation must be over, on a monotonic ``clock`` (None: no deadline)."""

    def __init__(self, seconds: float | None, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = None if seconds is None else clock() + seconds

    def remaining(self) -> float:
        """Seconds left (``inf`` without a deadline; 0 or less once it passed)."""
        return math.inf if self._end is None else self._end - self._clock()

    def allows(self, delay: float) -> bool:
        """Whether waiting ``delay`` seconds still leaves time for another attempt."""
        return self.remaining() > delay

    def cap(self, timeout: tuple[float, float]) -> tuple[float, float]:
        """``(connect, read)`` timeouts no longer than the time left."""
        left = max(self.remaining(), 0.001)
        return (min(timeout[0], left), min(timeout[1], left))

    def exceeded(self, what: str, *, maybe_sent: bool) -> DeadlineExceededError:
        """The error for passing the deadline while doing ``what``."""
        message = f"{what}: the {self.seconds:g} s deadline passed"
        if maybe_sent:
            message += "; the request may have reached the server"
        return DeadlineExceededError(message, maybe_sent=maybe_sent)


class Attempts:
    """The state of one operation's attempts: how many were retries, whether any may have
    reached the server, whether the token was renewed already.

    ``idempotent`` overrides the policy's method rule for this request (False for a
    request that must never be sent twice once it may have arrived).
    """

    def __init__(
        self,
        method: str,
        url: str,
        policy: RetryPolicy,
        deadline: Deadline,
        redact: Callable[[str], str] = str,
        *,
        idempotent: bool | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.policy = policy
        self.deadline = deadline
        self.redact = redact
        self.idempotent = idempotent
        self.retries = 0
        self.maybe_sent = False
        self.renewed = False

    def what(self) -> str:
        """``METHOD url`` for messages, with credentials removed."""
        return self.redact(f"{self.method} {self.url}")

    def start(self) -> None:
        """Before each attempt: raise :class:`DeadlineExceededError` once the deadline passed."""
        if self.deadline.remaining() <= 0:
            raise self.deadline.exceeded(self.what(), maybe_sent=self.maybe_sent)

    def failed(self, failure: Failure, reason: str) -> float | TransportError:
        """After an attempt that got no response: the delay before the next one, or the
        error to raise (the caller chains the network exception as its cause).

        ``reason`` describes the failure, without credentials.
        """
        self.maybe_sent = self.maybe_sent or failure is Failure.MAYBE_SENT
        if self.deadline.remaining() <= 0:
            what = self.redact(f"{self.method} {self.url} ({reason})")
            return self.deadline.exceeded(what, maybe_sent=self.maybe_sent)
        policy = self.policy
        retry = policy.retry_failure(self.method, failure, self.retries, idempotent=self.idempotent)
        delay = policy.backoff(self.retries) if retry else None
        if delay is None or not self.deadline.allows(delay):
            once = not policy.is_idempotent(self.method, self.idempotent)
            return transport_failure(
                self.method, self.url, reason, failure, self.retries, self.redact, once=once
            )
        self._log_wait(self.redact(reason), delay)
        return delay

    def answered(self, reply: Reply, renew: Callable[[str], None] | None = None) -> Step:
        """After a response: :data:`DONE` (below 400), :data:`RENEW`, or the delay before
        sending again; raises the :class:`~callcontrol.exceptions.ApiError` of a final one.

        ``renew`` drops a refused bearer token (given the token); a 401 to a bearer token
        renews it once, since the token may have been revoked early.
        """
        self.maybe_sent = True
        logger.debug("%s %s -> %d", self.method, self.url, reply.status)
        if reply.status < 400:
            return DONE
        error = reply.api_error(now=self.policy.clock(), redact=self.redact)
        bearer = reply.sent_bearer()
        if isinstance(error, UnauthorizedError) and renew and bearer and not self.renewed:
            self.renewed = True
            logger.debug("%s %s: bearer token refused, fetching a new one", self.method, self.url)
            renew(bearer)
            return RENEW
        delay = self._status_delay(reply)
        if delay is None or not self.deadline.allows(delay):
            raise error
        self._log_wait(f"HTTP {reply.status}", delay)
        return delay

    def _status_delay(self, reply: Reply) -> float | None:
        policy = self.policy
        if not policy.retry_status(
            self.method, reply.status, self.retries, idempotent=self.idempotent
        ):
            return None
        value = reply.headers.get("Retry-After")
        retry_after = parse_retry_after(value, now=policy.clock()) if value else None
        return policy.delay(self.retries, retry_after)

    def _log_wait(self, reason: str, delay: float) -> None:
        logger.debug(
            "%s %s failed (%s); retry %d of %d in %.2f s",
            self.method,
            self.url,
            reason,
            self.retries + 1,
            self.policy.max_retries,
            delay,
        )
        self.retries += 1


def transport_failure(
    method: str,
    url: str,
    reason: str,
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
    message = f"{method} {url} failed{tries}: {reason}"
    if failure is Failure.MAYBE_SENT:
        message += "; the request may have reached the server"
        if once:
            message += " and taken effect (it is not sent again)"
    return TransportError(redact(message), maybe_sent=failure is Failure.MAYBE_SENT)


def declared_too_large(headers: Mapping[str, str], max_bytes: int) -> int | None:
    """The announced body size when it is over ``max_bytes``, else None.

    Only an uncompressed body counts: the limit is on decoded bytes, and a tiny
    compressed body can be larger than its content.
    """
    if headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        return None
    declared = headers.get("Content-Length", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        return int(declared)
    return None


def too_large(what: str, detail: str, max_bytes: int) -> ResponseTooLargeError:
    """The error for a body over ``max_bytes`` (``detail`` says how we know)."""
    return ResponseTooLargeError(
        f"{what}: the response {detail} than max_response_bytes allows ({max_bytes}); "
        "the request reached the server",
        maybe_sent=True,
    )
