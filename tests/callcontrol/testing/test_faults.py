"""Scripted callback faults and reply latency, in virtual time."""

from __future__ import annotations

from typing import Any

import pytest

from callcontrol.testing import CallSimulator, hang_up, press

from ..engine.apps import RoutesApp, xml

BASE = "https://ivr.test"
MENU = xml(
    '<Gather gatherUrl="/menu" gatherFallbackUrl="/menu-fallback" maxDigits="1">'
    "<SpeakSentence>Press one</SpeakSentence></Gather>"
)
ROUTES = {
    "/answer": MENU,
    "/fallback": xml("<SpeakSentence>from the fallback</SpeakSentence>"),
    "/menu": xml("<SpeakSentence>you chose</SpeakSentence>"),
    "/menu-fallback": xml("<SpeakSentence>menu fallback</SpeakSentence>"),
}


def simulator(**kwargs: Any) -> tuple[CallSimulator, RoutesApp]:
    app = RoutesApp(dict(ROUTES))
    return CallSimulator(app, base_url=BASE, **kwargs), app


def test_a_failing_callback_moves_to_its_fallback_url():
    sim, app = simulator()
    sim.faults.fail("/answer", status=503)
    call = sim.inbound("/answer", fallback_url="/fallback")
    assert call.heard == ["from the fallback"]
    assert [cb.status for cb in call.callbacks[:2]] == [503, 200]
    assert [s.path for s in app.seen] == ["/fallback"]  # the failing one never reached the app
    assert "fail('/answer', status=503)" in str(call)
    assert [e.detail for e in call.transcript if e.kind == "fetch"] == [
        "initiate POST https://ivr.test/answer -> 503",
        "initiate POST https://ivr.test/fallback (fallback) -> 200, 1 verb",
    ]


def test_a_failing_callback_without_fallback_ends_with_callback_error():
    sim, _ = simulator()
    sim.faults.fail("/answer")
    call = sim.inbound("/answer")
    call.assert_ended("callback-error")
    assert "HTTP 500" in (call.error or "")


def test_faults_are_used_up_by_times():
    sim, _ = simulator()
    sim.faults.fail("/menu", times=1)
    first = sim.inbound("/answer", script=[press("1")])
    second = sim.inbound("/answer", script=[press("1")])
    assert first.heard[-1] == "menu fallback"
    assert second.heard[-1] == "you chose"
    assert not sim.faults


def test_a_slow_reply_arrives_later_in_virtual_time():
    sim, _ = simulator()
    sim.faults.slow("/answer", seconds=4)
    call = sim.inbound("/answer", script=[press("1")])
    prompt = [e.ms for e in call.transcript if e.kind == "prompt"]
    assert prompt == [4000]
    assert call.heard[-1] == "you chose"


def test_a_reply_exactly_at_callback_timeout_is_still_in_time():
    # The engine's rule too: only a reply later than callbackTimeout times the callback out.
    sim, _ = simulator(callback_timeout=10)
    sim.faults.slow("/answer", seconds=10)
    call = sim.inbound("/answer", script=[press("1")], fallback_url="/fallback")
    assert "from the fallback" not in call.heard and call.callbacks[0].status == 200
    assert [e.ms for e in call.transcript if e.kind == "fetch"][0] == 10_000


def test_a_reply_slower_than_callback_timeout_fails_over_at_the_timeout():
    sim, _ = simulator(callback_timeout=10)
    sim.faults.slow("/answer", seconds=20)
    call = sim.inbound("/answer", fallback_url="/fallback")
    assert call.heard == ["from the fallback"]
    assert call.callbacks[0].status is None
    fetches = [e for e in call.transcript if e.kind == "fetch"]
    assert fetches[0].ms == 10_000
    assert "callbackTimeout" in fetches[0].detail


