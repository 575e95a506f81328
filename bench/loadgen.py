"""The load generator (``callcontrol.load``): throughput, overhead per callback, fidelity.

The apps under load run in a process of their own (``python -m bench.loadgen flow|slow``,
waitress on an ephemeral port of 127.0.0.1), so the generator's CPU is measured apart from
theirs. ``flow`` answers a fixed document per path: /answer a Gather (the caller presses 1),
/gather a Redirect, /next a Hangup: three callbacks per call, no flow time. ``slow`` is the
same app sleeping 0.2 s before each reply.
"""

from __future__ import annotations

import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.results import Case, Target, check, new_case  # noqa: E402
from bench.timing import Settings  # noqa: E402

XML = [("Content-Type", "application/xml; charset=utf-8")]
DOCUMENTS = {
    "/answer": b'<Response><Gather gatherUrl="/gather" maxDigits="1"/></Response>',
    "/gather": b'<Response><Redirect redirectUrl="/next"/></Response>',
    "/next": b"<Response><Hangup/></Response>",
}
CALLBACKS_PER_CALL = len(DOCUMENTS)
SLOW_SECONDS = 0.2
SLOW_CALLERS = 100
THROUGHPUT_CALLERS = 32
#: Seconds per round of the throughput case (calls are sized from a first estimate).
ROUNDS = 3


def flow_app(delay: float = 0.0) -> Callable[..., Iterable[bytes]]:
    """A bare WSGI app answering each path's fixed document (after ``delay`` seconds)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if delay:
            time.sleep(delay)
        body = DOCUMENTS.get(environ.get("PATH_INFO", ""), DOCUMENTS["/next"])
        start_response("200 OK", XML + [("Content-Length", str(len(body)))])
        return [body]

    return app


def main() -> None:
    """Serve ``flow`` or ``slow`` on 127.0.0.1; print the port, then run until killed."""
    import logging

    from waitress.server import create_server

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    slow = sys.argv[1] == "slow"
    app = flow_app(SLOW_SECONDS if slow else 0.0)
    threads = SLOW_CALLERS + 10 if slow else 4
    server = create_server(
        app, host="127.0.0.1", port=0, threads=threads, connection_limit=SLOW_CALLERS + 50
    )
    print(server.socket.getsockname()[1], flush=True)
    server.run()


@contextmanager
def server_process(kind: str) -> Iterator[str]:
    """Run ``python -m bench.loadgen kind`` in its own process; yield its base URL."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", kind],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        if not line.strip().isdigit():
            raise RuntimeError(f"the {kind} server did not start (exit {process.poll()})")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def load_run(base: str, calls: int, concurrency: int) -> Any:
    """One ``callcontrol.load.run`` of the flow; raises unless every call completed."""
    from callcontrol.load import run
    from callcontrol.testing import press

    report = run(base, calls=calls, concurrency=concurrency, script=[press("1")], speed=1000.0)
    if not report.ok or report.callbacks != calls * CALLBACKS_PER_CALL:
        raise AssertionError(f"the load run failed:\n{report.table()}")
    return report


def throughput_case(settings: Settings) -> tuple[Case, list[Target]]:
    """Callbacks per second one process drives, and its CPU per simulated call."""
    case = new_case(
        "load",
        f"load generator: callbacks/s, {THROUGHPUT_CALLERS} callers, bare app (127.0.0.1)",
        "callbacks/s",
    )
    calls = 20 if settings.quick else 1500
    rounds = 1 if settings.quick else ROUNDS
    rates, cpu = [], []
    with server_process("flow") as base:
        load_run(base, min(calls, 100), THROUGHPUT_CALLERS)  # warm-up
        for _ in range(rounds):
            report = load_run(base, calls, THROUGHPUT_CALLERS)
            rates.append(report.callbacks_per_second)
            cpu.append(report.cpu_seconds / report.calls)
    rate = statistics.median(rates)
    case["rows"].append({"library": "callcontrol.load.run", "value": rate, "relative": None})
    case["notes"].append(
        f"{calls} calls of {CALLBACKS_PER_CALL} callbacks (initiate, gather, redirect) per round, "
        f"median of {rounds} rounds; the app is a bare WSGI app answering a fixed document per "
        "path, waitress with 4 threads in a process of its own, sharing the 2 cores with the "
        f"generator. Generator CPU per simulated call: {statistics.median(cpu) * 1e3:.2f} ms "
        f"({statistics.median(cpu) / CALLBACKS_PER_CALL * 1e6:.0f} µs per callback, the "
        "engine included). The machine was shared with other jobs during the run."
    )
    return case, [check("load: callbacks/s one process drives", ">=", 1000, rate, " /s")]


