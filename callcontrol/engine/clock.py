"""Virtual time: integer milliseconds and a deterministic event heap.

Entries are ordered by ``(due, priority, seq)``; ``seq`` is a counter, so entries due at
the same instant with the same priority run in the order they were scheduled. Priorities
(lower first): API commands and hang-ups, caller input, fetch results, verb timers. A
timer that belongs to a verb carries the leg's epoch and is dropped when it is popped
after the epoch moved on (lazy cancellation, no heap surgery).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any, NamedTuple

COMMAND = 0
INPUT = 1
FETCH = 2
TIMER = 3


def to_ms(seconds: float) -> int:
    """Seconds as whole milliseconds (BXML durations have at most millisecond precision)."""
    return int(round(seconds * 1000))


class Entry(NamedTuple):
    """One scheduled action; ``seq`` is unique, so comparison never reaches ``action``."""

    due: int
    priority: int
    seq: int
    action: Callable[..., None]
    args: tuple[Any, ...]
    owner: Any
    epoch: int | None


class Scheduler:
    """A heap of actions on a virtual clock that only moves when an action is popped.

    The heap holds plain tuples in :class:`Entry` field order (cheaper to build than the
    named tuple); :meth:`pop` hands out :class:`Entry` values.
    """

    __slots__ = ("now", "_heap", "_seq")

    def __init__(self) -> None:
        self.now = 0
        self._heap: list[tuple[Any, ...]] = []
        self._seq = 0

    def at(
        self,
        due: int,
        priority: int,
        action: Callable[..., None],
        *args: Any,
        owner: Any = None,
        epoch: int | None = None,
    ) -> None:
        """Run ``action(*args)`` at virtual millisecond ``due`` (never in the past)."""
        self.push(due, priority, action, args, owner, epoch)

    def push(
        self,
        due: int,
        priority: int,
        action: Callable[..., None],
        args: tuple[Any, ...],
        owner: Any,
        epoch: int | None,
    ) -> None:
        """:meth:`at` with every field given positionally (the engine's hot path)."""
        self._seq += 1
        now = self.now
        heapq.heappush(
            self._heap, (due if due > now else now, priority, self._seq, action, args, owner, epoch)
        )

    def peek(self) -> int | None:
        """When the next entry is due, or None when nothing is scheduled."""
        return self._heap[0][0] if self._heap else None

    def pop(self) -> Entry | None:
        """Take the next entry and move the clock to its time."""
        if not self._heap:
            return None
        entry = Entry._make(heapq.heappop(self._heap))
        self.now = entry.due
        return entry
