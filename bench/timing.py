"""Interleaved timing: every contender runs once per repeat, so they share the noise.

Each contender is calibrated to a batch of roughly ``batch_seconds``; a repeat times one
batch of each contender (in a rotating order), and ratios are taken per repeat before the
median is taken, so a slow moment on a busy machine hits both sides of a ratio.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """How hard to measure: a full run, or a quick smoke run that only executes the code."""

    repeats: int
    batch_seconds: float
    warmup: int
    quick: bool

    @classmethod
    def full(cls) -> Settings:
        """Settings of a run whose numbers are published."""
        return cls(repeats=21, batch_seconds=0.02, warmup=20, quick=False)

    @classmethod
    def smoke(cls) -> Settings:
        """Settings of ``--quick``: every contender runs about once; numbers mean nothing."""
        return cls(repeats=1, batch_seconds=0.0, warmup=0, quick=True)


@dataclass
class Measurement:
    """Seconds per call of each contender, one value per repeat."""

    times: dict[str, list[float]]

    def median(self, name: str) -> float:
        """Median seconds per call of ``name``."""
        return statistics.median(self.times[name])

    def ratio(self, numerator: str, denominator: str) -> float:
        """Median over repeats of the time ratio ``numerator / denominator``."""
        pairs = zip(self.times[numerator], self.times[denominator], strict=True)
        return statistics.median(a / b for a, b in pairs if b > 0)


def run_batch(fn: Callable[[], object], number: int) -> float:
    """Call ``fn`` ``number`` times with the GC paused (like timeit); return seconds per call."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        elapsed = time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / number


def calibrate(fn: Callable[[], object], batch_seconds: float) -> int:
    """Return how many calls of ``fn`` take about ``batch_seconds``."""
    number = 1
    while True:
        per_call = run_batch(fn, number)
        total = per_call * number
        if total >= batch_seconds / 5 or number >= 10**7:
            return max(1, round(batch_seconds / per_call)) if per_call > 0 else number
        number *= 10


def interleaved(
    contenders: Mapping[str, Callable[[], object]],
    settings: Settings,
    number: int | None = None,
) -> Measurement:
    """Time every contender ``settings.repeats`` times, interleaved.

    :param number: calls per batch; by default calibrated per contender.
    """
    names = list(contenders)
    numbers: dict[str, int] = {}
    for name in names:
        for _ in range(settings.warmup):
            contenders[name]()
        if settings.quick:
            numbers[name] = 1
        elif number is not None:
            numbers[name] = number
        else:
            numbers[name] = calibrate(contenders[name], settings.batch_seconds)
    times: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(settings.repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            times[name].append(run_batch(contenders[name], numbers[name]))
    return Measurement(times)
