"""``bench/run.py --write --merge``: the groups run again replace theirs in the published
results; everything else is kept (nothing is timed)."""

from __future__ import annotations

from typing import Any

from bench.results import Results, check, new_case
from bench.run import merged


def results(date: str, **cases: float) -> Results:
    found: list[Any] = []
    targets = []
    for group, value in cases.items():
        case = new_case(group, f"{group} case", "s")
        case["rows"].append({"library": "ours", "value": value, "relative": 1.0})
        found.append(case)
        targets.append(check(f"{group} target", "<=", 2.0, value))
    meta = {"date": date, "commit": "abc1234", "httpx": "0.28"}
    return {"meta": meta, "cases": found, "targets": targets, "profiles": [], "skipped": []}


def test_only_the_groups_run_are_replaced() -> None:
    published = results("old", build=1.0, emulator=1.5, **{"async": 9.0})
    published["meta"].pop("httpx")
    fresh = results("new", **{"async": 1.1})
    out = merged(published, fresh, ["async"])
    assert [(c["group"], c["rows"][0]["value"]) for c in out["cases"]] == [
        ("build", 1.0),
        ("emulator", 1.5),
        ("async", 1.1),
    ]
    assert [(t["claim"], t["met"]) for t in out["targets"]] == [
        ("build target", True),
        ("emulator target", True),
        ("async target", True),
    ]
    assert out["meta"]["date"] == "old"
    assert out["meta"]["async measured"] == "new, commit abc1234, load average unknown"
    assert out["meta"]["httpx"] == "0.28"
