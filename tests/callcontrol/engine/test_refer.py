"""<Refer> and referComplete: success ends the call, failure runs the reply or goes on."""

from __future__ import annotations

from collections.abc import Mapping

import bxml
from bxml.verbs import TOP_LEVEL
from callcontrol import ReferCompleteEvent, parse_event
from callcontrol.engine import Destination
from callcontrol.engine.core import _RUNNERS
from callcontrol.testing import (
    CallSimulator,
    SimulatedCall,
    answers,
    busy,
    no_answer,
    rejects,
)

from .apps import Reply, RoutesApp, xml
from .test_core import run as run_call

BASE = "https://ivr.test"
ALICE = "sip:alice@pbx.example.com"
REFER = f'<Refer referCompleteUrl="/done"><SipUri>{ALICE}</SipUri></Refer>'


def run(
    routes: Mapping[str, Reply],
    *,
    destinations: dict[str, Destination] | None = None,
    from_: str = "sip:caller@pbx.example.com",
) -> tuple[SimulatedCall, RoutesApp]:
    return run_call(routes, destinations=destinations, from_=from_, to="sip:ivr@ivr.example.com")


def test_every_bxml_verb_has_a_runner():
    missing = [cls.TAG for cls in TOP_LEVEL if cls.TAG not in _RUNNERS]
    assert missing == []
    # verbs nested in a Gather are its prompts, played by the Gather runner
    assert set(bxml.Gather.CHILD_TYPES) <= set(TOP_LEVEL)


def test_successful_refer_ends_the_call_and_ignores_the_reply():
    routes = {
        "/answer": xml(REFER + "<SpeakSentence>never</SpeakSentence>"),
        "/done": xml("<SpeakSentence>ignored</SpeakSentence>"),
    }
    call, app = run(routes, destinations={ALICE: answers(after=1.5)})
    call.assert_ended("hangup")
    assert call.heard == []
    event = parse_event(app.events("referComplete")[0])
    assert isinstance(event, ReferCompleteEvent)
    assert event.refer_call_status == "success"
    assert (event.refer_sip_response_code, event.notify_sip_response_code) == (202, 200)
    assert call.duration == 1.5
    assert [cb.event_type for cb in call.callbacks] == ["initiate", "referComplete", "disconnect"]
    assert "refer-cause" in call.assumptions
    call.assert_transferred_to(ALICE, "answered")
    assert "reply ignored (the call was referred)" in str(call)


def test_failed_refer_runs_the_reply_on_the_call():
    routes = {
        "/answer": xml(REFER + "<SpeakSentence>never</SpeakSentence>"),
        "/done": xml("<SpeakSentence>Sorry, she is busy.</SpeakSentence>"),
    }
    call, app = run(routes, destinations={ALICE: busy()})
    assert call.heard == ["Sorry, she is busy."]
    payload = app.events("referComplete")[0]
    assert payload["referCallStatus"] == "failure"
    assert (payload["referSipResponseCode"], payload["notifySipResponseCode"]) == (202, 486)
    call.assert_ended("hangup")
    call.assert_transferred_to(ALICE, "busy")


def test_declined_refer_has_no_notify_code():
    call, app = run({"/answer": xml(REFER), "/done": xml("")}, destinations={ALICE: rejects()})
    payload = app.events("referComplete")[0]
    assert payload["referSipResponseCode"] == 603
    assert "notifySipResponseCode" not in payload
    assert call.duration == 0


def test_no_final_notify_within_30_seconds_fails():
    dests: list[dict[str, Destination]] = [{}, {ALICE: no_answer()}, {ALICE: answers(after=45)}]
    for dest in dests:
        call, app = run({"/answer": xml(REFER), "/done": xml("")}, destinations=dest)
        payload = app.events("referComplete")[0]
        assert payload["referCallStatus"] == "failure"
        assert payload["referSipResponseCode"] == 202
        assert "notifySipResponseCode" not in payload
        assert call.duration == 30


def test_without_url_failure_goes_on_with_the_next_verbs_and_success_ends():
    doc = xml(f"<Refer><SipUri>{ALICE}</SipUri></Refer><SpeakSentence>still here</SpeakSentence>")
    failed, app = run({"/answer": doc}, destinations={ALICE: busy()})
    assert failed.heard == ["still here"]
    assert app.events("referComplete") == []
    referred, _ = run({"/answer": doc}, destinations={ALICE: answers()})
    assert referred.heard == []
    referred.assert_ended("hangup")


def test_refer_on_a_call_that_is_not_sip_fails_without_codes():
    routes = {"/answer": xml(REFER), "/done": xml("<SpeakSentence>no refer</SpeakSentence>")}
    app = RoutesApp(routes)
    sim = CallSimulator(app, base_url=BASE)
    pstn = sim.inbound("/answer", from_="+15551230000", destinations={ALICE: answers()})
    assert pstn.heard == ["no refer"]
    assert "refer-sip-call" in pstn.assumptions
    payload = app.events("referComplete")[0]
    assert payload["referCallStatus"] == "failure"
    assert "referSipResponseCode" not in payload
    # No REFER went out, so nothing was dialled (the transcript still tells the failure).
    assert pstn.transfers == []
    assert any(kind == "refer" for _, _, kind, _ in pstn.notes)


def test_a_sip_address_on_either_side_makes_a_sip_call():
    routes = {"/answer": xml(REFER), "/done": xml("")}
    call, _ = run(routes, destinations={ALICE: answers()}, from_="+15551230000")
    call.assert_transferred_to(ALICE, "answered")


def test_refer_sets_the_sticky_tag():
    doc = xml(f'<Refer referCompleteUrl="/done" tag="r1"><SipUri>{ALICE}</SipUri></Refer>')
    _, app = run({"/answer": doc, "/done": xml("")}, destinations={ALICE: busy()})
    assert app.events("referComplete")[0]["tag"] == "r1"
