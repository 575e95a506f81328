"""Scripted callback faults for the simulator: failing, slow and dropped callbacks.

::

    sim.faults.fail("/gather", status=500)         # the next callback to /gather gets a 500
    sim.faults.slow("/answer", seconds=20)         # the reply comes after 20 virtual seconds
    sim.faults.drop("/status", times=None)         # every callback to /status is lost

Faults are consumed in the order they were added; ``times=None`` never runs out. They
act in virtual time and never touch a socket, so fallback URLs and callback-error
branches are testable without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

KINDS = ("fail", "slow", "drop")


@dataclass
class Fault:
    """One scripted fault: what happens to callbacks to ``path`` and how often."""

    kind: str
    path: str
    times: int | None
    status: int = 500
    seconds: float = 0.0
    used: int = 0

    @property
    def spent(self) -> bool:
        """Whether the fault has been used ``times`` times."""
        return self.times is not None and self.used >= self.times

    def __repr__(self) -> str:
        extra = {"fail": f", status={self.status}", "slow": f", seconds={self.seconds:g}"}
        left = {1: "", None: ", times=None"}.get(self.times, f", times={self.times}")
        return f"{self.kind}({self.path!r}{extra.get(self.kind, '')}{left})"

    def matches(self, url: str) -> bool:
        """Whether ``url`` (absolute, maybe with a query) is the fault's path or URL."""
        bare = url.split("?", 1)[0]
        return self.path in (url, bare, urlsplit(bare).path or "/")


class Faults:
    """The simulator's fault script (``sim.faults``)."""

    def __init__(self) -> None:
        self._pending: list[Fault] = []
        self.applied: list[tuple[Fault, str]] = []

    def __repr__(self) -> str:
        return f"Faults({self._pending!r})"

    def __bool__(self) -> bool:
        return bool(self._pending)

    def fail(self, path: str, *, status: int = 500, times: int | None = 1) -> Fault:
        """The app answers callbacks to ``path`` with HTTP ``status`` (4xx or 5xx)."""
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"faults.fail: status must be 400 to 599, not {status!r}")
        return self._add(Fault("fail", _path(path), _times(times), status=status))

    def slow(self, path: str, *, seconds: float, times: int | None = 1) -> Fault:
        """The reply to callbacks to ``path`` takes ``seconds`` of virtual time; past the
        call's callbackTimeout the callback fails with a timeout. (Asynchronous callbacks
        are sent as usual: nothing waits for their replies.)"""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
            raise ValueError(f"faults.slow: seconds must be more than 0, not {seconds!r}")
        return self._add(Fault("slow", _path(path), _times(times), seconds=float(seconds)))

    def drop(self, path: str, *, times: int | None = 1) -> Fault:
        """Callbacks to ``path`` get no response at all (a dropped connection)."""
        return self._add(Fault("drop", _path(path), _times(times)))

    def clear(self) -> None:
        """Forget every pending fault."""
        self._pending.clear()

    def take(self, url: str) -> Fault | None:
        """The first pending fault for ``url``, counted as used once."""
        for fault in self._pending:
            if fault.matches(url):
                fault.used += 1
                if fault.spent:
                    self._pending.remove(fault)
                self.applied.append((fault, url))
                return fault
        return None

    def _add(self, fault: Fault) -> Fault:
        self._pending.append(fault)
        return fault


def _path(path: object) -> str:
    if not isinstance(path, str) or not (path.startswith("/") or urlsplit(path).netloc):
        raise ValueError(
            f"faults: path must be a URL path like /answer or an absolute URL, not {path!r}"
        )
    return path


def _times(times: object) -> int | None:
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError(f"faults: times must be 1 or more, or None for always, not {times!r}")
    return times