def test_the_caller_may_hang_up_while_a_reply_is_slow():
    sim, _ = simulator()
    sim.faults.slow("/answer", seconds=8)
    call = sim.inbound("/answer", script=[hang_up(after=3)])
    call.assert_ended("hangup")
    assert call.duration == 3
    assert call.heard == []


def test_a_dropped_async_callback_is_retried_once():
    sim, app = simulator()
    sim.faults.drop("/status")
    call = sim.inbound("/answer", script=[press("1")], disconnect_url="/status")
    statuses = [cb.status for cb in call.callbacks if cb.event_type == "disconnect"]
    assert statuses == [None, 204]
    assert len(app.events("disconnect")) == 1
    sim.faults.drop("/status", times=None)
    again = sim.inbound("/answer", script=[press("1")], disconnect_url="/status")
    assert [cb.status for cb in again.callbacks if cb.event_type == "disconnect"] == [None, None]


def test_reply_latency_applies_to_every_synchronous_callback():
    sim, _ = simulator(reply_latency=0.5)
    call = sim.inbound("/answer", script=[press("1")])
    quick, _ = simulator()
    baseline = quick.inbound("/answer", script=[press("1")])
    assert call.duration == pytest.approx(baseline.duration + 1.0)  # two sync callbacks
    assert "fetch-latency" not in call.assumptions


def test_faults_match_absolute_urls_and_get_callbacks():
    app = RoutesApp(
        {
            "/answer": xml('<Gather gatherUrl="/menu" gatherMethod="GET" maxDigits="1"/>'),
            "/menu": xml("<SpeakSentence>fine</SpeakSentence>"),
        }
    )
    sim = CallSimulator(app, base_url=BASE)
    sim.faults.fail(f"{BASE}/menu", status=404)
    call = sim.inbound("/answer", script=[press("1")])
    call.assert_ended("callback-error")
    assert "?" in call.callbacks[1].url


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f: f.fail("/a", status=200), "status must be 400 to 599"),
        (lambda f: f.slow("/a", seconds=0), "seconds must be more than 0"),
        (lambda f: f.drop("/a", times=0), "times must be 1 or more"),
        (lambda f: f.drop("answer"), "path must be a URL path"),
    ],
)
def test_bad_faults_are_refused_clearly(make, message):
    sim, _ = simulator()
    with pytest.raises(ValueError, match=message):
        make(sim.faults)


def test_callback_timeout_and_latency_are_checked():
    with pytest.raises(ValueError, match="callback_timeout must be 1 to 25 seconds"):
        simulator(callback_timeout=30)
    for bad in (-1, float("inf"), float("nan"), 86400.001):
        with pytest.raises(ValueError, match="reply_latency must be 0 seconds or more"):
            simulator(reply_latency=bad)
    simulator(reply_latency=86400)  # a day is the longest duration anywhere in a script


def test_a_fault_on_a_url_with_a_query_applies_to_it():
    app = RoutesApp({"/answer": xml('<Redirect redirectUrl="/next?step=2"/>')})
    sim = CallSimulator(app, base_url=BASE)
    sim.faults.fail(f"{BASE}/next?step=2")
    sim.inbound("/answer").assert_ended("callback-error")


def test_a_fault_on_a_path_applies_to_that_path_with_any_query():
    app = RoutesApp({"/answer": xml('<Redirect redirectUrl="/next?step=2"/>')})
    sim = CallSimulator(app, base_url=BASE)
    sim.faults.fail("/next")
    sim.inbound("/answer").assert_ended("callback-error")
    assert [url for _, url in sim.faults.applied] == [f"{BASE}/next?step=2"]


def test_a_fault_reads_back_as_the_call_that_made_it():
    sim, _ = simulator()
    sim.faults.fail("/a", status=503, times=3)
    sim.faults.slow("/b", seconds=2.5, times=None)
    sim.faults.drop("/c")
    assert repr(sim.faults) == (
        "Faults([fail('/a', status=503, times=3), slow('/b', seconds=2.5, times=None), drop('/c')])"
    )
