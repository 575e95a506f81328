"""LoadReport arithmetic: nearest-rank percentiles and merging the workers' tallies."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from callcontrol.load.report import LoadReport, PathStats, Tally, percentile

times = st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), min_size=1, max_size=60)


@given(times, st.floats(min_value=0.001, max_value=1))
def test_a_percentile_is_a_measured_value_with_that_share_at_or_below_it(values, share):
    ordered = sorted(values)
    value = percentile(ordered, share)
    assert value in ordered
    at_or_below = sum(1 for v in ordered if v <= value)
    assert at_or_below >= share * len(ordered)
    assert sum(1 for v in ordered if v < value) < share * len(ordered)


def test_percentiles_of_known_values():
    stats = PathStats.of("/a", [float(n) for n in range(100, 0, -1)], 0, 0)
    assert (stats.count, stats.p50, stats.p95, stats.p99, stats.max) == (100, 50, 95, 99, 100)
    empty = PathStats.of("/b", [], 2, 0)
    assert empty.count == 0 and math.isnan(empty.p50)
    assert empty.to_dict()["p50"] is None and empty.to_dict()["errors"] == 2


record = st.tuples(
    st.sampled_from(["/answer", "/menu", "/done"]),
    st.one_of(st.none(), st.floats(min_value=0, max_value=20)),
    st.sampled_from([None, "timeout", "HTTP 500", "connection"]),
)


@given(st.lists(record, max_size=40), st.integers(min_value=1, max_value=5))
def test_merging_worker_tallies_equals_one_tally_of_everything(records, workers):
    whole = Tally()
    parts = [Tally() for _ in range(workers)]
    for index, (path, seconds, kind) in enumerate(records):
        for tally in (whole, parts[index % workers]):
            tally.callback(path, seconds, kind, "detail", kind == "timeout")
            tally.call(None if kind is None else "callback-error")
    merged = Tally()
    for part in parts:
        merged.merge(part)
    one = LoadReport.from_tally(whole, callback_timeout=15, wall_seconds=1, cpu_seconds=1)
    other = LoadReport.from_tally(merged, callback_timeout=15, wall_seconds=1, cpu_seconds=1)
    first, second = one.to_dict(), other.to_dict()
    # The example of each error kind is the first one some worker saw: any of that kind.
    examples = [first.pop("error_examples"), second.pop("error_examples")]
    assert first == second
    for shown in examples:
        assert set(shown) == set(one.errors)
        for kind, text in shown.items():
            assert any(text == f"{p}: detail" for p, _, k in records if k == kind)
    assert one.calls == len(records) == one.callbacks
    assert one.too_slow == sum(1 for r in records if r[2] == "timeout")