def initiate_bytes(base: str) -> tuple[str, bytes, dict[str, str]]:
    """The path, body and headers of a first callback, exactly as the generator sends it."""
    from callcontrol.engine import Engine
    from callcontrol.load.wire import USER_AGENT
    from callcontrol.testing.fetch import callback_headers, encode

    engine = Engine(seed=1)
    engine.start_call("inbound", base + "/next", from_="+15550000001", to="+15553334444")
    request = engine.take()[0]
    url, body = encode(request)
    return url[len(base) :], body, callback_headers(body, USER_AGENT, None)


def overhead_case(settings: Settings) -> tuple[Case, list[Target]]:
    """Generator CPU per callback against a bare requests.Session POST of the same bytes."""
    import requests

    case = new_case("load", "load generator: CPU per callback vs a bare POST (127.0.0.1)", "µs")
    calls = 20 if settings.quick else 600
    rounds = 1 if settings.quick else 5
    ours, bare = [], []
    with server_process("flow") as base:
        path, body, headers = initiate_bytes(base)
        session = requests.Session()
        session.trust_env = False
        try:
            for index in range(rounds + 1):
                report = load_run(base, calls, 1)
                started = time.process_time()
                for _ in range(report.callbacks):
                    reply = session.post(base + path, data=body, headers=headers, timeout=5)
                    reply.raise_for_status()
                    _ = reply.content
                post = (time.process_time() - started) / report.callbacks
                if index:  # the first round warms both up
                    ours.append(report.cpu_seconds / report.callbacks)
                    bare.append(post)
        finally:
            session.close()
    ratio = statistics.median(a / b for a, b in zip(ours, bare, strict=True))
    mine, theirs = statistics.median(ours) * 1e6, statistics.median(bare) * 1e6
    case["rows"].append({"library": "callcontrol.load.run", "value": mine, "relative": 1.0})
    case["rows"].append({"library": "bare requests.Session POST", "value": theirs,
                         "relative": theirs / mine})  # fmt: skip
    case["notes"].append(
        "Process CPU per callback of one caller running calls (engine, encoding, HTTP, timing "
        "and recording) against a loop of requests.Session POSTs of the same callback bytes to "
        "the same server, alternating, median of the per-round ratios. The generator uses "
        "http.client on a keep-alive connection."
    )
    claim = "load: generator CPU per callback ÷ bare requests POST"
    return case, [check(claim, "<=", 1.5, ratio)]


