"""FlowGraph pictures: Mermaid and DOT text (golden files), SVG through Graphviz, offline HTML.

Run with ``BXML_UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcontrol.testing import FlowGraph, explore
from callcontrol.testing.flowgraph import Edge, Finding, FindingKind, Node, shorten
from callcontrol.testing.render import LayoutUnavailable
from examples import flawed_ivr

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).parents[3] / "examples"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


@pytest.fixture(scope="module")
def flawed() -> FlowGraph:
    return explore(flawed_ivr.app)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("BXML_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_mermaid_golden(flawed):
    check_golden("flawed_ivr.mmd", flawed.to_mermaid())


def test_dot_golden(flawed):
    check_golden("flawed_ivr.dot", flawed.to_dot())


def test_the_committed_example_picture_is_current(flawed):
    text = (EXAMPLES / "flawed_ivr.md").read_text()
    assert flawed.to_mermaid() in text


def test_exploring_twice_draws_the_same_picture(flawed):
    assert explore(flawed_ivr.app).to_mermaid() == flawed.to_mermaid()


def test_labels_are_escaped():
    graph = FlowGraph("/answer")
    graph.nodes["n1"] = Node("n1", '/a "quoted" <b>', 'say "hi" & <bye>')
    graph.nodes["n2"] = Node("n2", "/b")
    graph.edges.append(Edge("n1", "n2", '"1"'))
    mermaid = graph.to_mermaid()
    assert '"/a #quot;quoted#quot; #lt;b#gt;<br/>say #quot;hi#quot; #amp; #lt;bye#gt;"' in mermaid
    assert '-- "#quot;1#quot;" -->' in mermaid
    dot = graph.to_dot()
    assert 'label="/a \\"quoted\\" <b>\\nsay \\"hi\\" & <bye>"' in dot


def test_shorten_keeps_labels_on_one_short_line():
    assert shorten("a\n  b") == "a b"
    assert shorten("x" * 100, 10) == "x" * 9 + "…"


@needs_dot
def test_svg_is_laid_out_by_graphviz(flawed):
    svg = flawed.to_svg()
    assert svg.startswith("<svg")
    assert "/hold (redirect)" in svg
    assert "#e3c6f4" in svg  # the endless loop is coloured


@needs_dot
def test_html_embeds_the_picture_and_needs_nothing_else(flawed):
    page = flawed.to_html()
    assert "<svg" in page and "<script" not in page
    assert not re.search(r"(src|href)=\"https?:", page)
    assert "KeyError" in page and "press(&#x27;3&#x27;)" in page


def test_html_without_graphviz_says_why(flawed, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    page = flawed.to_html()
    assert "<svg" not in page
    assert "Graphviz" in page and "flowchart TD" in page
    with pytest.raises(LayoutUnavailable, match="apt-get install graphviz"):
        flawed.to_svg()


# -- pictures at size (issue 20 item 11: 23,000 nodes took 33 s) --------------------------------


class _CountedList(list[Finding]):
    """A list that counts the passes made over it."""

    passes = 0

    def __iter__(self) -> Iterator[Finding]:
        _CountedList.passes += 1
        return super().__iter__()


def _big_graph(nodes: int) -> FlowGraph:
    graph = FlowGraph("/answer")
    for index in range(nodes):
        graph.nodes[f"n{index}"] = Node(f"n{index}", f"/p{index} (gather)", "hello")
    graph.edges += [Edge(f"n{i // 2}", f"n{i}", "press 1") for i in range(1, nodes)]
    kinds: tuple[FindingKind, ...] = ("dead-verb", "silence", "unreached-url")
    findings = [Finding(kinds[i // 3 % 3], f"m{i}", [], {}, f"n{i}") for i in range(0, nodes, 3)]
    graph.findings = _CountedList(findings)
    return graph


@pytest.mark.parametrize("render", ["to_mermaid", "to_dot"])
def test_a_picture_passes_over_the_findings_a_fixed_number_of_times(render):
    graph = _big_graph(600)
    _CountedList.passes = 0
    text = getattr(graph, render)()
    assert _CountedList.passes <= 2  # not once per node (quadratic in the graph)
    assert "n597" in text and ("#fff3a8" in text or "class " in text)


def test_the_mermaid_classes_list_each_node_under_its_worst_kind_in_node_order():
    graph = _big_graph(12)
    graph.findings.append(Finding("silence", "again", [], {}, "n0"))  # worse than dead-verb
    lines = graph.to_mermaid().splitlines()
    assert lines[-6:] == [
        "  classDef silence fill:#ffd59e,stroke:#333",
        "  class n0,n3 silence",  # n0's dead-verb gives way to its silence
        "  classDef unreached_url fill:#fff3a8,stroke:#333",
        "  class n6 unreached_url",
        "  classDef dead_verb fill:#fff3a8,stroke:#333",
        "  class n9 dead_verb",
    ]


def test_html_of_a_graph_too_large_to_lay_out_has_no_picture_and_no_wait(monkeypatch):
    from callcontrol.testing import render

    graph = _big_graph(render.HTML_LAYOUT_NODES + 1)

    def no_layout(dot_text: str) -> str:
        raise AssertionError("Graphviz was asked to lay out the graph")

    monkeypatch.setattr(render, "svg", no_layout)
    page = graph.to_html()
    assert "No picture: the graph has 2,001 nodes, more than the 2,000" in page
    assert "flowchart TD" in page and "<table>" in page
