"""What recording callbacks to a cassette costs: WebhookApp with and without ``record``.

Two cases: requests per second over HTTP (waitress on 127.0.0.1, one keep-alive client,
as the webhook case), where the target is that recording keeps at least 90% of
WebhookApp's throughput; and the WSGI call in-process with all of recording's work done
on the calling thread: its whole CPU cost against WebhookApp's.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from .results import Case, Target, check, new_case
from .timing import Settings, interleaved
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
INLINE = "record(WebhookApp), its writing done inline"
#: More repeats than the other HTTP cases: the difference sought is small against the noise.
HTTP_REPEATS = 41
#: Exchanges per write in the inline contender (the writer thread batches too).
BATCH = 64
#: Recording may cost at most this share of WebhookApp's throughput.
MAX_COST = 0.10


def apps(directory: str) -> tuple[dict[str, WsgiApp], Callable[[], None]]:
    """WebhookApp alone and wrapped by ``record``; the function flushes the cassette."""
    from callcontrol.recording import record

    recorded = record(webhook_app(), os.path.join(directory, "bench.jsonl"), max_bytes=1 << 30)
    return {PLAIN: webhook_app(), RECORDED: recorded}, recorded.close


def inline_call(app: WsgiApp, directory: str) -> Callable[[], bytes]:
    """The recorded app with the writer thread's work done on the calling thread: the whole
    cost of recording, without two threads sharing the interpreter."""
    from callcontrol.recording import _Raw, record

    recorded = record(app, os.path.join(directory, "inline.jsonl"), max_bytes=1 << 30)
    writer = recorded.writer
    pending: list[_Raw] = []

    def submit(**fields: Any) -> None:
        pending.append(_Raw(**fields))

    writer.submit = submit  # type: ignore[method-assign]
    call = closing_call(recorded)

    def run() -> bytes:
        reply = call()
        if len(pending) >= BATCH:
            writer.append([writer.line(raw) for raw in pending])
            pending.clear()
        return reply

    return run


def closing_call(app: WsgiApp) -> Callable[[], bytes]:
    """Like :func:`bench.web.wsgi_call`, closing the response as a WSGI server does."""
    call = wsgi_call(_closing(app))
    return call


def _closing(app: WsgiApp) -> WsgiApp:
    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = app(environ, start_response)
        body = list(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return body

    return wrapped


def recording_cases(settings: Settings) -> tuple[list[Case], list[Target]]:
    """Throughput over HTTP with and without recording, and the in-process cost."""
    http = new_case("recording", "recording: POST answer event over HTTP (127.0.0.1)", "req/s")
    local = new_case("recording", "recording: WSGI call in-process, answer event", "µs")
    with tempfile.TemporaryDirectory() as directory, ExitStack() as stack:
        served, close = apps(directory)
        stack.callback(close)
        contenders = {
            name: poster(stack.enter_context(serve(app)), stack) for name, app in served.items()
        }
        repeats = http_settings(settings)
        if not settings.quick:
            repeats = Settings(HTTP_REPEATS, repeats.batch_seconds, repeats.warmup, False)
        measured = interleaved(contenders, repeats, REQUESTS_PER_BATCH)
        for name in measured.times:
            http["rows"].append(
                {
                    "library": name,
                    "value": 1 / measured.median(name),
                    "relative": measured.ratio(PLAIN, name),
                }
            )
        # The writer thread's work would land in whichever batch runs next, so in-process
        # the whole work of recording is done inline instead, where it is timed.
        calls = {PLAIN: closing_call(served[PLAIN]), INLINE: inline_call(webhook_app(), directory)}
        timed = interleaved(calls, settings)
        for name in timed.times:
            local["rows"].append(
                {
                    "library": name,
                    "value": timed.median(name) * 1e6,
                    "relative": timed.ratio(name, PLAIN),
                }
            )
    kept = measured.ratio(PLAIN, RECORDED)  # recorded req/s over plain req/s
    http["notes"].append(
        "One client, sequential requests on a keep-alive connection, waitress with 2 threads; "
        "the recorded app appends every exchange to a JSON Lines cassette."
    )
    local["notes"].append(
        "No HTTP: the loop calls the app back to back, and the recorded app's writing "
        "(masking, formatting and appending each exchange, normally the writer thread's job) "
        f"is done on the loop's thread in writes of {BATCH} exchanges, so its ratio is the "
        "whole CPU cost of recording, wherever that work runs."
    )
    target = check(
        f"recording keeps >= {1 - MAX_COST:.0%} of WebhookApp's HTTP throughput",
        ">=",
        1 - MAX_COST,
        kept,
    )
    return [http, local], [target]
