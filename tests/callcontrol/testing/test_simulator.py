"""CallSimulator: WSGI in-process and over HTTP, live intervention, errors, unused steps."""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bxml import Bxml, Hangup, SpeakSentence
from callcontrol.callback_wire import callback_headers, challenge_first
from callcontrol.engine.model import CallbackRequest, Credentials, FetchResult, Target
from callcontrol.engine.script import Destination, Step
from callcontrol.testing import (
    AppError,
    CallSimulator,
    UnusedStepsError,
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
from tests.wsgi_server import serve_wsgi

from ..engine.apps import RoutesApp, xml

BASE = "https://ivr.test"
MENU = xml(
    '<Gather gatherUrl="/g" maxDigits="1" firstDigitTimeout="5">'
    "<SpeakSentence>Press one</SpeakSentence></Gather><SpeakSentence>rest</SpeakSentence>"
)


def test_wsgi_request_is_pep_3333_with_the_wire_bytes_and_close_called():
    environs = []

    def app(environ, start_response):
        environs.append(dict(environ, body=environ["wsgi.input"].read()))
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [xml("<Hangup/>").encode()]

    call = CallSimulator(app, base_url=BASE, username="ivr", password="hunter2").inbound(
        "/answer?x=1"
    )
    env = environs[0]
    assert env["REQUEST_METHOD"] == "POST"
    assert (env["PATH_INFO"], env["QUERY_STRING"], env["wsgi.url_scheme"]) == (
        "/answer",
        "x=1",
        "https",
    )
    assert env["HTTP_HOST"] == "ivr.test" and env["SERVER_PORT"] == "443"
    assert env["CONTENT_TYPE"] == "application/json"
    assert env["body"] == json.dumps(call.callbacks[0].payload, separators=(",", ":")).encode()
    # voice-api §9.2: credentials only after a challenge, and this app did not challenge
    assert "HTTP_AUTHORIZATION" not in env
    app2 = RoutesApp({"/answer": xml("<Hangup/>")})
    CallSimulator(app2, base_url=BASE).inbound("/answer")
    assert app2.closed == 1


def test_app_given_as_a_base_url_is_reached_over_http():
    routes = {"/answer": MENU, "/g": xml("<SpeakSentence>over http</SpeakSentence>")}
    app = RoutesApp(routes, protected={"/answer"})
    with serve_wsgi(app) as url:
        sim = CallSimulator(url, base_url=BASE, username="ivr", password="hunter2")
        call = sim.inbound("/answer", script=[press("1")])
    call.assert_heard("over http")
    assert [s.path for s in app.seen] == ["/answer", "/g"]
    # voice-api §9.2: sent without credentials, challenged, then sent with them
    assert app.challenged == ["/answer"]
    assert app.seen[0].authorization == "Basic aXZyOmh1bnRlcjI="


def test_callback_headers_name_the_agent_the_json_body_and_the_credentials():
    assert callback_headers(b"{}", "agent/1", "Basic aXZyOmh1bnRlcjI=") == {
        "User-Agent": "agent/1",
        "Content-Type": "application/json",
        "Authorization": "Basic aXZyOmh1bnRlcjI=",
    }
    assert callback_headers(b"", "agent/1", None) == {"User-Agent": "agent/1"}


def _attempts(*answers: tuple[int, bool]) -> tuple[list[str | None], Any]:
    sent: list[str | None] = []

    def attempt(authorization: str | None) -> tuple[FetchResult, bool]:
        status, challenge = answers[len(sent)]
        sent.append(authorization)
        return FetchResult(status), challenge

    return sent, attempt


def test_authenticated_callbacks_are_sent_as_bandwidth_sends_them():
    # voice-api §9.2 "Authenticated Callbacks": first without credentials; a 401 with
    # WWW-Authenticate is answered with a repeat carrying Basic credentials; a 401 without
    # it is final (the callback is lost); no credentials, no repeat.
    target = Target("https://ivr.test/answer", "POST", Credentials("ivr", "hunter2"))
    request = CallbackRequest(1, "c-1", "initiate", {}, target, synchronous=True)
    sent, attempt = _attempts((401, True), (200, False))
    assert challenge_first(request, attempt) == FetchResult(200, challenged=True)
    assert sent == [None, "Basic aXZyOmh1bnRlcjI="]
    sent, attempt = _attempts((401, False))
    assert challenge_first(request, attempt) == FetchResult(401)
    assert sent == [None]
    sent, attempt = _attempts((200, False))
    assert challenge_first(request, attempt) == FetchResult(200)
    assert sent == [None]
    bare = CallbackRequest(2, "c-1", "initiate", {}, Target("https://ivr.test/a"), True)
    sent, attempt = _attempts((401, True))
    assert challenge_first(bare, attempt) == FetchResult(401, challenged=True)
    assert sent == [None]


def _guarded_app(www_authenticate: bool) -> Any:
    def app(environ, start_response):
        if environ.get("HTTP_AUTHORIZATION") != "Basic aXZyOmh1bnRlcjI=":
            headers = [("WWW-Authenticate", 'Basic realm="ivr"')] if www_authenticate else []
            start_response("401 Unauthorized", headers)
            return [b""]
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [xml("<SpeakSentence>welcome</SpeakSentence>").encode()]

    return app


def test_a_401_without_www_authenticate_loses_the_callback():
    # voice-api §9.2: without the header Bandwidth never sends the credentials, so an app
    # that forgets it fails every test here as it fails on the platform.
    sim = CallSimulator(_guarded_app(False), base_url=BASE, username="ivr", password="hunter2")
    call = sim.inbound("/answer")
    call.assert_ended("callback-error")
    assert "without a WWW-Authenticate header" in (call.error or "")
    good = CallSimulator(_guarded_app(True), base_url=BASE, username="ivr", password="hunter2")
    call = good.inbound("/answer")
    call.assert_heard("welcome")
    assert "auth-challenge" in call.assumptions
    assert "initiate: 401 challenge, sent again with credentials" in str(call)


def test_a_challenge_with_no_credentials_to_send_fails_naming_the_cause():
    call = CallSimulator(_guarded_app(True), base_url=BASE).inbound("/answer")
    call.assert_ended("callback-error")
    assert "this callback has none" in (call.error or "")


def test_other_hosts_are_unreachable_unless_mounted():
    doc = xml('<Redirect redirectUrl="https://other.test/next"/>')
    other = RoutesApp({"/next": xml("<SpeakSentence>elsewhere</SpeakSentence>")})
    sim = CallSimulator(RoutesApp({"/answer": doc}), base_url=BASE)
    sim.inbound("/answer").assert_ended("callback-error")
    sim.mount("https://other.test", other)
    sim.inbound("/answer").assert_heard("elsewhere")


def test_app_exceptions_are_raised_with_the_request():
    def app(environ, start_response):
        raise KeyError("digits")

    with pytest.raises(AppError, match=r"KeyError on POST https://ivr.test/answer \(initiate\)"):
        CallSimulator(app, base_url=BASE).inbound("/answer")
    call = CallSimulator(app, base_url=BASE, raise_app_errors=False).inbound("/answer")
    call.assert_ended("callback-error")
    assert call.error is not None
    assert "HTTP 500" in call.error


def test_unused_steps_fail_naming_the_step_and_the_end():
    app = RoutesApp({"/answer": MENU, "/g": xml("<Hangup/>")})
    with pytest.raises(
        UnusedStepsError, match=r"press\('2'\).*ended at 1\.1 s with cause 'hangup'"
    ) as info:
        CallSimulator(app, base_url=BASE).inbound("/answer", script=[press("1"), press("2")])
    assert info.value.call.pressed == ["1"]
    assert isinstance(info.value, AssertionError)


def test_every_unused_step_is_named_and_a_run_cannot_go_back_in_time():
    app = RoutesApp({"/answer": xml("<Hangup/>")})
    sim = CallSimulator(app, base_url="https://ivr.test/app")
    with pytest.raises(UnusedStepsError, match=r"never used: press\('1'\), press\('2'\);"):
        sim.inbound("answer", script=[press("1"), press("2")])
    sim.run_until(seconds=2.5)
    with pytest.raises(ValueError) as back:
        sim.run_until(seconds=1.0)
    assert str(back.value) == "the simulation is at 2.5 s already; it cannot run until 1 s"


def test_a_relative_url_is_joined_under_a_base_url_with_a_path():
    app = RoutesApp({"/app/answer": xml("<SpeakSentence>under app</SpeakSentence>")})
    call = CallSimulator(app, base_url="https://ivr.test/app").inbound("answer")
    assert call.heard == ["under app"] and call.visited == ["/app/answer"]


def test_unused_steps_name_the_end_of_their_call_not_the_end_of_the_run():
    app = RoutesApp({"/quick": xml("<Hangup/>"), "/long": xml('<Pause duration="30"/>')})
    sim = CallSimulator(app, base_url=BASE)
    sim.start_inbound("/quick", script=[press("1")])
    sim.start_inbound("/long")
    with pytest.raises(UnusedStepsError, match=r"the call ended at 0 s with cause 'rejected'"):
        sim.run()


def test_runs_repeat_exactly_for_the_same_seed():
    app = RoutesApp({"/answer": MENU, "/g": xml("<Hangup/>")})
    first = CallSimulator(app, base_url=BASE).inbound("/answer", script=[press("1")])
    again = CallSimulator(app, base_url=BASE).inbound("/answer", script=[press("1")])
    other = CallSimulator(app, base_url=BASE, seed=1).inbound("/answer", script=[press("1")])
    assert str(first) == str(again) and first.call_id == again.call_id
    assert first.callbacks == again.callbacks
    assert other.call_id != first.call_id


# -- live intervention ----------------------------------------------------------------------


def test_run_until_a_verb_then_update_call_bxml_interrupts_it():
    app = RoutesApp({"/answer": MENU})
    live = CallSimulator(app, base_url=BASE).start_inbound("/answer")
    assert live.run_until(verb="Gather").state == "answered"
    live.update_call_bxml(Bxml(SpeakSentence("We are closing."), Hangup()))
    call = live.run()
    assert call.heard == ["Press one", "We are closing."]
    assert [cb.event_type for cb in call.callbacks] == ["initiate"]  # no gather event
    call.assert_ended("hangup")


def test_redirect_interrupts_and_fetches():
    app = RoutesApp({"/answer": MENU, "/closing": xml("<SpeakSentence>closing</SpeakSentence>")})
    live = CallSimulator(app, base_url=BASE).start_inbound("/answer")
    live.run_until(seconds=1.0)
    live.redirect("/closing")
    # The redirect callback goes at the instant of the update, not at the next run.
    assert [s.path for s in app.seen] == ["/answer", "/closing"]
    call = live.run()
    assert call.visited == ["/answer", "/closing"]
    call.assert_callback("redirect")
    call.assert_not_heard("rest")


def test_redirect_carries_only_the_update_calls_own_credentials():
    # voice-api §6 / §9.2: updateCall's username/password go with its redirectUrl; the
    # call's callback credentials do not (register: verb-credentials).
    routes = {"/answer": MENU, "/closing": xml("<SpeakSentence>closing</SpeakSentence>")}
    app = RoutesApp(routes, protected={"/answer", "/closing"})
    sim = CallSimulator(app, base_url=BASE, username="ivr", password="hunter2")
    live = sim.start_inbound("/answer")
    live.run_until(seconds=1.0)
    live.redirect("/closing")
    call = live.run()
    call.assert_ended("callback-error")
    assert "verb-credentials" in call.assumptions
    live = sim.start_inbound("/answer")
    live.run_until(seconds=1.0)
    live.redirect("/closing", username="upd", password="pw")
    live.run().assert_heard("closing")
    assert [s.authorization for s in app.seen if s.path == "/closing"] == ["Basic dXBkOnB3"]
    with pytest.raises(ValueError, match="go together"):
        live.redirect("/closing", username="upd")


def test_hang_up_ends_the_call_now():
    app = RoutesApp({"/answer": xml('<Pause duration="30"/>')})
    live = CallSimulator(app, base_url=BASE).start_inbound("/answer", disconnect_url="/status")
    live.run_until(seconds=12.5)
    live.hang_up()
    assert [s.path for s in app.seen] == ["/answer", "/status"]  # sent at once
    call = live.run()
    assert call.duration == 12.5
    call.assert_callback("disconnect", cause="hangup")


def test_hang_up_of_an_ended_call_raises_an_error_users_can_import():
    from callcontrol.testing import CallStateConflict

    live = CallSimulator(RoutesApp({"/answer": xml("<Hangup/>")}), base_url=BASE).start_inbound(
        "/answer"
    )
    live.run()
    with pytest.raises(CallStateConflict, match="cannot be modified in its current state"):
        live.hang_up()


def test_run_until_needs_one_stop_point():
    live = CallSimulator(RoutesApp({}), base_url=BASE).start_inbound("/answer")
    with pytest.raises(ValueError, match="exactly one"):
        live.run_until()


# -- steps, destinations, arguments ------------------------------------------------------------


def test_steps_and_destinations_are_values_whose_repr_is_their_call():
    values = [
        press("1"),
        press("12", barge_in=1.5),
        silence(),
        leave_message(4),
        leave_message(2.5, then="hang_up"),
        hang_up(),
        hang_up(after=3),
        answers(),
        answers(after=1, hangs_up_after=5),
        busy(),
        no_answer(),
        rejects(),
        voicemail(),
        voicemail(8, after=1, message=30),
    ]
    assert [repr(v) for v in values] == [
        "press('1')",
        "press('12', barge_in=1.5)",
        "silence()",
        "leave_message(4)",
        "leave_message(2.5, then='hang_up')",
        "hang_up()",
        "hang_up(after=3)",
        "answers()",
        "answers(after=1, hangs_up_after=5)",
        "busy()",
        "no_answer()",
        "rejects()",
        "voicemail(greeting=5)",
        "voicemail(greeting=8, after=1, message=30)",
    ]
    assert press("1") == press("1") and hash(busy()) == hash(busy())


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: press("1x"), r"press: digits must be one or more of 0-9 \* #, not '1x'"),
        (lambda: press("1", barge_in=-1), "press: barge_in must be 0 seconds or more"),
        (lambda: leave_message(0), "leave_message: seconds must be more than 0"),
        (
            lambda: leave_message(3, then="wait"),  # type: ignore[arg-type]
            "then must be one of press, silence, hang_up",
        ),
        (
            lambda: hang_up(after="soon"),  # type: ignore[arg-type]
            "hang_up: after must be a number of seconds",
        ),
        (lambda: voicemail(-1), "voicemail: greeting must be 0 seconds or more"),
        (lambda: voicemail(message=0), "voicemail: message must be more than 0"),
    ],
)
def test_bad_steps_are_refused_clearly(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_bad_script_and_destinations_name_the_position():
    sim = CallSimulator(RoutesApp({}), base_url=BASE)
    with pytest.raises(TypeError, match=r"script\[1\]: '2' is not a step"):
        sim.inbound("/answer", script=[press("1"), "2"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"destinations\['\+1555'\]: 'busy' is not a destination"):
        sim.inbound("/answer", destinations={"+1555": "busy"})  # type: ignore[dict-item]


_STARTERS = ("inbound", "outbound", "start_inbound", "start_outbound")


@pytest.mark.parametrize("name", _STARTERS)
def test_call_starters_share_typed_keyword_only_parameters(name):
    method = getattr(CallSimulator, name)
    params = list(inspect.signature(method).parameters.values())[1:]
    if "outbound" in name:  # createCall's own options (voice-api §3) come last
        own = [(p.name, p.default) for p in params[-4:]]
        del params[-4:]
        assert own == [
            ("machine_detection", None),
            ("tag", None),
            ("call_timeout", None),
            ("callback_timeout", None),
        ]
    assert [(p.name, p.kind, p.default) for p in params] == [
        (p.name, p.kind, p.default)
        for p in list(inspect.signature(CallSimulator.inbound).parameters.values())[1:]
    ]
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    hints = typing.get_type_hints(method)
    hints.pop("return")
    for option in ("machine_detection", "tag", "call_timeout", "callback_timeout"):
        hints.pop(option, None)
    assert hints == {
        "url": str,
        "from_": str,
        "to": str,
        "script": Iterable[Step],
        "destinations": Mapping[str, Destination] | None,
        "disconnect_url": str | None,
        "method": str,
        "fallback_url": str | None,
        "fallback_method": str,
        "disconnect_method": str,
    }


def test_destinations_may_be_any_read_only_mapping():
    app = RoutesApp(
        {"/answer": xml("<Transfer><PhoneNumber>+15550001111</PhoneNumber></Transfer>")}
    )
    sim = CallSimulator(app, base_url=BASE)
    call = sim.inbound("/answer", destinations=MappingProxyType({"+15550001111": busy()}))
    assert call.transfers == [("+15550001111", "busy")]


def test_an_unknown_keyword_is_refused_by_every_starter():
    sim = CallSimulator(RoutesApp({}), base_url=BASE)
    for name in _STARTERS:
        with pytest.raises(TypeError, match="form_"):
            getattr(sim, name)("/answer", form_="+15551230000")


def test_credentials_never_appear_in_reprs():
    sim = CallSimulator(RoutesApp({}), base_url=BASE, username="ivr", password="hunter2")
    live = sim.start_inbound("/answer")
    text = repr(sim) + repr(live) + repr(sim.credentials) + str(live.run())
    assert "hunter2" not in text


def test_constructor_arguments_are_checked():
    with pytest.raises(ValueError, match="base_url must be an absolute URL"):
        CallSimulator(RoutesApp({}), base_url="/relative")
    with pytest.raises(ValueError, match="username and password go together"):
        CallSimulator(RoutesApp({}), username="only")


# -- assertions ---------------------------------------------------------------------------------


@pytest.fixture
def menu_call():
    app = RoutesApp(
        {
            "/answer": MENU,
            "/g": xml(
                '<Transfer transferCompleteUrl="/done"><PhoneNumber>+15550001111</PhoneNumber></Transfer>'
            ),
            "/done": xml("<Hangup/>"),
        }
    )
    return CallSimulator(app, base_url=BASE).inbound(
        "/answer", script=[press("1")], destinations={"+15550001111": busy()}
    )


def test_assertions_pass(menu_call):
    menu_call.assert_heard("Press")
    menu_call.assert_heard(re.compile(r"one$"))
    menu_call.assert_not_heard("rest")
    menu_call.assert_visited("/g")
    menu_call.assert_callback("gather", digits="1", terminating_digit="")
    menu_call.assert_transferred_to("+15550001111")
    menu_call.assert_transferred_to("+15550001111", "busy")
    menu_call.assert_ended("hangup")


def test_assertion_failures_show_the_closest_candidate_and_transcript(menu_call):
    with pytest.raises(AssertionError) as info:
        menu_call.assert_heard("Press two")
    text = str(info.value)
    assert "expected to hear 'Press two'" in text
    assert "closest: 'Press one'" in text
    assert "transcript:" in text and "prompt" in text
    with pytest.raises(AssertionError, match="closest: '/g'"):
        menu_call.assert_visited("/gg")
    with pytest.raises(AssertionError, match=r"the ones sent had \[\{'digits': '1'\}\]"):
        menu_call.assert_callback("gather", digits="2")
    with pytest.raises(
        AssertionError, match=r"(?s)outcome 'answered'.*closest: '\+15550001111 \(busy\)'"
    ):
        menu_call.assert_transferred_to("+15550001111", "answered")
    with pytest.raises(AssertionError, match="ended with 'hangup'"):
        menu_call.assert_ended("busy")


def test_a_timed_hang_up_after_the_call_ended_is_unused():
    app = RoutesApp({"/answer": xml('<Pause duration="2"/>')})
    with pytest.raises(UnusedStepsError, match=r"hang_up\(after=10\); the call ended at 2 s"):
        CallSimulator(app, base_url=BASE).inbound("/answer", script=[hang_up(after=10)])


def test_durations_change_how_long_verbs_take():
    from callcontrol.testing import Durations

    app = RoutesApp(
        {"/answer": xml("<SpeakSentence>a b</SpeakSentence><PlayAudio>/x.wav</PlayAudio>")}
    )
    sim = CallSimulator(
        app, base_url=BASE, durations=Durations(per_word=1.0, audio={"/x.wav": 0.5})
    )
    assert sim.inbound("/answer").duration == 2.5


def test_pressed_lists_press_steps_not_the_key_that_ends_a_message():
    app = RoutesApp(
        {
            "/answer": xml('<Gather gatherUrl="/menu" maxDigits="1"/>'),
            "/menu": xml('<Record recordCompleteUrl="/saved"/>'),
            "/saved": xml("<SpeakSentence>Saved.</SpeakSentence>"),
        }
    )
    call = CallSimulator(app, base_url="https://ivr.test").inbound(
        "/answer", script=[press("2"), leave_message(3)]
    )
    assert call.pressed == ["2"]
    assert "# ends the recording" in str(call)


# -- fallback methods (voice-api §3 answerFallbackMethod, §6 redirectFallbackMethod: each
#    defaults to POST on its own) ------------------------------------------------------------


def test_a_fallback_url_is_posted_whatever_the_primarys_method():
    app = RoutesApp({"/backup": xml("<SpeakSentence>saved</SpeakSentence>")})
    sim = CallSimulator(app, base_url=BASE)
    sim.faults.fail("/answer")
    call = sim.inbound("/answer", method="GET", fallback_url="/backup")
    call.assert_heard("saved")
    assert [(c.event_type, c.method) for c in call.callbacks] == [
        ("initiate", "GET"),
        ("initiate", "POST"),
    ]
    sim.faults.fail("/answer")
    again = sim.inbound("/answer", fallback_url="/backup", fallback_method="GET")
    assert [c.method for c in again.callbacks] == ["POST", "GET"]


def test_an_update_calls_fallback_is_posted_whatever_the_redirects_method():
    app = RoutesApp({"/answer": MENU, "/backup": xml("<Hangup/>")})
    sim = CallSimulator(app, base_url=BASE)
    live = sim.start_inbound("/answer")
    live.run_until(seconds=1)
    sim.faults.fail("/moved")
    live.engine.update_call(
        live.leg, redirect_url=f"{BASE}/moved", method="GET", fallback_url=f"{BASE}/backup"
    )
    call = live.run()
    assert [(c.event_type, c.method) for c in call.callbacks[1:3]] == [
        ("redirect", "GET"),
        ("redirect", "POST"),
    ]


# -- createCall's options on outbound() (voice-api §3) -----------------------------------------


def test_outbound_takes_tag_call_timeout_callback_timeout_and_disconnect_method():
    app = RoutesApp({"/answer": xml("<SpeakSentence>hi</SpeakSentence>")})
    sim = CallSimulator(app, base_url=BASE)
    call = sim.outbound(
        "/answer", tag="campaign-7", disconnect_url="/status", disconnect_method="GET"
    )
    call.assert_callback("answer", tag="campaign-7")
    call.assert_callback("disconnect", tag="campaign-7")
    assert [c.method for c in call.callbacks if c.event_type == "disconnect"] == ["GET"]
    rings = sim.outbound(
        "/answer", to="+15550001111", destinations={"+15550001111": answers(after=8)},
        call_timeout=5, disconnect_url="/status",
    )  # fmt: skip
    rings.assert_ended("timeout")
    assert rings.duration == 5
    slow = CallSimulator(app, base_url=BASE, reply_latency=3)
    assert slow.outbound("/answer").disconnect_cause == "hangup"
    slow.outbound("/answer", callback_timeout=2).assert_ended("callback-error")


def test_call_timeout_takes_both_ends_of_its_range():
    # voice-api §3: callTimeout is 1 to 300 seconds, both included.
    app = RoutesApp({"/answer": xml("<Hangup/>")})
    for seconds in (1, 300):
        CallSimulator(app, base_url=BASE).outbound("/answer", call_timeout=seconds)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"call_timeout": 0.5}, "call_timeout must be 1 to 300 seconds"),
        ({"call_timeout": 301}, "call_timeout must be 1 to 300 seconds"),
        ({"callback_timeout": 30}, "callback_timeout must be 1 to 25 seconds"),
        ({"tag": 7}, "tag must be a string"),
    ],
)
def test_outbound_options_are_checked(options, error):
    with pytest.raises((ValueError, TypeError), match=error):
        CallSimulator(RoutesApp({}), base_url=BASE).outbound("/answer", **options)


