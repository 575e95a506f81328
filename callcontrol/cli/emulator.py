"""``callcontrol emulator [--port N]``: run a local Voice Calls API until Ctrl-C."""

from __future__ import annotations

import argparse

from . import Command, Context


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add the emulator's options (the connection options do not apply)."""
    parser.add_argument("--port", default="9090", help="TCP port on 127.0.0.1 (9090; 0: any)")
    parser.add_argument("--speed", default="1.0", help="virtual time speed (1.0)")
    parser.add_argument("--app-url", default=None, help="base URL of your webhook app")
    parser.add_argument(
        "--clock", choices=("real", "manual"), default="real", help="real (scaled) or manual"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, context: Context) -> int:
    """Serve until interrupted."""
    from ..emulator.__main__ import serve

    argv = ["--port", args.port, "--speed", args.speed, "--clock", args.clock]
    if args.app_url:
        argv += ["--app-url", args.app_url]
    return serve(argv, context.stdout)


#: The ``emulator`` subcommand.
COMMAND = Command("emulator", "run a local Voice Calls API emulator on 127.0.0.1", configure)
