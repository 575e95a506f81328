"""Place an outbound call and report what happened, with typed error handling.

    export BW_ACCOUNT_ID=9900000 BW_USERNAME=api-user BW_PASSWORD=...
    python examples/place_call.py --to +15551234567 --from +15557654321 \
        --application-id 04e88489-... --answer-url https://example.com/answer

Set BW_VOICE_BASE_URL to talk to a local emulator instead of Bandwidth.
"""

from __future__ import annotations

import argparse
import sys

from callcontrol import (
    ApiError,
    CallsClient,
    CreateCall,
    InvalidRequestError,
    RateLimitError,
    TransportError,
)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, place the call, print its id; return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", required=True, help="E.164 number or SIP URI to call")
    parser.add_argument("--from", dest="from_", required=True, help="your Bandwidth number")
    parser.add_argument("--application-id", required=True)
    parser.add_argument("--answer-url", required=True, help="serves the first BXML document")
    parser.add_argument("--tag", help="sent with every webhook of this call")
    args = parser.parse_args(argv)

    try:
        call = CreateCall(
            to=args.to,
            from_=args.from_,
            application_id=args.application_id,
            answer_url=args.answer_url,
            tag=args.tag,
        )
        with CallsClient.from_env() as client:
            created = client.create_call(call)
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
    print(f"queued {created.call_id} to {created.to} at {created.enqueued_time}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