def bare_latencies(base: str, callers: int, each: int, stagger: float) -> list[float]:
    """Seconds of ``each`` POSTs of a callback's bytes from each of ``callers`` threads, thread
    ``i`` starting ``i * stagger`` s after the first (http.client, keep-alive): the latency
    floor of this server and machine, without the engine."""
    import http.client
    import threading

    port = int(base.rsplit(":", 1)[1])
    path, body, headers = initiate_bytes(base)
    found: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(callers)

    def caller(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        mine = []
        try:
            start.wait(timeout=30)
            time.sleep(index * stagger)  # the arrival pattern under test, not a synchronisation
            for _ in range(each):
                sent = time.perf_counter()
                connection.request("POST", path, body, headers)
                reply = connection.getresponse()
                reply.read()
                mine.append(time.perf_counter() - sent)
                if reply.status != 200:
                    raise AssertionError(f"the slow app answered {reply.status}")
        finally:
            connection.close()
            with lock:
                found.extend(mine)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return found


def fidelity_case(settings: Settings) -> tuple[Case, list[Target]]:
    """The latency measured of an app that sleeps 0.2 s, at 100 concurrent callers."""
    from callcontrol.load import run
    from callcontrol.load.report import percentile
    from callcontrol.testing import press

    case = new_case(
        "load", f"load generator: measured p95 of a {SLOW_SECONDS:g} s app, 100 callers", "ms"
    )
    calls = 20 if settings.quick else 400
    rounds = 1 if settings.quick else 5
    # Steady arrivals: a call lasts 3 replies of 0.2 s, so this rate keeps ~100 going.
    rate = SLOW_CALLERS / (CALLBACKS_PER_CALL * SLOW_SECONDS)
    names = {
        "steady": f"callcontrol.load.run, {rate:.0f} calls/s, at most 100 at once",
        "steady floor": f"bare http.client, 100 threads starting {1000 / rate:.0f} ms apart",
        "burst": "callcontrol.load.run, 100 calls started at once",
        "burst floor": "bare http.client, 100 threads started at once",
    }
    seen: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    each = max(1, calls * CALLBACKS_PER_CALL // SLOW_CALLERS)
    with server_process("slow") as base:
        for _ in range(rounds):
            for kind, limit in (("steady", rate), ("burst", None)):
                report = run(base, calls=calls, concurrency=SLOW_CALLERS, script=[press("1")],
                             speed=1000.0, rate=limit)  # fmt: skip
                if not report.ok:
                    raise AssertionError(f"the load run failed:\n{report.table()}")
                overall = report.overall
                seen[kind].append((overall.p50, overall.p95, overall.p99))
                stagger = 1 / limit if limit else 0.0
                ordered = sorted(bare_latencies(base, SLOW_CALLERS, each, stagger))
                p50, p95, p99 = (percentile(ordered, q) for q in (0.5, 0.95, 0.99))
                seen[f"{kind} floor"].append((p50, p95, p99))
    medians = {
        kind: tuple(statistics.median(one[i] for one in values) for i in range(3))
        for kind, values in seen.items()
    }
    for kind, name in names.items():
        case["rows"].append({"library": name, "value": medians[kind][1] * 1000, "relative": None})
    spread = "; ".join(
        f"{kind}: p50 {medians[kind][0] * 1000:.0f} ms, p99 {medians[kind][2] * 1000:.0f} ms"
        for kind in names
    )
    case["notes"].append(
        f"p95 of every callback, median of {rounds} rounds of {calls} calls ("
        f"{calls * CALLBACKS_PER_CALL} callbacks) or of the same number of bare POSTs; the app "
        f"sleeps {SLOW_SECONDS:g} s per callback under waitress with {SLOW_CALLERS + 10} threads "
        f"in its own process; the machine was shared with other jobs. {spread}. Callers that "
        "all start at once get their replies at once too, and queue for the CPU, in the server "
        "and in any client (the bare floor); calls arriving at a steady rate, as a campaign's "
        "do, queue less."
    )
    claim = f"load: measured p95 ÷ the app's {SLOW_SECONDS:g} s (steady arrivals)"
    target = check(claim, "<=", 1.1, medians["steady"][1] / SLOW_SECONDS)
    target["note"] = (
        "compare with the bare http.client floor of the same case: what the server and a busy "
        "machine add to every client, not the generator's share."
    )
    share = check(
        "load: p95 ÷ a bare http.client's p95, same arrivals",
        "<=",
        1.1,
        medians["steady"][1] / medians["steady floor"][1],
    )
    share["note"] = "the generator adds more to the measured latency than a bare client does."
    return case, [target, share]


def load_cases(settings: Settings) -> tuple[list[Case], list[Target]]:
    """Every case of the load group."""
    found, targets = [], []
    for case_of in (throughput_case, overhead_case, fidelity_case):
        case, more = case_of(settings)
        found.append(case)
        targets.extend(more)
    return found, targets


if __name__ == "__main__":
    main()
