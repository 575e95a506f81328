"""When and how long to wait before sending a request again.

The rules protect against the one costly mistake a Voice API client can make: sending a
createCall or updateCall twice, which could place a second phone call. So:

* 429 Too Many Requests is retried for every method: the API refused the request unread.
  ``Retry-After`` is honoured; when it asks for more than ``max_retry_after`` seconds the
  error is raised at once instead of blocking the caller that long.
* A connection that failed before the request was sent (connect timeout, connection
  refused, name resolution) is retried for every method.
* 5xx answers and failures after sending (read timeouts, dropped connections) are retried
  only for idempotent methods (GET, PUT, ...), never for POST.
* updateCallBxml is a PUT, but it is not idempotent: Bandwidth starts the document over on
  every PUT, so sending it twice runs its verbs twice (a ``<Transfer>`` dials again). The
  client asks with ``idempotent=False``, and it is treated like a POST.

Delays grow exponentially with jitter. Sleep, clock and random source are injectable, so
tests run instantly::

    policy = RetryPolicy(max_retries=5, sleep=lambda s: None)
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["DEFAULT_RETRY", "NO_RETRY", "Failure", "RetryPolicy"]


class Failure(Enum):
    """Why an attempt produced no response."""

    #: The connection was never made, so the server cannot have seen the request.
    NOT_SENT = "not sent"
    #: The request may have reached the server (read timeout, connection dropped mid-way).
    MAYBE_SENT = "maybe sent"
    #: Retrying cannot help (TLS failure, invalid URL, ...).
    FATAL = "fatal"


@dataclass(frozen=True)
class RetryPolicy:
    """How the client retries failed requests (see the module docstring for the rules).

    :param max_retries: retries after the first attempt (0 disables retrying).
    :param backoff_base: the first backoff delay in seconds; each retry doubles it.
    :param backoff_max: the longest backoff delay in seconds.
    :param jitter: the fraction of each backoff delay that is randomised (0 to 1).
    :param max_retry_after: the longest ``Retry-After`` (seconds) the client will wait.
    :param retry_server_errors: the 5xx statuses retried for idempotent methods.
    :param idempotent_methods: methods that are safe to send again after a 5xx or read timeout.
    :param sleep: called with the delay in seconds (``time.sleep``). The async client awaits
        what it returns when that is awaitable (an ``async def`` sleep), and waits with
        ``anyio.sleep`` instead of the default.
    :param clock: seconds since the epoch (``time.time``), to read HTTP-date ``Retry-After``.
    :param random: a float in [0, 1) (``random.random``), for jitter.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.5
    max_retry_after: float = 60.0
    retry_server_errors: frozenset[int] = frozenset({500, 502, 503, 504})
    idempotent_methods: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
    sleep: Callable[[float], object] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.time, compare=False)
    random: Callable[[], float] = field(default=_random.random, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise TypeError(f"max_retries must be an int, not {self.max_retries!r}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {self.max_retries}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be from 0 to 1, not {self.jitter}")
        for name in ("backoff_base", "backoff_max", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, not {getattr(self, name)}")

    def retry_status(
        self, method: str, status: int, retries_done: int, *, idempotent: bool | None = None
    ) -> bool:
        """Whether a response with ``status`` to ``method`` should be retried.

        ``idempotent`` overrides :attr:`idempotent_methods` for one request (None: by method).
        """
        if retries_done >= self.max_retries:
            return False
        if status == 429:
            return True
        return status in self.retry_server_errors and self.is_idempotent(method, idempotent)

    def retry_failure(
        self, method: str, failure: Failure, retries_done: int, *, idempotent: bool | None = None
    ) -> bool:
        """Whether an attempt that got no response should be retried.

        ``idempotent`` overrides :attr:`idempotent_methods` for one request (None: by method).
        """
        if retries_done >= self.max_retries or failure is Failure.FATAL:
            return False
        return failure is Failure.NOT_SENT or self.is_idempotent(method, idempotent)

    def backoff(self, retries_done: int) -> float:
        """The delay before retry number ``retries_done + 1``: exponential, with jitter."""
        delay = min(self.backoff_max, self.backoff_base * 2.0**retries_done)
        return delay * (1.0 - self.jitter) + delay * self.jitter * self.random()

    def delay(self, retries_done: int, retry_after: float | None) -> float | None:
        """The delay before the next attempt, honouring ``retry_after``.

        None means the server asked for a longer wait than ``max_retry_after``: give up.
        """
        if retry_after is None:
            return self.backoff(retries_done)
        if retry_after > self.max_retry_after:
            return None
        return retry_after

    def is_idempotent(self, method: str, idempotent: bool | None = None) -> bool:
        """Whether a request may be sent again after it may have arrived: ``idempotent``
        when given, else whether ``method`` is one of :attr:`idempotent_methods`."""
        if idempotent is not None:
            return idempotent
        return method.upper() in self.idempotent_methods


#: The policy a client uses unless told otherwise.
DEFAULT_RETRY = RetryPolicy()
#: A policy that never retries.
NO_RETRY = RetryPolicy(max_retries=0)
