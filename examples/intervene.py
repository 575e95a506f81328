"""Act on a live call: replace its BXML, redirect it to a new document, or hang it up.

    export BW_ACCOUNT_ID=9900000 BW_USERNAME=api-user BW_PASSWORD=...
    python examples/intervene.py bxml c-15ac29a2-... --message "We are closing. Goodbye."
    python examples/intervene.py redirect c-15ac29a2-... --url https://example.com/closing
    python examples/intervene.py hangup c-15ac29a2-...

Without BW_* variables, and with no call id, it places a call on a local emulator, acts on it
while the menu of webhook_server.py plays, and prints what the caller heard
(``python examples/intervene.py redirect``).
"""

from __future__ import annotations

import argparse
import sys

from _voice import Voice, has_credentials, voice_api
from webhook_server import app as ivr_app

from bxml import Bxml, Hangup, Response, SpeakSentence
from callcontrol import CallControlError, ConflictError, NotFoundError

ACTIONS = ("bxml", "redirect", "hangup")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The action, the call and the action's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=ACTIONS)
    parser.add_argument("call_id", nargs="?", help="the live call (emulator: one it places)")
    parser.add_argument("--message", default="Sorry, we have to end this call. Goodbye.")
    parser.add_argument("--url", help="redirect: where the call's next BXML comes from")
    args = parser.parse_args(argv)
    if has_credentials():
        if args.call_id is None:
            parser.error("with BW_* credentials, give the id of a live call")
        if args.action == "redirect" and args.url is None:
            parser.error("redirect needs --url, a URL your app answers with BXML")
    return args


def act(voice: Voice, action: str, call_id: str, args: argparse.Namespace) -> None:
    """Do ``action`` to the call."""
    goodbye = (SpeakSentence(args.message), Hangup())
    if action == "bxml":  # updateCallBxml: the new document starts at once
        voice.client.update_call_bxml(call_id, Bxml(*goodbye))
    elif action == "redirect":  # updateCall: the call fetches its next document from url
        url = args.url
        if url is None:  # the emulator's app serves the goodbye under a one-off path
            url = voice.app_url + ivr_app.host(Response(*goodbye), ttl=60)
        voice.client.redirect(call_id, url)
    else:  # updateCall with state=completed
        voice.client.hangup(call_id)
    print(f"{action}: done for {call_id}")


def main(argv: list[str] | None = None) -> int:
    """Act on the given call, or on one placed on the emulator; return an exit code."""
    args = parse_args(argv)
    try:
        with voice_api() as voice:
            local_call = args.call_id is None
            call_id = voice.place_call(hold=True) if local_call else args.call_id
            act(voice, args.action, call_id, args)
            if local_call:
                timeline = voice.finish(call_id)
                print(f"the call ended ({timeline.disconnect_cause}); the caller heard:")
                for line in timeline.heard:
                    print(f"  {line}")
    except (ConflictError, NotFoundError):
        print("the call is not active (already ended, or not answered yet)", file=sys.stderr)
        return 1
    except CallControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
