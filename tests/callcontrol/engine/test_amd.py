"""Answering-machine detection: the destination decides, sync and async modes, timings."""

from __future__ import annotations

import base64
import inspect
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcontrol import MachineDetectionConfiguration
from callcontrol.engine import amd
from callcontrol.engine.script import MACHINE_RESULTS, Answers, Voicemail
from callcontrol.testing import (
    CallSimulator,
    Destination,
    SimulatedCall,
    answers,
    machine,
    voicemail,
)

from .apps import RoutesApp, xml

CALLEE = "+15553334444"
LONG = xml('<SpeakSentence>hello</SpeakSentence><Pause duration="30"/>')


def run(
    md: Any, dest: Destination | None = None, routes: Mapping[str, Any] | None = None, **kwargs: Any
) -> tuple[SimulatedCall, RoutesApp]:
    app = RoutesApp(routes or {"/answer": LONG})
    sim = CallSimulator(app, base_url="https://ivr.test", **kwargs)
    dests = {CALLEE: dest} if dest is not None else None
    call = sim.outbound(
        "/answer", to=CALLEE, destinations=dests, machine_detection=md, disconnect_url="/status"
    )
    return call, app


def config(**fields: Any) -> amd.Detection:
    return amd.detection({"callbackUrl": "https://ivr.test/amd", **fields})


# -- the verdict: which result, and when ----------------------------------------------------


@pytest.mark.parametrize(
    ("dest", "value", "ms"),
    [
        (None, "human", 6000),  # 1 s of "Hello?" then speechEndThreshold
        (answers(), "human", 6000),
        (machine(), "answering-machine", 10000),  # speechThreshold
        (voicemail(3), "answering-machine", 10000),
        (machine("silence"), "silence", 10000),  # silenceTimeout
        (machine("timeout"), "timeout", 15000),  # detectionTimeout
        (machine("error"), "error", 0),
        (machine("human", detected_after=2.5), "human", 2500),
        (machine("human", detected_after=16), "timeout", 15000),
    ],
)
def test_the_destination_decides_the_result_and_its_time(dest, value, ms):
    assert amd.verdict(config(), dest) == amd.Verdict(value, ms)


def test_the_thresholds_set_the_times():
    found = config(speechEndThreshold=2, silenceTimeout=4, speechThreshold=3)
    assert amd.verdict(found, None).ms == 3000
    assert amd.verdict(found, machine("silence")).ms == 4000
    assert amd.verdict(found, machine()).ms == 3000
    assert amd.verdict(config(silenceTimeout=20), machine("silence")).value == "timeout"


def test_delay_result_waits_for_the_end_of_the_greeting():
    delayed = config(delayResult=True, machineSpeechEndThreshold=1, detectionTimeout=30)
    assert amd.verdict(delayed, voicemail(12)) == amd.Verdict("answering-machine", 13000)
    assert amd.verdict(delayed, voicemail(3)).ms == 11000  # at least speechThreshold
    capped = config(delayResult=True, machineSpeechEndThreshold=4)
    assert amd.verdict(capped, voicemail(40)) == amd.Verdict("answering-machine", 15000)
    undecided = config(delayResult=True, speechThreshold=20)
    assert amd.verdict(undecided, machine()).value == "timeout"


def test_machine_speech_end_threshold_defaults_to_speech_end_threshold():
    assert config(speechEndThreshold=3).machine_speech_end_threshold_ms == 3000


@settings(max_examples=60, deadline=None)
@given(
    result=st.sampled_from(MACHINE_RESULTS),
    detected_after=st.none() | st.floats(0, 60),
    greeting=st.floats(0, 60),
    timeout=st.integers(1, 60),
    threshold=st.integers(0, 60),
    delay=st.booleans(),
    voice=st.booleans(),
)
def test_a_result_always_comes_within_detection_timeout(
    result, detected_after, greeting, timeout, threshold, delay, voice
):
    found = config(detectionTimeout=timeout, speechThreshold=threshold, delayResult=delay)
    dest = voicemail(greeting) if voice else machine(result, detected_after=detected_after)
    verdict = amd.verdict(found, dest)
    assert verdict.value in amd.RESULTS
    assert 0 <= verdict.ms <= timeout * 1000
    assert verdict.value == "timeout" or verdict.value == ("answering-machine" if voice else result)


# -- the configuration ---------------------------------------------------------------------


def test_the_model_and_its_json_give_the_same_detection():
    model = MachineDetectionConfiguration(
        mode="async",
        callback_url="https://ivr.test/amd",
        callback_method="GET",
        username="u",
        password="p",
        fallback_url="https://ivr.test/amd-fallback",
    )
    assert amd.detection(model) == amd.detection(model.to_dict())
    found = amd.detection(model)
    assert found.target is not None and found.target.method == "GET"
    assert found.fallback is not None and found.fallback.credentials is None


