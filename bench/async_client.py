"""AsyncCallsClient against the emulator: its cost over bare httpx, and what concurrency buys.

1. getCallState with AsyncCallsClient vs a bare ``httpx.AsyncClient`` doing the same request
   (Basic auth, the same headers, JSON decoded), one request at a time, both against the
   emulator on 127.0.0.1 (manual clock, no added latency): the client's own cost.
2. 100 getCallState at once on one AsyncCallsClient (``asyncio.gather``) vs the sync
   CallsClient doing the same 100 one after another, against the emulator with 20 ms and
   with 50 ms of added latency per request (its latency fault), standing for the way to
   Bandwidth and back (50 ms: about a Voice API request over the internet). The emulator
   runs in a process of its own here, as Bandwidth's servers would: in this one, its
   request handling would share the clients' interpreter lock. Its own handling (a few ms
   per request on a small machine) bounds the concurrent side, so the gain grows with the
   latency; the target is judged at 50 ms.

Each timed call runs a batch of requests inside one ``run_until_complete`` of a loop kept
for the whole case, so starting the loop is no part of the measure.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.results import Case, Target, check, new_case
from bench.timing import Settings, interleaved
from callcontrol.emulator import VoiceEmulator

GOAL_OVERHEAD = 1.15
GOAL_CONCURRENCY = 5.0
#: Requests per timed call of the overhead case (amortises run_until_complete).
SEQUENTIAL = 10
CONCURRENT = 100
#: Added latencies (s) of the concurrency cases; the target is judged on the last.
LATENCIES = (0.020, 0.050)

BODY = {
    "to": "+15553334444",
    "from": "+15551230000",
    "answerUrl": "http://127.0.0.1:9/answer",
    "applicationId": "bench-app",
}


def _runner(loop: asyncio.AbstractEventLoop, batch: Callable[[], Awaitable[object]]) -> Any:
    return lambda: loop.run_until_complete(batch())


def overhead_case(settings: Settings) -> tuple[Case, Target]:
    """getCallState per second: AsyncCallsClient vs bare httpx.AsyncClient."""
    import httpx

    from callcontrol import AsyncCallsClient

    case = new_case("async", "getCallState, AsyncCallsClient vs bare httpx (emulator)", "req/s")
    loop = asyncio.new_event_loop()
    emu = VoiceEmulator(clock="manual", calls_per_second=10_000.0, max_concurrent=10**6)
    try:
        call_id = emu.client().create_call(**_create_fields()).call_id
        client = AsyncCallsClient(
            emu.account_id, username=emu.username, password=emu.password, base_url=emu.base_url
        )
        bare = httpx.AsyncClient(
            auth=httpx.BasicAuth(emu.username, emu.password),
            headers={"Accept": "application/json"},
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
        )
        url = f"{emu.base_url}/accounts/{emu.account_id}/calls/{call_id}"

        async def ours() -> object:
            for _ in range(SEQUENTIAL):
                state = await client.get_call_state(call_id)
            return state

        async def theirs() -> object:
            for _ in range(SEQUENTIAL):
                response = await bare.get(url)
                assert response.status_code == 200
                data = response.json()
            return data

        contenders = {
            "AsyncCallsClient": _runner(loop, ours),
            "bare httpx.AsyncClient": _runner(loop, theirs),
        }
        # Batches of about a quarter second: one request is too short to time on a busy
        # machine next to the emulator's threads.
        steady = Settings(
            settings.repeats, max(settings.batch_seconds, 0.25), settings.warmup, settings.quick
        )
        measurement = interleaved(contenders, settings if settings.quick else steady)
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(bare.aclose())
    finally:
        emu.close()
        loop.close()
    for name in measurement.times:
        case["rows"].append(
            {
                "library": name,
                "value": SEQUENTIAL / measurement.median(name),
                "relative": measurement.ratio("AsyncCallsClient", name),
            }
        )
    case["notes"].append(
        "One request at a time on a kept connection. The bare client sends the same Basic "
        "auth and Accept header and decodes the JSON; AsyncCallsClient also checks the call "
        "id, applies its retry policy, deadline and size limit, and builds the CallState."
    )
    measured = measurement.ratio("AsyncCallsClient", "bare httpx.AsyncClient")
    target = check(
        f"AsyncCallsClient getCallState ≤ {GOAL_OVERHEAD}× bare httpx.AsyncClient",
        "<=",
        GOAL_OVERHEAD,
        measured,
    )
    target["note"] = (
        "AsyncCallsClient spends about 0.1 ms more CPU per request than the bare client (the "
        "call id check, retry and deadline bookkeeping, reading the CallState); the emulator "
        "shares its process, and a loaded machine stretches every CPU millisecond (see the "
        "load average above)."
    )
    return case, target


#: Runs a VoiceEmulator with a fixed latency until its stdin closes; prints how to reach it.
_EMULATOR_PROCESS = """
import json, sys
from callcontrol.emulator import Faults, LogNormal, VoiceEmulator
faults = Faults(latency=LogNormal(float(sys.argv[1]), sigma=0.0))
with VoiceEmulator(
    clock="manual", calls_per_second=10_000.0, max_concurrent=10**6, faults=faults
) as emu:
    place = {"account_id": emu.account_id, "username": emu.username,
             "password": emu.password, "base_url": emu.base_url}
    print(json.dumps(place), flush=True)
    sys.stdin.read()
