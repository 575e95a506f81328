"""``callcontrol emulator [--port N]``: run a local Voice Calls API until Ctrl-C.

The options are defined once, here: ``python -m callcontrol.emulator`` takes the same ones.
"""

from __future__ import annotations

import argparse
import errno
import math

from . import Command, Context, UsageError

DEFAULT_PORT = 9090


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options (the connection options do not apply)."""
    parser.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help="TCP port on 127.0.0.1 (9090; 0: any free)"
    )
    parser.add_argument(
        "--speed", type=speed, default=1.0, help="virtual seconds per wall second, above 0 (1.0)"
    )
    parser.add_argument("--app-url", default=None, help="base URL of your webhook app")
    parser.add_argument(
        "--seed", type=seed, default=0, help="seed for call ids, a whole number (0)"
    )
    parser.add_argument(
        "--clock", choices=("real", "manual"), default="real", help="real (scaled) or manual"
    )


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the options and the command."""
    add_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, context: Context) -> int:
    """Serve until interrupted; a port in use is one line."""
    from ..emulator.__main__ import serve_args

    try:
        return serve_args(args, context.stdout)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise UsageError(
            f"port {args.port} on 127.0.0.1 is in use: stop what uses it, or choose another "
            "with --port (0 picks a free one)"
        ) from None


def port(text: str) -> int:
    """``--port``: 0 to 65535."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port; give 0 to 65535")
    return value


def speed(text: str) -> float:
    """``--speed``: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; give a number above 0")
    return value


def seed(text: str) -> int:
    """``--seed``: a whole number."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


#: The ``emulator`` subcommand.
COMMAND = Command("emulator", "run a local Voice Calls API emulator on 127.0.0.1", configure)
