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


def fake_engine(**fields: object) -> object:
    from types import SimpleNamespace

    base: dict[str, object] = {
        "served": [],
        "called": set(),
        "verbs_run": [],
        "gather_outcomes": [],
        "transfer_outcomes": [],
        "mentioned": {},
    }
    return SimpleNamespace(**{**base, **fields})


def test_the_report_and_json_of_known_calls_exactly() -> None:
    recorder = Coverage()
    recorder.enabled = True
    recorder.record(
        fake_engine(  # type: ignore[arg-type]
            served=[("https://a.test/answer", "initiate"), ("https://a.test", "redirect")],
            called={"https://a.test/menu"},
            verbs_run=[(0, "Gather", None), (5, "Hangup", None)],
            gather_outcomes=[("/answer Gather[1]", "12"), ("/answer Gather[1]", "timeout")],
            transfer_outcomes=[("+1555", "answered")],
            mentioned={"https://a.test/menu": "Gather.gather_url", "https://a.test/spare": "x"},
        )
    )
    recorder.record(fake_engine(verbs_run=[(0, "Gather", None)]))  # type: ignore[arg-type]
    assert recorder.counts() == (4, 7)
    two = Coverage()
    two.enabled = True
    two.record(fake_engine(transfer_outcomes=[("+1", "busy"), ("+1", "answered")]))  # type: ignore[arg-type]
    assert "transfer +1: seen answered, busy; never: no-answer" in two.report()
    assert recorder.report() == [
        "documents served:",
        "  / (redirect): 1",
        "  /answer (initiate): 1",
        "verbs run: Gather 2, Hangup 1",
        "/answer Gather[1]: seen 12, timeout; keys never pressed first: 2 3 4 5 6 7 8 9 * 0 #",
        "transfer +1555: seen answered; never: busy, no-answer",
        "callback URLs never fetched:",
        "  https://a.test/spare (x)",
        "coverage: 57.1% (4 of 7 branches)",
        "  (counts, reached or not: each Gather's outcomes seen plus timeout, each transfer "
        "destination's answered/busy/no-answer, each callback URL named in a served document)",
    ]
    assert recorder.to_json() == {
        "served": [
            {"path": "/answer", "event": "initiate", "count": 1},
            {"path": "/", "event": "redirect", "count": 1},
        ],
        "verbs": {"Gather": 2, "Hangup": 1},
        "gathers": {"/answer Gather[1]": {"12": 1, "timeout": 1}},
        "transfers": {"+1555": {"answered": 1}},
        "never_fetched": ["https://a.test/spare"],
        "percent": 400 / 7,
    }


def test_nothing_recorded_is_full_coverage_and_every_key_pressed_lists_none() -> None:
    recorder = Coverage()
    assert recorder.counts() == (0, 0) and recorder.percent() == 100.0
    assert not recorder.below(100)
    recorder.enabled = True
    outcomes = [("/a Gather[1]", key) for key in "123456789*0#"] + [("/a Gather[1]", "terminated")]
    recorder.record(fake_engine(gather_outcomes=outcomes))  # type: ignore[arg-type]
    (line,) = [line for line in recorder.report() if line.startswith("/a Gather[1]")]
    assert (
        line == "/a Gather[1]: seen #, *, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, terminated; never: timeout"
    )
    assert recorder.counts() == (13, 14)


def test_reset_forgets_everything() -> None:
    recorder = Coverage()
    recorder.enabled = True
    recorder.record(fake_engine(verbs_run=[(0, "Hangup", None)]))  # type: ignore[arg-type]
    recorder.reset()
    assert recorder.verbs == {} and recorder.enabled is False
