"""The outcome of a simulated call, its transcript, and assertions with readable failures."""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .contract import DIAL_OUTCOMES
from .engine.model import CallbackRequest, FetchResult, TranscriptEntry
from .engine.observations import AssumptionApplied, Dialled, Observation

if TYPE_CHECKING:
    from .engine import Engine, Leg

_CONTEXT = 6
#: What a dialled destination (Transfer, Forward, Refer) can come to.
OUTCOMES = DIAL_OUTCOMES
#: The transcript kinds of a :class:`Dialled` observation.
_DIAL_KINDS = frozenset({"dial", "forward", "refer"})


@dataclass(frozen=True)
class Callback:
    """One callback the simulator sent: what, where, the payload and the app's answer."""

    event_type: str
    url: str
    method: str
    payload: dict[str, Any]
    status: int | None
    reply: bytes
    synchronous: bool = True
    ms: int = 0

    @classmethod
    def sent(cls, request: CallbackRequest, url: str, result: FetchResult, ms: int) -> Callback:
        """The record of ``request`` sent to ``url`` (credentials left out) at virtual ``ms``,
        answered with ``result``."""
        return cls(
            request.event_type,
            url,
            request.target.method,
            request.payload,
            result.status,
            result.body,
            request.synchronous,
            ms,
        )


