"""The scheduler: integer ms, (due, priority, seq) order, never in the past."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callcontrol.engine.clock import COMMAND, FETCH, INPUT, TIMER, Scheduler, to_ms


def test_to_ms_rounds_to_whole_milliseconds():
    assert (to_ms(1.5), to_ms(0.0004), to_ms(0.0006), to_ms(2)) == (1500, 0, 1, 2000)


def test_equal_times_run_by_priority_then_insertion_order():
    # Pushed in reverse priority order, so that two priorities made equal by a slip run in
    # insertion order and the test sees it.
    sched, ran = Scheduler(), list[str]()
    sched.at(10, TIMER, ran.append, "timer")
    sched.at(10, FETCH, ran.append, "fetch")
    sched.at(10, INPUT, ran.append, "key-1")
    sched.at(10, COMMAND, ran.append, "hangup")
    sched.at(10, INPUT, ran.append, "key-2")
    sched.at(5, TIMER, ran.append, "earlier")
    while (entry := sched.pop()) is not None:
        entry.action(*entry.args)
    assert ran == ["earlier", "hangup", "key-1", "key-2", "fetch", "timer"]
    assert sched.now == 10


def test_an_entry_is_never_scheduled_in_the_past():
    sched = Scheduler()
    sched.at(100, TIMER, print)
    sched.pop()
    sched.at(50, TIMER, print)
    assert sched.peek() == 100


@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from([COMMAND, INPUT, FETCH, TIMER]))))
def test_time_never_goes_backwards(entries):
    sched = Scheduler()
    for due, priority in entries:
        sched.at(due, priority, print)
    seen = []
    while (entry := sched.pop()) is not None:
        seen.append((entry.due, entry.priority, entry.seq))
    assert seen == sorted(seen)
