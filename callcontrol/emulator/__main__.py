"""``python -m callcontrol.emulator [--port N]``: run the emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from typing import IO


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
    out.write(
        f"Voice API emulator on {emu.base_url}\n"
        f"  account id {emu.account_id}, username {emu.username}, password {emu.password}\n"
        "  (loopback only; these credentials are the emulator's own)\n"
        f"Emulator API (callees, destinations, faults, clock, timelines): {admin}\n"
        "Press Ctrl-C to stop.\n"
    )
    out.flush()
    waiter = stop or threading.Event()
    try:
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        out.write("stopping\n")
    finally:
        emu.close()
    return 0


if __name__ == "__main__":
    from ..cli import main

    sys.exit(main(["emulator", *sys.argv[1:]]))
