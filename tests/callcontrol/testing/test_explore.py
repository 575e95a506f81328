"""explore(): every branch walked, each kind of dead end found with a replayable path."""

from __future__ import annotations

import pytest

from callcontrol.testing import (
    AppError,
    CallSimulator,
    Finding,
    FlowGraph,
    UnusedStepsError,
    assert_no_dead_ends,
    busy,
    explore,
    press,
)
from callcontrol.testing.flowgraph import FINDING_KINDS
from examples import flawed_ivr
from tests.callcontrol.testing.explore_apps import by_digits, menu, say, table_app, tree_ivr

PLANTED = {
    "no-timeout-branch": [],
    "dead-verb": [press("1")],
    "app-error": [press("3")],
    "invalid-bxml": [press("4")],
    "callback-error": [press("5")],
    "silence": [press("6")],
    "endless-loop": [press("7")],
    "unreached-url": [press("8")],
}


@pytest.fixture(scope="module")
def flawed() -> FlowGraph:
    return explore(flawed_ivr.app)


def kinds(graph: FlowGraph) -> list[str]:
    return sorted(f.kind for f in graph.findings)


def replay(app, finding: Finding, entry: str = "/answer", **options):
    sim = CallSimulator(app, **options)
    return sim.inbound(entry, script=finding.path, destinations=finding.destinations)


def test_the_flawed_example_has_each_planted_flaw_and_nothing_else(flawed):
    assert kinds(flawed) == sorted(PLANTED)
    assert {f.kind: f.path for f in flawed.findings} == PLANTED
    assert flawed.notes == []


def test_every_kind_of_finding_is_planted_in_the_example():
    assert sorted(FINDING_KINDS) == sorted(PLANTED)


def test_findings_name_what_and_where(flawed):
    messages = {f.kind: f.message for f in flawed.findings}
    assert "KeyError" in messages["app-error"] and "/choice" in messages["app-error"]
    assert "HTTP 404" in messages["callback-error"] and "/promos" in messages["callback-error"]
    assert "/hold" in messages["endless-loop"]
    assert "/operator-key" in messages["unreached-url"]
    assert "<Hangup>" in messages["dead-verb"]
    assert "press('6')" in messages["silence"]
    assert "Gather" in messages["no-timeout-branch"]


def test_each_finding_path_replays_in_the_simulator(flawed):
    for finding in flawed.findings:
        if finding.kind == "app-error":
            with pytest.raises(AppError, match="KeyError"):
                replay(flawed_ivr.app, finding)
            continue
        call = replay(flawed_ivr.app, finding, raise_app_errors=False)
        if finding.kind == "invalid-bxml":
            call.assert_ended("invalid-bxml")
        elif finding.kind == "callback-error":
            call.assert_ended("callback-error")
        elif finding.kind == "silence":
            call.assert_ended("hangup")
            assert call.heard == [flawed_ivr.MENU]


def test_findings_are_drawn_on_their_nodes(flawed):
    for finding in flawed.findings:
        assert finding.node in flawed.nodes, finding
    assert flawed.nodes["n1"].title == "/answer (initiate)"
    assert flawed.nodes["n1"].heard == flawed_ivr.MENU


def test_edges_are_the_caller_actions_and_outcomes(flawed):
    labels = {e.label for e in flawed.edges}
    assert {"1", "2", "9", "#", "timeout", "hang up", "redirect"} <= labels
    assert {"transfer busy", "transfer no-answer", "transfer answered"} <= labels


def test_a_healthy_tree_of_menus_has_no_dead_ends():
    app, menus = tree_ivr(levels=2, keys=3)
    graph = assert_no_dead_ends(app)
    assert graph.findings == []
    assert graph.states >= 2 * menus


def test_assert_no_dead_ends_lists_each_finding_with_its_script():
    with pytest.raises(AssertionError) as failed:
        assert_no_dead_ends(flawed_ivr.app)
    text = str(failed.value)
    assert text.startswith("8 dead end(s) in the IVR from /answer:")
    assert "script=[press('3')]" in text


def test_assert_no_dead_ends_can_ignore_kinds():
    app = table_app({"/answer": say("Hello.", "<Hangup/><Pause/>")})
    with pytest.raises(AssertionError, match="dead-verb"):
        assert_no_dead_ends(app)
    assert_no_dead_ends(app, ignore=["dead-verb"])


def test_silence_after_a_timeout_is_not_reported():
    app = table_app(
        {"/answer": menu("Press 1.", "/next"), "/next": "<Response><Hangup/></Response>"}
    )
    graph = explore(app)
    assert [(f.kind, f.path) for f in graph.findings] == [("silence", [press("1")])]


