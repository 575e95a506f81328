"""FlowGraph: the call flow an exploration found (documents, caller actions, findings) and its
pictures as Mermaid and Graphviz text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from ..engine.script import Destination, Step

FindingKind = Literal[
    "app-error",
    "invalid-bxml",
    "callback-error",
    "silence",
    "endless-loop",
    "no-timeout-branch",
    "unreached-url",
    "dead-verb",
]
#: Every kind of finding, in the order reports list them.
FINDING_KINDS: tuple[FindingKind, ...] = get_args(FindingKind)
#: Fill colours of nodes by the worst finding on them (the first in FINDING_KINDS).
COLOURS: dict[str, str] = {
    "app-error": "#f4b6b6",
    "invalid-bxml": "#f4b6b6",
    "callback-error": "#f4b6b6",
    "silence": "#ffd59e",
    "endless-loop": "#e3c6f4",
    "no-timeout-branch": "#e3c6f4",
    "unreached-url": "#fff3a8",
    "dead-verb": "#fff3a8",
}
LABEL_CHARS = 48


@dataclass(frozen=True)
class Finding:
    """A dead end: its ``kind`` (one of :data:`FINDING_KINDS`), what and where (``message``),
    and ``path``, the script steps that reach it from the entry (replay it with
    ``sim.inbound(entry, script=finding.path, destinations=finding.destinations)``)."""

    kind: FindingKind
    message: str
    path: list[Step]
    destinations: dict[str, Destination] = field(default_factory=dict)
    node: str | None = None

    def __str__(self) -> str:
        steps = "[" + ", ".join(repr(step) for step in self.path) + "]"
        dests = ""
        if self.destinations:
            shown = ", ".join(f"{n!r}: {d!r}" for n, d in sorted(self.destinations.items()))
            dests = f" with destinations {{{shown}}}"
        return f"{self.kind}: {self.message}\n    reached by script={steps}{dests}"


@dataclass(frozen=True)
class Node:
    """A document the app served (``url`` path, ``event`` type, ``digest``), or an end.

    ``heard`` is what the caller hears while it runs; ``kind`` is ``"document"`` or ``"end"``.
    """

    id: str
    title: str
    heard: str = ""
    kind: Literal["document", "end"] = "document"
    url: str = ""
    event: str = ""
    digest: str = ""

    @property
    def label(self) -> str:
        """The title and, shortened, what the caller hears."""
        if not self.heard:
            return self.title
        return f"{self.title}\n{shorten(self.heard)}"


@dataclass(frozen=True)
class Edge:
    """A caller action or outcome (``label``) that leads from one node to another."""

    source: str
    target: str
    label: str


@dataclass
class FlowGraph:
    """What :func:`~callcontrol.testing.explore` found: ``nodes`` (by id), ``edges``,
    ``findings``, and ``notes`` on what the limits cut."""

    entry: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: int = 0
    states: int = 0

    def __repr__(self) -> str:
        return (
            f"FlowGraph(entry={self.entry!r}, nodes={len(self.nodes)}, edges={len(self.edges)}, "
            f"findings={len(self.findings)}, calls={self.calls})"
        )

    def summary(self) -> list[str]:
        """A report as lines of text: the counts, each finding with its path, and the notes."""
        documents = sum(1 for n in self.nodes.values() if n.kind == "document")
        lines = [
            f"explored {self.entry}: {documents} documents, {len(self.edges)} edges, "
            f"{self.states} states, {self.calls} calls; {len(self.findings)} findings"
        ]
        lines += [str(finding) for finding in self.findings]
        lines += [f"note: {note}" for note in self.notes]
        return lines

    def kinds_of(self, node_id: str) -> list[str]:
        """The kinds of the findings on ``node_id``, worst first."""
        return self.kinds_by_node().get(node_id, [])

    def kinds_by_node(self) -> dict[str, list[str]]:
        """The kinds of the findings on each node that has some, worst first (one pass over
        the findings, so that a picture of a large graph takes time in proportion to it)."""
        found: dict[str, set[str]] = {}
        for finding in self.findings:
            if finding.node is not None:
                found.setdefault(finding.node, set()).add(finding.kind)
        return {
            node: [kind for kind in FINDING_KINDS if kind in kinds] for node, kinds in found.items()
        }

    def grouped_edges(self) -> list[tuple[str, str, str]]:
        """Edges with the same ends merged: (source, target, labels joined by ', ')."""
        merged: dict[tuple[str, str], list[str]] = {}
        for edge in self.edges:
            labels = merged.setdefault((edge.source, edge.target), [])
            if edge.label not in labels:
                labels.append(edge.label)
        return [(s, t, ", ".join(labels)) for (s, t), labels in merged.items()]

    def to_mermaid(self) -> str:
        """The flow as a Mermaid flowchart (renders on GitHub and in many editors)."""
        lines = ["flowchart TD"]
        order = {node_id: index for index, node_id in enumerate(self.nodes)}
        for node in self.nodes.values():
            text = _mermaid_text(node.label).replace("\n", "<br/>")
            shape = ('(["', '"])') if node.kind == "end" else ('["', '"]')
            lines.append(f"  {node.id}{shape[0]}{text}{shape[1]}")
        for source, target, label in self.grouped_edges():
            arrow = f' -- "{_mermaid_text(label)}" --> ' if label else " --> "
            lines.append(f"  {source}{arrow}{target}")
        worst: dict[str, list[str]] = {}
        for node_id, kinds in self.kinds_by_node().items():
            if node_id in self.nodes:
                worst.setdefault(kinds[0], []).append(node_id)
        for kind in dict.fromkeys(COLOURS):
            members = sorted(worst.get(kind, ()), key=order.__getitem__)
            if members:
                css = _css_name(kind)
                lines.append(f"  classDef {css} fill:{COLOURS[kind]},stroke:#333")
                lines.append(f"  class {','.join(members)} {css}")
        return "\n".join(lines) + "\n"

    def to_dot(self) -> str:
        """The flow as Graphviz DOT text (``dot -Tsvg``)."""
        lines = [
            "digraph ivr {",
            '  graph [rankdir=TB, fontname="Helvetica"];',
            '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
            'fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=9];',
        ]
        kinds_by_node = self.kinds_by_node()
        for node in self.nodes.values():
            kinds = kinds_by_node.get(node.id, [])
            attrs = [f'label="{_dot_text(node.label)}"']
            if kinds:
                attrs.append(f'fillcolor="{COLOURS[kinds[0]]}"')
                attrs.append(f'tooltip="{_dot_text(", ".join(kinds))}"')
            elif node.kind == "end":
                attrs.append('fillcolor="#e8e8e8"')
            if node.kind == "end":
                attrs.append("shape=oval")
            lines.append(f"  {node.id} [{', '.join(attrs)}];")
        for source, target, label in self.grouped_edges():
            lines.append(f'  {source} -> {target} [label="{_dot_text(label)}"];')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_svg(self) -> str:
        """The flow as an SVG picture, laid out by Graphviz ``dot`` (which must be installed).

        :raises LayoutUnavailable: ``dot`` is not on the PATH.
        """
        from .render import svg

        return svg(self.to_dot())

    def to_html(self) -> str:
        """A self-contained HTML page: the picture (when Graphviz is installed), the findings
        and the Mermaid text; it needs nothing but a browser."""
        from .render import html

        return html(self)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _mermaid_text(text: str) -> str:
    out = text.replace("&", "#amp;").replace('"', "#quot;")
    return out.replace("<", "#lt;").replace(">", "#gt;")


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _css_name(kind: str) -> str:
    return kind.replace("-", "_")
