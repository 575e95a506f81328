"""Record real callbacks of the IVR in examples/ivr.py, then replay them against a changed
version and see exactly which answers (and which calls' routes) changed.

Three calls run through the local Voice API emulator (real HTTP on 127.0.0.1) with the app
wrapped by ``callcontrol.recording.record``: sales busy then a message, a message, silence.
The cassette is then replayed against ``changed_app``, the IVR where a busy sales team now
ends the call instead of offering voicemail::

    python -m examples.replay_ivr --cassette calls.jsonl
    callcontrol replay calls.jsonl examples.replay_ivr:changed_app              # exit 1
    callcontrol replay calls.jsonl examples.replay_ivr:changed_app --simulate
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from bxml import Hangup, Response, SpeakSentence
from callcontrol.emulator import VoiceEmulator
from callcontrol.recording import record
from callcontrol.testing import Step, busy, leave_message, press, silence
from callcontrol.testing.replay import changed_paths, replay
from examples import ivr

CUSTOMER = "+15553334444"
OUR_NUMBER = "+15551230000"
#: What each recorded caller does.
CALLERS: list[list[Step]] = [
    [press("1"), leave_message(5)],  # sales is busy: voicemail
    [press("2"), leave_message(3)],  # a message straight away
    [silence()],  # says nothing: goodbye
]


def busy_ends_the_call(event: dict[str, Any]) -> Response:
    """The changed branch: no voicemail when sales is busy."""
    if event.get("cause") in ("busy", "timeout"):
        return Response(SpeakSentence("Sales is busy. Please call again later."), Hangup())
    return ivr.transfer_done(event)


CHANGED_ROUTES = {**ivr.ROUTES, "/transfer-done": busy_ends_the_call}


def changed_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """examples/ivr.py with the busy branch changed."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    event = json.loads(environ["wsgi.input"].read(size) or b"{}")
    route = CHANGED_ROUTES.get(environ.get("PATH_INFO", ""))
    if route is None:
        start_response("204 No Content", [])
        return [b""]
    start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
    return [route(event).to_bytes()]


def record_calls(cassette: str) -> None:
    """Place one call per caller script on the emulator, recording every callback."""
    recorded = record(ivr.app, cassette)
    with VoiceEmulator(app=recorded, speed=200.0) as emu:
        emu.destination(ivr.SALES, busy())
        client = emu.client()
        for script in CALLERS:
            emu.callee(CUSTOMER, script=script)
            created = client.create_call(
                to=CUSTOMER,
                from_=OUR_NUMBER,
                answer_url=f"{emu.app_url}/answer",
                application_id="ivr",
            )
            emu.wait_for(created.call_id, state="disconnected")
    recorded.close()


def main() -> None:
    """Record, then replay against the same IVR and against the changed one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cassette", help="where to record (default: a temporary file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        cassette = args.cassette or os.path.join(directory, "calls.jsonl")
        record_calls(cassette)
        print("against the same IVR:", replay(cassette, ivr.app))
        print("against the changed IVR:", replay(cassette, changed_app))
        for change in changed_paths(cassette, changed_app):
            print(change)


if __name__ == "__main__":
    main()