def test_the_caller_hanging_up_is_never_silence():
    app = table_app({"/answer": menu("Press 1.", "/next"), "/next": say("Bye.")})
    graph = explore(app)
    assert graph.findings == []
    assert "hang up" in {e.label for e in graph.edges}
    assert "end_caller" in graph.nodes


def test_a_timeout_that_leads_to_an_error_is_a_missing_timeout_branch():
    handler = by_digits({"1": say("One.")}, default="not xml")
    app = table_app({"/answer": menu("Press 1.", "/next"), "/next": handler})
    graph = explore(app)
    found = {(f.kind, tuple(f.path)) for f in graph.findings}
    assert ("no-timeout-branch", ()) in found
    assert ("invalid-bxml", ()) in found


def test_a_redirect_cycle_without_time_is_an_endless_loop():
    app = table_app(
        {
            "/answer": '<Response><Redirect redirectUrl="/a"/></Response>',
            "/a": '<Response><Redirect redirectUrl="/b"/></Response>',
            "/b": '<Response><Redirect redirectUrl="/a"/></Response>',
        }
    )
    graph = explore(app)
    assert [f.kind for f in graph.findings] == ["endless-loop"]
    assert "/a -> /b -> /a" in graph.findings[0].message


def test_a_gather_with_more_digits_is_tried_with_a_full_entry_and_a_terminator():
    seen: list[str] = []

    def pin(event):
        seen.append(event["digits"] + "|" + event.get("terminatingDigit", ""))
        return say("Thanks.")

    app = table_app(
        {
            "/answer": '<Response><Gather gatherUrl="/pin" maxDigits="4" terminatingDigits="#">'
            "<SpeakSentence>Your PIN.</SpeakSentence></Gather></Response>",
            "/pin": pin,
        }
    )
    explore(app)
    assert {"1234|", "1|#", "|#", "7|", "|"} <= set(seen)


def test_transfer_numbers_are_tried_answered_busy_and_not_answering():
    app = table_app(
        {
            "/answer": '<Response><Transfer transferCompleteUrl="/done">'
            '<PhoneNumber transferAnswerUrl="/whisper">+15550001111</PhoneNumber>'
            "</Transfer></Response>",
            "/whisper": say("A caller for you.", ""),
            "/done": by_digits({}, default=say("Bye.")),
        }
    )
    graph = explore(app)
    assert graph.findings == []
    labels = {e.label for e in graph.edges}
    assert {"answered", "transfer busy", "transfer no-answer", "transfer answered"} <= labels


def test_fixed_destinations_are_kept():
    app = table_app(
        {
            "/answer": '<Response><Transfer transferCompleteUrl="/done">'
            "<PhoneNumber>+15550001111</PhoneNumber></Transfer></Response>",
            "/done": say("Bye."),
        }
    )
    graph = explore(app, destinations={"+15550001111": busy()})
    assert {e.label for e in graph.edges} == {"transfer busy", ""}
    assert graph.calls == 1


def test_a_finding_after_a_transfer_carries_its_destinations():
    def done(event):
        return "oops" if event["cause"] == "busy" else say("Bye.")

    app = table_app(
        {
            "/answer": '<Response><Transfer transferCompleteUrl="/done">'
            "<PhoneNumber>+15550001111</PhoneNumber></Transfer></Response>",
            "/done": done,
        }
    )
    graph = explore(app)
    (finding,) = graph.findings
    assert finding.kind == "invalid-bxml"
    assert finding.destinations == {"+15550001111": busy()}
    call = replay(app, finding)
    call.assert_ended("invalid-bxml")


def test_records_are_tried_with_a_message_and_with_silence():
    seen: list[str] = []

    def done(event):
        seen.append(event["eventType"])
        return say("Thank you.")

    app = table_app(
        {
            "/answer": '<Response><Record recordCompleteUrl="/done" maxDuration="30"/></Response>',
            "/done": done,
        }
    )
    graph = explore(app)
    assert graph.findings == []
    assert {"message", "timeout", "hang up"} <= {e.label for e in graph.edges}
    assert seen.count("recordComplete") >= 2


def test_a_failing_disconnect_callback_is_a_callback_error():
    app = table_app({"/answer": say("Hello.")})
    graph = explore(app, disconnect_url="/gone")
    assert [f.kind for f in graph.findings] == ["callback-error"]
    assert "disconnect" in graph.findings[0].message


