"""The engine's execution rules, each against the reference section it comes from."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

import bxml
from callcontrol.engine import Destination, Durations, Step
from callcontrol.testing import (
    AppError,
    CallSimulator,
    SimulatedCall,
    answers,
    busy,
    hang_up,
    leave_message,
    no_answer,
    press,
    rejects,
    silence,
    voicemail,
)

from .apps import Reply, RoutesApp, xml

BASE = "https://ivr.test"


def run(
    routes: Mapping[str, Reply],
    *,
    script: Iterable[Step] = (),
    destinations: dict[str, Destination] | None = None,
    **kwargs: Any,
) -> tuple[SimulatedCall, RoutesApp]:
    app = RoutesApp(routes)
    sim = CallSimulator(app, base_url=BASE, username="ivr", password="hunter2")
    call = sim.inbound(
        "/answer",
        script=script,
        destinations=destinations or {},
        disconnect_url="/status",
        **kwargs,
    )
    return call, app


def times(call: SimulatedCall, kind: str) -> list[int]:
    return [e.ms for e in call.transcript if e.kind == kind]


# -- bxml-spec §3.1 and verbs that take time ----------------------------------------------


def test_verbs_take_virtual_time_in_order():
    doc = xml(
        "<SpeakSentence>one two three</SpeakSentence><PlayAudio>/beep.wav</PlayAudio>"
        '<Pause duration="2"/><Ring duration="1.5"/><SendDtmf>1w2</SendDtmf>'
    )
    call, _ = run({"/answer": doc})
    assert times(call, "verb") == [0, 1200, 4200, 6200, 7700]
    # SendDtmf 1w2: tone 200 + pause 500 + tone 200 + interval 400 (bxml-spec §4.15)
    assert call.duration == pytest.approx(7.7 + 1.3)
    assert call.heard == ["one two three", "[audio https://ivr.test/beep.wav]"]


def test_speech_breaks_add_time():
    call, _ = run({"/answer": xml('<SpeakSentence>Hi <break time="1500ms"/></SpeakSentence>')})
    assert call.duration == pytest.approx(0.5 + 1.5)
    assert call.heard == ["Hi"]


def test_end_of_document_is_an_implicit_hangup():
    call, app = run({"/answer": xml("<SpeakSentence>Hello there</SpeakSentence>")})
    call.assert_ended("hangup")
    assert app.events("disconnect")[0]["cause"] == "hangup"


def test_empty_response_on_unanswered_inbound_call_rejects_it():
    call, _ = run({"/answer": xml("")})
    call.assert_ended("rejected")
    assert "reject-cause" in call.assumptions


@pytest.mark.parametrize("ender", ["<Hangup/>", '<Redirect redirectUrl="/next"/>'])
def test_hangup_and_redirect_end_the_document(ender):
    doc = xml(f"<SpeakSentence>first</SpeakSentence>{ender}<SpeakSentence>never</SpeakSentence>")
    call, _ = run({"/answer": doc, "/next": xml("<Hangup/>")})
    call.assert_not_heard("never")
    call.assert_heard("first")


def test_relative_urls_resolve_against_the_serving_url():
    routes = {
        "/answer": xml('<Redirect redirectUrl="/menu/start"/>'),
        "/menu/start": xml('<Redirect redirectUrl="next"/>'),
        "/menu/next": xml("<SpeakSentence>arrived</SpeakSentence>"),
    }
    call, _ = run(routes)
    assert call.visited == ["/answer", "/menu/start", "/menu/next"]
    call.assert_heard("arrived")


def test_redirect_reply_replaces_the_rest():
    call, app = run(
        {
            "/answer": xml('<Redirect redirectUrl="/two" tag="t1"/>'),
            "/two": xml("<SpeakSentence>two</SpeakSentence>"),
        }
    )
    assert app.events("redirect")[0]["tag"] == "t1"
    assert call.heard == ["two"]


# -- sticky tag (bxml-spec §1, voice-api §9.1) --------------------------------------------


def test_sticky_tag_goes_on_every_later_callback_until_cleared():
    routes = {
        "/answer": xml('<Tag>menu</Tag><Redirect redirectUrl="/a"/>'),
        "/a": xml('<Gather gatherUrl="/b" tag="second" firstDigitTimeout="1"/>'),
        "/b": xml('<Tag></Tag><Redirect redirectUrl="/c"/>'),
        "/c": xml("<Hangup/>"),
    }
    call, app = run(routes, script=[silence()])
    assert app.events("redirect")[0]["tag"] == "menu"
    assert app.events("gather")[0]["tag"] == "second"
    assert "tag" not in app.events("redirect")[1]
    assert "tag" not in app.events("disconnect")[0]
    assert "tag" not in app.events("initiate")[0]


# -- Gather (bxml-spec §4.6) --------------------------------------------------------------

PROMPT = "<SpeakSentence>Press a key now</SpeakSentence>"  # 4 words: 1.6 s


def gather(attrs: str, prompt: str = PROMPT) -> str:
    return xml(
        f'<Gather gatherUrl="/g" {attrs}>{prompt}</Gather><SpeakSentence>after</SpeakSentence>'
    )


def test_gather_max_digits_stops_collection():
    call, app = run(
        {"/answer": gather('maxDigits="2"'), "/g": xml('<Pause duration="2"/>')},
        script=[press("1234")],
    )
    event = app.events("gather")[0]
    assert (event["digits"], event["terminatingDigit"]) == ("12", "")
    assert "digits-unheard" in call.assumptions  # 3 and 4 reached nobody


def test_gather_terminating_digit_is_reported_not_collected():
    _, app = run(
        {"/answer": gather('terminatingDigits="#"'), "/g": xml("<Hangup/>")}, script=[press("12#")]
    )
    event = app.events("gather")[0]
    assert (event["digits"], event["terminatingDigit"]) == ("12", "#")


def test_gather_timeout_sends_empty_digits_after_first_digit_timeout():
    call, app = run(
        {"/answer": gather('firstDigitTimeout="3"'), "/g": xml("<Hangup/>")}, script=[silence()]
    )
    assert app.events("gather")[0]["digits"] == ""
    gathered = [e for e in call.transcript if e.kind == "gathered"][0]
    assert gathered.ms == 1600 + 3000


def test_gather_inter_digit_timeout_ends_after_the_last_key():
    call, _ = run(
        {"/answer": gather('interDigitTimeout="2"'), "/g": xml("<Hangup/>")}, script=[press("12")]
    )
    keys = times(call, "pressed")
    gathered = [e for e in call.transcript if e.kind == "gathered"][0]
    assert keys == [1900, 2200]
    assert gathered.ms == 2200 + 2000


def test_gather_repeat_count_replays_the_prompt_with_first_digit_timeout_gaps():
    call, _ = run(
        {"/answer": gather('repeatCount="3" firstDigitTimeout="2"'), "/g": xml("<Hangup/>")},
        script=[silence()],
    )
    assert call.heard.count("Press a key now") == 3
    assert times(call, "prompt") == [0, 3600, 7200]
    assert times(call, "gathered") == [3 * 3600]


def test_first_key_interrupts_the_prompt():
    doc = gather('maxDigits="1"', PROMPT + "<SpeakSentence>second prompt</SpeakSentence>")
    call, _ = run({"/answer": doc, "/g": xml("<Hangup/>")}, script=[press("5", barge_in=0.5)])
    assert times(call, "barge-in") == [500]
    assert call.heard == ["Press a key now"]  # the second prompt never started


def test_gather_without_url_discards_digits_and_continues():
    doc = xml(
        '<Gather maxDigits="1">' + PROMPT + "</Gather><SpeakSentence>next verb</SpeakSentence>"
    )
    call, app = run({"/answer": doc}, script=[press("1")])
    assert app.events("gather") == []
    call.assert_heard("next verb")


def test_gather_without_url_and_timeout_continues_too():
    doc = xml('<Gather firstDigitTimeout="1"/><SpeakSentence>next verb</SpeakSentence>')
    call, _ = run({"/answer": doc}, script=[silence()])
    call.assert_heard("next verb")


# -- synchronous and asynchronous callbacks (voice-api §9.1) -------------------------------


def test_async_callback_replies_are_ignored():
    doc = xml('<StartGather dtmfUrl="/dtmf"/><SpeakSentence>speak while listening</SpeakSentence>')
    call, app = run(
        {"/answer": doc, "/dtmf": xml("<SpeakSentence>ignored</SpeakSentence>")},
        script=[press("7", barge_in=0.2)],
    )
    assert [e["digit"] for e in app.events("dtmf")] == ["7"]
    call.assert_not_heard("ignored")
    assert "/dtmf" not in call.visited


def test_digits_in_a_gather_are_not_reported_as_dtmf():
    doc = xml('<StartGather dtmfUrl="/dtmf"/>' + '<Gather gatherUrl="/g" maxDigits="1"/>')
    _, app = run({"/answer": doc, "/g": xml("<Hangup/>")}, script=[press("3")])
    assert app.events("dtmf") == []
    assert app.events("gather")[0]["digits"] == "3"


def test_get_callbacks_send_query_parameters():
    doc = xml('<Gather gatherUrl="/g" gatherMethod="GET" maxDigits="1"/>')
    _, app = run({"/answer": doc, "/g": xml("<Hangup/>")}, script=[press("4")])
    seen = [s for s in app.seen if s.path == "/g"][0]
    assert seen.method == "GET"
    assert seen.query["digits"] == "4"
    assert seen.query["eventType"] == "gather"


def auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_credentials_come_from_the_call_then_from_the_bxml_each_after_a_challenge():
    # voice-api §9.2: the call's credentials go to its answer and disconnect URLs, a verb's
    # to the verb's URLs; each is sent only after a 401 with WWW-Authenticate.
    doc = xml('<Redirect redirectUrl="/r" username="verb" password="secret"/>')
    routes = {"/answer": doc, "/r": xml('<Redirect redirectUrl="/plain"/>')}
    app = RoutesApp({**routes, "/plain": xml("<Hangup/>")}, protected={"/answer", "/r", "/status"})
    call = CallSimulator(app, base_url=BASE, username="ivr", password="hunter2").inbound(
        "/answer", disconnect_url="/status"
    )
    by_path = {s.path: s.authorization for s in app.seen}
    assert by_path["/answer"] == auth("ivr", "hunter2")
    assert by_path["/r"] == auth("verb", "secret")
    assert by_path["/plain"] is None
    assert by_path["/status"] == auth("ivr", "hunter2")
    assert app.challenged == ["/answer", "/r", "/status"]
    assert "verb-credentials" in call.assumptions  # /plain: the call's are not inherited


def test_failing_callback_retries_the_fallback_with_fallback_credentials():
    doc = xml(
        '<Redirect redirectUrl="/broken" redirectFallbackUrl="/backup" '
        'fallbackUsername="fb" fallbackPassword="pw"/>'
    )
    routes: dict[str, Reply] = {
        "/answer": doc,
        "/broken": (500, b""),
        "/backup": xml("<SpeakSentence>saved</SpeakSentence>"),
    }
    app = RoutesApp(routes, protected={"/backup"})
    sim = CallSimulator(
        app, base_url=BASE, username="ivr", password="hunter2", raise_app_errors=False
    )
    call = sim.inbound("/answer", disconnect_url="/status")
    call.assert_heard("saved")
    assert [s.authorization for s in app.seen if s.path == "/backup"] == [auth("fb", "pw")]
    assert app.challenged == ["/backup"]


def test_the_calls_fallback_url_gets_the_calls_credentials_unless_it_has_its_own():
    # Register: call-fallback-credentials (the docs name fallbackUsername only).
    app = RoutesApp({"/backup": xml("<SpeakSentence>saved</SpeakSentence>")}, protected={"/backup"})
    sim = CallSimulator(app, base_url=BASE, username="ivr", password="hunter2")
    sim.faults.fail("/answer")
    call = sim.inbound("/answer", fallback_url="/backup")
    call.assert_heard("saved")
    assert [s.authorization for s in app.seen] == [auth("ivr", "hunter2")]
    assert "call-fallback-credentials" in call.assumptions
    assert "fallback-status" in call.assumptions


def test_failing_callback_without_fallback_ends_with_callback_error():
    app = RoutesApp({"/answer": xml('<Redirect redirectUrl="/broken"/>'), "/broken": (503, b"")})
    call = CallSimulator(app, base_url=BASE, raise_app_errors=False).inbound("/answer")
    call.assert_ended("callback-error")
    with pytest.raises(
        AppError, match=r"answered HTTP 503 on POST https://ivr.test/broken"
    ) as info:
        CallSimulator(app, base_url=BASE).inbound("/answer")  # a 5xx is an app error
    assert info.value.status == 503
    assert call.error is not None
    assert "HTTP 503" in call.error and "/broken" in call.error


def test_unreachable_host_is_a_callback_error():
    call, _ = run({"/answer": xml('<Redirect redirectUrl="https://elsewhere.test/x"/>')})
    call.assert_ended("callback-error")
    assert call.error is not None
    assert "unreachable" in call.error


def test_invalid_bxml_ends_the_call_with_the_problem():
    call, _ = run(
        {"/answer": xml('<Redirect redirectUrl="/bad"/>'), "/bad": xml('<Gather maxDigits="99"/>')}
    )
    call.assert_ended("invalid-bxml")
    assert call.error is not None
    assert "max_digits" in call.error or "maxDigits" in call.error


def test_a_reply_that_is_not_xml_is_invalid_bxml():
    call, _ = run({"/answer": "this is not xml"})
    call.assert_ended("invalid-bxml")


def test_empty_reply_is_an_empty_response():
    call, _ = run(
        {
            "/answer": xml('<SpeakSentence>hi</SpeakSentence><Redirect redirectUrl="/empty"/>'),
            "/empty": (200, b""),
        }
    )
    call.assert_ended("hangup")
    assert "empty-reply" in call.assumptions


def test_redirect_loop_ends_with_an_error_naming_the_loop():
    call, _ = run(
        {
            "/answer": xml('<Redirect redirectUrl="/a"/>'),
            "/a": xml('<Redirect redirectUrl="/b"/>'),
            "/b": xml('<Redirect redirectUrl="/a"/>'),
        }
    )
    call.assert_ended("error")
    assert call.error is not None
    assert call.error == (
        "loop: 50 documents fetched at 0.000 s without time passing or caller input "
        "(... /a -> /b -> /a -> /b)"
    )
    assert len(call.visited) == 50  # the 51st fetch at the same instant is refused


def test_a_loop_with_time_passing_is_not_cut_short():
    routes = {
        "/answer": xml('<Redirect redirectUrl="/a"/>'),
        "/a": xml('<Pause duration="1"/><Redirect redirectUrl="/a"/>'),
    }
    call, _ = run(routes, script=[hang_up(after=100)])
    call.assert_ended("hangup")
    assert call.duration == 100


# -- Record (bxml-spec §4.12) -------------------------------------------------------------

REC = (
    '<Record recordCompleteUrl="/done" recordingAvailableUrl="/file" {attrs}/>'
    "<SpeakSentence>never</SpeakSentence>"
)


def record(attrs: str = "") -> dict[str, Reply]:
    return {"/answer": xml(REC.format(attrs=attrs)), "/done": xml("<Hangup/>")}


def test_record_ends_on_terminating_digit_then_complete_then_available():
    call, app = run(record(), script=[leave_message(4)])
    kinds = [cb.event_type for cb in call.callbacks]
    assert kinds[1:3] == ["recordComplete", "recordingAvailable"]
    assert app.events("recordComplete")[0]["duration"] == "PT4S"
    call.assert_not_heard("never")


def test_record_ends_on_max_duration():
    _, app = run(record('maxDuration="7"'), script=[leave_message(20, then="silence")])
    assert app.events("recordComplete")[0]["duration"] == "PT7S"


def test_record_ends_on_silence_timeout_after_speech():
    _, app = run(record('silenceTimeout="2"'), script=[leave_message(3, then="silence")])
    assert app.events("recordComplete")[0]["duration"] == "PT5S"


def test_hangup_during_record_sends_only_recording_available():
    call, app = run(record(), script=[leave_message(3, then="hang_up")])
    assert app.events("recordComplete") == []
    assert len(app.events("recordingAvailable")) == 1
    call.assert_ended("hangup")


def test_record_without_complete_url_continues():
    call, _ = run(
        {"/answer": xml('<Record maxDuration="2"/><SpeakSentence>continued</SpeakSentence>')},
        script=[silence()],
    )
    call.assert_heard("continued")


# -- Transfer (bxml-spec §4.27, §4.10, voice-api §9.4) ------------------------------------

AGENT, OTHER = "+15550001111", "+15550002222"


def transfer(
    inner: str = f"<PhoneNumber transferDisconnectUrl='/bdisc'>{AGENT}</PhoneNumber>",
    attrs: str = "",
) -> str:
    return xml(
        f'<Transfer transferCompleteUrl="/complete" {attrs}>{inner}</Transfer>'
        "<SpeakSentence>never</SpeakSentence>"
    )


def test_transfer_busy_reports_cause_on_transfer_complete():
    call, app = run(
        {"/answer": transfer(), "/complete": xml("<SpeakSentence>busy line</SpeakSentence>")},
        destinations={AGENT: busy()},
    )
    assert app.events("transferComplete")[0]["cause"] == "busy"
    assert app.events("transferDisconnect")[0]["cause"] == "busy"
    call.assert_transferred_to(AGENT, "busy")
    call.assert_heard("busy line")


def test_transfer_without_entry_does_not_answer():
    call, app = run({"/answer": transfer(attrs='callTimeout="10"'), "/complete": xml("<Hangup/>")})
    assert app.events("transferComplete")[0]["cause"] == "timeout"
    call.assert_transferred_to(AGENT, "no-answer")
    assert [e.ms for e in call.transcript if e.kind == "dial"][-1] == 10_000


def test_first_answer_wins_and_runs_transfer_answer_on_the_b_leg():
    inner = (
        f"<PhoneNumber transferAnswerUrl='/whisper' transferDisconnectUrl='/bdisc'>{AGENT}</PhoneNumber>"
        f"<PhoneNumber transferDisconnectUrl='/bdisc'>{OTHER}</PhoneNumber>"
    )
    routes = {
        "/answer": transfer(inner),
        "/whisper": xml("<SpeakSentence>customer calling</SpeakSentence>"),
        "/complete": xml("<SpeakSentence>back on A</SpeakSentence>"),
    }
    call, app = run(
        routes, destinations={AGENT: answers(after=3, hangs_up_after=30), OTHER: answers(after=5)}
    )
    answer = app.events("transferAnswer")[0]
    initiate = app.events("initiate")[0]
    assert answer["parentCallId"] == initiate["callId"] != answer["callId"]
    assert answer["transferTo"] == AGENT
    call.assert_not_heard("customer calling")  # heard by the B-leg, not the caller
    assert {e["transferTo"]: e["cause"] for e in app.events("transferDisconnect")} == {
        OTHER: "cancel",
        AGENT: "hangup",
    }
    complete = app.events("transferComplete")[0]
    assert complete["callId"] == initiate["callId"] and complete["cause"] == "hangup"
    call.assert_heard("back on A")
    call.assert_transferred_to(AGENT, "answered")


def test_transfer_without_complete_url_continues_after_the_b_leg_hangs_up():
    doc = xml(
        f"<Transfer><PhoneNumber>{AGENT}</PhoneNumber></Transfer><SpeakSentence>after</SpeakSentence>"
    )
    call, _ = run({"/answer": doc}, destinations={AGENT: answers(after=1, hangs_up_after=5)})
    call.assert_heard("after")


def test_caller_hangup_during_transfer_sends_no_transfer_complete():
    call, app = run(
        {"/answer": transfer()}, destinations={AGENT: answers(after=1)}, script=[hang_up(after=10)]
    )
    assert app.events("transferComplete") == []
    assert app.events("transferDisconnect")[0]["cause"] == "hangup"
    call.assert_ended("hangup")


def test_b_leg_events_carry_the_original_calls_numbers():
    # Webhooks transferAnswer / transferDisconnect: from and to are "the from/to field of
    # the original call"; the B-leg's own are transferCallerId and transferTo. The same for
    # the B-leg's gather event ([XFER] events, voice-api §9.3).
    inner = (
        f"<PhoneNumber transferAnswerUrl='/whisper' transferDisconnectUrl='/bdisc'>"
        f"{AGENT}</PhoneNumber>"
    )
    routes = {
        "/answer": transfer(inner, attrs='transferCallerId="+15559990000"'),
        "/whisper": xml('<Gather gatherUrl="/accept" maxDigits="1" firstDigitTimeout="2"/>'),
        "/accept": xml("<SpeakSentence>connecting</SpeakSentence>"),
        "/complete": xml("<Hangup/>"),
    }
    call, app = run(routes, destinations={AGENT: answers(after=1, hangs_up_after=20)})
    initiate = app.events("initiate")[0]
    original = (initiate["from"], initiate["to"])
    for event_type in ("transferAnswer", "gather", "transferDisconnect"):
        [event] = app.events(event_type)
        assert (event["from"], event["to"]) == original, event_type
        assert (event["transferCallerId"], event["transferTo"]) == ("+15559990000", AGENT)
        assert event["callId"] != initiate["callId"]


def test_without_transfer_caller_id_the_b_leg_shows_the_remote_partys_number():
    # bxml-spec §4.27: transferCallerId defaults to "the remote party's number".
    inner = f"<PhoneNumber transferAnswerUrl='/whisper'>{AGENT}</PhoneNumber>"
    routes = {
        "/answer": transfer(inner),
        "/whisper": xml("<SpeakSentence>hi</SpeakSentence>"),
        "/complete": xml("<Hangup/>"),
    }
    _, app = run(routes, destinations={AGENT: answers(after=1, hangs_up_after=20)})
    caller = app.events("initiate")[0]["from"]
    [event] = app.events("transferAnswer")
    assert (event["transferCallerId"], event["transferTo"]) == (caller, AGENT)


def test_a_ringing_b_leg_is_cancelled_when_its_originator_ends():
    # Webhooks transferDisconnect: cause "cancel": "cancelled by its originator while it was
    # ringing" (the caller hangs up, or an update takes the A-leg elsewhere).
    call, app = run(
        {"/answer": transfer()}, destinations={AGENT: answers(after=20)}, script=[hang_up(after=5)]
    )
    [gone] = app.events("transferDisconnect")
    assert gone["cause"] == "cancel" and "answerTime" not in gone
    routes = {"/answer": transfer(), "/elsewhere": xml("<Hangup/>")}
    app = RoutesApp(routes)
    live = CallSimulator(app, base_url=BASE).start_inbound("/answer")
    live.run_until(seconds=3)
    live.redirect("/elsewhere")
    live.run()
    assert [e["cause"] for e in app.events("transferDisconnect")] == ["cancel"]


@pytest.mark.parametrize(
    ("agent", "cause", "message"),
    [
        (busy(), "busy", "Callee is busy"),  # the documented example
        (no_answer(), "timeout", "Callee did not answer before the callTimeout"),
        (rejects(), "rejected", "Callee rejected the call"),
    ],
)
def test_unanswered_outcomes_carry_error_message_and_id(agent, cause, message):
    # Webhooks transferComplete / transferDisconnect / disconnect, "Failed Transfer to Busy
    # Number": cause busy, errorMessage "Callee is busy", errorId.
    routes = {"/answer": transfer(attrs='callTimeout="5"'), "/complete": xml("<Hangup/>")}
    _, app = run(routes, destinations={AGENT: agent})
    [complete] = app.events("transferComplete")
    [gone] = app.events("transferDisconnect")
    for event in (complete, gone):
        assert (event["cause"], event["errorMessage"]) == (cause, message)
        assert len(event["errorId"]) == 36
    assert complete["errorId"] == gone["errorId"]
    outbound = RoutesApp({})
    sim = CallSimulator(outbound, base_url=BASE)
    sim.outbound("/answer", to=AGENT, destinations={AGENT: agent}, disconnect_url="/status")
    [disconnect] = outbound.events("disconnect")
    assert (disconnect["cause"], disconnect["errorMessage"]) == (cause, message)
    assert "errorId" in disconnect


def test_transfer_answer_reply_may_not_transfer_again():
    inner = f"<PhoneNumber transferAnswerUrl='/whisper'>{AGENT}</PhoneNumber>"
    routes = {
        "/answer": transfer(inner),
        "/whisper": xml(f"<Transfer><PhoneNumber>{OTHER}</PhoneNumber></Transfer>"),
        "/complete": xml("<Hangup/>"),
    }
    call, app = run(routes, destinations={AGENT: answers()})
    assert app.events("transferComplete")[0]["cause"] == "invalid-bxml"


# -- Forward, Bridge, background verbs -----------------------------------------------------


def test_forward_hands_the_call_over():
    doc = xml(f'<Forward to="{AGENT}"/><SpeakSentence>never</SpeakSentence>')
    call, _ = run({"/answer": doc}, destinations={AGENT: answers(after=2, hangs_up_after=8)})
    call.assert_ended("hangup")
    assert call.duration == 10
    call.assert_transferred_to(AGENT, "answered")
    call.assert_not_heard("never")


def test_forward_on_an_answered_call_is_an_application_error():
    call, _ = run({"/answer": xml(f'<SpeakSentence>hi</SpeakSentence><Forward to="{AGENT}"/>')})
    call.assert_ended("application-error")


def test_unsupported_audio_is_an_application_error():
    call, _ = run({"/answer": xml("<PlayAudio>https://cdn.test/a.ogg</PlayAudio>")})
    call.assert_ended("application-error")


def test_bridge_without_target_sends_bridge_complete_with_cause():
    _, app = run(
        {
            "/answer": xml('<Bridge bridgeCompleteUrl="/bc">c-missing</Bridge>'),
            "/bc": xml("<Hangup/>"),
        }
    )
    assert app.events("bridgeComplete")[0]["cause"] == "unknown"


def test_start_recording_sends_recording_available_when_stopped():
    doc = xml(
        '<StartRecording recordingAvailableUrl="/file"/><StartRecording recordingAvailableUrl="/second"/>'
        '<Pause duration="3"/><StopRecording/><Pause duration="1"/>'
    )
    call, app = run({"/answer": doc})
    assert [e["duration"] for e in app.events("recordingAvailable")] == ["PT3S"]
    assert all(s.path != "/second" for s in app.seen)


def test_paused_time_is_left_out_of_a_recordings_duration():
    # bxml-spec §4.9: audio between PauseRecording and ResumeRecording is left out of the
    # file; a pause still running when the recording stops lasts to its end.
    doc = xml(
        '<StartRecording recordingAvailableUrl="/file"/><Pause duration="3"/>'
        '<PauseRecording/><Pause duration="4"/><ResumeRecording/><Pause duration="2"/>'
        '<PauseRecording/><Pause duration="1"/><StopRecording/>'
    )
    _, app = run({"/answer": doc})
    [available] = app.events("recordingAvailable")
    assert available["duration"] == "PT5S"
    assert (available["startTime"], available["endTime"]) == (
        "2026-01-01T09:00:00.000Z",
        "2026-01-01T09:00:10.000Z",
    )


@pytest.mark.parametrize("verb", ["Record", "StartRecording"])
def test_transcribe_sends_transcription_available_after_the_recording(verb):
    # Webhooks transcriptionAvailable (Record and StartRecording with transcribe="true" and
    # transcriptionAvailableUrl; register: transcription-timing).
    attrs = (
        'transcribe="true" transcriptionAvailableUrl="/text" recordingAvailableUrl="/file" '
        'username="u" password="p"'
    )
    body = (
        f'<{verb} {attrs}/><Pause duration="6"/>'
        if verb == "StartRecording"
        else (f'<Record maxDuration="6" {attrs}/>')
    )
    call, app = run({"/answer": xml(body)}, script=[silence()] if verb == "Record" else ())
    kinds = [c.event_type for c in call.callbacks]
    assert kinds.index("transcriptionAvailable") == kinds.index("recordingAvailable") + 1
    [event] = app.events("transcriptionAvailable")
    [available] = app.events("recordingAvailable")
    assert event["recordingId"] == available["recordingId"]
    assert event["duration"] == "PT6S"
    assert event["transcription"]["status"] == "available"
    assert event["transcription"]["url"].endswith(
        f"/recordings/{event['recordingId']}/transcription"
    )
    assert "transcription-timing" in call.assumptions
    assert [s.authorization for s in app.seen if s.path == "/text"] == [None]  # not challenged
    untranscribed = xml('<StartRecording transcriptionAvailableUrl="/text"/><Pause duration="2"/>')
    _, quiet = run({"/answer": untranscribed})
    assert quiet.events("transcriptionAvailable") == []


def test_a_recording_cut_short_by_the_end_of_the_call_is_announced_after_the_disconnect():
    # Webhooks recordingAvailable: sent once the recording is processed (register:
    # recording-order).
    doc = xml('<StartRecording recordingAvailableUrl="/file"/><Pause duration="4"/>')
    call, _ = run({"/answer": doc})
    kinds = [c.event_type for c in call.callbacks]
    assert kinds[-2:] == ["disconnect", "recordingAvailable"]
    assert "recording-order" in call.assumptions
    call, _ = run(record(), script=[leave_message(3, then="hang_up")])
    assert [c.event_type for c in call.callbacks][-2:] == ["disconnect", "recordingAvailable"]


def test_streams_send_started_and_stopped():
    doc = xml(
        '<StartStream name="s" destination="wss://x.test" streamEventUrl="/stream"/>'
        '<Pause duration="2"/>'
    )
    _, app = run({"/answer": doc})
    assert [s.event["eventType"] for s in app.seen if s.path == "/stream"] == [
        "mediaStreamStarted",
        "mediaStreamStopped",
    ]


def test_conference_holds_until_the_caller_hangs_up():
    call, _ = run({"/answer": xml("<Conference>room1</Conference>")}, script=[hang_up(after=42)])
    assert call.duration == 42


def test_time_limit_ends_a_call_that_nobody_ends():
    call, _ = run({"/answer": xml("<Conference>room1</Conference>")})
    call.assert_ended("error")
    assert call.duration == 4 * 3600
    assert "time-limit" in call.assumptions


# -- outbound calls ------------------------------------------------------------------------


def test_outbound_first_event_is_answer():
    app = RoutesApp({"/answer": xml("<SpeakSentence>hello</SpeakSentence>")})
    call = CallSimulator(app, base_url=BASE).outbound("/answer", to=AGENT)
    assert [cb.event_type for cb in call.callbacks] == ["answer"]
    call.assert_heard("hello")


@pytest.mark.parametrize(("dest", "cause"), [(busy(), "busy"), (no_answer(), "timeout")])
def test_outbound_callee_that_does_not_answer(dest, cause):
    app = RoutesApp({})
    call = CallSimulator(app, base_url=BASE).outbound(
        "/answer", to=AGENT, destinations={AGENT: dest}, disconnect_url="/status"
    )
    call.assert_ended(cause)
    assert [cb.event_type for cb in call.callbacks] == ["disconnect"]


def test_a_key_at_the_exact_timeout_counts():
    # prompt 1.6 s + 0.3 s gap = first key at 1.9 s; firstDigitTimeout 0.3 s expires then too
    call, app = run(
        {"/answer": gather('firstDigitTimeout="0.3" maxDigits="1"'), "/g": xml("<Hangup/>")},
        script=[press("1")],
    )
    assert app.events("gather")[0]["digits"] == "1"
    assert "digit-tie" in call.assumptions


def test_start_gather_keeps_listening_during_a_record():
    doc = xml('<StartGather dtmfUrl="/dtmf"/><Record maxDuration="5"/>')
    _, app = run({"/answer": doc}, script=[leave_message(2)])
    assert [e["digit"] for e in app.events("dtmf")] == ["#"]


def test_duplicate_stream_names_and_a_fifth_track_are_rejected():
    start = '<StartStream name="{}" tracks="both" destination="wss://x.test" streamEventUrl="/s"/>'
    doc = xml(start.format("a") + start.format("a") + start.format("b") + start.format("c"))
    _, app = run({"/answer": doc})
    events = [(s.event["eventType"], s.event.get("cause")) for s in app.seen if s.path == "/s"]
    assert events[:4] == [
        ("mediaStreamStarted", None),
        ("mediaStreamRejected", "duplicate"),
        ("mediaStreamStarted", None),
        ("mediaStreamRejected", "track-limit"),
    ]
    rejected = app.events("mediaStreamRejected")[0]
    assert rejected["originalMediaStream"]["name"] == "a"


def test_a_reply_over_64_kb_is_invalid_bxml():
    big = xml("<SpeakSentence>" + "word " * 14000 + "</SpeakSentence>")
    call, _ = run({"/answer": big})
    call.assert_ended("invalid-bxml")
    assert call.error is not None
    assert "at most 65536" in call.error


def test_a_rejecting_destination_ends_its_leg_rejected():
    doc = xml(
        '<Transfer transferCompleteUrl="/done">'
        '<PhoneNumber transferDisconnectUrl="/bd">+15550001111</PhoneNumber></Transfer>'
    )
    call, app = run({"/answer": doc, "/done": xml("")}, destinations={"+15550001111": rejects()})
    call.assert_transferred_to("+15550001111", "rejected")
    assert app.events("transferComplete")[0]["cause"] == "rejected"
    assert app.events("transferDisconnect")[0]["cause"] == "rejected"


def test_an_outbound_call_to_a_rejecting_number_ends_rejected():
    sim = CallSimulator(RoutesApp({}), base_url=BASE)
    call = sim.outbound("/answer", to="+15550001111", destinations={"+15550001111": rejects()})
    call.assert_ended("rejected")


def test_a_transfer_to_voicemail_is_answered_and_the_box_hangs_up_after_the_message():
    doc = xml(
        '<Transfer transferCompleteUrl="/done">'
        '<PhoneNumber transferDisconnectUrl="/bd">+15550001111</PhoneNumber></Transfer>'
    )
    box = voicemail(greeting=6, after=3, message=20)
    call, app = run({"/answer": doc, "/done": xml("")}, destinations={"+15550001111": box})
    call.assert_transferred_to("+15550001111", "answered")
    assert call.duration == 3 + 6 + 20
    assert "+15550001111: greeting 6 s" in str(call)
    assert repr(box) == "voicemail(greeting=6, after=3, message=20)"


def test_an_outbound_call_answered_by_voicemail_plays_into_it_until_it_hangs_up():
    app = RoutesApp(
        {
            "/answer": xml(
                '<SpeakSentence>Your table is ready.</SpeakSentence><Pause duration="300"/>'
            )
        }
    )
    sim = CallSimulator(app, base_url=BASE)
    call = sim.outbound("/answer", to="+15550001111", destinations={"+15550001111": voicemail(4)})
    call.assert_heard("Your table is ready.")
    call.assert_ended("hangup")
    assert call.duration == 4 + 4 + 60


def test_with_start_gather_on_a_hang_up_step_ends_the_call_when_the_sentence_ends():
    # bxml-spec §4.18: StartGather listens while other verbs run, so a spoken sentence is an
    # input opportunity; a caller scripted to hang up does so once the sentence is over.
    sentence = "<SpeakSentence>one two three four five six</SpeakSentence>"
    doc = xml(f'<StartGather dtmfUrl="/dtmf"/>{sentence}<Pause duration="5"/>')
    call, app = run({"/answer": doc}, script=[hang_up()])
    spoken = Durations().speech_ms(bxml.SpeakSentence("one two three four five six"))
    (disconnect,) = app.events("disconnect")
    assert disconnect["cause"] == "hangup"
    assert call.duration == spoken / 1000
