"""The load generator follows the same flow as the simulator: same script, same callbacks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcontrol.load import run
from callcontrol.load.serve import serve
from callcontrol.testing import (
    CallSimulator,
    UnusedStepsError,
    busy,
    hang_up,
    press,
    silence,
)
from callcontrol.testing.result import path_of
from examples.ivr import SALES
from examples.ivr import app as ivr

steps = st.lists(
    st.sampled_from([press("1"), press("2"), press("3"), silence(), hang_up()]), max_size=3
)


@pytest.fixture(scope="module")
def ivr_url() -> Iterator[str]:
    with serve(ivr, 4) as base:
        yield base


def simulated_paths(script: list[Any], destinations: dict[str, Any]) -> Counter[str]:
    simulator = CallSimulator(ivr, raise_app_errors=True)
    try:
        call = simulator.inbound("/answer", script=script, destinations=destinations)
    except UnusedStepsError as exc:
        call = exc.call
    return Counter(path_of(callback.url) for callback in call.callbacks)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=steps, sales_busy=st.booleans())
def test_every_load_call_sends_the_callbacks_the_simulator_sends(ivr_url, script, sales_busy):
    destinations = {SALES: busy()} if sales_busy else {}
    expected = simulated_paths(script, destinations)
    report = run(
        ivr_url, calls=3, concurrency=3, script=script, destinations=destinations, speed=1000.0
    )
    assert report.ok, report.table()
    counts = Counter({path: stats.count for path, stats in report.latency.items()})
    assert counts == Counter({path: 3 * count for path, count in expected.items()})
