"""The coverage recorder: sites, outcomes, unfetched URLs and the percentage."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from callcontrol.engine import Step
from callcontrol.testing import CallSimulator, Coverage, busy, press, silence
from callcontrol.testing import coverage as coverage_module

from ..engine.apps import RoutesApp, xml

ROUTES = {
    "/answer": xml(
        '<Gather gatherUrl="/g" maxDigits="1" firstDigitTimeout="1">'
        "<SpeakSentence>menu</SpeakSentence></Gather>"
    ),
    "/g": xml(
        '<Transfer transferCompleteUrl="/done" transferCompleteFallbackUrl="/spare">'
        "<PhoneNumber>+15550001111</PhoneNumber></Transfer>"
    ),
    "/done": xml('<Record recordCompleteUrl="/recorded" maxDuration="1"/>'),
    "/recorded": xml("<Hangup/>"),
}


def record_calls(monkeypatch: pytest.MonkeyPatch, *scripts: Iterable[Step]) -> Coverage:
    recorder = Coverage()
    recorder.enabled = True
    monkeypatch.setattr("callcontrol.testing.simulator.COVERAGE", recorder)
    sim = CallSimulator(RoutesApp(ROUTES), base_url="https://ivr.test")
    for script in scripts:
        sim.inbound("/answer", script=script, destinations={"+15550001111": busy()})
    return recorder


def test_report_names_sites_outcomes_and_unfetched_urls(monkeypatch):
    recorder = record_calls(monkeypatch, [press("1"), silence()])
    lines = recorder.report()
    assert "  /answer (initiate): 1" in lines
    assert (
        "/answer Gather[1]: seen 1; never: timeout; keys never pressed first: 2 3 4 5 6 7 8 9 * 0 #"
        in lines
    )
    assert "transfer +15550001111: seen busy; never: answered, no-answer" in lines
    assert "  https://ivr.test/spare (Transfer.transfer_complete_fallback_url)" in lines
    assert recorder.never_fetched() == ["https://ivr.test/spare"]
    reached, total = recorder.counts()
    assert lines[-2] == f"coverage: {100 * reached / total:.1f}% ({reached} of {total} branches)"
    assert lines[-1].startswith(
        "  (counts, reached or not: each Gather's outcomes seen plus timeout"
    )


def test_more_outcomes_raise_the_percentage(monkeypatch):
    one = record_calls(monkeypatch, [press("1"), silence()]).percent()
    both = record_calls(monkeypatch, [press("1"), silence()], [silence()]).percent()
    assert both > one
    assert "timeout" in record_calls(monkeypatch, [silence()]).gathers["/answer Gather[1]"]


def test_disabled_recorder_records_nothing():
    recorder = Coverage()
    assert not recorder.enabled
    assert coverage_module.COVERAGE is not recorder
    assert recorder.percent() == 100.0 and recorder.to_json()["never_fetched"] == []
