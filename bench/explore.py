"""States explored per second: ``callcontrol.testing.explore`` over a 20-document IVR with
menus three levels deep (the issue's goal: explored in under one second).

Beside it, for scale, the simulator running one ordinary call of the same IVR; the ratio
says how many simulated calls one exploration costs. And the time to draw a large graph.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from bench.results import Case, Target, check, new_case
from bench.timing import Settings, interleaved
from callcontrol.testing import CallSimulator, explore, press
from callcontrol.testing.flowgraph import Edge, Finding, FlowGraph, Node
from callcontrol.testing.render import HTML_LAYOUT_NODES

GOAL_SECONDS = 1.0
#: Menu shape: key -> sub-menu (a dict) or a leaf (None). Three levels of menus.
SHAPE: dict[str, Any] = {
    "1": {"1": {"1": None, "2": None}, "2": {"1": None}},
    "2": {"1": {"1": None, "2": None}, "2": None},
    "3": None,
    "4": None,
}


def _menu(path: str) -> bytes:
    return (
        f'<Response><Gather gatherUrl="{path}" maxDigits="1" firstDigitTimeout="5">'
        f"<SpeakSentence>Menu {path}: choose an option.</SpeakSentence></Gather></Response>"
    ).encode()


def _leaf(path: str) -> bytes:
    text = f"You chose {path}. Goodbye."
    return f"<Response><SpeakSentence>{text}</SpeakSentence></Response>".encode()


GOODBYE = b"<Response><SpeakSentence>Sorry. Goodbye.</SpeakSentence><Hangup/></Response>"


def _routes(shape: dict[str, Any], path: str, routes: dict[str, dict[str, bytes]]) -> None:
    replies: dict[str, bytes] = {}
    for key, sub in shape.items():
        child = f"{path}/{key}"
        if sub is None:
            replies[key] = _leaf(child)
        else:
            replies[key] = _menu(child)
            _routes(sub, child, routes)
    routes[path] = replies


ROUTES: dict[str, dict[str, bytes]] = {}
_routes(SHAPE, "/m", ROUTES)


def ivr(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The IVR: /answer serves the top menu; each menu path routes the digits pressed."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    event = json.loads(environ["wsgi.input"].read(size))
    path = environ["PATH_INFO"]
    if path == "/answer":
        body = _menu("/m")
    else:
        body = ROUTES[path].get(event.get("digits", ""), GOODBYE)
    start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
    return [body]


def exploration() -> Callable[[], object]:
    """One whole exploration of the IVR."""

    def run() -> object:
        graph = explore(ivr)
        assert not graph.findings, graph.findings
        return graph

    return run


def one_call() -> Callable[[], object]:
    """One simulated call three menus deep."""
    sim = CallSimulator(ivr)
    return lambda: sim.inbound("/answer", script=[press("1"), press("1"), press("2")])


def explore_case(settings: Settings) -> tuple[Case, list[Target]]:
    """States per second of an exploration, and its cost in simulated calls."""
    graph = explore(ivr)
    documents = sum(1 for node in graph.nodes.values() if node.kind == "document")
    case = new_case("simulate", f"exploring a {documents}-document IVR (3 menu levels)", "states/s")
    contenders = {"callcontrol.testing.explore": exploration(), "one simulated call": one_call()}
    measurement = interleaved(contenders, settings)
    seconds = measurement.median("callcontrol.testing.explore")
    case["rows"].append(
        {"library": "callcontrol.testing.explore", "value": graph.states / seconds, "relative": 1.0}
    )
    calls_per_exploration = measurement.ratio("callcontrol.testing.explore", "one simulated call")
    case["notes"].append(
        f"{graph.states} input states, {graph.calls} simulated calls, {len(graph.edges)} edges "
        f"per exploration; {graph.calls / seconds:.0f} explored calls/s. One exploration costs "
        f"as much as {calls_per_exploration:.0f} ordinary simulated calls of the same IVR "
        f"(three keys deep)."
    )
    target = check(
        f"a {documents}-document IVR explored in < {GOAL_SECONDS:g} s",
        "<=",
        GOAL_SECONDS,
        seconds,
        unit=" s",
    )
    target["note"] = f"median of {len(measurement.times['callcontrol.testing.explore'])} runs"
    return case, [target]


RENDER_NODES = 23_000


def large_graph(nodes: int) -> FlowGraph:
    """A binary tree of ``nodes`` documents with a finding on every fifth."""
    graph = FlowGraph("/answer")
    for index in range(nodes):
        graph.nodes[f"n{index}"] = Node(f"n{index}", f"/p{index} (gather)", "Press one")
    graph.edges += [Edge(f"n{i // 2}", f"n{i}", "press 1") for i in range(1, nodes)]
    graph.findings += [
        Finding("dead-verb", f"dead verb {i}", [], {}, f"n{i}") for i in range(0, nodes, 5)
    ]
    return graph


def render_case(settings: Settings) -> Case:
    """Seconds to draw a FlowGraph of 23,000 nodes as Mermaid, DOT and an HTML page."""
    nodes = 50 if settings.quick else RENDER_NODES
    graph = large_graph(nodes)
    case = new_case("simulate", f"drawing a {nodes:,}-node FlowGraph", "s")
    repeats = 1 if settings.quick else 3
    for name in ("to_mermaid", "to_dot", "to_html"):
        render = getattr(graph, name)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            render()
            times.append(time.perf_counter() - started)
        case["rows"].append(
            {"library": f"FlowGraph.{name}()", "value": min(times), "relative": None}
        )
    case["notes"].append(
        f"A binary tree of {nodes:,} documents with {len(graph.findings):,} findings; best of "
        f"{repeats}. to_html() leaves the Graphviz layout out above "
        f"{HTML_LAYOUT_NODES:,} nodes (dot alone needs minutes for this graph)."
    )
    return case


if __name__ == "__main__":
    started = time.perf_counter()
    result = explore(ivr)
    elapsed = time.perf_counter() - started
    print(repr(result), f"{result.states} states in {elapsed:.3f} s")
