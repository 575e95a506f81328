"""The ``callcontrol`` command: find, inspect and change live calls from a shell.

::

    callcontrol calls list --to +15551234567
    callcontrol calls bxml c-1234 goodbye.xml
    callcontrol calls bxml --all-active --workers 4 goodbye.xml

Credentials come from the ``BW_*`` environment variables (as :meth:`CallsClient.from_env`)
or from flags; ``--base-url`` points at another Voice API (a local emulator). Every failure
is one line on stderr, and the exit status tells its kind (:data:`EXIT_CODES`).

Subcommands live in their own modules, listed in :data:`COMMAND_MODULES`; each defines
``COMMAND``, a :class:`Command`. Adding a subcommand is adding a module and its row.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

__all__ = [
    "COMMAND_MODULES",
    "EXIT_API",
    "EXIT_CODES",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_TRANSPORT",
    "EXIT_USAGE",
    "Command",
    "Context",
    "UsageError",
    "main",
]

#: Done.
EXIT_OK = 0
#: Invalid input (a bad value or BXML file), or some calls of a bulk change failed.
EXIT_INVALID = 1
#: Usage: a bad option, or missing or unusable credentials and settings.
EXIT_USAGE = 2
#: The Voice API answered with an error (or with something unreadable).
EXIT_API = 3
#: No answer from the Voice API: refused connection, timeout, deadline.
EXIT_TRANSPORT = 4

#: The exit statuses and what they mean, as ``--help`` lists them.
EXIT_CODES: Mapping[int, str] = {
    EXIT_OK: "success",
    EXIT_INVALID: "invalid input (a bad value or BXML file), or a bulk change with failed calls",
    EXIT_USAGE: "usage error: bad options, or missing or unusable credentials",
    EXIT_API: "the Voice API answered with an error",
    EXIT_TRANSPORT: "no answer from the Voice API (connection refused, timeout)",
}

#: The modules that define the subcommands, in ``--help`` order.
COMMAND_MODULES: tuple[str, ...] = (
    "callcontrol.cli.calls",
    "callcontrol.cli.demo",
    "callcontrol.cli.emulator",
    "callcontrol.cli.explore",
    "callcontrol.cli.load",
    "callcontrol.cli.replay",
    "callcontrol.cli.simulate",
)


@dataclass(frozen=True)
class Context:
    """Where a command writes and what environment it reads."""

    stdout: IO[str]
    stderr: IO[str]
    environ: Mapping[str, str]


Run = Callable[[argparse.Namespace, Context], int]


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help and how to configure its parser.

    ``configure(parser, common)`` adds the options (and sub-subcommands) and sets a ``run``
    default, a function ``(args, context) -> exit status``; ``common`` is the parent parser
    of the connection options, for every leaf parser to include.
    """

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser, argparse.ArgumentParser], None]


class UsageError(Exception):
    """A problem with the command line or the settings (exit status 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``callcontrol`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    context = Context(sys.stdout, sys.stderr, os.environ)
    run: Run = args.run
    try:
        return run(args, context)
    except KeyboardInterrupt:
        print("callcontrol: interrupted", file=context.stderr)
        return 130
    except Exception as exc:
        if getattr(args, "debug", False):
            traceback.print_exc(file=context.stderr)
        status, line = describe(exc)
        print(f"callcontrol: {line}", file=context.stderr)
        return status


def describe(exc: Exception) -> tuple[int, str]:
    """The exit status for a failure, and its one-line message."""
    from ..exceptions import (
        ApiError,
        CallControlError,
        InvalidRequestError,
        TransportError,
        UnexpectedResponseError,
    )

    text = " ".join(str(exc).split())
    if isinstance(exc, UsageError):
        return EXIT_USAGE, f"error: {text}"
    if isinstance(exc, InvalidRequestError):
        return EXIT_INVALID, f"invalid input: {text}"
    if isinstance(exc, (ApiError, UnexpectedResponseError)):
        return EXIT_API, f"API error: {text}"
    if isinstance(exc, TransportError):
        return EXIT_TRANSPORT, f"no answer from the Voice API: {text}"
    if isinstance(exc, CallControlError):
        return EXIT_API, f"error: {text}"
    if isinstance(exc, OSError):
        return EXIT_INVALID, f"invalid input: {text}"
    name = type(exc).__name__
    return EXIT_INVALID, f"unexpected {name}: {text} (run with --debug for the traceback)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`COMMAND_MODULES`."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="callcontrol",
        description="Find, inspect and change live calls through Bandwidth's Voice API.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        command: Command = importlib.import_module(name).COMMAND
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            epilog=epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.configure(sub, common)
    return parser


def epilog() -> str:
    """The text after every ``--help``: settings and exit statuses."""
    codes = "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())
    return (
        "settings: BW_ACCOUNT_ID, BW_USERNAME and BW_PASSWORD (or BW_CLIENT_ID and\n"
        "BW_CLIENT_SECRET), BW_VOICE_BASE_URL; a flag wins over its variable.\n\n"
        f"exit status:\n{codes}\n"
    )


def _common_options() -> argparse.ArgumentParser:
    # SUPPRESS: an option given before the subcommand is not reset by the subcommand's parser.
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    hidden = argparse.SUPPRESS
    group.add_argument("--account-id", default=hidden, help="the account (BW_ACCOUNT_ID)")
    group.add_argument("--username", default=hidden, help="API user name (BW_USERNAME)")
    group.add_argument(
        "--password", default=hidden, help="API password (BW_PASSWORD; prefer the variable)"
    )
    group.add_argument("--client-id", default=hidden, help="OAuth2 client id (BW_CLIENT_ID)")
    group.add_argument(
        "--client-secret",
        default=hidden,
        help="OAuth2 client secret (BW_CLIENT_SECRET; prefer the variable)",
    )
    group.add_argument(
        "--base-url",
        default=hidden,
        help="Voice API root, e.g. a local emulator (BW_VOICE_BASE_URL)",
    )
    group.add_argument(
        "--retries",
        type=_retries,
        default=hidden,
        help="retries of a refused (429) or failed request (default 3)",
    )
    group.add_argument(
        "--debug", action="store_true", default=hidden, help="show tracebacks of failures"
    )
    return common


def _retries(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; give a whole number 0 to 10")
    return value
