"""Pictures of a FlowGraph: SVG laid out by Graphviz ``dot``, and a self-contained HTML page."""

from __future__ import annotations

import html as _html
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

from .flowgraph import COLOURS

if TYPE_CHECKING:
    from .flowgraph import FlowGraph

DOT_TIMEOUT = 60.0
#: The most nodes :func:`html` asks Graphviz to lay out: dot's time grows faster than the
#: graph (about 4 s for 2,000 nodes and 19 s for 5,000 on one core), so a larger page gets
#: the findings and the Mermaid text without a picture instead of a long wait.
HTML_LAYOUT_NODES = 2000
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)


class LayoutUnavailable(RuntimeError):
    """Graphviz ``dot`` is not installed (or failed), so no SVG can be laid out."""


def svg(dot_text: str) -> str:
    """Lay out ``dot_text`` with Graphviz ``dot`` and return the SVG element."""
    program = shutil.which("dot")
    if program is None:
        raise LayoutUnavailable(
            "the picture needs Graphviz's dot program on the PATH (e.g. apt-get install "
            "graphviz, brew install graphviz); to_mermaid() and to_dot() work without it"
        )
    try:
        done = subprocess.run(
            [program, "-Tsvg"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LayoutUnavailable(f"Graphviz dot failed: {exc}") from exc
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", "replace").strip()
        raise LayoutUnavailable(f"Graphviz dot failed (exit {done.returncode}): {problem}")
    return _PROLOG.sub("", done.stdout.decode("utf-8"), count=1)


def _laid_out(graph: FlowGraph) -> str:
    """The DOT text of ``graph``, or LayoutUnavailable when it is too large for a page."""
    if len(graph.nodes) > HTML_LAYOUT_NODES:
        raise LayoutUnavailable(
            f"the graph has {len(graph.nodes):,} nodes, more than the {HTML_LAYOUT_NODES:,} "
            "Graphviz lays out in reasonable time (to_svg() still tries, for up to "
            f"{DOT_TIMEOUT:g} s)"
        )
    return graph.to_dot()


def html(graph: FlowGraph) -> str:
    """A page that opens in any browser offline: no scripts, no links to fetch."""
    try:
        picture = svg(_laid_out(graph))
    except LayoutUnavailable as exc:
        picture = f'<p class="note">No picture: {_html.escape(str(exc))}.</p>'
    rows = "\n".join(
        f"<tr><td>{_html.escape(f.kind)}</td><td>{_html.escape(f.message)}</td>"
        f"<td><code>{_html.escape(repr(f.path))}</code></td></tr>"
        for f in graph.findings
    )
    findings = (
        f"<table><tr><th>kind</th><th>what</th><th>script</th></tr>\n{rows}\n</table>"
        if graph.findings
        else "<p>No findings.</p>"
    )
    legend = " ".join(
        f'<span class="key" style="background:{COLOURS[kind]}">{_html.escape(kind)}</span>'
        for kind in dict.fromkeys(f.kind for f in graph.findings)
    )
    notes = "".join(f"<li>{_html.escape(note)}</li>" for note in graph.notes)
    title = f"Call flow from {graph.entry}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_html.escape(title)}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
.note {{ color: #a33; }}
.key {{ padding: 0.1em 0.5em; border: 1px solid #333; margin-right: 0.4em; }}
svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{_html.escape(title)}</h1>
<p>{_html.escape(graph.summary()[0])}</p>
<p>{legend}</p>
{picture}
<h2>Findings</h2>
{findings}
{f"<h2>Limits</h2><ul>{notes}</ul>" if notes else ""}
<h2>Mermaid</h2>
<pre>{_html.escape(graph.to_mermaid())}</pre>
</body>
</html>
"""
