"""The emulator's memory per call: held while the call is kept, and left after the purge.

One emulator on a manual clock runs rounds of calls (createCall over HTTP; each call a
Gather answered with a key, a Transfer answered and ended 10 s later, a transferComplete
reply), lets 8 days pass so the 7-day purge forgets them, and measures with tracemalloc
what the process holds: after the calls ended (the calls kept for getCallState) and after
the purge (what forgotten calls leave behind: near 0 and not growing from round to round
when nothing is kept per call; the rest is bounded caches that fill and clear).
A warm-up round fills the caches first. The exchange log (the last 10,000 REST exchanges
and callbacks, bounded) is emptied before each measure, so it does not hide in the numbers.

Run: ``python -m bench.emulator_memory [calls per round] [rounds]``.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from typing import Any

from bxml import Gather, PhoneNumber, Response, SpeakSentence, Transfer
from callcontrol import WebhookApp
from callcontrol.emulator import VoiceEmulator
from callcontrol.testing import answers, press

CALLER = "+15553334444"
CALLEE = "+15551230000"
AGENT = "+15550002222"


def app() -> WebhookApp:
    """The IVR every call runs: a menu, a key, a transfer, a goodbye."""
    web = WebhookApp()

    @web.route("/answer")
    def answer(event: Any) -> Response:
        menu = SpeakSentence("Press 1 for sales.")
        return Response(Gather(menu, gather_url="/menu", max_digits=1))

    @web.route("/menu")
    def menu(event: Any) -> Response:
        return Response(Transfer(PhoneNumber(AGENT), transfer_complete_url="/after"))

    @web.route("/after")
    def after(event: Any) -> Response:
        return Response(SpeakSentence("Goodbye."))

    return web


def held(emu: VoiceEmulator) -> int:
    """Bytes tracemalloc sees allocated, after a full collection."""
    emu.exchanges.clear()
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def round_of_calls(emu: VoiceEmulator, calls: int) -> tuple[int, int]:
    """Run ``calls`` calls to their end, then past the purge: bytes held before and after
    the purge."""
    client = emu.client()
    ids = [
        client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="mem"
        ).call_id
        for _ in range(calls)
    ]
    emu.advance(120.0)
    for call_id in ids:
        emu.wait_for(call_id, state="disconnected", timeout=60.0)
    kept = held(emu)
    emu.advance(days=8.0)
    emu.advance(3600.0)  # the purge runs hourly
    return kept, held(emu)


def main(calls: int = 500, rounds: int = 3) -> None:
    """Print the bytes per call held while kept and left after the purge, per round."""
    with VoiceEmulator(
        app=app(), clock="manual", calls_per_second=1000.0, max_concurrent=calls
    ) as emu:
        emu.callee(CALLEE, [press("1")])
        emu.destination(AGENT, answers(after=1.0, hangs_up_after=10.0))
        round_of_calls(emu, calls)  # warm-up: caches, threads, pools
        tracemalloc.start()
        first = left = held(emu)
        for number in range(1, rounds + 1):
            start = left
            kept, left = round_of_calls(emu, calls)
            print(
                f"round {number}: {calls} calls; held per kept call "
                f"{(kept - start) / calls / 1024:.1f} KiB; left per call after the purge "
                f"{(left - start) / calls:.0f} bytes"
            )
        tracemalloc.stop()
        engine = emu._driver.engine  # read only, to show what the purge left in it
        print(
            f"all rounds: left per call after the purge {(left - first) / calls / rounds:.0f} "
            f"bytes (bounded caches: timestamps, parsed replies; dict tables at their peak "
            f"size); the engine keeps {len(engine.legs)} legs, {len(engine.observations)} "
            f"observations, {len(engine.conferences)} conferences"
        )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
