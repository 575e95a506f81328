"""FlowGraph pictures: Mermaid and DOT text (golden files), SVG through Graphviz, offline HTML.

Run with ``BXML_UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from callcontrol.testing import FlowGraph, explore
from callcontrol.testing.flowgraph import Edge, Node, shorten
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
