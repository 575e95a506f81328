"""The emulator's state: calls per account in creation order, and their CallState snapshots.

Only the engine thread changes a record; it publishes each change as a new snapshot dict
(:attr:`CallRecord.snapshot`), which HTTP threads read without taking part in the engine's
work. The store's own lock guards the indexes.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..engine import Leg
from ..engine.model import CallbackRequest
from ..engine.payloads import timestamp
from .clock import EmulatorClock

RETENTION_MS = 7 * 24 * 3600 * 1000


@dataclass(eq=False)
class CallRecord:
    """One call as the emulator keeps it: the request, its leg and where it is.

    Every call runs in the driver's one engine, on the emulator clock. Until the call
    leaves the queue, :attr:`leg` stands for it outside the engine (so it has an id and a
    CallState) and :attr:`begin` starts it in the engine; a Transfer B-leg's record has
    the record of its call as :attr:`parent`.
    """

    seq: int
    account_id: str
    leg: Leg
    request: dict[str, Any]
    enqueued_ms: int
    priority: int
    callback_timeout: float
    begin: Callable[[], Leg] | None = None
    dequeued: bool = False
    end_ms: int | None = None
    #: Whether a wait_for holds the call where a verb started.
    held: bool = False
    #: The verb a wait_for holds the call at, given before the call left the queue.
    hold_at: str | None = None
    fetching: int = 0
    delivering: bool = False
    deliveries: deque[CallbackRequest] = field(default_factory=deque)
    finished: bool = False
    #: The last verb that started on the call (its B-legs included).
    last_verb: str | None = None
    #: For a Transfer B-leg: the record of the call it belongs to.
    parent: CallRecord | None = None
    children: dict[str, CallRecord] = field(default_factory=dict)
    callbacks: list[Any] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    snapshot: dict[str, Any] = field(default_factory=dict)

    @property
    def call_id(self) -> str:
        """The call's id."""
        return self.leg.id

    @property
    def owner(self) -> CallRecord:
        """The record of the call this leg belongs to (itself for an A-leg)."""
        return self.parent if self.parent is not None else self

    @property
    def state(self) -> str:
        """queued, initiated, answered or disconnected."""
        if not self.dequeued and self.leg.up:
            return "queued"
        return self.leg.state

    def gone(self, now_ms: int) -> bool:
        """True when the call ended more than 7 days ago (emulator time)."""
        return self.end_ms is not None and now_ms - self.end_ms > RETENTION_MS

    def publish(self, clock: EmulatorClock) -> None:
        """Replace :attr:`snapshot` with the CallState as it is now."""
        self.snapshot = call_state(self, clock)


def iso(moment: datetime) -> str:
    """An ISO 8601 UTC time with milliseconds, as the API writes them."""
    return timestamp(moment, 0)


def call_state(record: CallRecord, clock: EmulatorClock) -> dict[str, Any]:
    """The CallState JSON object of ``record`` (voice-api §4.1). Only a call createCall
    queued has an enqueuedTime; a Transfer B-leg has none (voice-api §9.3)."""
    leg = record.leg
    return call_state_fields(
        leg,
        record.state,
        lambda ms: None if ms is None else timestamp(clock.epoch, ms),
        enqueued_ms=record.enqueued_ms if record.parent is None else None,
        start_ms=leg.start_ms if record.dequeued else None,
        end_ms=leg.end_ms if record.dequeued else record.end_ms,
    )


def call_state_fields(
    leg: Leg,
    state: str,
    at: Callable[[int | None], str | None],
    *,
    enqueued_ms: int | None,
    start_ms: int | None,
    end_ms: int | None,
) -> dict[str, Any]:
    """The CallState JSON object (voice-api §4.1) of ``leg`` in ``state``, its times written
    by ``at`` (virtual ms -> ISO 8601): the one shape the emulator and the simulated API
    answer with."""
    enqueued, started, ended = at(enqueued_ms), at(start_ms), at(end_ms)
    answered = at(leg.answer_ms)
    return {
        "applicationId": leg.application_id,
        "accountId": leg.account_id,
        "callId": leg.id,
        "parentCallId": leg.parent.id if leg.parent is not None else None,
        "to": leg.to,
        "from": leg.from_,
        "direction": leg.direction,
        "state": state,
        "stirShaken": None,
        "identity": None,
        "enqueuedTime": enqueued,
        "startTime": started,
        "answerTime": answered,
        "endTime": ended,
        "disconnectCause": leg.cause,
        "errorMessage": leg.error_message,
        "errorId": None,
        "lastUpdate": ended or answered or started or enqueued,
    }


class Store:
    """Calls by id and by account (in creation order)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, CallRecord] = {}
        self._accounts: dict[str, list[CallRecord]] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._calls)

    def next_seq(self) -> int:
        """A new creation sequence number."""
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, record: CallRecord) -> None:
        """Keep ``record``."""
        with self._lock:
            self._calls[record.call_id] = record
            self._accounts.setdefault(record.account_id, []).append(record)

    def get(self, call_id: str) -> CallRecord | None:
        """The record of ``call_id``, or None."""
        return self._calls.get(call_id)

    def records(self) -> list[CallRecord]:
        """Every record, in creation order."""
        with self._lock:
            return list(self._calls.values())

    def of_account(self, account_id: str, after_seq: int = 0) -> Iterator[CallRecord]:
        """The account's records created after ``after_seq``, oldest first."""
        with self._lock:
            records = self._accounts.get(account_id, [])
            start = _first_after(records, after_seq)
            chosen = records[start:]
        return iter(chosen)

    def forget(self, keep: Callable[[CallRecord], bool]) -> list[CallRecord]:
        """Drop the records ``keep`` refuses; returns them."""
        with self._lock:
            gone = [r for r in self._calls.values() if not keep(r)]
            for record in gone:
                del self._calls[record.call_id]
                self._accounts[record.account_id].remove(record)
        return gone


def _first_after(records: list[CallRecord], seq: int) -> int:
    low, high = 0, len(records)
    while low < high:
        mid = (low + high) // 2
        if records[mid].seq <= seq:
            low = mid + 1
        else:
            high = mid
    return low