def test_a_b_leg_is_updated_by_its_call_id():
    # voice-api §6: updateCall / updateCallBxml name any call by its id, a Transfer B-leg
    # too (register: b-leg-update).
    doc = xml(
        '<Transfer transferCompleteUrl="/done">'
        '<PhoneNumber transferDisconnectUrl="/bdisc">+15550001111</PhoneNumber></Transfer>'
    )
    routes = {
        "/answer": doc,
        "/agent": xml("<SpeakSentence>for the agent</SpeakSentence><Hangup/>"),
        "/done": xml("<SpeakSentence>back on A</SpeakSentence>"),
    }
    app = RoutesApp(routes)
    sim = CallSimulator(app, base_url=BASE)
    dest = {"+15550001111": answers(after=1, hangs_up_after=100)}
    live = sim.start_inbound("/answer", destinations=dest)
    live.run_until(seconds=3)
    a_leg, b_leg = live.call_ids
    live.redirect("/agent", call_id=b_leg)
    call = live.run()
    [redirect] = [c for c in call.callbacks if c.event_type == "redirect"]
    assert redirect.payload["callId"] == b_leg and redirect.payload["parentCallId"] == a_leg
    assert app.events("transferComplete")[0]["cause"] == "hangup"
    call.assert_heard("back on A")
    assert "b-leg-update" in call.assumptions
    told = [e.detail for e in call.transcript if e.kind == "assume" and "b-leg-update" in e.detail]
    assert told == ["[b-leg-update] the B-leg leaves the bridge"]
    ringing = sim.start_inbound("/answer", destinations={"+15550001111": answers(after=20)})
    ringing.run_until(seconds=3)
    ringing.hang_up(call_id=ringing.call_ids[1])
    ringing.run()
    assert app.events("transferDisconnect")[-1]["cause"] == "cancel"
    with pytest.raises(KeyError, match="no leg 'c-x'"):
        ringing.hang_up(call_id="c-x")


