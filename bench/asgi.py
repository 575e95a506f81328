"""WebhookApp over ASGI under uvicorn against a bare ASGI app returning the same bytes under
the same server, on 127.0.0.1 (issue 21: >= 0.8x the bare app's throughput).

Both apps are served by uvicorn (its default HTTP implementation, one worker, its event loop
on a thread of this process) and driven by one keep-alive client, interleaved; every loop
sends a fixed number of requests, each with a timeout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from .documents import canonical
from .documents import ours as our_library
from .results import Case, Target, check, new_case
from .timing import Settings, interleaved
from .web import ANSWER_EVENT, REQUESTS_PER_BATCH, TIMEOUT, http_settings, session

OURS = "WebhookApp.asgi, async handler"
BARE = "bare ASGI, static bytes"
CLAIM = "WebhookApp over ASGI (uvicorn) >= 0.8x a bare ASGI app returning the same bytes"


def bare_asgi_app(body: bytes) -> Callable[..., Any]:
    """A hand-written ASGI app: read the request, answer ``body`` as XML."""
    headers = [
        (b"content-type", b"application/xml; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def webhook_asgi_apps() -> dict[str, Callable[..., Any]]:
    """WebhookApp's ASGI front end answering the answer event with the medium document:
    from an ``async def`` handler, and from a plain one (run in the loop's thread pool)."""
    from callcontrol import WebhookApp

    document = our_library().build["medium"]()
    awaited = WebhookApp()
    plain = WebhookApp()

    async def answer(event: Any) -> Any:
        return document

    awaited.route("/answer")(answer)
    plain.route("/answer")(lambda event: document)
    return {OURS: awaited.asgi, "WebhookApp.asgi, plain handler": plain.asgi}


def asgi_case(settings: Settings) -> tuple[Case, list[Target]]:
    """Requests per second of the ASGI apps under uvicorn, one keep-alive client."""
    case = new_case("asgi", "webhook over ASGI: POST answer event, BXML reply (uvicorn)", "req/s")
    try:
        import uvicorn  # noqa: F401

        from callcontrol.load.serve import serve
    except ImportError as exc:
        case["skipped"]["uvicorn"] = f"not installed ({exc})"
        return case, [check(CLAIM, ">=", 0.8, None)]
    expected = our_library().build["medium"]().to_bytes()
    apps = {BARE: bare_asgi_app(expected), **webhook_asgi_apps()}
    data = json.dumps(ANSWER_EVENT).encode()
    with ExitStack() as stack:
        contenders: dict[str, Callable[[], object]] = {}
        for name, app in apps.items():
            url = stack.enter_context(serve(app, 4)) + "/answer"
            contenders[name] = _poster(session(stack), url, data)
        for name, post in contenders.items():
            reply = post()
            if not isinstance(reply, bytes) or canonical(reply) != canonical(expected):
                raise AssertionError(f"{name} did not answer with the medium document")
        measurement = interleaved(contenders, http_settings(settings), REQUESTS_PER_BATCH)
    for name in measurement.times:
        case["rows"].append(
            {
                "library": name,
                "value": 1 / measurement.median(name),
                "relative": measurement.ratio(OURS, name),
            }
        )
    case["notes"].append(
        "One client, sequential requests on a keep-alive connection, uvicorn (h11) in a thread "
        "of the benchmark process for both apps; WebhookApp parses the event, runs the "
        "handler and validates the reply (the document is built once, as the bare app's bytes)."
    )
    # Throughput ratio: the bare app's time per request over ours.
    ratio = measurement.ratio(BARE, OURS)
    return case, [check(CLAIM, ">=", 0.8, ratio)]


def _poster(http: Any, url: str, data: bytes) -> Callable[[], object]:
    headers = {"Content-Type": "application/json"}

    def post() -> object:
        reply = http.post(url, data=data, headers=headers, timeout=TIMEOUT)
        reply.raise_for_status()
        return reply.content

    return post
