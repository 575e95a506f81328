"""Simulated calls per second: the call simulator against a small in-process WSGI IVR.

The floor is the least any simulator must do for the same call: send the same five
callbacks straight to the app (same WSGI environ and JSON bytes) and parse each reply
with ``bxml.parse``. The engine caches parsed replies by their bytes (never by URL); the
floor parses every reply, as an app-side test without the engine would.
"""

from __future__ import annotations

import gc
import io
import json
import time
import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import bxml
from bench.results import Case, Target, check, new_case
from bench.timing import Settings, interleaved
from callcontrol.engine.script import Step
from callcontrol.testing import CallSimulator, SimulatedCall, answers, press

GOAL = 1.5
#: 2,000 calls started together, run by sim.run(), against the same calls one after another.
MANY = 2_000
MANY_GOAL = 1.3

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
    """The strict floor: the same callbacks (the URL path and JSON bytes of one simulated
    call) given straight to the app with hand-built WSGI environs, every reply parsed with
    ``bxml.parse``; no simulator code on the path."""
    sample = simulated_call()()
    assert isinstance(sample, SimulatedCall)
    sent = [
        (urlsplit(cb.url).path, json.dumps(cb.payload, separators=(",", ":")).encode())
        for cb in sample.callbacks
        if cb.synchronous
    ]

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        return None

    def call() -> object:
        for path, body in sent:
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": path,
                "QUERY_STRING": "",
                "SERVER_NAME": "ivr.test",
                "SERVER_PORT": "443",
                "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
                "wsgi.url_scheme": "https",
            }
            bxml.parse(b"".join(ivr(environ, start_response)))
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
        "synchronous callbacks). The floor gives the same five callbacks (path and JSON "
        "bytes) straight to the app with hand-built WSGI environs and parses every reply "
        "with bxml.parse, no simulator code on its path; the simulator caches parsed replies "
        "by their bytes."
    )
    target = check(f"simulated call ≤ {GOAL}× the floor", "<=", GOAL, ratio)
    target["note"] = (
        "the engine's own Python work per call (about 19 scheduler entries as plain tuples, "
        "7 verb runs, 35 transcript notes formatted only when read, 5 payloads); parsed "
        "replies, their verb lists and each Gather's settings are worked out once."
    )
    return case, [target]


TRANSFER_ROUTES = {
    "/answer": '<Response><Gather gatherUrl="/menu" maxDigits="1">'
    "<SpeakSentence>Press 1 for an agent.</SpeakSentence></Gather></Response>",
    "/menu": '<Response><Transfer transferCompleteUrl="/done">'
    "<PhoneNumber>+15550002222</PhoneNumber></Transfer></Response>",
    "/done": "<Response><SpeakSentence>Goodbye.</SpeakSentence></Response>",
}


def transfer_ivr(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """A Gather, a key and a Transfer (the many-calls benchmark's app)."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    json.loads(environ["wsgi.input"].read(size))
    start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
    return [TRANSFER_ROUTES[environ["PATH_INFO"]].encode()]


def _many_sim(count: int) -> tuple[CallSimulator, list[Step]]:
    sim = CallSimulator(transfer_ivr, base_url="https://ivr.test")
    sim.destination("+15550002222", answers(after=1.0, hangs_up_after=20.0))
    return sim, [press("1")]


def together(count: int) -> float:
    """Seconds to start ``count`` calls at once and run them all with ``sim.run()``."""
    sim, script = _many_sim(count)
    started = time.perf_counter()
    for _ in range(count):
        sim.start_inbound("/answer", script=script)
    calls = sim.run()
    seconds = time.perf_counter() - started
    assert len(calls) == count and all(c.transfers == [("+15550002222", "answered")] for c in calls)
    return seconds


def one_after_another(count: int) -> float:
    """Seconds to run the same ``count`` calls one at a time with ``sim.inbound()``."""
    sim, script = _many_sim(count)
    started = time.perf_counter()
    for _ in range(count):
        sim.inbound("/answer", script=script)
    return time.perf_counter() - started


def memory_per_call(count: int) -> float:
    """Bytes held per finished call by a simulator that ran ``count`` calls together."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    sim, script = _many_sim(count)
    for _ in range(count):
        sim.start_inbound("/answer", script=script)
    sim.run()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    del sim
    return grown / count


def many_case(settings: Settings) -> tuple[Case, list[Target]]:
    """2,000 calls started together by sim.run() beside the same calls one after another."""
    count = 50 if settings.quick else MANY
    case = new_case("simulate-many", f"{count} calls at once vs one after another", "s")
    rounds = 1 if settings.quick else 3
    pairs = [(together(count), one_after_another(count)) for _ in range(rounds)]
    ratio = sorted(a / b for a, b in pairs)[len(pairs) // 2]
    best_together = min(a for a, _ in pairs)
    best_apart = min(b for _, b in pairs)
    case["rows"].append(
        {"library": "sim.run() (together)", "value": best_together, "relative": 1.0}
    )
    case["rows"].append(
        {
            "library": "sim.inbound() one after another",
            "value": best_apart,
            "relative": best_apart / best_together,
        }
    )
    per_call = memory_per_call(count)
    case["notes"].append(
        f"Each call: initiate, a Gather answered with a key, a Transfer answered after 1 s "
        f"and ended 20 s later, a transferComplete reply. Median ratio of {rounds} round(s); "
        f"memory held per finished call (tracemalloc, the whole simulator kept): "
        f"{per_call / 1024:.1f} KiB."
    )
    target = check(
        f"{count} calls together ≤ {MANY_GOAL}× one after another", "<=", MANY_GOAL, ratio
    )
    target["note"] = (
        "every call runs in the simulator's one engine, on one scheduler; each callback is "
        "sent as the engine queues it and each observation goes to its call as it comes."
    )
    return case, [target]
