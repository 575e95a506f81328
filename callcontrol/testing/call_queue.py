"""The account's createCall queue in a simulation (voice-api §3, §8.3), as the emulator keeps
it: calls wait in priority order and leave it at the account's rate while fewer than
``max_concurrent`` calls it placed are up; beyond the limits createCall is refused.

Placement happens in virtual time, through the engine's :meth:`~callcontrol.engine.Engine.at`:
the first call at once, each later one an interval (1000 / ``calls_per_second`` ms) after the
previous placement, never before its own createCall.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..contract import CONCURRENT_LIMIT_EXCEEDED, RATE_LIMIT_EXCEEDED
from ..engine import Engine, Leg


@dataclass(eq=False)
class QueuedCall:
    """A createCall waiting in the queue: its id, validated fields and when it came."""

    call_id: str
    fields: dict[str, Any]
    enqueued_ms: int
    priority: int
    seq: int
    #: Set when updateCall ``state=completed`` removed it before it was placed.
    cancelled: bool = field(default=False, compare=False)


class CallQueue:
    """Paces and limits the calls createCall makes (voice-api §8.3).

    ``place`` starts a queued call in the engine and returns its A-leg; the queue counts
    the legs it placed that are still up against ``max_concurrent``.
    """

    def __init__(
        self,
        engine: Engine,
        place: Callable[[QueuedCall], Leg],
        *,
        calls_per_second: float,
        max_concurrent: int,
        capacity: int,
    ) -> None:
        self.engine = engine
        self._place = place
        self.interval_ms = 1000.0 / calls_per_second
        self.max_concurrent = max_concurrent
        #: ``maxCallQueueSize``: how many calls may wait at once.
        self.capacity = capacity
        self._waiting: list[tuple[int, int, QueuedCall]] = []
        self._queued: dict[str, QueuedCall] = {}
        # The slot of the next placement (virtual ms), as the emulator's driver keeps it.
        self._next_slot = 0.0
        self._placed: list[Leg] = []
        self._seq = 0
        # When the one pending placement check is due, if one is.
        self._check_at: int | None = None
        # When the queue last found max_concurrent calls up at a slot (register:
        # queue-session-wait): a call queued by then and placed later waited for a session.
        self._blocked_ms: int | None = None

    def __len__(self) -> int:
        """``currentCallQueueSize``: calls waiting to be placed."""
        return len(self._queued)

    def queued(self, call_id: str) -> QueuedCall | None:
        """The call ``call_id`` while it waits in the queue, else None."""
        return self._queued.get(call_id)

    def active(self) -> int:
        """How many calls the queue placed are up (voice-api §8.3: active sessions)."""
        self._placed = [leg for leg in self._placed if leg.up]
        return len(self._placed)

    def add(self, call_id: str, fields: dict[str, Any]) -> str | None:
        """Queue a createCall; the 429 description when the account's limits refuse it.

        A call whose slot has come is placed before this returns (a lone call at once).
        """
        if self.active() >= self.max_concurrent:
            return CONCURRENT_LIMIT_EXCEEDED
        if len(self._queued) >= self.capacity:
            return RATE_LIMIT_EXCEEDED
        self._seq += 1
        call = QueuedCall(
            call_id, fields, self.engine.now, int(fields.get("priority", 5)), self._seq
        )
        heapq.heappush(self._waiting, (call.priority, call.seq, call))
        self._queued[call_id] = call
        self._serve()
        return None

    def cancel(self, call_id: str) -> QueuedCall:
        """Take the queued call ``call_id`` out of the queue (updateCall ``completed``,
        voice-api §6); it never takes a slot."""
        call = self._queued.pop(call_id)
        call.cancelled = True
        return call

    def _serve(self) -> None:
        """Place every call whose slot has come, then look again when the next one is due."""
        self._check_at = None
        now = self.engine.now
        while self._queued and now >= int(self._next_slot):
            if self.active() >= self.max_concurrent:
                # A session frees when a call ends: look again one slot later.
                self._blocked_ms = now
                self._schedule(now + max(1, int(self.interval_ms)))
                return
            _, _, call = heapq.heappop(self._waiting)
            if call.cancelled:
                continue
            del self._queued[call.call_id]
            # Its own slot, never before its createCall; after a wait for a free session
            # the slot is now, so the rate holds after it too.
            start = max(int(self._next_slot), call.enqueued_ms, now)
            self._next_slot = start + self.interval_ms
            leg = self._place(call)
            self._placed.append(leg)
            if self._blocked_ms is not None and self._blocked_ms >= call.enqueued_ms:
                waited = (now - call.enqueued_ms) / 1000
                self.engine.assume(leg, "queue-session-wait", f"queued {waited:g} s")
        if self._queued:
            self._schedule(int(self._next_slot))

    def _schedule(self, ms: int) -> None:
        if self._check_at is None or ms < self._check_at:
            self._check_at = ms
            self.engine.at(ms, self._due, ms)

    def _due(self, ms: int) -> None:
        if self._check_at == ms:
            self._serve()
