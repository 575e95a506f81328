"""The demo: an IVR app and the emulator in this process, one call from start to end.

``python -m callcontrol.emulator.demo`` (or ``callcontrol demo``) needs no account, no
network beyond 127.0.0.1 and no configuration. The app calls a customer; the customer (the
callee, scripted) presses keys; the demo changes the call while the customer holds
(updateCallBxml), then prints the timeline and lists the calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import IO, Any

from bxml import Bxml, Gather, Hangup, Pause, Response, SpeakSentence

from ..engine.steps import press
from .emulator import VoiceEmulator

#: The app's Bandwidth number, which places the call.
CALLER = "+15551230000"
#: The customer called, whose key presses are scripted.
CALLEE = "+15553334444"

#: What the letters and words at the start of the timeline's lines mean.
LEGEND = (
    "Legend: A = the call placed (B = a leg a <Transfer> dials); fetch, callback = a webhook "
    "to the app and its answer; assume = a gap in Bandwidth's docs, filled as "
    "docs/engine-assumptions.md lists\n"
)


def ivr_app() -> Any:
    """The example IVR: a menu, a hold, and a confirmation."""
    from .. import WebhookApp

    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        """The menu."""
        menu = SpeakSentence("Welcome to Example Corp. Press 1 for sales or 2 for support.")
        return Response(Gather(menu, gather_url="/menu", max_digits=1))

    @app.route("/menu")
    def menu(event: Any) -> Response:
        """The customer's choice: on hold for that team."""
        team = "sales" if event.digits == "1" else "support"
        return Response(
            SpeakSentence(f"All our {team} agents are busy. Please hold."),
            Pause(duration=60),
            SpeakSentence("Sorry, nobody is free. Goodbye."),
            Hangup(),
        )

    @app.route("/confirm")
    def confirm(event: Any) -> Response:
        """The answer to the agent's offer."""
        if event.digits == "1":
            return Response(SpeakSentence("Thank you. An agent will call you back."), Hangup())
        return Response(SpeakSentence("No problem. Goodbye."), Hangup())

    @app.route("/disconnect")
    def disconnect(event: Any) -> None:
        """Nothing to do when the call ends."""
        return None

    return app


INTERVENTION = Bxml(
    Gather(
        SpeakSentence("Good news: an agent can call you back. Press 1 to accept."),
        gather_url="/confirm",
        max_digits=1,
    )
)


def run(out: IO[str], *, speed: float = 100.0) -> int:
    """Run the demo, writing to ``out``; returns 0 when the call went as planned."""
    with VoiceEmulator(app=ivr_app(), speed=speed, calls_per_second=50.0) as emu:
        out.write(f"Voice API emulator: {emu.base_url}\nIVR app:            {emu.app_url}\n\n")
        emu.callee(CALLEE, script=[press("1"), press("1")])
        with emu.client() as client:
            created = client.create_call(
                to=CALLEE,
                from_=CALLER,
                answer_url=f"{emu.app_url}/answer",
                disconnect_url=f"{emu.app_url}/disconnect",
                application_id="demo-app",
                tag="demo",
            )
            call_id = created.call_id
            out.write(
                f"createCall -> 201, call {call_id}\n"
                f"  from the app's number {CALLER} to the customer {CALLEE}, who answers,\n"
                "  hears the menu and presses 1 (the emulator plays the customer's part)\n"
            )
            emu.wait_for(call_id, verb="Pause")
            out.write(
                "the customer is on hold; the app replaces the BXML running on the call "
                "(updateCallBxml) ...\n"
            )
            client.update_call_bxml(call_id, INTERVENTION)
            out.write("updateCallBxml -> 204\n")
            final = emu.wait_for(call_id, state="disconnected")
            timeline = emu.timeline(call_id)
            out.write(f"\nTimeline of {call_id} (virtual seconds):\n{LEGEND}\n{timeline}\n")
            out.write("\nCallbacks:\n")
            for callback in timeline.callbacks:
                out.write(
                    f"  {callback.event_type:<11} {callback.method} {callback.url} "
                    f"-> {callback.status}\n"
                )
            out.write("\nThe customer heard:\n")
            for line in timeline.heard:
                out.write(f'  "{line}"\n')
            out.write(f"The customer pressed: {', '.join(timeline.pressed) or 'nothing'}\n")
            out.write(
                f"The call ended: {final.state}, cause {final.disconnect_cause}, "
                f"after {timeline.duration:g} s\n"
            )
            out.write("\nlistCalls:\n")
            for state in client.list_calls():
                out.write(
                    f"  {state.call_id}  {state.from_} -> {state.to}  {state.state}"
                    f"  {state.disconnect_cause}\n"
                )
    ok = final.disconnect_cause == "hangup" and timeline.pressed == ["1", "1"]
    return 0 if ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m callcontrol.emulator.demo [--speed N]``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="callcontrol demo", description="Run one call through a local Voice API emulator."
    )
    parser.add_argument(
        "--speed", type=float, default=100.0, help="virtual seconds per wall second (100)"
    )
    args = parser.parse_args(argv)
    return run(sys.stdout, speed=args.speed)


if __name__ == "__main__":
    sys.exit(main())
