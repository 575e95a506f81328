"""The shape of a run's results, as written to ``bench/results.json``.

Plain JSON-compatible dictionaries (TypedDicts), so ``BENCHMARKS.md`` can be rendered
again from the JSON file alone.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class Row(TypedDict):
    """One contender of a case."""

    library: str
    value: float
    #: This contender's value divided by ours (for times: >1 means bxml is faster).
    relative: float | None


class Case(TypedDict):
    """One measured comparison: several libraries doing the same work."""

    group: str
    title: str
    unit: str
    rows: list[Row]
    skipped: dict[str, str]
    notes: list[str]


class Target(TypedDict):
    """A published goal, the ratio measured for it and whether it was met."""

    claim: str
    op: Literal["<=", ">="]
    limit: float
    measured: float | None
    #: "×" for ratios, or the unit of an absolute goal (" ms").
    unit: str
    met: bool | None
    note: str


class Hotspot(TypedDict):
    """One function of a profile: its own time as a share of the whole."""

    function: str
    share: float
    #: Calls per profiled operation.
    calls: int


class Profile(TypedDict):
    """Where the time of one of our cases goes (cProfile, own time per function)."""

    case: str
    hotspots: list[Hotspot]


class Results(TypedDict):
    """Everything one run measured."""

    meta: dict[str, str]
    cases: list[Case]
    targets: list[Target]
    profiles: list[Profile]
    skipped: list[str]


def new_case(group: str, title: str, unit: str) -> Case:
    """Return an empty case."""
    return {"group": group, "title": title, "unit": unit, "rows": [], "skipped": {}, "notes": []}


def check(
    claim: str,
    op: Literal["<=", ">="],
    limit: float,
    measured: float | None,
    unit: str = "×",
) -> Target:
    """Return a target, met or missed by ``measured`` (None: not measured this run)."""
    met = None if measured is None else (measured <= limit if op == "<=" else measured >= limit)
    return {
        "claim": claim,
        "op": op,
        "limit": limit,
        "measured": measured,
        "unit": unit,
        "met": met,
        "note": "",
    }
