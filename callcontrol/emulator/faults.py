"""Faults the emulator injects into its REST answers: scripted sequences and seeded odds.

A probabilistic decision for the n-th request of an operation is a pure function of
``(seed, operation, n)``, so the interleaving of threads cannot change which request fails.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
from collections import deque
from dataclasses import dataclass

OPERATIONS = (
    "createCall",
    "getCallState",
    "listCalls",
    "updateCall",
    "updateCallBxml",
    "getStatistics",
)
DROPS = ("before", "after")
#: Scripted faults waiting per operation at most: a plan, not a store.
MAX_SCRIPTED = 10_000


@dataclass(frozen=True)
class LogNormal:
    """Added latency in seconds, log-normally distributed around ``median``."""

    median: float
    sigma: float = 0.5

    def __post_init__(self) -> None:
        if not self.median >= 0 or not self.sigma >= 0:
            raise ValueError("LogNormal: median and sigma must be 0 or more")

    def sample(self, rng: random.Random) -> float:
        """One latency in seconds."""
        if self.median == 0:
            return 0.0
        return float(math.exp(math.log(self.median) + self.sigma * rng.gauss(0.0, 1.0)))


@dataclass(frozen=True)
class Burst:
    """429 answers: ``size`` requests in a row out of every ``every`` of an operation."""

    every: int
    size: int = 1
    retry_after: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.size <= self.every:
            raise ValueError(f"Burst: size must be from 1 to every ({self.every}), not {self.size}")
        if self.retry_after < 0:
            raise ValueError(f"Burst: retry_after must be 0 or more, not {self.retry_after}")


@dataclass(frozen=True)
class Fault:
    """What one request gets: a status (with Retry-After), a dropped connection, a delay.

    ``drop="before"`` closes the connection without applying the request; ``drop="after"``
    applies it and then closes the connection, so the answer is lost.
    """

    status: int | None = None
    retry_after: float | None = None
    drop: str | None = None
    latency: float = 0.0


class Faults:
    """Fault plan of one emulator: scripted faults first, then the seeded probabilistic ones."""

    def __init__(
        self,
        seed: int = 0,
        *,
        latency: LogNormal | None = None,
        error_rate: float = 0.0,
        rate_limit: Burst | None = None,
        drop_rate: float = 0.0,
    ) -> None:
        for name, value in (("error_rate", error_rate), ("drop_rate", drop_rate)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Faults: {name} must be from 0 to 1, not {value!r}")
        self.seed = seed
        self.latency = latency
        self.error_rate = error_rate
        self.rate_limit = rate_limit
        self.drop_rate = drop_rate
        self._scripted: dict[str, deque[Fault]] = {op: deque() for op in OPERATIONS}
        self._counts: dict[str, int] = dict.fromkeys(OPERATIONS, 0)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"Faults(seed={self.seed}, error_rate={self.error_rate}, "
            f"drop_rate={self.drop_rate}, rate_limit={self.rate_limit!r})"
        )

    def next(
        self,
        operation: str,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
        drop: str | None = None,
    ) -> None:
        """Make the next ``times`` requests of ``operation`` fail with ``status`` or ``drop``."""
        _check_operation(operation)
        if (status is None) == (drop is None):
            raise ValueError("faults.next needs exactly one of status= or drop=")
        if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
            raise ValueError(f"faults.next: status must be an HTTP error 400-599, not {status!r}")
        if drop is not None and drop not in DROPS:
            raise ValueError(f"faults.next: drop must be 'before' or 'after', not {drop!r}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"faults.next: times must be a whole number, 1 or more, not {times!r}")
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, (int, float))
            or status not in (429, 503)
            or not 0 <= retry_after <= 86400
        ):
            raise ValueError(
                "faults.next: retry_after goes with status=429 or 503 and is a number of "
                f"seconds from 0 to 86400, not {retry_after!r}"
            )
        if status == 429 and retry_after is None:
            retry_after = 1.0
        with self._lock:
            queue = self._scripted[operation]
            if len(queue) + times > MAX_SCRIPTED:
                raise ValueError(
                    f"faults.next: at most {MAX_SCRIPTED} scripted faults may wait per operation; "
                    f"{operation} has {len(queue)}, and {times} more were asked"
                )
            queue.extend([Fault(status, retry_after, drop)] * times)

    def clear(self) -> None:
        """Forget the scripted faults not used yet."""
        with self._lock:
            for queue in self._scripted.values():
                queue.clear()

    def decide(self, operation: str) -> Fault | None:
        """The fault for the next request of ``operation``, or None."""
        with self._lock:
            n = self._counts[operation]
            self._counts[operation] = n + 1
            scripted = self._scripted[operation]
            if scripted:
                return scripted.popleft()
        return self._seeded(operation, n)

    def _seeded(self, operation: str, n: int) -> Fault | None:
        burst = self.rate_limit
        if burst is not None and n % burst.every >= burst.every - burst.size:
            return Fault(429, burst.retry_after)
        if not (self.latency or self.error_rate or self.drop_rate):
            return None
        digest = hashlib.blake2b(f"{self.seed}:{operation}:{n}".encode(), digest_size=8)
        rng = random.Random(int.from_bytes(digest.digest(), "big"))
        latency = self.latency.sample(rng) if self.latency is not None else 0.0
        if rng.random() < self.error_rate:
            return Fault(503, 1.0, None, latency)
        if rng.random() < self.drop_rate:
            return Fault(None, None, "before" if rng.random() < 0.5 else "after", latency)
        return Fault(latency=latency) if latency else None


def _check_operation(operation: str) -> None:
    if operation not in OPERATIONS:
        raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
