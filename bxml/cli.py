"""The ``bxml`` command: validate, format and lint BXML files.

::

    bxml validate ivr/*.xml          # every schema problem as FILE:LINE: PATH: message [CODE]
    bxml fmt --check ivr/*.xml       # exit 1 when a file is not formatted (for CI)
    bxml lint --ignore BX103 ivr/*.xml

``-`` reads standard input. Subcommands are rows of :data:`COMMANDS`; adding one means
adding a :class:`Command` there.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import Problem
from .exceptions import ParseError

__all__ = ["COMMANDS", "EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "Command", "main"]

#: Every file is fine.
EXIT_OK = 0
#: A file is invalid, has findings, would be reformatted, or cannot be read.
EXIT_FINDINGS = 1
#: The command line is wrong.
EXIT_USAGE = 2

STDIN = "-"
_STDIN_NAME = "<stdin>"
_CODE = re.compile(r"BX\d{3}\Z")
_CONTEXTS = ("call", "conference", "transfer_answer")

_EPILOG = """\
exit status:
  0  every file is valid / formatted / clean
  1  a file is invalid, has findings, would be reformatted, or cannot be read
  2  usage error (bad option or argument)
"""


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, how to add its options, and how to run it."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, IO[bytes], IO[str], IO[str]], int]


@dataclass(frozen=True)
class _Source:
    """One input: the name to show, and its bytes (None when it could not be read)."""

    name: str
    data: bytes | None
    error: str | None = None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bxml`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    run: Callable[[argparse.Namespace, IO[bytes], IO[str], IO[str]], int] = args.run
    return run(args, sys.stdin.buffer, sys.stdout, sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="bxml",
        description="Validate, format and lint BXML documents (Bandwidth voice markup).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.configure(sub)
        sub.set_defaults(run=command.run)
    return parser


# -- validate ------------------------------------------------------------------------------


def _configure_validate(parser: argparse.ArgumentParser) -> None:
    _add_files(parser)
    _add_format(parser)


def _run_validate(
    args: argparse.Namespace, stdin: IO[bytes], stdout: IO[str], stderr: IO[str]
) -> int:
    from . import iter_errors

    return _report(args, stdin, stdout, stderr, lambda data: list(iter_errors(data)))


# -- lint ----------------------------------------------------------------------------------


def _configure_lint(parser: argparse.ArgumentParser) -> None:
    _add_files(parser)
    _add_format(parser)
    parser.add_argument(
        "--ignore",
        metavar="CODE,...",
        type=_codes,
        default=frozenset(),
        help="rule codes to leave out, comma-separated (e.g. BX103,BX107)",
    )
    parser.add_argument(
        "--context",
        choices=_CONTEXTS,
        default="call",
        help="where the documents are used (default: call; conference and transfer_answer "
        "replies allow fewer verbs)",
    )


def _codes(text: str) -> frozenset[str]:
    codes = [code.strip() for code in text.split(",") if code.strip()]
    for code in codes:
        if not _CODE.match(code.upper()):
            raise argparse.ArgumentTypeError(f"{code!r} is not a rule code; codes look like BX101")
    return frozenset(code.upper() for code in codes)


def _run_lint(args: argparse.Namespace, stdin: IO[bytes], stdout: IO[str], stderr: IO[str]) -> int:
    from .lint import lint

    ignore: frozenset[str] = args.ignore

    def check(data: bytes) -> list[Problem]:
        return [p for p in lint(data, context=args.context) if p.code not in ignore]

    return _report(args, stdin, stdout, stderr, check)


# -- validate and lint: reading files and reporting problems -------------------------------


def _add_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="BXML files; - reads stdin")


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one line per problem, FILE:LINE: PATH: message [CODE] (default); "
        "json: one JSON object for every file",
    )


def _read_all(files: Sequence[str], stdin: IO[bytes]) -> Iterator[_Source]:
    for name in files:
        if name == STDIN:
            yield _Source(_STDIN_NAME, stdin.read())
            continue
        try:
            yield _Source(name, Path(name).read_bytes())
        except OSError as exc:
            yield _Source(name, None, f"cannot read {name}: {exc.strerror or exc}")


def _report(
    args: argparse.Namespace,
    stdin: IO[bytes],
    stdout: IO[str],
    stderr: IO[str],
    check: Callable[[bytes], list[Problem]],
) -> int:
    results: list[dict[str, Any]] = []
    failed = False
    for source in _read_all(args.files, stdin):
        if source.data is None:
            failed = True
            results.append({"file": source.name, "valid": False, "error": source.error})
            if args.format == "text":
                print(f"bxml: {source.error}", file=stderr)
            continue
        problems = check(source.data)
        failed = failed or bool(problems)
        found = [_as_json(p) for p in problems]
        results.append({"file": source.name, "valid": not problems, "problems": found})
        if args.format == "text":
            for problem in problems:
                print(problem_line(source.name, problem), file=stdout)
    if args.format == "json":
        json.dump({"valid": not failed, "files": results}, stdout, ensure_ascii=False)
        stdout.write("\n")
    return EXIT_FINDINGS if failed else EXIT_OK


def problem_line(name: str, problem: Problem) -> str:
    """``FILE:LINE: PATH: message [CODE]`` (``FILE: PATH: ...`` when the line is unknown)."""
    where = f"{name}:{problem.line}" if problem.line is not None else name
    code = f" [{problem.code}]" if problem.code else ""
    return f"{where}: {problem.path}: {_one_line(problem.message)}{code}"


def _as_json(problem: Problem) -> dict[str, Any]:
    return {
        "line": problem.line,
        "path": problem.path,
        "message": problem.message,
        "code": problem.code,
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- fmt -----------------------------------------------------------------------------------


class _Unformattable(Exception):
    """A document fmt cannot rewrite without losing or changing something."""


def _configure_fmt(parser: argparse.ArgumentParser) -> None:
    _add_files(parser)
    parser.add_argument(
        "--compact", action="store_true", help="no indentation or line breaks (default: pretty)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        action="store_true",
        help="write nothing; list the files that would change and exit 1 if any would",
    )
    mode.add_argument("--write", action="store_true", help="rewrite changed files in place")


def _run_fmt(args: argparse.Namespace, stdin: IO[bytes], stdout: IO[str], stderr: IO[str]) -> int:
    if args.write and STDIN in args.files:
        print("bxml fmt: error: --write cannot rewrite stdin (-); drop --write", file=stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for source in _read_all(args.files, stdin):
        if source.data is None:
            print(f"bxml: {source.error}", file=stderr)
            status = EXIT_FINDINGS
            continue
        try:
            formatted = format_document(source.data, compact=args.compact)
        except ParseError as exc:
            print(_parse_error_line(source.name, exc), file=stderr)
            status = EXIT_FINDINGS
            continue
        except _Unformattable as exc:
            print(f"{source.name}: {exc}", file=stderr)
            status = EXIT_FINDINGS
            continue
        changed = formatted != source.data
        if args.check:
            if changed:
                print(f"would reformat {source.name}", file=stderr)
                status = EXIT_FINDINGS
        elif args.write:
            if changed:
                Path(source.name).write_bytes(formatted)
                print(f"reformatted {source.name}", file=stderr)
        else:
            stdout.write(formatted.decode("utf-8"))
    return status


def format_document(data: bytes, *, compact: bool = False) -> bytes:
    """The canonical text of a BXML document: pretty (or ``compact``), UTF-8, newline-ended.

    The XML declaration is kept when the input has one. Unknown elements and attributes are
    kept. A document with comments or processing instructions is refused rather than
    stripped of them; the result is checked to parse back to the same document.
    """
    from .parse import parse

    doc = parse(data, strict=False)
    _refuse_dropped_markup(data)
    declaration = data.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml")
    text = doc.to_xml(pretty=not compact, xml_declaration=declaration)
    out = (text if text.endswith("\n") else text + "\n").encode("utf-8")
    if parse(out, strict=False) != doc:
        raise _Unformattable("formatting would change the document; it is left as it is")
    return out


def _refuse_dropped_markup(data: bytes) -> None:
    """Refuse comments and processing instructions: formatting would drop them.

    Called only after :func:`bxml.parse` accepted ``data``, so it has no DTD or entities.
    """
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=False
    )
    root = etree.fromstring(data, parser)
    around = [*root.itersiblings(preceding=True), *root.itersiblings()]
    for node in [*around, *root.iter(etree.Comment, etree.ProcessingInstruction)]:
        if node.tag is etree.Comment or node.tag is etree.ProcessingInstruction:
            kind = "a comment" if node.tag is etree.Comment else "a processing instruction"
            raise _Unformattable(
                f"line {node.sourceline}: {kind}; fmt would drop it, so the file is left "
                "as it is (remove it to format the file)"
            )


def _parse_error_line(name: str, exc: ParseError) -> str:
    where = name
    if exc.line is not None:
        where += f":{exc.line}" + (f":{exc.column}" if exc.column is not None else "")
    return f"{where}: {_one_line(exc.message)}"


# -- diff ----------------------------------------------------------------------------------

_DIFF_EPILOG = """\
exit status:
  0  the documents are equal to Bandwidth
  1  they differ (each change is listed)
  2  usage error, or a file that cannot be read or parsed
