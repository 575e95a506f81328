"""Formatting of the benchmark report."""

from __future__ import annotations

from bench.report import ratio


def test_a_measured_value_below_a_tenth_keeps_its_digits() -> None:
    assert ratio(0.016, " s") == "0.02 s"
    assert ratio(22.55, " ms") == "22.6 ms"
    assert ratio(1.264, "×") == "1.26×"
