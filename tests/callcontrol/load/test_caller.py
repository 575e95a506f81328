"""The caller's clock: the flow's own time runs ``speed`` times faster, replies as they are."""

from __future__ import annotations

import pytest

from callcontrol.load.caller import Caller, CallPlan, check_speed, from_number
from callcontrol.load.serve import serve
from callcontrol.load.wire import Reply, Wire

from . import apps


class FakeClock:
    """Wall time that moves only when the caller waits."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False


class Sink:
    def __init__(self) -> None:
        self.replies: list[tuple[str, int | None, str | None]] = []
        self.calls: list[str | None] = []

    def callback(self, path: str, reply: Reply, invalid: str | None) -> None:
        self.replies.append((path, reply.status, invalid))

    def call(self, cause: str | None) -> None:
        self.calls.append(cause)


@pytest.mark.parametrize("speed", [1.0, 10.0, 250.0])
def test_a_pause_waits_its_duration_divided_by_speed(speed):
    # The app's <Pause duration="3"/> (bxml-spec: Pause) is the flow's own time.
    clock, sink = FakeClock(), Sink()
    with serve(apps.paused, 1) as base:
        wire = Wire(base, 15.0)
        plan = CallPlan(base_url=base, speed=speed)
        finished = Caller(plan, wire, sink, clock.wait, clock).call(7)
        wire.close()
    assert finished
    # 3 s of Pause, then 0.5 s of speech ("Bye.", the engine's speech-rate assumption).
    assert clock.waits == [pytest.approx(3 / speed), pytest.approx(0.5 / speed)]
    assert sink.replies == [("/answer", 200, None), ("/next", 200, None)]
    assert sink.calls == [None]


def test_a_stopped_run_abandons_the_call_without_counting_it():
    sink = Sink()
    with serve(apps.paused, 1) as base:
        wire = Wire(base, 15.0)
        finished = Caller(CallPlan(base_url=base), wire, sink, lambda seconds: True).call(0)
        wire.close()
    assert not finished
    assert sink.calls == []


def test_every_call_has_its_own_caller_number():
    assert from_number(0) == "+15550000000"
    assert from_number(1234) == "+15550001234"
    assert from_number(10_000_001) == "+15550000001"


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan")])
def test_speed_must_be_finite_and_above_0(bad):
    with pytest.raises(ValueError, match="speed must be a finite number above 0"):
        check_speed(bad)


def test_speed_must_be_a_number():
    with pytest.raises(TypeError, match="speed must be a number, not str"):
        check_speed("2")


class FakeStop:
    """A stop event that records the waits asked of it and never stops."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def is_set(self) -> bool:
        return False

    def wait(self, seconds: float) -> bool:
        return self.clock.wait(seconds)


def test_a_rate_spaces_the_call_starts():
    from callcontrol.load.runner import _Schedule

    clock = FakeClock()
    schedule = _Schedule(4, 2.0, FakeStop(clock), clock)  # type: ignore[arg-type]
    assert [schedule.take() for _ in range(5)] == [0, 1, 2, 3, None]
    assert clock.waits == [pytest.approx(0.5)] * 3  # call n starts n / rate s after the first


def test_without_a_rate_calls_start_at_once():
    from callcontrol.load.runner import _Schedule

    clock = FakeClock()
    schedule = _Schedule(2, None, FakeStop(clock), clock)  # type: ignore[arg-type]
    assert [schedule.take() for _ in range(3)] == [0, 1, None]
    assert clock.waits == []
