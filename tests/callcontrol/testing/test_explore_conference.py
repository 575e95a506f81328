"""explore() follows conference and bridge events through typed observations: conference
replies are documents of the graph, a rejected one is a finding (bxml-spec §6), a failing
conference event does not end the call, and a bridge's outcome labels its edge."""

from __future__ import annotations

from callcontrol.testing import FlowGraph, explore
from tests.callcontrol.testing.explore_apps import say, table_app

JOIN = say("Joining.", '<Conference conferenceEventUrl="/conf">room</Conference>')


def labels(graph: FlowGraph) -> set[str]:
    return {edge.label for edge in graph.edges}


def test_a_conference_reply_is_a_document_reached_by_its_event():
    app = table_app(
        {
            "/answer": JOIN,
            "/conf": lambda e: (
                "<Response><SpeakSentence>Welcome to the room.</SpeakSentence></Response>"
                if e["eventType"] == "conferenceCreated"
                else b""
            ),
        }
    )
    graph = explore(app)
    assert graph.findings == []
    [node] = [n for n in graph.nodes.values() if n.event == "conferenceCreated"]
    assert node.url == "/conf" and "Welcome to the room." in node.heard
    assert {"conferenceCreated"} <= labels(graph)
    assert "end_held" in graph.nodes


def test_a_rejected_conference_reply_is_a_finding_bxml_spec_6():
    app = table_app(
        {
            "/answer": JOIN,
            "/conf": lambda e: (
                '<Response><Gather gatherUrl="/g"/></Response>'
                if e["eventType"] == "conferenceMemberJoin"
                else b""
            ),
        }
    )
    graph = explore(app)
    [finding] = graph.findings
    assert finding.kind == "invalid-bxml"
    assert finding.message.startswith("conference room: conferenceMemberJoin <Gather> is not")
    assert "end_held" in graph.nodes  # the call stays in the conference


def test_a_failing_conference_event_is_found_and_the_call_stays_held():
    graph = explore(table_app({"/answer": JOIN}))
    kinds = {f.kind for f in graph.findings}
    assert kinds == {"callback-error"}
    assert any("conferenceCreated callback" in f.message for f in graph.findings)
    assert "end_held" in graph.nodes and "end_error" not in graph.nodes


def test_a_bridge_that_cannot_be_made_labels_its_edge_bridge_failed_bxml_spec_4_1():
    app = table_app(
        {
            "/answer": '<Response><Bridge bridgeCompleteUrl="/done">c-nobody</Bridge></Response>',
            "/done": say("The agent is gone."),
        }
    )
    graph = explore(app)
    assert "bridge failed" in labels(graph)


def test_an_app_error_on_a_conference_event_does_not_stop_the_walk():
    def conf(event):
        if event["eventType"] == "conferenceMemberJoin":
            raise KeyError("member")
        return b""

    graph = explore(table_app({"/answer": JOIN, "/conf": conf}))
    assert [f.kind for f in graph.findings] == ["app-error"]
    assert "KeyError" in graph.findings[0].message
    assert "end_held" in graph.nodes  # the call was followed to its end


def test_the_call_is_also_walked_as_it_goes_on_when_the_conference_ends_bxml_spec_3_1():
    app = table_app(
        {
            "/answer": say(
                "Joining.",
                "<Conference>room</Conference>"
                '<SpeakSentence>The meeting is over.</SpeakSentence><Redirect redirectUrl="/after"/>',
            ),
            "/after": say("Goodbye."),
        }
    )
    graph = explore(app)
    assert graph.findings == []
    assert "end_held" in graph.nodes  # the branch where nobody ends the conference
    [after] = [n for n in graph.nodes.values() if n.url == "/after"]
    assert any(e.target == after.id and e.label == "conference ends" for e in graph.edges)
    assert "end_hangup" in graph.nodes


def test_a_dead_end_after_the_conference_is_found():
    app = table_app(
        {"/answer": say("Joining.", '<Conference>room</Conference><Redirect redirectUrl="/gone"/>')}
    )
    graph = explore(app)
    [finding] = graph.findings
    assert finding.kind == "callback-error" and "/gone" in finding.message
