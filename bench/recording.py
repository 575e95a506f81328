"""What recording callbacks to a cassette costs: WebhookApp with and without ``record``.

Two cases. Requests per second over HTTP (waitress on 127.0.0.1, one keep-alive client, as
the webhook case): the target is that recording keeps at least 90% of WebhookApp's
throughput. And the WSGI call in-process, timed in CPU time of the calling thread (steady on
a loaded machine, unlike wall time): what the request itself pays (handing the exchange to
the writer's queue), and all of recording's work done on that thread (what the writer
thread otherwise does besides).
"""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from typing import Any

from .results import Case, Target, check, new_case
from .timing import Measurement, Settings, interleaved
from .web import (
    REQUESTS_PER_BATCH,
    WsgiApp,
    http_settings,
    poster,
    serve,
    webhook_app,
    wsgi_call,
)

PLAIN = "callcontrol.WebhookApp"
RECORDED = "record(WebhookApp)"
QUEUED = "record(WebhookApp), the request's part"
INLINE = "record(WebhookApp), all of its work"
#: More repeats than the other HTTP cases: the difference sought is small against the noise.
HTTP_REPEATS = 41
#: Exchanges per write in the inline contender (the writer thread batches too).
BATCH = 64
#: Calls per timed batch in-process.
CALLS = 640
#: Recording may cost at most this share of WebhookApp's throughput.
MAX_COST = 0.10


def apps(directory: str) -> tuple[dict[str, WsgiApp], Callable[[], None]]:
    """WebhookApp alone and wrapped by ``record``; the function flushes the cassette."""
    from callcontrol.recording import record

    recorded = record(webhook_app(), os.path.join(directory, "bench.jsonl"), max_bytes=1 << 30)
    return {PLAIN: webhook_app(), RECORDED: recorded}, recorded.close


def queued_call(directory: str) -> Callable[[], bytes]:
    """The recorded app as a request sees it: the exchange is queued, nothing is written."""
    from callcontrol.recording import record

    recorded = record(webhook_app(), os.path.join(directory, "queued.jsonl"))
    writer = recorded.writer
    writer._queue = _Sink(maxlen=BATCH)  # type: ignore[assignment]
    writer._start = lambda: None  # type: ignore[method-assign]  # no thread drains it
    writer._pending = -(10**9)  # never "behind"
    return closing_call(recorded)


class _Sink(deque[Any]):
    """A queue nobody reads: put() is as cheap as the real queue's when no one waits."""

    put = deque.append


def inline_call(directory: str) -> Callable[[], bytes]:
    """The recorded app with the writer thread's work done on the calling thread: the whole
    cost of recording, wherever it runs."""
    from callcontrol.recording import _from_wsgi, _WsgiItem, record

    recorded = record(webhook_app(), os.path.join(directory, "inline.jsonl"), max_bytes=1 << 30)
    writer = recorded.writer
    pending: list[_WsgiItem] = []
    writer.put = pending.append  # type: ignore[method-assign, assignment]
    call = closing_call(recorded)

    def run() -> bytes:
        reply = call()
        if len(pending) >= BATCH:
            writer.append([writer.line(_from_wsgi(item)) for item in pending])
            pending.clear()
        return reply

    return run


def closing_call(app: WsgiApp) -> Callable[[], bytes]:
    """Like :func:`bench.web.wsgi_call`, closing the response as a WSGI server does."""
    return wsgi_call(_closing(app))


def _closing(app: WsgiApp) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = app(environ, start_response)
        body = list(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return body

    return wrapped


def cpu_interleaved(
    contenders: Mapping[str, Callable[[], object]], settings: Settings
) -> Measurement:
    """Like :func:`bench.timing.interleaved`, in CPU seconds of this thread per call."""
    names = list(contenders)
    calls = 1 if settings.quick else CALLS
    for name in names:
        for _ in range(settings.warmup):
            contenders[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(settings.repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            fn = contenders[name]
            gc.collect()
            gc.disable()
            try:
                start = time.thread_time()
                for _ in range(calls):
                    fn()
                times[name].append((time.thread_time() - start) / calls)
            finally:
                gc.enable()
    return Measurement(times)


def recording_cases(settings: Settings) -> tuple[list[Case], list[Target]]:
    """Throughput over HTTP with and without recording, and the in-process cost."""
    http = new_case("recording", "recording: POST answer event over HTTP (127.0.0.1)", "req/s")
    local = new_case("recording", "recording: WSGI call in-process, CPU time per call", "µs")
    with tempfile.TemporaryDirectory() as directory:
        with ExitStack() as stack:
            served, close = apps(directory)
            stack.callback(close)
            contenders = {
                name: poster(stack.enter_context(serve(app)), stack) for name, app in served.items()
            }
            repeats = http_settings(settings)
            if not settings.quick:
                repeats = Settings(HTTP_REPEATS, repeats.batch_seconds, repeats.warmup, False)
            measured = interleaved(contenders, repeats, REQUESTS_PER_BATCH)
        calls = {
            PLAIN: closing_call(webhook_app()),
            QUEUED: queued_call(directory),
            INLINE: inline_call(directory),
        }
        timed = cpu_interleaved(calls, settings)
    for name in measured.times:
        rps = 1 / measured.median(name)
        http["rows"].append(
            {"library": name, "value": rps, "relative": measured.ratio(PLAIN, name)}
        )
    for name in timed.times:
        relative = statistics.median(
            a / b for a, b in zip(timed.times[name], timed.times[PLAIN], strict=True) if b > 0
        )
        local["rows"].append(
            {"library": name, "value": timed.median(name) * 1e6, "relative": relative}
        )
    http["notes"].append(
        "One client, sequential requests on a keep-alive connection, waitress with 2 threads; "
        "the recorded app queues every exchange, and its writer thread appends them to a "
        "JSON Lines cassette."
    )
    local["notes"].append(
        "CPU time of the calling thread, no HTTP. *The request's part*: what a callback "
        "waits for (reading the body again, queueing the exchange). *All of its work*: also "
        "the writer thread's masking, formatting and appending, done here in writes of "
        f"{BATCH} exchanges, so its ratio is the whole CPU cost of recording."
    )
    kept = measured.ratio(PLAIN, RECORDED)  # recorded req/s over plain req/s
    target = check(
        f"recording keeps >= {1 - MAX_COST:.0%} of WebhookApp's HTTP throughput",
        ">=",
        1 - MAX_COST,
        kept,
    )
    return [http, local], [target]
