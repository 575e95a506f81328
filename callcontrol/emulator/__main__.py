"""``python -m callcontrol.emulator [--port N]``: run the emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any


def serve(
    argv: Sequence[str] | None = None,
    out: IO[str] = sys.stdout,
    stop: threading.Event | None = None,
) -> int:
    """Serve until Ctrl-C (or until ``stop`` is set); returns the exit status."""
    from ..cli.emulator import add_options

    parser = argparse.ArgumentParser(
        prog="callcontrol emulator", description="Run a local Voice Calls API on 127.0.0.1."
    )
    add_options(parser)
    return serve_args(parser.parse_args(argv), out, stop)


def serve_args(
    args: argparse.Namespace, out: IO[str] = sys.stdout, stop: threading.Event | None = None
) -> int:
    """Serve with the options of ``callcontrol emulator`` (:mod:`callcontrol.cli.emulator`)."""
    from .emulator import VoiceEmulator

    emu = VoiceEmulator(
        args.app_url, port=args.port, speed=args.speed, seed=args.seed, clock=args.clock
    )
    admin = emu.base_url.removesuffix("/api/v2") + "/_emulator"
    waiter = stop or threading.Event()
    previous = _stop_on_sigterm()
    try:  # from here on, Ctrl-C (even during the banner) closes the emulator
        _banner(out, emu.base_url, emu.account_id, emu.username, emu.password, admin)
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        out.write("stopping\n")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        emu.close(timeout=5.0)
    return 0


def _banner(
    out: IO[str], base_url: str, account: str, user: str, password: str, admin: str
) -> None:
    out.write(
        f"Voice API emulator on {base_url}\n"
        f"  account id {account}, username {user}, password {password}\n"
        "  (loopback only; these credentials are the emulator's own)\n"
        f"Emulator API (callees, destinations, faults, clock, timelines): {admin}\n"
        f"  try: curl -u {user}:{password} {admin}  (all of it: docs/emulator.md)\n"
        "Press Ctrl-C to stop.\n"
    )
    out.flush()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm() -> Any:
    """SIGTERM (``kill``, a service manager) stops the emulator as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _interrupt)


if __name__ == "__main__":
    from ..cli import main

    sys.exit(main(["emulator", *sys.argv[1:]]))
