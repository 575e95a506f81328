"""``callcontrol demo``: one call through the local emulator and an example IVR."""

from __future__ import annotations

import argparse

from . import Command, Context


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """The demo takes no connection options; ``--speed`` sets how fast it runs."""
    parser.add_argument("--speed", default="100", help="virtual seconds per wall second (100)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, context: Context) -> int:
    """Run the demo, printing to the context's stdout."""
    from ..emulator.demo import run as run_demo

    try:
        speed = float(args.speed)
    except ValueError:
        speed = -1.0
    if not speed > 0:
        from . import UsageError

        raise UsageError(f"--speed must be a number above 0, not {args.speed!r}")
    return run_demo(context.stdout, speed=speed)


#: The ``demo`` subcommand.
COMMAND = Command(
    "demo", "run one call end to end on a local emulator (no account needed)", configure
)
