"""``callcontrol calls ...``: list, inspect, place, redirect and end calls; replace their BXML."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any

from . import EXIT_INVALID, EXIT_OK, Command, Context
from ._client import make_client

if TYPE_CHECKING:
    from ..models import CallState

#: Fields masked in everything printed.
SECRET_FIELDS = frozenset({"password", "fallbackPassword"})

#: Table columns: heading, width, and the text of a call.
_COLUMNS: tuple[tuple[str, int, Callable[[CallState], str]], ...] = (
    ("CALL ID", 47, lambda c: c.call_id or "-"),
    ("STATE", 12, lambda c: c.state or "-"),
    ("DIRECTION", 9, lambda c: c.direction or "-"),
    ("FROM", 16, lambda c: c.from_ or "-"),
    ("TO", 16, lambda c: c.to or "-"),
    ("START (UTC)", 19, lambda c: _time(c.start_time)),
    ("END (UTC)", 19, lambda c: _time(c.end_time)),
    ("CAUSE", 0, lambda c: c.disconnect_cause or "-"),
)


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the ``calls`` subcommands."""
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)

    def action(name: str, help: str, run: Callable[[argparse.Namespace, Context], int]) -> Any:
        sub = actions.add_parser(
            name,
            help=help,
            description=help,
            parents=[common],
            epilog=parser.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(run=run)
        return sub

    _configure_list(action("list", "list calls (newest 7 days), following every page", _list))
    get = action("get", "show the state of one call as JSON", _get)
    get.add_argument("call_id", metavar="ID")
    _configure_create(action("create", "place an outbound call", _create))
    redirect = action("redirect", "interrupt a call and continue with the BXML at URL", _redirect)
    redirect.add_argument("call_id", metavar="ID")
    redirect.add_argument("url", metavar="URL")
    redirect.add_argument("--method", choices=("GET", "POST"), help="how to fetch URL")
    redirect.add_argument("--tag", help="the call's new tag")
    hangup = action("hangup", "end a call (cancel it if not answered)", _hangup)
    hangup.add_argument("call_id", metavar="ID")
    from .bulk import configure_bxml

    configure_bxml(action("bxml", "replace the BXML of a call, or of every active call", _bxml))


# -- list -------------------------------------------------------------------------------


def _configure_list(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", help="only calls to this number or SIP URI")
    parser.add_argument("--from", dest="from_", metavar="FROM", help="only calls from this number")
    parser.add_argument("--min-start-time", help="started at or after (ISO 8601)")
    parser.add_argument("--max-start-time", help="started at or before (ISO 8601)")
    parser.add_argument("--disconnect-cause", help="only calls that ended so (e.g. hangup)")
    parser.add_argument("--page-size", type=int, help="calls per request (1-10000)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


def _list(args: argparse.Namespace, context: Context) -> int:
    with make_client(args, context.environ) as client:
        calls = client.list_calls(
            to=args.to,
            from_=args.from_,
            min_start_time=args.min_start_time,
            max_start_time=args.max_start_time,
            disconnect_cause=args.disconnect_cause,
            page_size=args.page_size,
        )
        write = _json_lines if args.json else write_table
        write(calls, context.stdout)
    return EXIT_OK


def write_table(calls: Iterable[CallState], out: IO[str]) -> None:
    """One line per call under a heading, written as the pages arrive; nothing is cut short.

    The heading waits for the first page, so a request that fails prints no table at all.
    """
    rows = iter(calls)
    first = next(rows, None)
    out.write(_row([heading for heading, _, _ in _COLUMNS]))
    for call in itertools.chain([first] if first is not None else [], rows):
        out.write(_row([text(call) for _, _, text in _COLUMNS]))
        out.flush()


def _row(cells: list[str]) -> str:
    padded = [cell.ljust(width) for cell, (_, width, _) in zip(cells, _COLUMNS, strict=True)]
    return "  ".join(padded).rstrip() + "\n"


def _time(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _json_lines(calls: Iterable[CallState], out: IO[str]) -> None:
    for call in calls:
        out.write(json.dumps(masked(call.to_dict()), ensure_ascii=False) + "\n")
        out.flush()


def masked(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the values of :data:`SECRET_FIELDS` replaced by ``"***"``."""
    return {key: "***" if key in SECRET_FIELDS and value else value for key, value in data.items()}


# -- get, create, redirect, hangup ----------------------------------------------------------


def _get(args: argparse.Namespace, context: Context) -> int:
    with make_client(args, context.environ) as client:
        state = client.get_call_state(args.call_id)
    _print_json(masked(state.to_dict()), context.stdout)
    return EXIT_OK


#: createCall options: (flag, field, type, help).
_CREATE_OPTIONS: tuple[tuple[str, str, Callable[[str], Any], str], ...] = (
    ("--to", "to", str, "the number (E.164) or SIP URI to call (required)"),
    ("--from", "from_", str, "your Bandwidth number, E.164 (required)"),
    ("--answer-url", "answer_url", str, "where the answer callback goes (required)"),
    ("--application-id", "application_id", str, "the voice application (BW_APPLICATION_ID)"),
    ("--answer-method", "answer_method", str, "GET or POST"),
    ("--answer-fallback-url", "answer_fallback_url", str, "used when answer-url fails"),
    ("--disconnect-url", "disconnect_url", str, "where the disconnect callback goes"),
    ("--disconnect-method", "disconnect_method", str, "GET or POST"),
    ("--call-timeout", "call_timeout", float, "seconds to ring, 1-300"),
    ("--callback-timeout", "callback_timeout", float, "seconds to wait for a callback, 1-25"),
    ("--priority", "priority", int, "1 (first) to 5"),
    ("--tag", "tag", str, "sent with every callback"),
    ("--display-name", "display_name", str, "caller name shown to the callee"),
)


def _configure_create(parser: argparse.ArgumentParser) -> None:
    for flag, field, kind, help in _CREATE_OPTIONS:
        metavar = flag.removeprefix("--").upper().replace("-", "_")
        parser.add_argument(flag, dest=field, metavar=metavar, type=kind, help=help)


def _create(args: argparse.Namespace, context: Context) -> int:
    fields = {field: getattr(args, field) for _, field, _, _ in _CREATE_OPTIONS}
    if fields["application_id"] is None:
        fields["application_id"] = context.environ.get("BW_APPLICATION_ID") or None
    missing = [flag for flag, field, _, _ in _CREATE_OPTIONS[:4] if fields[field] is None]
    if missing:
        from . import UsageError

        raise UsageError(f"calls create needs {', '.join(missing)}")
    with make_client(args, context.environ) as client:
        created = client.create_call(**{k: v for k, v in fields.items() if v is not None})
    _print_json(masked(created.to_dict()), context.stdout)
    return EXIT_OK


def _redirect(args: argparse.Namespace, context: Context) -> int:
    with make_client(args, context.environ) as client:
        client.redirect(args.call_id, args.url, method=args.method, tag=args.tag)
    print(f"{args.call_id}: redirected to {args.url}", file=context.stdout)
    return EXIT_OK


def _hangup(args: argparse.Namespace, context: Context) -> int:
    with make_client(args, context.environ) as client:
        client.hangup(args.call_id)
    print(f"{args.call_id}: hung up", file=context.stdout)
    return EXIT_OK


# -- bxml ---------------------------------------------------------------------------------


def _bxml(args: argparse.Namespace, context: Context) -> int:
    from .bulk import resolve_targets, run_bulk

    resolve_targets(args)
    payload = read_bxml(args.file, context)
    if payload is None:
        return EXIT_INVALID
    if args.all_active:
        return run_bulk(args, context, payload)
    with make_client(args, context.environ) as client:
        client.update_call_bxml(args.call_id, payload)
    print(f"{args.call_id}: BXML replaced", file=context.stdout)
    return EXIT_OK


#: What ``calls bxml`` says of a file whose root is <Response>.
RESPONSE_ROOT = (
    "the root must be <Bxml>: a live call's BXML is a <Bxml> document (<Response> is for "
    "webhook replies); rename the root element to <Bxml>, the verbs stay the same"
)


def read_bxml(name: str, context: Context) -> str | None:
    """The text of a ``<Bxml>`` file (``-``: stdin), or None after printing its problems.

    The file is checked as the live-call update checks it (:func:`bxml.check_bxml_body`):
    a <Bxml> root, UTF-8, at most 64 KB, valid.
    """
    import bxml
    from bxml.cli import InputError, problem_line, read_input
    from bxml.schema import check_bxml_body

    shown = "<stdin>" if name == "-" else name
    try:
        data = read_input(name, sys.stdin.buffer)
    except InputError as exc:
        print(f"callcontrol: {exc}", file=context.stderr)
        return None
    try:
        check_bxml_body(data)
    except bxml.ValidationError as exc:
        for problem in exc.errors:
            if problem.code == "BX004" and problem.path == "/Response":
                problem = bxml.Problem(problem.path, problem.line, RESPONSE_ROOT, problem.code)
            print(problem_line(shown, problem), file=context.stderr)
        return None
    return data.decode("utf-8")


def _print_json(data: dict[str, Any], out: IO[str]) -> None:
    out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


#: The ``calls`` subcommand.
COMMAND = Command("calls", "list, inspect and change calls", configure, connects=True)
