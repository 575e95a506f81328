"""What a load run measured: latency per URL path, errors by kind, failed calls by cause."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Error kinds of a callback (the keys of :attr:`LoadReport.errors`, besides ``HTTP nnn``).
TIMEOUT = "timeout"
CONNECTION = "connection"
INVALID_BXML = "invalid BXML"
#: Call end causes that mean the call failed (the engine's causes, voice-api §9.3).
FAILED_CAUSES = frozenset({"callback-error", "invalid-bxml", "application-error", "error"})


def http_status_kind(status: int) -> str:
    """The error kind of a reply with a status outside 2xx."""
    return f"HTTP {status}"


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of ``ordered`` (sorted, not empty); ``share`` in (0, 1]."""
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class PathStats:
    """Reply times of the callbacks to one URL path, in seconds.

    Callbacks that timed out count with the time waited (the callback timeout); callbacks
    that never reached the server (connection errors) are not timed.
    """

    path: str
    count: int
    p50: float
    p95: float
    p99: float
    max: float
    errors: int
    too_slow: int

    @classmethod
    def of(cls, path: str, seconds: list[float], errors: int, too_slow: int) -> PathStats:
        """The statistics of ``seconds`` (any order, may be empty)."""
        ordered = sorted(seconds)
        if not ordered:
            return cls(path, 0, math.nan, math.nan, math.nan, math.nan, errors, too_slow)
        return cls(
            path,
            len(ordered),
            percentile(ordered, 0.50),
            percentile(ordered, 0.95),
            percentile(ordered, 0.99),
            ordered[-1],
            errors,
            too_slow,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times in seconds (None when nothing was timed)."""
        times = {
            name: None if math.isnan(value) else value
            for name, value in (
                ("p50", self.p50),
                ("p95", self.p95),
                ("p99", self.p99),
                ("max", self.max),
            )
        }
        return {"path": self.path, "count": self.count, **times, "errors": self.errors,
                "too_slow": self.too_slow}  # fmt: skip


@dataclass
class Tally:
    """The raw measurements of one worker; merged into a :class:`LoadReport` at the end."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    path_errors: Counter[str] = field(default_factory=Counter)
    path_too_slow: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    failed: Counter[str] = field(default_factory=Counter)
    callbacks: int = 0
    too_slow: int = 0
    completed: int = 0
    calls: int = 0

    def callback(
        self,
        path: str,
        seconds: float | None,
        kind: str | None = None,
        detail: str = "",
        too_slow: bool = False,
    ) -> None:
        """Count one callback to ``path``: its reply time (None: not timed) and error kind."""
        self.callbacks += 1
        if seconds is not None:
            self.seconds.setdefault(path, []).append(seconds)
        else:
            self.seconds.setdefault(path, [])
        if too_slow:
            self.too_slow += 1
            self.path_too_slow[path] += 1
        if kind is not None:
            self.error(path, kind, detail)

    def error(self, path: str, kind: str, detail: str) -> None:
        """Count an error of ``kind`` at ``path``; the first of each kind is kept as example."""
        self.errors[kind] += 1
        self.path_errors[path] += 1
        self.examples.setdefault(kind, f"{path}: {detail}" if detail else path)

    def call(self, cause: str | None) -> None:
        """Count one finished call; ``cause`` is its failure cause, None when it completed."""
        self.calls += 1
        if cause is None:
            self.completed += 1
        else:
            self.failed[cause] += 1

    def merge(self, other: Tally) -> None:
        """Add ``other``'s counts to these."""
        for path, values in other.seconds.items():
            self.seconds.setdefault(path, []).extend(values)
        self.path_errors.update(other.path_errors)
        self.path_too_slow.update(other.path_too_slow)
        self.errors.update(other.errors)
        for kind, text in other.examples.items():
            self.examples.setdefault(kind, text)
        self.failed.update(other.failed)
        self.callbacks += other.callbacks
        self.too_slow += other.too_slow
        self.completed += other.completed
        self.calls += other.calls


@dataclass(frozen=True)
class LoadReport:
    """The outcome of :func:`callcontrol.load.run`.

    ``calls`` ran, ``completed`` ended normally and ``failed`` counts the others by the
    engine's end cause (``callback-error``, ``invalid-bxml``, ...). ``errors`` counts failed
    callbacks by kind (``timeout``, ``connection``, ``HTTP 500``, ``invalid BXML``) with one
    ``error_examples`` message per kind; ``too_slow`` counts the callbacks not answered within
    ``callback_timeout`` (Bandwidth gives up on those). ``latency`` has one
    :class:`PathStats` per URL path, ``overall`` one for every callback (path ``(all)``).
    ``cpu_seconds`` is this process's CPU time during the run.
    """

    calls: int
    completed: int
    failed: dict[str, int]
    callbacks: int
    latency: dict[str, PathStats]
    overall: PathStats
    errors: dict[str, int]
    error_examples: dict[str, str]
    too_slow: int
    callback_timeout: float
    wall_seconds: float
    cpu_seconds: float

    @classmethod
    def from_tally(
        cls, tally: Tally, *, callback_timeout: float, wall_seconds: float, cpu_seconds: float
    ) -> LoadReport:
        """The report of ``tally``'s measurements."""
        latency = {
            path: PathStats.of(path, values, tally.path_errors[path], tally.path_too_slow[path])
            for path, values in sorted(tally.seconds.items())
        }
        return cls(
            calls=tally.calls,
            completed=tally.completed,
            failed=dict(sorted(tally.failed.items())),
            callbacks=tally.callbacks,
            latency=latency,
            overall=PathStats.of(
                "(all)",
                [value for values in tally.seconds.values() for value in values],
                sum(tally.path_errors.values()),
                tally.too_slow,
            ),
            errors=dict(sorted(tally.errors.items())),
            error_examples=dict(sorted(tally.examples.items())),
            too_slow=tally.too_slow,
            callback_timeout=callback_timeout,
            wall_seconds=wall_seconds,
            cpu_seconds=cpu_seconds,
        )

    @property
    def ok(self) -> bool:
        """True when every call completed, and no callback failed or was too slow."""
        return not self.failed and not self.errors and not self.too_slow

    @property
    def callbacks_per_second(self) -> float:
        """Callbacks sent per wall second."""
        return self.callbacks / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (times in seconds)."""
        return {
            "calls": self.calls,
            "completed": self.completed,
            "failed": dict(self.failed),
            "callbacks": self.callbacks,
            "callbacks_per_second": self.callbacks_per_second,
            "latency": {path: stats.to_dict() for path, stats in self.latency.items()},
            "overall": self.overall.to_dict(),
            "errors": dict(self.errors),
            "error_examples": dict(self.error_examples),
            "too_slow": self.too_slow,
            "callback_timeout": self.callback_timeout,
            "wall_seconds": self.wall_seconds,
            "cpu_seconds": self.cpu_seconds,
            "ok": self.ok,
        }

    def table(self) -> str:
        """A plain-text summary: totals, then one latency row per path (milliseconds)."""
        lines = [
            f"calls {self.calls}: {self.completed} completed, "
            f"{sum(self.failed.values())} failed"
            + (f" ({_counts(self.failed)})" if self.failed else ""),
            f"callbacks {self.callbacks} in {self.wall_seconds:.1f} s "
            f"({self.callbacks_per_second:.0f}/s); too slow (> {self.callback_timeout:g} s "
            f"callbackTimeout): {self.too_slow}",
        ]
        if self.errors:
            lines.append(f"errors: {_counts(self.errors)}")
            lines.extend(f"  {kind}: {text}" for kind, text in self.error_examples.items())
        header = ("path", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "slow")
        rows = [header] + [
            (
                s.path,
                str(s.count),
                *(_ms(v) for v in (s.p50, s.p95, s.p99, s.max)),
                str(s.errors),
                str(s.too_slow),
            )
            for s in (*self.latency.values(), self.overall)
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines.append("")
        for row in rows:
            cells = [row[0].ljust(widths[0])] + [
                cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items())
