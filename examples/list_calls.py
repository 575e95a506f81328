"""List the calls of the last few hours, page by page, as a table.

    export BW_ACCOUNT_ID=9900000 BW_USERNAME=api-user BW_PASSWORD=...
    python examples/list_calls.py --hours 6 --to +15551234567

Pages are fetched lazily while the loop runs, following the API's Link headers. Without
BW_* variables it lists two calls it first places on a local emulator.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone

from _voice import voice_api

from callcontrol import CallControlError


def main(argv: list[str] | None = None) -> int:
    """Print one line per call; return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24, help="how far back to look")
    parser.add_argument("--to", help="only calls to this number")
    parser.add_argument("--cause", help="only calls that ended this way, e.g. busy")
    args = parser.parse_args(argv)

    since = datetime.now(timezone.utc) - timedelta(hours=args.hours)
    count = 0
    try:
        with voice_api() as voice:
            if voice.emulator is not None:  # something to list: two calls, to their end
                for keys in ("1", "2"):
                    voice.finish(voice.place_call(keys=keys))
            calls = voice.client.list_calls(
                to=args.to, min_start_time=since, disconnect_cause=args.cause
            )
            for call in calls:
                started = call.start_time.isoformat(timespec="seconds") if call.start_time else "-"
                print(f"{call.call_id}  {started}  {call.from_} -> {call.to}  {call.state}")
                count += 1
    except CallControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{count} call(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
