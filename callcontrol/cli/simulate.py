"""``callcontrol simulate MODULE:APP --digits 1,2``: run one simulated call against a WSGI app
and print its transcript.

Exit status 0 when the call ran to its end, 1 when the app raised or script steps were left
unused, 2 for usage errors.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from . import EXIT_INVALID, EXIT_OK, Command, Context, UsageError
from ._app import load_app, usage_error

if TYPE_CHECKING:
    from ..engine.script import Step


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` options."""
    parser.add_argument("app", metavar="MODULE:APP", help="the WSGI app, e.g. examples.ivr:app")
    parser.add_argument("--entry", default="/answer", help="the first callback's path (/answer)")
    parser.add_argument(
        "--digits",
        default="",
        metavar="STEPS",
        help="what the caller does at each input, comma-separated: keys (1, 1234#), "
        "'silence' or 'hangup'; e.g. 1,silence,2",
    )
    parser.add_argument("--outbound", action="store_true", help="an outbound call (answer)")
    parser.add_argument(
        "--from", dest="from_", metavar="FROM", default="+15551230000", help="the caller"
    )
    parser.add_argument("--to", default="+15553334444", help="the number called")
    parser.add_argument(
        "--app-url",
        default="https://app.test",
        help="the base URL the app's callbacks go to (default https://app.test)",
    )
    parser.add_argument("--disconnect-url", help="the call's disconnect callback path")
    parser.set_defaults(run=run)


def steps_of(text: str) -> list[Step]:
    """The script for ``--digits``: keys, ``silence`` and ``hangup``, comma-separated."""
    from ..testing import hang_up, press, silence

    script: list[Step] = []
    for index, item in enumerate(part.strip() for part in text.split(",") if text.strip()):
        if item == "silence":
            script.append(silence())
        elif item == "hangup":
            script.append(hang_up())
        else:
            try:
                script.append(press(item))
            except ValueError:
                raise UsageError(
                    f"--digits item {index + 1} {item!r} is not allowed; give keys 0-9 * #, "
                    "'silence' or 'hangup'"
                ) from None
    return script


def run(args: argparse.Namespace, context: Context) -> int:
    """Run the call and print the transcript, then one line on how it ended."""
    from ..testing import AppError, CallSimulator, UnusedStepsError

    script = steps_of(args.digits)
    app = load_app(args.app)
    try:
        sim = CallSimulator(app, base_url=args.app_url)
    except (TypeError, ValueError) as exc:
        raise usage_error(exc) from exc
    start = sim.outbound if args.outbound else sim.inbound
    try:
        call = start(
            args.entry,
            script=script,
            from_=args.from_,
            to=args.to,
            disconnect_url=args.disconnect_url,
        )
    except AppError as exc:
        print(f"callcontrol: {' '.join(str(exc).split())}", file=context.stderr)
        return EXIT_INVALID
    except UnusedStepsError as exc:
        print(str(exc.call), file=context.stdout)
        print(f"callcontrol: {' '.join(str(exc).split())}", file=context.stderr)
        return EXIT_INVALID
    print(str(call), file=context.stdout)
    error = f" ({call.error})" if call.error else ""
    print(
        f"call ended: {call.disconnect_cause}{error} after {call.duration:g} s",
        file=context.stdout,
    )
    return EXIT_OK


COMMAND = Command("simulate", "run one simulated call against a WSGI app", configure)
