"""Interrupt a live call: say goodbye and hang up, by replacing its BXML.

    export BW_ACCOUNT_ID=9900000 BW_USERNAME=api-user BW_PASSWORD=...
    python examples/say_goodbye.py c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85

The document is checked against the BXML schema before it is sent. Without BW_* variables
and a call id, it says goodbye to a call it places on a local emulator. intervene.py also
redirects and hangs up.
"""

from __future__ import annotations

import argparse
import sys

from _voice import has_credentials, voice_api

from bxml import Bxml, Hangup, SpeakSentence
from callcontrol import CallControlError, ConflictError


def main(argv: list[str] | None = None) -> int:
    """Replace the call's BXML with a goodbye; return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("call_id", nargs="?", help="the live call (emulator: one it places)")
    parser.add_argument("--message", default="Thank you for calling. Goodbye.")
    args = parser.parse_args(argv)
    if args.call_id is None and has_credentials():
        parser.error("with BW_* credentials, give the id of a live call")

    try:
        with voice_api() as voice:
            call_id = args.call_id or voice.place_call(hold=True)
            voice.client.update_call_bxml(call_id, Bxml(SpeakSentence(args.message), Hangup()))
            print(f"said goodbye to {call_id}")
            if args.call_id is None:
                print(f"the caller heard: {voice.finish(call_id).heard[-1]}")
    except ConflictError:
        print("the call is not active (already ended, or not answered yet)", file=sys.stderr)
        return 1
    except CallControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