def test_a_synchronous_callback_is_retried_once_after_a_connection_error():
    # Register: sync-connection-retry (older Bandwidth docs: a callback meeting a connection
    # exception is sent once more); a timeout goes straight to the fallback.
    routes = {"/answer": MENU, "/g": xml("<SpeakSentence>got it</SpeakSentence>")}
    routes["/fb"] = xml("<SpeakSentence>fallback</SpeakSentence>")
    app = RoutesApp(routes)
    sim = CallSimulator(app, base_url=BASE)
    sim.faults.drop("/answer")
    call = sim.inbound("/answer", script=[press("1")], fallback_url="/fb")
    call.assert_heard("got it")
    assert [c.status for c in call.callbacks[:2]] == [None, 200]
    assert "sync-connection-retry" in call.assumptions
    sim.faults.drop("/answer", times=2)
    twice = sim.inbound("/answer", fallback_url="/fb")
    twice.assert_heard("fallback")
    assert [c.url for c in twice.callbacks[:3]] == [f"{BASE}/answer"] * 2 + [f"{BASE}/fb"]
    sim.faults.slow("/answer", seconds=20)
    slow = sim.inbound("/answer", fallback_url="/fb")
    slow.assert_heard("fallback")
    assert [c.url for c in slow.callbacks[:2]] == [f"{BASE}/answer", f"{BASE}/fb"]


