"""``callcontrol replay CASSETTE MODULE:APP``: send recorded callbacks to a new version of
an app and report every reply that changed (``--simulate``: every call whose route through
the IVR changed, each call run again in the simulator from its recorded caller script).

Exit status 0 when nothing changed, 1 when something did (or the cassette cannot be read),
2 for usage errors. The app's callback credentials come from ``--username``/``--password``
or from ``WEBHOOK_USERNAME``/``WEBHOOK_PASSWORD``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import EXIT_INVALID, EXIT_OK, Command, Context, UsageError
from ._app import load_app


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the ``replay`` options."""
    parser.add_argument("cassette", metavar="CASSETTE", help="a cassette written by record()")
    parser.add_argument("app", metavar="MODULE:APP", help="the WSGI app, e.g. examples.ivr:app")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="run each recorded call again in the simulator and report the calls whose "
        "route through the IVR changed",
    )
    parser.add_argument("--username", help="answers the app's 401 (or WEBHOOK_USERNAME)")
    parser.add_argument(
        "--password",
        help="with --username (or WEBHOOK_PASSWORD, which keeps it out of the process list)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a readable report (default); json: one JSON object",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, context: Context) -> int:
    """Replay the cassette and print what changed."""
    from ..testing.replay import changed_paths, load_exchanges, replay

    username = args.username or context.environ.get("WEBHOOK_USERNAME")
    password = args.password or context.environ.get("WEBHOOK_PASSWORD")
    if (username is None) != (password is None):
        raise UsageError("give both a username and a password (or neither)")
    app = load_app(args.app)
    try:
        exchanges = load_exchanges(args.cassette)
    except FileNotFoundError:
        raise UsageError(f"cassette {args.cassette!r} does not exist") from None
    except (ValueError, UnicodeDecodeError) as exc:
        print(f"callcontrol: cannot read the cassette: {exc}", file=context.stderr)
        return EXIT_INVALID
    if args.simulate:
        changes = changed_paths(exchanges, app, username=username, password=password)
        data: dict[str, Any] = {"changed": [change.to_dict() for change in changes]}
        count = len(changes)
        lines = [f"{count} call{'s' if count != 1 else ''} took another route"] if changes else []
        lines += [str(change) for change in changes]
        if not changes:
            lines = ["every recorded call takes the same route"]
        found = bool(changes)
    else:
        report = replay(exchanges, app, username=username, password=password)
        data, lines, found = report.to_dict(), [str(report)], not report.ok
    if args.format == "json":
        json.dump(data, context.stdout, ensure_ascii=False)
        context.stdout.write("\n")
    else:
        print("\n".join(lines), file=context.stdout)
    return EXIT_INVALID if found else EXIT_OK


COMMAND = Command(
    "replay",
    "replay recorded callbacks against a new app version (exit 1 when anything changed)",
    configure,
)
