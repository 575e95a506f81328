"""CallSimulator: WSGI in-process and over HTTP, live intervention, errors, unused steps."""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Iterable, Mapping
from types import MappingProxyType

import pytest

from bxml import Bxml, Hangup, SpeakSentence
from callcontrol.engine.model import CallbackRequest, Credentials, Target
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
from callcontrol.testing.fetch import callback_headers
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
    assert env["HTTP_AUTHORIZATION"] == "Basic aXZyOmh1bnRlcjI="
    app2 = RoutesApp({"/answer": xml("<Hangup/>")})
    CallSimulator(app2, base_url=BASE).inbound("/answer")
    assert app2.closed == 1


def test_app_given_as_a_base_url_is_reached_over_http():
    app = RoutesApp({"/answer": MENU, "/g": xml("<SpeakSentence>over http</SpeakSentence>")})
    with serve_wsgi(app) as url:
        sim = CallSimulator(url, base_url=BASE, username="ivr", password="hunter2")
        call = sim.inbound("/answer", script=[press("1")])
    call.assert_heard("over http")
    assert [s.path for s in app.seen] == ["/answer", "/g"]
    assert app.seen[0].authorization == "Basic aXZyOmh1bnRlcjI="


def test_callback_headers_name_the_agent_the_json_body_and_the_credentials():
    target = Target("https://ivr.test/answer", "POST", Credentials("ivr", "hunter2"))
    request = CallbackRequest(1, "c-1", "initiate", {}, target, synchronous=True)
    assert callback_headers(request, b"{}", "agent/1") == {
        "User-Agent": "agent/1",
        "Content-Type": "application/json",
        "Authorization": "Basic aXZyOmh1bnRlcjI=",
    }
    bare = CallbackRequest(2, "c-1", "initiate", {}, Target("https://ivr.test/a", "GET"), True)
    assert callback_headers(bare, b"", "agent/1") == {"User-Agent": "agent/1"}


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
    call = live.run()
    assert call.visited == ["/answer", "/closing"]
    call.assert_callback("redirect")
    call.assert_not_heard("rest")


def test_hang_up_ends_the_call_now():
    app = RoutesApp({"/answer": xml('<Pause duration="30"/>')})
    live = CallSimulator(app, base_url=BASE).start_inbound("/answer", disconnect_url="/status")
    live.run_until(seconds=12.5)
    live.hang_up()
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
    if "outbound" in name:  # answering-machine detection is for outbound calls only
        detection = params.pop()
        assert (detection.name, detection.default) == ("machine_detection", None)
    assert [(p.name, p.kind, p.default) for p in params] == [
        (p.name, p.kind, p.default)
        for p in list(inspect.signature(CallSimulator.inbound).parameters.values())[1:]
    ]
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    hints = typing.get_type_hints(method)
    hints.pop("return")
    hints.pop("machine_detection", None)
    assert hints == {
        "url": str,
        "from_": str,
        "to": str,
        "script": Iterable[Step],
        "destinations": Mapping[str, Destination] | None,
        "disconnect_url": str | None,
        "method": str,
        "fallback_url": str | None,
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
