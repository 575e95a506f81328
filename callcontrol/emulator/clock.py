"""The emulator's clock: virtual milliseconds that follow wall time (scaled) or move by hand."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

CLOCK_MODES = ("real", "manual")
#: The fastest the real clock may run: a 30 s callTimeout then passes in 3 ms of wall time,
#: about what one round of the engine thread takes; faster would only skip work unseen.
MAX_SPEED = 10_000.0


class EmulatorClock:
    """Virtual time in whole milliseconds since the emulator started.

    ``mode="real"`` follows the wall clock ``speed`` times faster; ``mode="manual"`` moves
    only through :meth:`advance`. :meth:`at` turns virtual milliseconds into a UTC datetime.
    """

    def __init__(
        self,
        mode: str = "real",
        speed: float = 1.0,
        *,
        epoch: datetime | None = None,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in CLOCK_MODES:
            raise ValueError(f"clock must be 'real' or 'manual', not {mode!r}")
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not speed > 0:
            raise ValueError(f"speed must be a number above 0, not {speed!r}")
        if not speed <= MAX_SPEED:
            raise ValueError(f"speed must be at most {MAX_SPEED:g}, not {speed!r}")
        self.mode = mode
        self.speed = float(speed)
        self.epoch = epoch or datetime.now(timezone.utc).replace(microsecond=0)
        self._wall = wall
        self._started = wall()
        self._manual_ms = 0

    @property
    def manual(self) -> bool:
        """True when time moves only through :meth:`advance`."""
        return self.mode == "manual"

    def now_ms(self) -> int:
        """The virtual time, in milliseconds since the start."""
        if self.manual:
            return self._manual_ms
        return int((self._wall() - self._started) * self.speed * 1000)

    def advance(self, ms: int) -> None:
        """Move manual time forward by ``ms`` milliseconds."""
        if not self.manual:
            raise RuntimeError("advance() needs clock='manual'; the real clock moves by itself")
        if ms < 0:
            raise ValueError(f"time only moves forward; cannot advance by {ms / 1000:g} s")
        self._manual_ms += ms

    def wall_seconds(self, virtual_ms: int) -> float | None:
        """Wall seconds until virtual time ``virtual_ms`` (None with the manual clock)."""
        if self.manual:
            return None
        return max(0.0, (virtual_ms - self.now_ms()) / 1000 / self.speed)

    def at(self, ms: int) -> datetime:
        """The UTC datetime of virtual millisecond ``ms``."""
        return self.epoch + timedelta(milliseconds=ms)