@given(
    st.sampled_from([200, 204, 401, 404, 500]),
    st.booleans(),
    st.sampled_from([200, 401, 403]),
    st.booleans(),
)
def test_credentials_are_sent_only_in_answer_to_a_challenge(first, challenge, second, creds):
    # voice-api §9.2: never on the first attempt; at most one repeat, only after a 401 with
    # WWW-Authenticate and only when there are credentials to send.
    target = Target("https://ivr.test/a", "POST", Credentials("u", "p") if creds else None)
    request = CallbackRequest(1, "c-1", "gather", {}, target, synchronous=True)
    sent, attempt = _attempts((first, challenge), (second, False))
    result = challenge_first(request, attempt)
    assert sent[0] is None
    repeated = first == 401 and challenge and creds
    assert sent[1:] == (["Basic dTpw"] if repeated else [])
    assert result.status == (second if repeated else first)
    assert result.challenged == (first == 401 and challenge)


def test_an_http_timeout_is_not_retried_as_a_connection_error():
    # Register sync-connection-retry: a callback with no answer within the timeout goes
    # straight to its fallback (here: none), unlike a refused connection. The server
    # below accepts connections (the kernel's backlog) and never answers.
    import socket

    with socket.create_server(("127.0.0.1", 0), backlog=8) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        call = CallSimulator(url, base_url=BASE, timeout=0.5).inbound("/answer")
        server.setblocking(False)
        connections = []
        while True:
            try:
                connections.append(server.accept()[0])
            except BlockingIOError:
                break
        for connection in connections:
            connection.close()
    call.assert_ended("callback-error")
    assert len(connections) == 1
    assert "challenge" not in str(call) and "sync-connection-retry" not in call.assumptions


