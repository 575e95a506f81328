"""explore(): what the user reads, compared in full: each finding's message, the failure text
of assert_no_dead_ends, the notes on what the limits cut, node titles and edge labels.

A word lost from a message or a label changed is a near miss these tests catch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from callcontrol.testing import FlowGraph, assert_no_dead_ends, explore
from callcontrol.testing.flowgraph import Node
from examples import flawed_ivr
from tests.callcontrol.testing.explore_apps import menu, say, table_app, tree_ivr

WsgiApp = Callable[..., Iterable[bytes]]


def messages(graph: FlowGraph) -> list[tuple[str, str]]:
    return [(f.kind, f.message) for f in graph.findings]


def edges(graph: FlowGraph) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.label) for e in graph.edges}


def documents(graph: FlowGraph) -> set[tuple[str, str]]:
    return {(n.url, n.event) for n in graph.nodes.values() if n.kind == "document"}


def test_every_planted_flaw_reads_in_full():
    graph = explore(flawed_ivr.app)
    assert messages(graph) == [
        (
            "no-timeout-branch",
            "/choice: silence at Gather[1] leads back to the same prompt forever",
        ),
        (
            "dead-verb",
            "/choice: <SpeakSentence> after <Hangup> never run: it ends the call (bxml-spec §3.1)",
        ),
        (
            "app-error",
            "the app raised KeyError on POST https://app.test/choice (gather): '+15551230000'",
        ),
        (
            "invalid-bxml",
            "invalid BXML from https://app.test/choice: line 1, column 54: no element found",
        ),
        ("callback-error", "redirect callback to https://app.test/promos failed: HTTP 404"),
        (
            "silence",
            "after press('6'), /choice (gather) ends the call without a word to the caller",
        ),
        ("endless-loop", "/choice -> /hold -> /hold repeats without waiting for input"),
        (
            "unreached-url",
            "https://app.test/operator-key (StartGather.dtmf_url in /choice) was never fetched",
        ),
    ]


def test_assert_no_dead_ends_lists_one_finding_a_line_with_its_script():
    app = table_app({"/answer": say("Hello.", "<Hangup/><Pause/>")})
    with pytest.raises(AssertionError) as failed:
        assert_no_dead_ends(app)
    assert str(failed.value) == (
        "1 dead end(s) in the IVR from /answer:\n"
        "dead-verb: /answer: <Pause> after <Hangup> never run: it ends the call (bxml-spec §3.1)\n"
        "    reached by script=[]"
    )


def test_assert_no_dead_ends_ends_its_text_with_the_notes():
    app = table_app(
        {"/answer": menu("Press a key.", "/next"), "/next": say("Bye.", "<Hangup/><Pause/>")}
    )
    with pytest.raises(AssertionError) as failed:
        assert_no_dead_ends(app, max_calls=1)
    assert str(failed.value).splitlines() == [
        "1 dead end(s) in the IVR from /answer:",
        "dead-verb: /next: <Pause> after <Hangup> never run: it ends the call (bxml-spec §3.1)",
        "    reached by script=[]",
        "note: max_calls=1 reached: 13 branches not explored",
    ]


def test_a_timeout_that_leads_to_an_error_names_the_document_and_the_gather():
    def choose(event: dict[str, Any]) -> str:
        return say(f"You chose {int(event['digits'])}.")

    app = table_app({"/answer": menu("Press a key.", "/next"), "/next": choose})
    graph = explore(app)
    assert messages(graph)[1] == (
        "no-timeout-branch",
        "/answer: the timeout of Gather[1] leads to an error (app-error)",
    )


def test_the_max_depth_note_counts_the_calls_it_cut():
    app, _ = tree_ivr(levels=3, keys=3)
    assert explore(app, max_depth=1).notes == [
        "max_depth=1 reached: 1 calls cut after 1 caller inputs"
    ]
    assert explore(app, max_depth=2).notes == [
        "max_depth=2 reached: 4 calls cut after 2 caller inputs"
    ]


def test_a_call_held_in_a_conference_ends_on_a_node_titled_held():
    app = table_app(
        {
            "/answer": say("Joining.", '<Conference conferenceEventUrl="/conf">room</Conference>'),
            "/conf": "<Response/>",
        }
    )
    graph = explore(app)
    assert graph.nodes["end_held"] == Node("end_held", "held (conference)", kind="end")


def test_empty_and_failed_conference_replies_are_not_documents_bxml_spec_6():
    def conf(event: dict[str, Any]) -> str:
        if event["eventType"] == "conferenceCreated":
            return "<Response><SpeakSentence>Welcome to the room.</SpeakSentence></Response>"
        return ""

    joined = say("Joining.", '<Conference conferenceEventUrl="/conf">room</Conference>')
    graph = explore(table_app({"/answer": joined, "/conf": conf}))
    assert documents(graph) == {("/answer", "initiate"), ("/conf", "conferenceCreated")}
    # /conf answers 404 ("not found"): a failed callback, not a document of the flow
    graph = explore(table_app({"/answer": joined}))
    assert documents(graph) == {("/answer", "initiate")}


def test_a_gather_of_more_than_ten_digits_is_tried_with_all_ten_keys_in_a_row():
    seen: list[str] = []

    def account(event: dict[str, Any]) -> str:
        seen.append(event.get("digits", ""))
        return say("Thanks.")

    app = table_app(
        {
            "/answer": '<Response><Gather gatherUrl="/account" maxDigits="20">'
            "<SpeakSentence>Your account number.</SpeakSentence></Gather></Response>",
            "/account": account,
        }
    )
    explore(app)
    assert set(seen) == {*"1234567890*#", "1234567890", ""}


def test_played_audio_is_shown_by_its_file_name():
    app = table_app(
        {
            "/answer": '<Response><Gather gatherUrl="/next" maxDigits="1">'
            "<PlayAudio>https://media.test/prompts/en/welcome.wav</PlayAudio>"
            "<SpeakSentence>Press a key.</SpeakSentence></Gather></Response>",
            "/next": say("Bye."),
        }
    )
    graph = explore(app)
    assert graph.nodes["n1"].heard == "[audio welcome.wav] / Press a key."


def test_a_status_just_below_2xx_is_a_failed_callback():
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/answer":
            start_response("200 OK", [("Content-Type", "application/xml")])
            return [say("Hello.").encode()]
        start_response("199 Not Quite", [("Content-Type", "text/plain")])
        return [b""]

    graph = explore(app, disconnect_url="/gone")
    assert messages(graph) == [
        ("callback-error", "disconnect callback to https://app.test/gone failed: HTTP 199")
    ]


def chain(verbs: str) -> WsgiApp:
    """An app whose every document runs ``verbs``, then redirects to the next new path."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        number = 0 if path == "/answer" else int(path.rsplit("/", 1)[-1])
        body = f'<Response>{verbs}<Redirect redirectUrl="/r/{number + 1}"/></Response>'
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [body.encode()]

    return app