@dataclass
class SimulatedCall:
    """A finished (or paused) simulated call; ``str(call)`` renders its transcript.

    ``pressed`` holds the digits of each ``press()`` step the call used, one entry per
    step; the terminating key a ``leave_message()`` presses to end a recording is part of
    leaving the message, so it shows in the transcript, not in ``pressed``.
    """

    call_id: str
    heard: list[str] = field(default_factory=list)
    pressed: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    state: str = "initiated"
    disconnect_cause: str | None = None
    error: str | None = None
    duration: float = 0.0
    notes: list[tuple[int, str, str, Any]] = field(default_factory=list, repr=False)
    transfers: list[tuple[str, str]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    #: What happened, as typed values (:mod:`callcontrol.engine.observations`).
    observations: list[Observation] = field(default_factory=list, repr=False)
    direction: str = ""
    from_: str = ""
    to: str = ""

    def update_from(
        self,
        engine: Engine,
        leg: Leg,
        state: str,
        *,
        observations: Sequence[Observation] | None = None,
    ) -> SimulatedCall:
        """Copy what ``engine`` knows of ``leg`` so far into this result; return it.

        ``observations`` are the call's own, when the driver keeps them (else they are
        picked out of the engine's)."""
        self.heard = list(leg.root.heard)
        self.pressed = list(leg.root.pressed)
        self.state = state
        self.disconnect_cause = leg.cause
        self.error = leg.error_message
        end = leg.end_ms if leg.end_ms is not None else engine.now
        self.duration = (end - leg.start_ms) / 1000
        self.observations = (
            engine.observations_of(leg.root.id) if observations is None else list(observations)
        )
        # One pass over the observations (a call has dozens) for the three views of them.
        notes: list[tuple[int, str, str, Any]] = []
        transfers: list[tuple[str, str]] = []
        assumptions: set[str] = set()
        for seen in self.observations:
            kind = seen.kind
            if not kind:
                continue  # assumptions and dialled numbers always have a transcript line
            notes.append((seen.ms, seen.leg, kind, seen.detail))
            if kind == "assume" and isinstance(seen, AssumptionApplied):
                assumptions.add(seen.assumption)
            elif kind in _DIAL_KINDS and isinstance(seen, Dialled) and seen.outcome != "not-sent":
                transfers.append((seen.number, seen.outcome))
        self.notes, self.transfers, self.assumptions = notes, transfers, sorted(assumptions)
        self.direction, self.from_, self.to = leg.direction, leg.from_, leg.to
        return self

    @property
    def transcript(self) -> list[TranscriptEntry]:
        """The call's story, one entry per event (virtual time, leg, kind, detail)."""
        return [TranscriptEntry(*note) for note in self.notes]

    def __str__(self) -> str:
        return "\n".join(entry.render() for entry in self.transcript)

    def __repr__(self) -> str:
        return (
            f"SimulatedCall({self.call_id!r}, state={self.state!r}, "
            f"disconnect_cause={self.disconnect_cause!r}, duration={self.duration:g})"
        )

    # -- assertions --------------------------------------------------------------------------

    def assert_heard(self, expected: str | re.Pattern[str]) -> None:
        """Pass when a heard entry contains the text (or matches the compiled pattern)."""
        if _find(self.heard, expected) is None:
            self._fail(f"expected to hear {_show(expected)}", self.heard, expected, "heard")

    def assert_not_heard(self, unexpected: str | re.Pattern[str]) -> None:
        """Fail when a heard entry contains the text (or matches the pattern)."""
        index = _find(self.heard, unexpected)
        if index is not None:
            self._fail(
                f"expected not to hear {_show(unexpected)}, but heard {self.heard[index]!r}",
                [],
                unexpected,
                "heard",
                missing=False,
            )

    def assert_visited(self, path: str) -> None:
        """Pass when a synchronous callback went to ``path`` (a URL path or absolute URL)."""
        if path not in self.visited and path not in [cb.url for cb in self.callbacks]:
            self._fail(f"expected a visit to {path!r}", self.visited, path, "fetch")

    def assert_callback(self, event_type: str, **fields: Any) -> None:
        """Pass when a callback of ``event_type`` was sent whose payload has these fields
        (snake_case names are matched to the camelCase payload keys)."""
        wanted = {_camel(k): v for k, v in fields.items()}
        candidates = [cb for cb in self.callbacks if cb.event_type == event_type]
        for cb in candidates:
            if all(cb.payload.get(k) == v for k, v in wanted.items()):
                return
        if not candidates:
            seen = sorted({cb.event_type for cb in self.callbacks})
            self._fail(f"expected a {event_type!r} callback", seen, event_type, event_type)
        shown = [{k: cb.payload.get(k) for k in wanted} for cb in candidates]
        self._fail(
            f"expected a {event_type!r} callback with {wanted}; the ones sent had {shown}",
            [],
            event_type,
            event_type,
        )

    def assert_transferred_to(self, number: str, outcome: str | None = None) -> None:
        """Pass when ``number`` (or a Refer's SIP URI) was dialled (and ended with
        ``outcome``: answered, busy, no-answer, rejected)."""
        if outcome is not None and outcome not in OUTCOMES:
            raise ValueError(
                f"outcome must be answered, busy, no-answer or rejected, not {outcome!r}"
            )
        for dialled, result in self.transfers:
            if dialled == number and (outcome is None or result == outcome):
                return
        tried = [f"{n} ({r})" for n, r in self.transfers]
        what = number + (f" with outcome {outcome!r}" if outcome else "")
        self._fail(f"expected a transfer to {what}", tried, number, "dial")

    def assert_ended(self, cause: str | None = None) -> None:
        """Pass when the call has ended (with ``cause``, e.g. 'hangup', 'busy')."""
        if self.state != "disconnected":
            self._fail(f"expected the call to have ended; it is {self.state}", [], "", "end")
        if cause is not None and self.disconnect_cause != cause:
            detail = f" ({self.error})" if self.error else ""
            self._fail(
                f"expected the call to end with cause {cause!r}, "
                f"it ended with {self.disconnect_cause!r}{detail}",
                [],
                "",
                "end",
            )

    def assert_matches_snapshot(self, path: str | os.PathLike[str]) -> None:
        """Pass when the transcript equals the snapshot file at ``path``; a missing file is
        written (see :mod:`callcontrol.testing.snapshot`, and the ``call_snapshot`` fixture)."""
        from .testing.snapshot import assert_matches_snapshot

        assert_matches_snapshot(str(self), path)

    def _fail(
        self,
        message: str,
        candidates: Sequence[str],
        wanted: object,
        kind: str,
        *,
        missing: bool = True,
    ) -> None:
        """Raise AssertionError: the message, the closest candidate (when ``missing`` and
        nothing of ``kind`` happened, says so) and the transcript around ``kind``."""
        lines = [message]
        if candidates:
            key = wanted.pattern if isinstance(wanted, re.Pattern) else str(wanted)
            # cutoff=0: the closest is always named, however far it is.
            (close,) = difflib.get_close_matches(key, [str(c) for c in candidates], 1, 0)
            lines.append(f"closest: {close!r}")
        elif missing and kind in ("heard", "fetch"):
            lines.append("nothing of that kind happened")
        lines.append("transcript:")
        lines.extend("  " + entry.render() for entry in self._around(kind, self.transcript))
        raise AssertionError("\n".join(lines))

    @staticmethod
    def _around(kind: str, entries: list[TranscriptEntry]) -> list[TranscriptEntry]:
        hits = [i for i, e in enumerate(entries) if e.kind.startswith(kind[:5])]
        if not hits or len(entries) <= 3 * _CONTEXT:
            return entries[: 3 * _CONTEXT * 2]
        start = max(0, hits[0] - _CONTEXT)
        return entries[start : hits[-1] + _CONTEXT]


class UnusedStepsError(AssertionError):
    """Script steps were left when the call ended; ``call`` holds the result."""

    def __init__(self, message: str, call: SimulatedCall) -> None:
        super().__init__(message)
        self.call = call


def _find(items: Sequence[str], expected: str | re.Pattern[str]) -> int | None:
    for index, item in enumerate(items):
        if isinstance(expected, re.Pattern):
            if expected.search(item):
                return index
        elif expected in item:
            return index
    return None


def _show(value: str | re.Pattern[str]) -> str:
    return f"/{value.pattern}/" if isinstance(value, re.Pattern) else repr(value)


def _camel(name: str) -> str:
    # from_ (a keyword in Python) splits into "from" and "": it becomes "from".
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.lru_cache(maxsize=1024)
def path_of(url: str) -> str:
    """The path of an absolute URL (``/answer``)."""
    return urlsplit(url).path or "/"