def test_wrong_constructor_and_mount_arguments_say_what_is_allowed():
    with pytest.raises(TypeError, match=r"^app must be a WSGI or ASGI app or a base URL, not int$"):
        CallSimulator(42, base_url=BASE)  # type: ignore[arg-type]
    with pytest.raises(
        ValueError,
        match=r"^reply_latency must be 0 seconds or more, not -1 \(and at most 86400: a day\)$",
    ):
        CallSimulator(RoutesApp({}), base_url=BASE, reply_latency=-1)
    sim = CallSimulator(RoutesApp({}), base_url=BASE)
    with pytest.raises(ValueError, match=r"^mount needs an absolute URL prefix, not '/api'$"):
        sim.mount("/api", RoutesApp({}))
    space = r"must not hold whitespace \(write a space as %20\), not "
    with pytest.raises(ValueError, match=rf"^base_url {space}'https://app.test/my ivr/'$"):
        CallSimulator(RoutesApp({}), base_url="https://app.test/my ivr/")
    with pytest.raises(ValueError, match=rf"^a call's URL {space}'/my answer'$"):
        sim.inbound("/my answer")


def test_a_live_call_reads_back_its_id_state_and_the_time():
    live = CallSimulator(RoutesApp({"/answer": xml('<Pause duration="9"/>')}), base_url=BASE)
    call = live.start_inbound("/answer")
    call.run_until(seconds=2.5)
    assert repr(call) == f"LiveCall({call.call_id!r}, state='answered', at=2.5s)"


def test_an_outbound_call_sends_its_callbacks_with_post_by_default():
    app = RoutesApp({"/fb": xml("<Hangup/>"), "/gone": ""})
    sim = CallSimulator(app, base_url=BASE)
    sim.faults.fail("/answer", times=2)
    for call in (
        sim.outbound("/answer", to="+15550001111", disconnect_url="/gone", fallback_url="/fb"),
        sim.start_outbound(
            "/answer", to="+15550001111", disconnect_url="/gone", fallback_url="/fb"
        ).run(),
    ):
        assert [(cb.event_type, cb.method, cb.url) for cb in call.callbacks] == [
            ("answer", "POST", f"{BASE}/answer"),
            ("answer", "POST", f"{BASE}/fb"),
            ("disconnect", "POST", f"{BASE}/gone"),
        ]
