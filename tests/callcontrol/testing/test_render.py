"""callcontrol.testing.render: how dot is run, its failures, and the layout size limit."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

from callcontrol.testing import FlowGraph, render
from callcontrol.testing.flowgraph import Node

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def _graph(nodes: int) -> FlowGraph:
    graph = FlowGraph("/answer")
    for index in range(nodes):
        graph.nodes[f"n{index}"] = Node(f"n{index}", f"/p{index}")
    return graph


def _fake_dot(monkeypatch: pytest.MonkeyPatch, outcome: Any) -> list[dict[str, Any]]:
    """Make ``dot`` found and ``subprocess.run`` answer ``outcome`` (or raise it)."""
    calls: list[dict[str, Any]] = []

    def run(args: list[str], **kwargs: Any) -> Any:
        calls.append({"args": args, **kwargs})
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    monkeypatch.setattr(shutil, "which", lambda name: "/opt/dot")
    monkeypatch.setattr(subprocess, "run", run)
    return calls


def test_dot_gets_the_text_as_utf8_with_a_one_minute_timeout(monkeypatch):
    done = subprocess.CompletedProcess(["dot"], 0, b'<?xml version="1.0"?>\n<svg a="1"/>', b"")
    calls = _fake_dot(monkeypatch, done)
    assert render.svg("digraph { é }") == '<svg a="1"/>'
    assert calls == [
        {
            "args": ["/opt/dot", "-Tsvg"],
            "input": "digraph { é }".encode(),
            "capture_output": True,
            "timeout": 60.0,
            "check": False,
        }
    ]


def test_only_the_prolog_before_the_svg_element_is_removed(monkeypatch):
    out = b"<!-- x --><svg>\n<svg>inner</svg></svg>"
    _fake_dot(monkeypatch, subprocess.CompletedProcess(["dot"], 0, out, b""))
    assert render.svg("digraph {}") == "<svg>\n<svg>inner</svg></svg>"


def test_a_failing_dot_names_its_exit_status_and_message(monkeypatch):
    _fake_dot(monkeypatch, subprocess.CompletedProcess(["dot"], 1, b"", b" syntax error \n"))
    with pytest.raises(
        render.LayoutUnavailable, match=r"^Graphviz dot failed \(exit 1\): syntax error$"
    ):
        render.svg("digraph {")


@pytest.mark.parametrize("error", [subprocess.TimeoutExpired(["dot"], 60.0), OSError("no exec")])
def test_a_dot_that_times_out_or_cannot_start_is_unavailable(monkeypatch, error):
    _fake_dot(monkeypatch, error)
    with pytest.raises(render.LayoutUnavailable, match="^Graphviz dot failed: ") as raised:
        render.svg("digraph {}")
    assert raised.value.__cause__ is error


def test_a_graph_exactly_at_the_layout_limit_is_laid_out(monkeypatch):
    laid_out: list[str] = []

    def svg(dot_text: str) -> str:
        laid_out.append(dot_text)
        return "<svg>pic</svg>"

    monkeypatch.setattr(render, "svg", svg)
    page = _graph(render.HTML_LAYOUT_NODES).to_html()
    assert len(laid_out) == 1 and "<svg>pic</svg>" in page and "No picture" not in page


def test_a_graph_one_over_the_limit_says_why_in_full(monkeypatch):
    monkeypatch.setattr(render, "svg", lambda text: pytest.fail("dot was asked to lay it out"))
    page = _graph(render.HTML_LAYOUT_NODES + 1).to_html()
    assert (
        "No picture: the graph has 2,001 nodes, more than the 2,000 Graphviz lays out in "
        "reasonable time (to_svg() still tries, for up to 60 s)." in page
    )
