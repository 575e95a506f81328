"""Place an outbound call and report what happened, with typed error handling.

    export BW_ACCOUNT_ID=9900000 BW_USERNAME=api-user BW_PASSWORD=...
    python examples/place_call.py --to +15551234567 --from +15557654321 \
        --application-id 04e88489-... --answer-url https://example.com/answer

Without BW_* variables it runs against a local emulator (``python examples/place_call.py``):
the call goes to a customer who presses 1 in webhook_server.py's menu, and the example
prints what the customer heard.
"""

from __future__ import annotations

import argparse
import sys

from _voice import CUSTOMER, OUR_NUMBER, Voice, has_credentials, voice_api

from callcontrol import (
    ApiError,
    CreateCall,
    InvalidRequestError,
    RateLimitError,
    TransportError,
)
from callcontrol.testing import press

REQUIRED = ("to", "from_", "application_id", "answer_url")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options; all four are required with credentials, defaulted on the emulator."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", help=f"E.164 number or SIP URI to call (emulator: {CUSTOMER})")
    parser.add_argument("--from", dest="from_", help=f"your Bandwidth number ({OUR_NUMBER})")
    parser.add_argument("--application-id", help="your Voice application (emulator: examples)")
    parser.add_argument("--answer-url", help="serves the first BXML document")
    parser.add_argument("--tag", help="sent with every webhook of this call")
    args = parser.parse_args(argv)
    missing = [name for name in REQUIRED if getattr(args, name) is None]
    if missing and has_credentials():
        options = ", ".join("--" + name.rstrip("_").replace("_", "-") for name in missing)
        parser.error(f"with BW_* credentials, give {options}")
    return args


def place(voice: Voice, args: argparse.Namespace) -> int:
    """Place the call; on the emulator, follow it to the end. Return an exit code."""
    local = voice.emulator is not None
    if voice.emulator is not None:
        voice.emulator.callee(args.to or CUSTOMER, script=[press("1")])
    call = CreateCall(
        to=args.to or CUSTOMER,
        from_=args.from_ or OUR_NUMBER,
        application_id=args.application_id or "examples",
        answer_url=args.answer_url or (voice.answer_url if local else ""),
        tag=args.tag,
    )
    created = voice.client.create_call(call)
    print(f"queued {created.call_id} to {created.to} at {created.enqueued_time}")
    if local:
        timeline = voice.finish(created.call_id)
        print(f"the call ended ({timeline.disconnect_cause}); the customer heard:")
        for line in timeline.heard:
            print(f"  {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, place the call, print its id; return an exit code."""
    args = parse_args(argv)
    try:
        with voice_api() as voice:
            return place(voice, args)
    except InvalidRequestError as exc:  # nothing was sent
        print(f"not sent: {exc}", file=sys.stderr)
        return 2
    except RateLimitError as exc:
        print(f"rate limited; retry in {exc.retry_after or 'a few'} seconds", file=sys.stderr)
        return 75
    except TransportError as exc:
        hint = " (the call may have been placed: check list_calls)" if exc.maybe_sent else ""
        print(f"no answer from the API: {exc}{hint}", file=sys.stderr)
        return 69
    except ApiError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
