"""The coverage recorder: sites, outcomes, unfetched URLs and the percentage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

import bxml
from callcontrol.engine import Step
from callcontrol.engine.model import CallbackRequest, Target
from callcontrol.engine.observations import (
    CallbackSent,
    DialHow,
    Dialled,
    DocumentInstalled,
    GatherEnded,
    Observation,
    VerbStarted,
)
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


MENU = (
    '<Response><Gather gatherUrl="/menu"/>'
    '<Redirect redirectUrl="/menu" redirectFallbackUrl="/spare"/></Response>'
)


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


def observed(
    *,
    served: Sequence[tuple[str, str, str]] = (),
    called: Sequence[str] = (),
    verbs: Sequence[str] = (),
    gathers: Sequence[tuple[str, str]] = (),
    dialled: Sequence[tuple[str, DialHow, str]] = (),
) -> list[Observation]:
    """A call's observations: documents served (URL, event, reply), callbacks sent, verbs
    run, Gather outcomes and numbers dialled."""
    seen: list[Observation] = []
    for url, event, reply in served:
        seen.append(DocumentInstalled(0, "A", "c-1", url, event, bxml.parse(reply)))
    for url in called:
        request = CallbackRequest(1, "c-1", "gather", {}, Target(url), True)
        seen.append(CallbackSent(0, "A", "c-1", request))
    seen += [VerbStarted(0, "A", "c-1", name) for name in verbs]
    seen += [GatherEnded(0, "A", "c-1", site, outcome) for site, outcome in gathers]
    seen += [Dialled(0, "B", "c-2", number, how, outcome) for number, how, outcome in dialled]
    return seen


def test_the_report_and_json_of_known_calls_exactly() -> None:
    recorder = Coverage()
    recorder.enabled = True
    recorder.record(
        observed(
            served=[
                ("https://a.test/answer", "initiate", MENU),
                ("https://a.test", "redirect", "<Response><Hangup/></Response>"),
            ],
            called=["https://a.test/menu"],
            verbs=["Gather", "Hangup"],
            gathers=[("/answer Gather[1]", "12"), ("/answer Gather[1]", "timeout")],
            dialled=[("+1555", "Transfer", "answered"), ("+1666", "createCall", "answered")],
        )
    )
    recorder.record(observed(verbs=["Gather"]))
    assert recorder.counts() == (4, 7)
    two = Coverage()
    two.enabled = True
    two.record(observed(dialled=[("+1", "Transfer", "busy"), ("+1", "Forward", "answered")]))
    assert "transfer +1: seen answered, busy; never: no-answer" in two.report()
    assert recorder.report() == [
        "documents served:",
        "  / (redirect): 1",
        "  /answer (initiate): 1",
        "verbs run: Gather 2, Hangup 1",
        "/answer Gather[1]: seen 12, timeout; keys never pressed first: 2 3 4 5 6 7 8 9 * 0 #",
        "transfer +1555: seen answered; never: busy, no-answer",
        "callback URLs never fetched:",
        "  https://a.test/spare (Redirect.redirect_fallback_url)",
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
    recorder.record(observed(gathers=outcomes))
    (line,) = [line for line in recorder.report() if line.startswith("/a Gather[1]")]
    assert (
        line == "/a Gather[1]: seen #, *, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, terminated; never: timeout"
    )
    assert recorder.counts() == (13, 14)


def test_reset_forgets_everything() -> None:
    recorder = Coverage()
    recorder.enabled = True
    recorder.record(observed(verbs=["Hangup"]))
    recorder.reset()
    assert recorder.verbs == {} and recorder.enabled is False