def test_a_call_of_too_many_documents_is_cut_with_a_note():
    graph = explore(chain('<Pause duration="1"/>'))
    assert graph.notes == ["a call was cut after 200 documents (script [])"]
    # the cut call never fetched the 201st document: a finding, as for any URL never fetched
    assert messages(graph) == [
        (
            "unreached-url",
            "https://app.test/r/201 (Redirect.redirect_url in /r/200) was never fetched",
        )
    ]


def test_a_call_the_engine_stops_as_a_loop_is_an_endless_loop():
    graph = explore(chain(""))
    assert messages(graph)[0] == (
        "endless-loop",
        "loop: 50 documents fetched at 0.000 s without time passing or caller input "
        "(... /r/47 -> /r/48 -> /r/49 -> /r/50)",
    )
    assert graph.nodes["end_error"] == Node("end_error", "call stopped", kind="end")
    assert ("n50", "end_error", "") in edges(graph)


def test_a_transfer_retried_forever_draws_one_edge_per_outcome():
    transfer = (
        '<Response><Transfer transferCompleteUrl="/again">'
        "<PhoneNumber>+15550001111</PhoneNumber></Transfer></Response>"
    )
    graph = explore(table_app({"/answer": transfer, "/again": transfer}))
    assert messages(graph) == [
        ("endless-loop", "/answer -> /again -> /again repeats without waiting for input")
    ]
    outcomes = ("answered", "busy", "no-answer")
    assert edges(graph) == {
        *((source, "n2", f"transfer {outcome}") for source in ("n1", "n2") for outcome in outcomes)
    }


def test_a_base_url_with_whitespace_is_refused_before_any_call():
    # Bandwidth's URLs hold no whitespace; a BXML URL with one is refused too.
    app = table_app({"/answer": menu("Press.", "again")})
    with pytest.raises(ValueError, match=r"^base_url must not hold whitespace"):
        explore(app, base_url="https://app.test/my ivr/", entry="answer")


def test_a_300_answer_is_a_failed_callback_not_a_document():
    # Bandwidth reads BXML from a 2xx answer only; 300 is the first status outside it.
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("300 Multiple Choices", [("Content-Type", "application/xml")])
        return [b"<Response><Hangup/></Response>"]

    assert messages(explore(app, base_url="https://app.test", entry="answer")) == [
        (
            "callback-error",
            "initiate callback to https://app.test/answer failed: HTTP 300",
        )
    ]
