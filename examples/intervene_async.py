"""Say goodbye to several live calls at once, from asyncio, with AsyncCallsClient.

    pip install 'bxml-callcontrol[async]'
    export BW_ACCOUNT_ID=9900000 BW_USERNAME=api-user BW_PASSWORD=...
    python examples/intervene_async.py c-15ac29a2-... c-2d0e81b7-... --message "Goodbye."

Every call's BXML is replaced concurrently, on one client: the requests are in flight
together, and each outcome is reported (replaced, not active, or unknown when the answer
was lost: the client never sends that PUT twice). Without BW_* variables and call ids, it
places three calls on a local emulator, holds them at the menu of webhook_server.py, and
prints what each caller heard last.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from _voice import Voice, has_credentials, voice_api

from bxml import Bxml, Hangup, SpeakSentence
from callcontrol import (
    AsyncCallsClient,
    CallControlError,
    ConflictError,
    NotFoundError,
    ServerError,
    TransportError,
)

#: How many calls the example places on the emulator.
LOCAL_CALLS = 3


def async_client(voice: Voice) -> AsyncCallsClient:
    """The async client for the same API as ``voice`` (Bandwidth, or its emulator)."""
    if voice.emulator is None:
        return AsyncCallsClient.from_env()
    emulator = voice.emulator
    return AsyncCallsClient(
        emulator.account_id,
        username=emulator.username,
        password=emulator.password,
        base_url=emulator.base_url,
    )


async def say_goodbye(client: AsyncCallsClient, call_id: str, message: str) -> str:
    """Replace one call's BXML; one line saying what happened."""
    try:
        await client.update_call_bxml(call_id, Bxml(SpeakSentence(message), Hangup()))
    except (ConflictError, NotFoundError):
        return f"{call_id}: not active (already ended, or not answered yet)"
    except (TransportError, ServerError) as exc:
        if isinstance(exc, ServerError) or exc.maybe_sent:
            return f"{call_id}: unknown, the goodbye may have been applied ({exc})"
        return f"{call_id}: failed: {exc}"
    return f"said goodbye to {call_id}"


async def say_goodbye_to_all(voice: Voice, call_ids: list[str], message: str) -> list[str]:
    """Replace the BXML of every call concurrently, on one client."""
    async with async_client(voice) as client:
        return list(
            await asyncio.gather(*(say_goodbye(client, call, message) for call in call_ids))
        )


def main(argv: list[str] | None = None) -> int:
    """Say goodbye to the given calls, or to calls placed on the emulator; an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("call_ids", nargs="*", help="the live calls (emulator: ones it places)")
    parser.add_argument("--message", default="We are closing now. Goodbye.")
    args = parser.parse_args(argv)
    if not args.call_ids and has_credentials():
        parser.error("with BW_* credentials, give the ids of live calls")
    try:
        with voice_api() as voice:
            local = not args.call_ids
            call_ids = (
                [voice.place_call(hold=True) for _ in range(LOCAL_CALLS)]
                if local
                else args.call_ids
            )
            lines = asyncio.run(say_goodbye_to_all(voice, call_ids, args.message))
            print("\n".join(lines))
            if local:
                for call_id in call_ids:
                    print(f"{call_id} heard last: {voice.finish(call_id).heard[-1]}")
    except CallControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0 if all(line.startswith("said goodbye") for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
