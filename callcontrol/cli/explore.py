"""``callcontrol explore MODULE:APP``: walk every branch of a WSGI IVR, draw it, list its dead ends.

Exit status 0 when nothing was found, 1 with findings, 2 for usage errors.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import EXIT_INVALID, EXIT_OK, Command, Context, UsageError
from ._app import load_app, usage_error


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the ``explore`` options."""
    parser.add_argument("app", metavar="MODULE:APP", help="the WSGI app, e.g. examples.ivr:app")
    parser.add_argument("--entry", default="/answer", help="the first callback's path (/answer)")
    parser.add_argument("--html", type=Path, metavar="FILE", help="write the picture as HTML")
    parser.add_argument(
        "--mermaid", type=Path, metavar="FILE", help="write the flow as Markdown with Mermaid"
    )
    parser.add_argument("--dot", type=Path, metavar="FILE", help="write the flow as Graphviz DOT")
    parser.add_argument(
        "--app-url",
        default="https://app.test",
        help="the base URL the app's callbacks go to (default https://app.test)",
    )
    parser.add_argument("--disconnect-url", help="the call's disconnect callback path")
    parser.add_argument("--max-depth", type=_positive, default=12, help="caller inputs per call")
    parser.add_argument("--max-calls", type=_positive, default=2000, help="simulated calls")
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="KIND",
        help="accept findings of this kind (repeatable), e.g. dead-verb",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, context: Context) -> int:
    """Explore, write the pictures asked for, print the report."""
    from ..testing import explore
    from ..testing.flowgraph import FINDING_KINDS

    unknown = [kind for kind in args.ignore if kind not in FINDING_KINDS]
    if unknown:
        raise UsageError(
            f"--ignore {unknown[0]!r} is not a kind of finding; use one of "
            + ", ".join(FINDING_KINDS)
        )
    app = load_app(args.app)
    try:
        graph = explore(
            app,
            args.entry,
            base_url=args.app_url,
            disconnect_url=args.disconnect_url,
            max_depth=args.max_depth,
            max_calls=args.max_calls,
        )
    except (TypeError, ValueError) as exc:
        raise usage_error(exc) from exc
    graph.findings = [f for f in graph.findings if f.kind not in set(args.ignore)]
    status = EXIT_INVALID if graph.findings else EXIT_OK
    if args.html and not write_html(args.html, graph.to_html(), context):
        status = EXIT_INVALID
    if args.mermaid:
        args.mermaid.write_text(markdown(graph.entry, graph.to_mermaid()), encoding="utf-8")
    if args.dot:
        args.dot.write_text(graph.to_dot(), encoding="utf-8")
    for line in graph.summary():
        print(line, file=context.stdout)
    return status


def write_html(path: Path, page: str, context: Context) -> bool:
    """Write the page, unless it has no picture and would replace one that has; say so.

    Without Graphviz the page has no picture (a note says why). An existing page with a
    picture is then kept, not silently replaced by a poorer one; False when it was kept.
    """
    if _has_picture(page):
        path.write_text(page, encoding="utf-8")
        return True
    if path.is_file() and _has_picture(path.read_text(encoding="utf-8", errors="replace")):
        print(
            f"callcontrol: {path} kept: it has a picture, and without Graphviz's dot this run "
            "would write none (install Graphviz, or remove the file to write a page without one)",
            file=context.stderr,
        )
        return False
    path.write_text(page, encoding="utf-8")
    print(
        f"callcontrol: {path} has no picture: Graphviz's dot is not installed "
        "(--mermaid and --dot work without it)",
        file=context.stderr,
    )
    return True


def _has_picture(page: str) -> bool:
    return "<svg" in page


def markdown(entry: str, mermaid: str) -> str:
    """A Markdown page holding the Mermaid flowchart (GitHub renders it)."""
    return f"# Call flow from {entry}\n\n```mermaid\n{mermaid}```\n"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not allowed; give a whole number of 1 or more"
        )
    return value


COMMAND = Command("explore", "walk every branch of a WSGI IVR and report its dead ends", configure)