def test_limits_are_noted():
    app, _ = tree_ivr(levels=3, keys=3)
    graph = explore(app, max_calls=10)
    assert graph.calls == 10
    assert graph.notes and "max_calls=10" in graph.notes[0]
    deep = explore(app, max_depth=1)
    assert any("max_depth=1" in note for note in deep.notes)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"max_depth": 0}, ValueError, "max_depth must be a whole number of 1 or more, not 0"),
        ({"max_calls": "9"}, ValueError, "max_calls must be"),
        ({"destinations": {"+1": "busy"}}, TypeError, "is not a destination"),
        ({"base_url": "ivr.test"}, ValueError, "base_url must be an absolute URL"),
        ({"username": "u"}, ValueError, "username and password go together"),
    ],
)
def test_bad_options_are_refused_clearly(options, error, match):
    with pytest.raises(error, match=match):
        explore(table_app({}), **options)


def test_the_entry_must_be_a_path():
    with pytest.raises(TypeError, match="entry must be a URL path"):
        explore(table_app({}), entry=None)  # type: ignore[arg-type]


def test_credentials_never_appear_in_findings():
    app = table_app({"/answer": say("Hi.")})
    graph = explore(app, username="ivr", password="hunter2", disconnect_url="/gone")
    assert "hunter2" not in "\n".join(graph.summary())


def test_the_same_replay_never_leaves_steps_unused(flawed):
    for finding in flawed.findings:
        if finding.kind != "app-error":
            try:
                replay(flawed_ivr.app, finding, raise_app_errors=False)
            except UnusedStepsError as exc:  # pragma: no cover - the assertion explains
                pytest.fail(f"{finding.kind}: {exc}")


def test_a_conference_holds_the_call_without_a_finding():
    app = table_app(
        {
            "/answer": say("Joining.", '<Conference conferenceEventUrl="/conf">room</Conference>'),
            "/conf": "<Response/>",
        }
    )
    graph = explore(app)
    assert graph.findings == []
    assert "end_held" in graph.nodes
    assert graph.notes == []  # conference events are sent: /conf is reached


def test_fallback_urls_are_not_expected_to_be_fetched():
    app = table_app(
        {
            "/answer": menu("Press 1.", "/next", gatherFallbackUrl="/spare"),
            "/next": say("Bye."),
        }
    )
    assert explore(app).findings == []


def test_an_app_reached_over_http_is_explored_the_same_way(flawed):
    from tests.wsgi_server import serve_wsgi

    with serve_wsgi(flawed_ivr.app) as url:
        graph = explore(url, base_url="https://ivr.test")
    assert {f.kind: f.path for f in graph.findings} == PLANTED
    (crash,) = [f for f in graph.findings if f.kind == "app-error"]
    assert crash.message == "POST /choice (gather) answered HTTP 500"


def test_a_timeout_that_crashes_the_app_is_a_missing_timeout_branch():
    def choose(event):
        return say(f"You chose {int(event['digits'])}.")

    app = table_app({"/answer": menu("Press a key.", "/next"), "/next": choose})
    graph = explore(app)
    assert sorted((f.kind, tuple(f.path)) for f in graph.findings) == [
        ("app-error", ()),
        ("no-timeout-branch", ()),
    ]
    assert "ValueError" in graph.findings[0].message
    assert "leads to an error (app-error)" in graph.findings[1].message


def test_forward_numbers_are_tried_too():
    app = table_app({"/answer": '<Response><Forward to="+15550003333"/></Response>'})
    graph = explore(app)
    assert graph.findings == []
    assert graph.calls == 3
    assert {e.target for e in graph.edges} == {"end_hangup"}


def test_refer_outcomes_are_walked_and_a_verb_after_refer_complete_url_is_dead():
    # bxml-spec §3.1 / bxml.lint BX102: the referComplete reply runs next, not the SpeakSentence.
    app = table_app(
        {
            "/answer": '<Response><Refer referCompleteUrl="/referred">'
            "<SipUri>sip:desk@example.com</SipUri></Refer>"
            "<SpeakSentence>Never heard.</SpeakSentence></Response>",
            "/referred": say("The desk is busy. Goodbye."),
        }
    )
    graph = explore(app, from_="sip:caller@example.com")
    dead = [f for f in graph.findings if f.kind == "dead-verb"]
    assert len(dead) == 1 and "referCompleteUrl" in dead[0].message
    assert "<SpeakSentence>" in dead[0].message
    # answered (the call is handed over) and busy (the reply runs) are both tried
    assert graph.calls >= 3
    assert "end_hangup" in {e.target for e in graph.edges}
    assert any(n.url.endswith("/referred") for n in graph.nodes.values())


def test_a_refer_without_its_url_leaves_no_dead_verb():
    app = table_app(
        {
            "/answer": "<Response><Refer><SipUri>sip:desk@example.com</SipUri></Refer>"
            "<SpeakSentence>Nobody took it.</SpeakSentence></Response>",
        }
    )
    graph = explore(app, from_="sip:caller@example.com")
    assert [f for f in graph.findings if f.kind == "dead-verb"] == []
    assert graph.calls >= 2