"""


@contextmanager
def emulator_process(latency: float) -> Iterator[dict[str, str]]:
    """A VoiceEmulator in a child process answering after ``latency`` seconds; yields its
    account id, credentials and base URL."""
    child = subprocess.Popen(
        [sys.executable, "-c", _EMULATOR_PROCESS, str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield json.loads(child.stdout.readline())
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)


def concurrency_case(settings: Settings, latency: float) -> tuple[Case, Target]:
    """100 getCallState: at once on one AsyncCallsClient vs one after another, sync."""
    from callcontrol import AsyncCallsClient, CallsClient

    count = 10 if settings.quick else CONCURRENT  # a smoke run only executes the code
    title = f"{count} getCallState, {latency * 1000:g} ms latency (emulator process)"
    case = new_case("async", title, "req/s")
    loop = asyncio.new_event_loop()
    try:
        with emulator_process(latency) as place:
            where: dict[str, Any] = {
                "username": place["username"],
                "password": place["password"],
                "base_url": place["base_url"],
            }
            sync = CallsClient(place["account_id"], **where)
            ids = [sync.create_call(**_create_fields()).call_id for _ in range(count)]
            client = AsyncCallsClient(place["account_id"], **where)

            async def together() -> object:
                return await asyncio.gather(*(client.get_call_state(i) for i in ids))

            def one_by_one() -> object:
                return [sync.get_call_state(i) for i in ids]

            contenders = {
                f"AsyncCallsClient, {count} at once": _runner(loop, together),
                "CallsClient, one after another": one_by_one,
            }
            few = Settings(
                min(settings.repeats, 7), 0.0, 0 if settings.quick else 1, settings.quick
            )
            measurement = interleaved(contenders, few, number=1)
            loop.run_until_complete(client.aclose())
            sync.close()
    finally:
        loop.close()
    for name in measurement.times:
        case["rows"].append(
            {
                "library": name,
                "value": count / measurement.median(name),
                "relative": measurement.ratio(f"AsyncCallsClient, {count} at once", name),
            }
        )
    case["notes"].append(
        f"The emulator, in a process of its own, holds every answer {latency * 1000:g} ms "
        "(a fixed latency fault), as the network to Bandwidth would. The async client keeps "
        "up to 100 connections; the sync one uses one. The emulator's own handling of each "
        "request (a few ms of one interpreter, more on a loaded machine) bounds the "
        "concurrent side, so the gain grows with the latency; the target is judged at "
        f"{LATENCIES[-1] * 1000:g} ms, about a Voice API request over the internet."
    )
    speedup = measurement.ratio(
        "CallsClient, one after another", f"AsyncCallsClient, {count} at once"
    )
    target = check(
        f"AsyncCallsClient: {count} getCallState at once ≥ {GOAL_CONCURRENCY}× "
        f"the throughput of CallsClient one by one ({latency * 1000:g} ms latency)",
        ">=",
        GOAL_CONCURRENCY,
        speedup,
    )
    return case, target


def _create_fields() -> dict[str, str]:
    return {
        "to": BODY["to"],
        "from_": BODY["from"],
        "answer_url": BODY["answerUrl"],
        "application_id": BODY["applicationId"],
    }


def async_cases(settings: Settings) -> tuple[list[Case], list[Target]]:
    """Both cases and their targets (skipped when httpx is not installed)."""
    try:
        import httpx  # noqa: F401
    except ImportError:
        return [], []
    overhead, overhead_target = overhead_case(settings)
    found, targets = [overhead], [overhead_target]
    for latency in LATENCIES:
        case, target = concurrency_case(settings, latency)
        found.append(case)
        if latency == LATENCIES[-1]:
            targets.append(target)
    return found, targets