@pytest.mark.parametrize(
    ("given_config", "message"),
    [
        ({"mode": "async"}, r"machineDetection\.callbackUrl is required when mode is async"),
        ({}, "callbackUrl is required when mode is async"),
        ({"mode": "sync", "colour": "red"}, "machineDetection has an unknown field 'colour'"),
        ({"mode": "later"}, "mode"),
        ({"mode": "sync", "detectionTimeout": -1}, "detection"),
        ({"mode": "sync", "callbackUrl": "ftp://x/y"}, "callback"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_field(given_config, message):
    with pytest.raises(ValueError, match=message):
        amd.detection(given_config)


def test_a_configuration_of_another_type_is_refused():
    with pytest.raises(TypeError, match="MachineDetectionConfiguration"):
        amd.detection(["sync"])  # type: ignore[arg-type]


def test_machine_destination_checks_its_values_and_quotes_itself():
    with pytest.raises(ValueError, match="machine: result must be one of"):
        machine("robot")
    with pytest.raises(ValueError, match="detected_after"):
        machine(detected_after=-1)
    assert repr(machine("human", after=1, detected_after=2)) == (
        "machine(result='human', after=1, detected_after=2)"
    )
    assert isinstance(machine(), Answers) and not isinstance(machine(), Voicemail)


# -- whole calls ---------------------------------------------------------------------------


def test_sync_mode_holds_the_answer_callback_until_the_result():
    call, _ = run({"mode": "sync"}, machine(after=2))
    answer = call.callbacks[0]
    assert answer.event_type == "answer"
    assert answer.ms == 12000  # answered at 2 s, result after speechThreshold
    assert answer.payload["answerTime"] == "2026-01-01T09:00:02.000Z"
    assert answer.payload["machineDetectionResult"] == {
        "value": "answering-machine",
        "duration": "PT10S",
    }
    assert "machineDetectionComplete" not in [c.event_type for c in call.callbacks]
    assert "amd-timing" in call.assumptions


def test_async_mode_answers_at_once_and_sends_machine_detection_complete():
    call, app = run({"callbackUrl": "/amd", "callbackMethod": "GET"}, answers(after=1))
    events = [(c.event_type, c.ms, c.synchronous) for c in call.callbacks]
    assert events[:2] == [("answer", 1000, True), ("machineDetectionComplete", 7000, False)]
    assert "machineDetectionResult" not in call.callbacks[0].payload
    complete = call.callbacks[1]
    assert complete.url.startswith("https://ivr.test/amd?")
    assert complete.payload["machineDetectionResult"] == {"value": "human", "duration": "PT6S"}
    assert complete.payload["answerTime"] == "2026-01-01T09:00:01.000Z"
    assert [s.method for s in app.seen if s.path == "/amd"] == ["GET"]
    call.assert_heard("hello")  # the BXML ran meanwhile


def test_async_callback_carries_the_machine_detection_credentials():
    md = {"callbackUrl": "/amd", "username": "amd-user", "password": "amd-pass"}
    app = RoutesApp({"/answer": LONG}, protected={"/amd"})
    sim = CallSimulator(app, base_url="https://ivr.test", username="u", password="p")
    sim.outbound("/answer", to=CALLEE, destinations={CALLEE: machine()}, machine_detection=md)
    assert app.challenged == ["/amd"]  # sent without credentials first (voice-api §9.2)
    [seen] = [s for s in app.seen if s.path == "/amd"]
    assert seen.authorization == "Basic " + base64.b64encode(b"amd-user:amd-pass").decode()


def test_no_result_is_sent_when_the_call_ends_first():
    call, _ = run({"callbackUrl": "/amd"}, machine(), routes={"/answer": xml("<Hangup/>")})
    assert [c.event_type for c in call.callbacks] == ["answer", "disconnect"]
    sync, _ = run({"mode": "sync"}, machine(hangs_up_after=3))
    assert [c.event_type for c in sync.callbacks] == ["disconnect"]
    sync.assert_ended("hangup")


def test_a_failed_result_goes_to_the_fallback_url():
    md = {"callbackUrl": "/amd", "fallbackUrl": "/amd-fallback"}
    # A 500 from the app is raised unless app errors are not (Bandwidth's view).
    routes = {"/answer": LONG, "/amd": (500, b"")}
    call, app = run(md, machine(), routes=routes, raise_app_errors=False)
    sent = [(c.event_type, c.url.split("?")[0], c.status) for c in call.callbacks[1:3]]
    assert sent == [
        ("machineDetectionComplete", "https://ivr.test/amd", 500),
        ("machineDetectionComplete", "https://ivr.test/amd-fallback", 204),
    ]
    assert "amd-fallback" in call.assumptions
    told = [e.detail for e in call.transcript if e.kind == "assume" and "amd-fallback" in e.detail]
    assert told == ["[amd-fallback] retrying https://ivr.test/amd-fallback"]


def test_without_a_fallback_a_failed_status_is_not_retried():
    routes = {"/answer": LONG, "/amd": (500, b"")}
    call, _ = run({"callbackUrl": "/amd"}, machine(), routes=routes, raise_app_errors=False)
    assert [c.event_type for c in call.callbacks].count("machineDetectionComplete") == 1


def test_inbound_calls_refuse_machine_detection():
    sim = CallSimulator(RoutesApp({}), base_url="https://ivr.test")
    assert "machine_detection" not in inspect.signature(sim.inbound).parameters
    with pytest.raises(ValueError, match="outbound calls only"):  # the engine refuses it too
        sim._start("inbound", "/answer", machine_detection={"mode": "sync"})


def test_without_machine_detection_a_machine_just_answers():
    call, _ = run(None, machine(after=1))
    assert call.callbacks[0].ms == 1000
    assert "machineDetectionResult" not in call.callbacks[0].payload


def test_an_update_during_sync_detection_takes_the_call_over():
    moved = xml('<SpeakSentence>moved</SpeakSentence><Pause duration="20"/>')
    app = RoutesApp({"/answer": LONG, "/moved": moved})
    sim = CallSimulator(app, base_url="https://ivr.test")
    live = sim.start_outbound(
        "/answer",
        to=CALLEE,
        destinations={CALLEE: machine(after=1)},
        machine_detection={"mode": "sync"},
    )
    live.run_until(seconds=5)
    live.redirect("/moved")
    call = live.run()
    assert [c.event_type for c in call.callbacks] == ["redirect"]
    call.assert_heard("moved")
    call.assert_not_heard("hello")
