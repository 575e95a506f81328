"""The emulator's REST throughput beside a bare stdlib HTTP server answering the same JSON.

Both servers run on 127.0.0.1 with HTTP/1.1 keep-alive and TCP_NODELAY on every accepted
connection (without it, Nagle's algorithm and delayed ACKs add about 40 ms to a request);
the client is one ``requests`` session (urllib3 sets TCP_NODELAY on its side). The
emulator runs a manual clock, so the numbers are its REST path: routing, auth, validation,
the engine-thread round trip and the store.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from bench.results import Case, Target, check, new_case
from bench.timing import Settings, interleaved
from bxml import Bxml, Pause, Response
from callcontrol.emulator import VoiceEmulator

BODY = {
    "to": "+15553334444",
    "from": "+15551230000",
    "answerUrl": "http://127.0.0.1:9/answer",
    "applicationId": "bench-app",
}
PAUSE = Bxml(Pause(duration=3600))
PAUSE_BYTES = str(PAUSE).encode()


class _Bare(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answers: dict[str, tuple[int, bytes]] = {}

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, body = self.answers[self.command]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer  # noqa: N815


class _BareServer(ThreadingHTTPServer):
    # The stdlib's listen backlog of 5 overflows when 16 client threads connect at once on
    # a loaded machine, and the kernel then resets connections; the emulator's is 128.
    request_queue_size = 128
    daemon_threads = True


@contextmanager
def bare_server(answers: dict[str, tuple[int, bytes]]) -> Iterator[str]:
    """A stdlib server answering every method with a fixed status and JSON body."""
    handler = type("Handler", (_Bare,), {"answers": answers})
    server = _BareServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _create_and_get(session: requests.Session, calls_url: str) -> Callable[[], object]:
    def once() -> object:
        created = session.post(calls_url, json=BODY, timeout=5)
        assert created.status_code == 201, created.text
        call_url = created.headers["Location"]
        state = session.get(call_url, timeout=5)
        assert state.status_code == 200
        return state

    return once


GOAL_REST = 2.0
GOAL_BULK = 2.0


def rest_case(settings: Settings) -> tuple[Case, Target]:
    """createCall + getCallState pairs per second: emulator vs the bare server."""
    case = new_case("emulator", "createCall + getCallState, one keep-alive client", "pairs/s")
    emu = VoiceEmulator(clock="manual", calls_per_second=10_000.0, max_concurrent=10**6)
    try:
        session = requests.Session()
        session.auth = (emu.username, emu.password)
        calls_url = f"{emu.base_url}/accounts/{emu.account_id}/calls"
        sample = _create_and_get(session, calls_url)()
        assert isinstance(sample, requests.Response)
        created = json.dumps({"callId": "c-1"}).encode()
        with bare_server({"POST": (201, created), "GET": (200, sample.content)}) as bare:
            bare_session = requests.Session()

            def bare_pair() -> object:
                first = bare_session.post(bare + "/calls", json=BODY, timeout=5)
                assert first.status_code == 201
                return bare_session.get(bare + "/calls/c-1", timeout=5)

            contenders = {
                "VoiceEmulator": _create_and_get(session, calls_url),
                "bare stdlib server": bare_pair,
            }
            measurement = interleaved(contenders, settings)
    finally:
        emu.close()
    for name in measurement.times:
        case["rows"].append(
            {
                "library": name,
                "value": 1 / measurement.median(name),
                "relative": measurement.ratio("VoiceEmulator", name),
            }
        )
    case["notes"].append(
        "The bare server answers fixed JSON (the emulator's own CallState bytes) and reads "
        "the body; the emulator authenticates, validates, queues the call on its engine "
        "thread and answers from the store. Both set TCP_NODELAY."
    )
    ratio = measurement.ratio("VoiceEmulator", "bare stdlib server")
    target = check(
        f"emulator createCall + getCallState ≤ {GOAL_REST}× the bare server", "<=", GOAL_REST, ratio
    )
    return case, target


def bulk_case(settings: Settings) -> tuple[Case, Target]:
    """updateCallBxml to N active calls from a thread pool vs N bare PUTs."""
    count = 20 if settings.quick else 1000
    case = new_case("emulator", f"updateCallBxml to {count} active calls, 16 threads", "s")
    app = _holding_app()
    with VoiceEmulator(
        app=app, clock="manual", calls_per_second=10_000.0, max_concurrent=count + 10
    ) as emu:
        client = emu.client(retry=None)
        ids = [
            client.create_call(
                to="+15553334444",
                from_="+15551230000",
                answer_url=f"{emu.app_url}/answer",
                application_id="bench-app",
            ).call_id
            for _ in range(count)
        ]
        emu.advance(1)
        with ThreadPoolExecutor(16) as pool, bare_server({"PUT": (204, b"")}) as bare:
            local = threading.local()

            def bare_put(index: int) -> None:
                session = getattr(local, "session", None)
                if session is None:
                    session = local.session = requests.Session()
                reply = session.put(
                    f"{bare}/calls/{index}/bxml",
                    data=PAUSE_BYTES,
                    headers={"Content-Type": "application/xml"},
                    timeout=5,
                )
                assert reply.status_code == 204

            contenders = {
                "VoiceEmulator + CallsClient": lambda: list(
                    pool.map(lambda i: client.update_call_bxml(i, PAUSE), ids)
                ),
                "bare PUTs with requests": lambda: list(pool.map(bare_put, range(count))),
            }
            few = Settings(
                min(settings.repeats, 5), 0.0, 0 if settings.quick else 1, settings.quick
            )
            measurement = interleaved(contenders, few, number=1)
    for name in measurement.times:
        case["rows"].append(
            {
                "library": name,
                "value": measurement.median(name),
                "relative": measurement.ratio(name, "VoiceEmulator + CallsClient"),
            }
        )
    case["notes"].append(
        "Each answered call runs a one-hour Pause; every updateCallBxml interrupts it on the "
        "engine thread and installs the new document. The client checks each document "
        "against the BXML schema before sending; the bare PUTs send the same bytes."
    )
    ratio = measurement.ratio("VoiceEmulator + CallsClient", "bare PUTs with requests")
    target = check(f"bulk updateCallBxml ≤ {GOAL_BULK}× bare PUTs", "<=", GOAL_BULK, ratio)
    return case, target


def _holding_app() -> Callable[..., Any]:
    body = str(Response(Pause(duration=3600))).encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"].read(size)
        start_response("200 OK", [("Content-Type", "application/xml; charset=utf-8")])
        return [body]

    return app


def emulator_cases(settings: Settings) -> tuple[list[Case], list[Target]]:
    """Both emulator cases and their targets."""
    rest, rest_target = rest_case(settings)
    bulk, bulk_target = bulk_case(settings)
    return [rest, bulk], [rest_target, bulk_target]
