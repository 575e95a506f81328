"""Simulated calls per second: the call simulator against a small in-process WSGI IVR.

The floor is the least any simulator must do for the same call: send the same five
callbacks straight to the app (same WSGI environ and JSON bytes) and parse each reply
with ``bxml.parse``. The engine caches parsed replies by their bytes (never by URL); the
floor parses every reply, as an app-side test without the engine would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import bxml
from bench.results import Case, Target, check, new_case
from bench.timing import Settings, interleaved
from callcontrol.engine.model import CallbackRequest
from callcontrol.engine.model import Target as CallbackTarget
from callcontrol.testing import CallSimulator, SimulatedCall, press
from callcontrol.testing.fetch import Router

GOAL = 1.5

ROUTES = {
    "/answer": '<Response><Gather gatherUrl="/one" maxDigits="1">'
    "<SpeakSentence>Press 1 for sales, 2 for support.</SpeakSentence></Gather></Response>",
    "/one": '<Response><Gather gatherUrl="/two" maxDigits="4" terminatingDigits="#">'
    "<SpeakSentence>Enter your PIN, then pound.</SpeakSentence></Gather></Response>",
    "/two": "<Response><SpeakSentence>Thank you.</SpeakSentence>"
    '<Redirect redirectUrl="/three"/></Response>',
    "/three": '<Response><Gather gatherUrl="/four" maxDigits="1">'
    "<SpeakSentence>Press 3 to confirm.</SpeakSentence></Gather></Response>",
    "/four": "<Response><SpeakSentence>Goodbye.</SpeakSentence><Hangup/></Response>",
}


def ivr(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A small IVR that reads the event and answers from a table."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    json.loads(environ["wsgi.input"].read(size))
    body = ROUTES[environ["PATH_INFO"]].encode()
    start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
    return [body]


def simulated_call() -> Callable[[], object]:
    """One five-callback call through CallSimulator."""
    sim = CallSimulator(ivr, base_url="https://ivr.test", username="u", password="p")
    script = [press("1"), press("1234#"), press("3")]

    def call() -> object:
        result = sim.inbound("/answer", script=script)
        assert len(result.visited) == 5, result.visited
        return result

    return call


def floor_call() -> Callable[[], object]:
    """The same callbacks (captured from one simulated call) sent straight to the app."""
    sample = simulated_call()()
    assert isinstance(sample, SimulatedCall)
    router = Router(ivr, "https://ivr.test", True, 15.0)
    prepared = [
        CallbackRequest(i, "c", cb.event_type, cb.payload, CallbackTarget(cb.url), True)
        for i, cb in enumerate(sample.callbacks)
        if cb.synchronous
    ]

    def call() -> object:
        for request in prepared:
            bxml.parse(router.send(request).result.body)
        return None

    return call


def simulate_case(settings: Settings) -> tuple[Case, list[Target]]:
    """Calls per second of the simulator beside the floor."""
    case = new_case("simulate", "simulated five-callback IVR calls, in-process", "calls/s")
    contenders = {
        "callcontrol.testing.CallSimulator": simulated_call(),
        "callcontrol floor (app + bxml.parse)": floor_call(),
    }
    measurement = interleaved(contenders, settings)
    ours = "callcontrol.testing.CallSimulator"
    for name in measurement.times:
        case["rows"].append(
            {
                "library": name,
                "value": 1 / measurement.median(name),
                "relative": measurement.ratio(ours, name),
            }
        )
    ratio = measurement.ratio(ours, "callcontrol floor (app + bxml.parse)")
    case["notes"].append(
        "A call: initiate, three Gathers with scripted keys, a Redirect and a Hangup (five "
        "synchronous callbacks). The floor sends the same five callbacks to the same app and "
        "parses every reply; the simulator caches parsed replies by their bytes."
    )
    target = check(f"simulated call ≤ {GOAL}× the floor", "<=", GOAL, ratio)
    target["note"] = (
        "the engine's own Python work per call (about 19 scheduler entries as plain tuples, "
        "7 verb runs, 35 transcript notes formatted only when read, 5 payloads); parsed "
        "replies, their verb lists and each Gather's settings are worked out once."
    )
    return case, [target]
