"""Where our time goes: cProfile of our side of a case, own time per function."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path

from .results import Hotspot, Profile

TOP = 10


def label(key: tuple[str, int, str]) -> str:
    """Return ``package/module.py:line(function)`` for a pstats key, builtins as they are."""
    filename, line, function = key
    if filename == "~":
        return function
    if filename.startswith("<"):  # generated code, e.g. "<bxml Gather.__init__>"
        return f"{filename}({function})"
    path = Path(filename)
    return f"{path.parent.name}/{path.name}:{line}({function})"


def profile(case: str, fn: Callable[[], object], number: int) -> Profile:
    """Profile ``number`` calls of ``fn``; return the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(number):
        fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in entries.values()) or 1.0
    ranked = sorted(
        (item for item in entries.items() if "_lsprof" not in item[0][2]),
        key=lambda item: item[1][2],
        reverse=True,
    )[:TOP]
    hotspots: list[Hotspot] = [
        {"function": label(key), "share": entry[2] / total, "calls": round(entry[1] / number)}
        for key, entry in ranked
    ]
    return {"case": case, "hotspots": hotspots}
