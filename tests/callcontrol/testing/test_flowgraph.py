"""callcontrol.testing.flowgraph: findings as text, the summary, and the Mermaid and DOT text
of small graphs, compared exactly."""

from __future__ import annotations

import dataclasses

import pytest

from callcontrol.engine.script import Busy, NoAnswer, Press
from callcontrol.testing import FlowGraph
from callcontrol.testing.flowgraph import LABEL_CHARS, Edge, Finding, Node, shorten


def _graph() -> FlowGraph:
    """A start document, a menu reached twice by the same press, an end, and findings."""
    graph = FlowGraph("/answer", calls=7, states=5)
    graph.nodes["n0"] = Node("n0", "/answer (initiate)", "Welcome")
    graph.nodes["n1"] = Node("n1", "/menu (gather)")
    graph.nodes["end"] = Node("end", "hang up", kind="end")
    graph.edges += [
        Edge("n0", "n1", "press 1"),
        Edge("n0", "n1", "press 1"),
        Edge("n0", "n1", "timeout"),
        Edge("n1", "end", ""),
    ]
    graph.findings += [
        Finding("dead-verb", "never runs", [Press("1")], node="n1"),
        Finding("silence", "nothing heard", [], node="n1"),
        Finding("unreached-url", "no node", []),
        Finding("app-error", "on a node not drawn", [], node="gone"),
    ]
    graph.notes.append("cut at 10 calls")
    return graph


def test_a_finding_reads_as_its_kind_message_and_script():
    finding = Finding("silence", "nothing heard at /menu", [Press("1"), Press("2")])
    assert str(finding) == (
        "silence: nothing heard at /menu\n    reached by script=[press('1'), press('2')]"
    )


def test_a_finding_lists_its_destinations_sorted_by_name():
    finding = Finding(
        "silence",
        "m",
        [],
        {"+2": Busy(), "+1": NoAnswer()},
    )
    assert str(finding) == (
        "silence: m\n    reached by script=[] with destinations "
        f"{{'+1': {NoAnswer()!r}, '+2': {Busy()!r}}}"
    )


def test_a_node_label_adds_what_is_heard_on_a_second_line():
    assert Node("n", "/a").label == "/a"
    assert Node("n", "/a", "Hello\n  there").label == "/a\nHello there"


def test_shorten_cuts_only_past_the_limit():
    assert LABEL_CHARS == 48
    assert shorten("x" * 48) == "x" * 48
    assert shorten("x" * 49) == "x" * 47 + "…"
    assert shorten("ab cd", 3) == "ab…"  # the space before the cut is dropped
    assert shorten("abcd", 4) == "abcd"


def test_the_summary_counts_documents_edges_states_calls_and_findings():
    graph = _graph()
    lines = graph.summary()
    assert lines[0] == "explored /answer: 2 documents, 4 edges, 5 states, 7 calls; 4 findings"
    assert lines[1:5] == [str(f) for f in graph.findings]
    assert lines[5:] == ["note: cut at 10 calls"]
    assert repr(graph) == "FlowGraph(entry='/answer', nodes=3, edges=4, findings=4, calls=7)"


def test_kinds_are_listed_worst_first_per_node():
    graph = _graph()
    assert graph.kinds_by_node() == {"n1": ["silence", "dead-verb"], "gone": ["app-error"]}
    assert graph.kinds_of("n1") == ["silence", "dead-verb"]
    assert graph.kinds_of("n0") == []


def test_edges_between_the_same_nodes_are_merged_once_per_label():
    assert _graph().grouped_edges() == [("n0", "n1", "press 1, timeout"), ("n1", "end", "")]


def test_mermaid_of_a_small_graph():
    assert _graph().to_mermaid() == (
        "flowchart TD\n"
        '  n0["/answer (initiate)<br/>Welcome"]\n'
        '  n1["/menu (gather)"]\n'
        '  end(["hang up"])\n'
        '  n0 -- "press 1, timeout" --> n1\n'
        "  n1 --> end\n"
        "  classDef silence fill:#ffd59e,stroke:#333\n"
        "  class n1 silence\n"
    )


def test_dot_of_a_small_graph():
    assert _graph().to_dot() == (
        "digraph ivr {\n"
        '  graph [rankdir=TB, fontname="Helvetica"];\n'
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
        'fontname="Helvetica", fontsize=10];\n'
        '  edge [fontname="Helvetica", fontsize=9];\n'
        '  n0 [label="/answer (initiate)\\nWelcome"];\n'
        '  n1 [label="/menu (gather)", fillcolor="#ffd59e", tooltip="silence, dead-verb"];\n'
        '  end [label="hang up", fillcolor="#e8e8e8", shape=oval];\n'
        '  n0 -> n1 [label="press 1, timeout"];\n'
        '  n1 -> end [label=""];\n'
        "}\n"
    )


def test_an_end_with_a_finding_is_coloured_by_the_finding_and_stays_oval():
    graph = FlowGraph("/answer")
    graph.nodes["end"] = Node("end", "hang up", kind="end")
    graph.findings.append(Finding("callback-error", "m", [], node="end"))
    assert (
        '  end [label="hang up", fillcolor="#f4b6b6", tooltip="callback-error", shape=oval];\n'
        in (graph.to_dot())
    )


def test_dot_text_escapes_backslashes_quotes_and_newlines():
    graph = FlowGraph("/answer")
    graph.nodes["n0"] = Node("n0", 'a\\b "c"', "d")
    assert '  n0 [label="a\\\\b \\"c\\"\\nd"];\n' in graph.to_dot()


def test_an_empty_graph_starts_from_zero():
    graph = FlowGraph("/answer")
    assert graph.summary() == [
        "explored /answer: 0 documents, 0 edges, 0 states, 0 calls; 0 findings"
    ]
    assert graph.to_mermaid() == "flowchart TD\n"


@pytest.mark.parametrize(
    "value", [Finding("silence", "m", []), Node("n", "/a"), Edge("n0", "n1", "press 1")]
)
def test_findings_nodes_and_edges_cannot_be_changed(value):
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.label = "changed"
