"""The simulate benchmark's work count: instructions by area, the same on every run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.simulate import breakdown, floor_call, instructions, simulated_call

pytestmark = pytest.mark.skipif(
    sys.implementation.name != "cpython", reason="counts CPython bytecode instructions"
)


def test_the_floor_runs_no_simulator_code() -> None:
    counts = instructions(floor_call())
    assert counts["app"] > 0 and counts["bxml"] > 0
    for area in ("engine", "router", "simulator driver", "call result"):
        assert counts[area] == 0, area


_COUNT_TWICE = """
import json
from bench.simulate import instructions, simulated_call
call = simulated_call()
print(json.dumps([instructions(call), instructions(call)]))
"""


def test_a_simulated_call_is_counted_by_area_the_same_every_time() -> None:
    # In a process of its own: the engine's bounded caches, filled by whatever tests ran
    # before in this one, would move the count by the entries they evict.
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_TWICE],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
    )
    first, second = json.loads(done.stdout)
    # Only our own code: the standard library's (abc's caches...) depends on what ran before.
    ours = ("engine", "router", "simulator driver", "call result", "app")
    assert [first[area] for area in ours] == [second[area] for area in ours]
    assert first["engine"] > first["router"] > 0
    assert first["app"] > 0 and first["call result"] > 0


def test_the_tracer_in_place_before_is_put_back() -> None:
    before = sys.gettrace()

    def ours(frame: object, event: str, arg: object) -> None:
        return None

    sys.settrace(ours)
    try:
        instructions(floor_call())
        assert sys.gettrace() is ours
    finally:
        sys.settrace(before)


def test_the_note_gives_both_totals_and_the_engine_share() -> None:
    note = breakdown(simulated_call(), floor_call())
    assert "for the simulator against" in note and "for the floor" in note
    assert "engine " in note and "The engine alone runs" in note


def test_every_instruction_counts_not_every_line() -> None:
    def loop() -> None:
        for _ in range(100):
            pass

    # Three instructions per turn (next item, store, jump back) over two lines: counting
    # lines too would pass 500.
    assert 300 <= instructions(loop)["other"] < 450