"""


def _configure_diff(parser: argparse.ArgumentParser) -> None:
    parser.epilog = _DIFF_EPILOG
    parser.add_argument("old", metavar="A", help="the old document; - reads stdin")
    parser.add_argument("new", metavar="B", help="the new document; - reads stdin")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one line per change, PATH: old -> new (default); json: one JSON object",
    )


def _run_diff(args: argparse.Namespace, stdin: IO[bytes], stdout: IO[str], stderr: IO[str]) -> int:
    from .diff import diff

    if args.old == STDIN and args.new == STDIN:
        print("bxml diff: error: only one of A and B can be - (stdin)", file=stderr)
        return EXIT_USAGE
    from .parse import parse

    documents = []
    for source in _read_all([args.old, args.new], stdin):
        if source.data is None:
            print(f"bxml diff: {source.error}", file=stderr)
            return EXIT_USAGE
        try:
            documents.append(parse(source.data, strict=False))
        except ParseError as exc:
            print(_parse_error_line(source.name, exc), file=stderr)
            return EXIT_USAGE
    changes = diff(documents[0], documents[1])
    if args.format == "json":
        found = [change.to_dict() for change in changes]
        json.dump({"equal": not changes, "changes": found}, stdout, ensure_ascii=False)
        stdout.write("\n")
    else:
        for change in changes:
            print(change, file=stdout)
    return EXIT_FINDINGS if changes else EXIT_OK


#: The subcommands, in the order ``--help`` lists them.
COMMANDS: tuple[Command, ...] = (
    Command("validate", "check files against the BXML schema", _configure_validate, _run_validate),
    Command("fmt", "format files (pretty by default)", _configure_fmt, _run_fmt),
    Command("lint", "find call-flow mistakes a schema cannot see", _configure_lint, _run_lint),
    Command(
        "diff", "show what differs between two documents for Bandwidth", _configure_diff, _run_diff
    ),
)
