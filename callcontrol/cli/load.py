"""``callcontrol load TARGET --calls 200 --concurrency 50 --digits 1``: load-test an IVR.

``TARGET`` is the base URL of a running webhook server (``http://127.0.0.1:8000``) or a
WSGI app as ``MODULE:APP``, served on 127.0.0.1 for the run. Prints the report (a table, or
JSON with ``--json``); exit status 0 when every call completed, 1 when a callback failed or
was slower than the callback timeout (Bandwidth would have failed those calls), 2 for
usage errors.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import EXIT_INVALID, EXIT_OK, Command, Context, UsageError
from ._app import load_app
from .simulate import steps_of

#: The variable holding the callbacks' Basic password (with ``--callback-user``).
PASSWORD_VARIABLE = "BW_CALLBACK_PASSWORD"


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; give a whole number >= 1")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; give a number above 0")
    return value


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the ``load`` options."""
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="a webhook server's base URL (http://127.0.0.1:8000) or a WSGI app MODULE:APP",
    )
    parser.add_argument("--calls", type=_whole, default=100, metavar="N", help="calls to run (100)")
    parser.add_argument(
        "--concurrency", type=_whole, default=10, metavar="N", help="calls at the same time (10)"
    )
    parser.add_argument("--rate", type=_positive, metavar="R", help="new calls per second at most")
    parser.add_argument(
        "--digits",
        default="",
        metavar="STEPS",
        help="what each caller does at each input, comma-separated: keys (1, 1234#), "
        "'silence' or 'hangup'; e.g. 1,silence",
    )
    parser.add_argument(
        "--speed",
        type=_positive,
        default=1.0,
        metavar="S",
        help="run the flow's own time (speech, pauses, timers) this many times faster (1)",
    )
    parser.add_argument(
        "--entry", default="/answer", metavar="PATH", help="the first callback's path (/answer)"
    )
    parser.add_argument(
        "--disconnect",
        metavar="PATH",
        help="the path of each call's disconnect callback (none by default)",
    )
    parser.add_argument(
        "--callback-timeout",
        type=float,
        default=15.0,
        metavar="T",
        help="seconds Bandwidth waits for each reply: 1 to 25 (15, the default)",
    )
    parser.add_argument(
        "--callback-user",
        metavar="NAME",
        help=f"Basic user name of the callbacks (the password comes from {PASSWORD_VARIABLE})",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def _target(text: str) -> Any:
    if text.startswith(("http://", "https://")):
        return text
    return load_app(text)


def _advance(bar: Any, done: int) -> None:
    bar.update(done - bar.n)


def run(args: argparse.Namespace, context: Context) -> int:
    """Run the load test, print the report; 1 when any call failed."""
    from tqdm import tqdm

    from ..load import run as load_run

    password = None
    if args.callback_user is not None:
        password = context.environ.get(PASSWORD_VARIABLE)
        if password is None:
            raise UsageError(f"--callback-user needs the password in {PASSWORD_VARIABLE}")
    script = steps_of(args.digits)
    target = _target(args.target)
    bar = tqdm(
        total=args.calls,
        unit="call",
        file=context.stderr,
        disable=not context.stderr.isatty(),
        leave=False,
    )
    try:
        report = load_run(
            target,
            calls=args.calls,
            concurrency=args.concurrency,
            script=script,
            entry=args.entry,
            rate=args.rate,
            speed=args.speed,
            username=args.callback_user,
            password=password,
            callback_timeout=args.callback_timeout,
            disconnect=args.disconnect,
            progress=lambda done: _advance(bar, done),
        )
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    finally:
        bar.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2), file=context.stdout)
    else:
        print(report.table(), file=context.stdout)
    return EXIT_OK if report.ok else EXIT_INVALID


COMMAND = Command(
    name="load",
    help="load-test an IVR: many simulated callers sending callbacks over HTTP",
    configure=configure,
)
