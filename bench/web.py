"""HTTP cases on 127.0.0.1 only: client overhead per request, and webhook throughput.

Servers are waitress in a thread on an ephemeral port of 127.0.0.1; every loop sends a
fixed number of requests, each with a timeout, so a case is bounded in count and time.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from .documents import canonical
from .documents import ours as our_library
from .results import Case, Target, check, new_case
from .timing import Settings, interleaved

ACCOUNT_ID = "9900000"
CALL_ID = "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85"
USERNAME = "bench-user"
PASSWORD = "bench-password"
TIMEOUT = 5.0
REQUESTS_PER_BATCH = 40
REPEATS = 15
WARMUP = 20

CALL_STATE = {
    "applicationId": "04e88489-df02-4e34-a0ee-27a91849555f",
    "accountId": ACCOUNT_ID,
    "callId": CALL_ID,
    "parentCallId": None,
    "to": "+19195551234",
    "from": "+19195554321",
    "direction": "outbound",
    "state": "answered",
    "stirShaken": None,
    "identity": None,
    "enqueuedTime": "2024-06-01T12:00:00.000Z",
    "startTime": "2024-06-01T12:00:01.250Z",
    "answerTime": "2024-06-01T12:00:05.500Z",
    "endTime": None,
    "disconnectCause": None,
    "errorMessage": None,
    "errorId": None,
    "lastUpdate": "2024-06-01T12:00:05.500Z",
}

ANSWER_EVENT = {
    "eventType": "answer",
    "eventTime": "2024-06-01T12:00:05.600Z",
    "accountId": ACCOUNT_ID,
    "applicationId": "04e88489-df02-4e34-a0ee-27a91849555f",
    "from": "+19195554321",
    "to": "+19195551234",
    "direction": "outbound",
    "callId": CALL_ID,
    "callUrl": f"https://voice.bandwidth.com/api/v2/accounts/{ACCOUNT_ID}/calls/{CALL_ID}",
    "enqueuedTime": "2024-06-01T12:00:00.000Z",
    "startTime": "2024-06-01T12:00:01.250Z",
    "answerTime": "2024-06-01T12:00:05.500Z",
}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def http_settings(settings: Settings) -> Settings:
    """Fixed, bounded repeat counts for the HTTP cases."""
    if settings.quick:
        return settings
    return Settings(repeats=REPEATS, batch_seconds=0.0, warmup=WARMUP, quick=False)


@contextmanager
def serve(app: WsgiApp) -> Iterator[str]:
    """Serve ``app`` with waitress on an ephemeral port of 127.0.0.1; yield its base URL."""
    from waitress.server import create_server

    # A short loop timeout lets the server thread notice the close quickly.
    server = create_server(app, host="127.0.0.1", port=0, threads=2, asyncore_loop_timeout=0.05)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # Closing from this thread races the server's select(); close in its own loop.
        server.trigger.pull_trigger(lambda: close_all(server))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()


def close_all(server: Any) -> None:
    """Close every connection and the listening socket; the server loop then ends."""
    for channel in list(server._map.values()):
        if channel is not server and channel is not server.trigger:
            channel.close()
    server.close()


def session(stack: ExitStack) -> Any:
    """A requests session that ignores proxy settings (traffic stays on 127.0.0.1).

    It is closed when ``stack`` unwinds, before the server it talks to.
    """
    import requests

    result = requests.Session()
    result.trust_env = False
    stack.callback(result.close)
    return result


def static_app(body: bytes, content_type: str) -> WsgiApp:
    """A WSGI app answering every request with ``body``."""
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", headers)
        return [body]

    return app


def callcontrol_name(name: str, module: str) -> Any:
    """Return ``callcontrol.<name>`` (or from ``module`` while the root does not export it).

    Raises ImportError while it is not written yet.
    """
    for where in ("callcontrol", module):
        try:
            return getattr(importlib.import_module(where), name)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"callcontrol has no {name}")


# -- client overhead ----------------------------------------------------------------------


def client_contenders(base: str, case: Case, stack: ExitStack) -> dict[str, Callable[[], object]]:
    """A bare requests GET + json() and ``CallsClient.get_call_state`` on the same server."""
    http = session(stack)
    url = f"{base}/api/v2/accounts/{ACCOUNT_ID}/calls/{CALL_ID}"

    def bare() -> object:
        reply = http.get(url, auth=(USERNAME, PASSWORD), timeout=TIMEOUT)
        reply.raise_for_status()
        return reply.json()

    contenders: dict[str, Callable[[], object]] = {"requests.Session": bare}
    try:
        CallsClient = callcontrol_name("CallsClient", "callcontrol.client")
    except ImportError as exc:
        case["skipped"]["callcontrol.CallsClient"] = f"not available yet ({exc})"
        return contenders
    client = CallsClient(
        ACCOUNT_ID, username=USERNAME, password=PASSWORD, base_url=f"{base}/api/v2"
    )
    if hasattr(client, "close"):
        stack.callback(client.close)
    state = client.get_call_state(CALL_ID)
    if getattr(state, "call_id", None) != CALL_ID:
        raise AssertionError(f"CallsClient read {state!r}, not the served CallState")
    contenders["callcontrol.CallsClient"] = lambda: client.get_call_state(CALL_ID)
    return contenders


def client_case(settings: Settings) -> tuple[Case, list[Target]]:
    """Time one GET of a CallState through our client and through bare requests."""
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    case = new_case("http", "client: get_call_state per request (127.0.0.1)", "µs")
    body = json.dumps(CALL_STATE).encode()
    with ExitStack() as stack:
        base = stack.enter_context(serve(static_app(body, "application/json")))
        contenders = client_contenders(base, case, stack)
        measurement = interleaved(contenders, http_settings(settings), REQUESTS_PER_BATCH)
    ours = "callcontrol.CallsClient"
    for name in measurement.times:
        relative = measurement.ratio(name, ours) if ours in measurement.times else None
        case["rows"].append(
            {"library": name, "value": measurement.median(name) * 1e6, "relative": relative}
        )
    case["notes"].append(
        "Same waitress server and keep-alive connection pattern; the bare request also "
        "checks the status and decodes the JSON, as a user would."
    )
    measured = measurement.ratio(ours, "requests.Session") if ours in measurement.times else None
    return case, [check("client: CallsClient ÷ bare requests", "<=", 1.15, measured)]


# -- webhook throughput -------------------------------------------------------------------


def bare_bxml_app() -> WsgiApp:
    """A hand-written WSGI app: decode the event JSON, build the document, return it."""
    build = our_library().build["medium"]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        json.loads(environ["wsgi.input"].read(length))
        body: bytes = build().to_bytes()
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/xml; charset=utf-8"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    return app


def webhook_app() -> WsgiApp:
    """Our ``WebhookApp`` answering the answer event with the medium document."""
    WebhookApp = callcontrol_name("WebhookApp", "callcontrol.webhooks")
    build = our_library().build["medium"]
    app = WebhookApp()

    def answer(event: Any) -> Any:
        return build()

    app.route("/answer")(answer)

    result: WsgiApp = app
    return result


def webhook_apps(case: Case) -> dict[str, WsgiApp]:
    """The apps to compare; WebhookApp is skipped while it does not exist."""
    expected = our_library().build["medium"]().to_bytes()
    apps: dict[str, WsgiApp] = {
        "bare WSGI, static bytes": static_app(expected, "application/xml; charset=utf-8"),
        "bare WSGI + json + bxml": bare_bxml_app(),
    }
    try:
        apps["callcontrol.WebhookApp"] = webhook_app()
    except ImportError as exc:
        case["skipped"]["callcontrol.WebhookApp"] = f"not available yet ({exc})"
    return apps


def poster(base: str, stack: ExitStack) -> Callable[[], object]:
    """Return a function that POSTs the answer event and checks the BXML reply."""
    http = session(stack)
    url = f"{base}/answer"
    data = json.dumps(ANSWER_EVENT).encode()
    headers = {"Content-Type": "application/json"}

    def post() -> object:
        reply = http.post(url, data=data, headers=headers, timeout=TIMEOUT)
        reply.raise_for_status()
        return reply.content

    return post


def wsgi_call(app: WsgiApp) -> Callable[[], bytes]:
    """Return a function that calls ``app`` in-process with the answer event (no HTTP)."""
    data = json.dumps(ANSWER_EVENT).encode()
    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/answer",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }

    def start_response(status: str, headers: list[tuple[str, str]], *args: object) -> None:
        if not status.startswith("200"):
            raise AssertionError(f"the app answered {status}")

    def call() -> bytes:
        environ = dict(base, **{"wsgi.input": io.BytesIO(data)})
        return b"".join(app(environ, start_response))

    return call


def wsgi_case(settings: Settings) -> Case:
    """The same apps called in-process, without HTTP: what each costs per callback."""
    case = new_case("http", "webhook: WSGI call in-process, answer event (no HTTP)", "µs")
    contenders = {name: wsgi_call(app) for name, app in webhook_apps(case).items()}
    measurement = interleaved(contenders, settings)
    ours = "callcontrol.WebhookApp"
    for name in measurement.times:
        relative = measurement.ratio(name, ours) if ours in measurement.times else None
        case["rows"].append(
            {"library": name, "value": measurement.median(name) * 1e6, "relative": relative}
        )
    case["notes"].append(
        "The WSGI callable alone: WebhookApp reads and types the event, runs the handler "
        "(which builds the medium document) and validates the reply before answering."
    )
    return case


def webhook_case(settings: Settings) -> Case:
    """Requests per second of the webhook apps under waitress, one keep-alive client."""
    case = new_case("http", "webhook: POST answer event, BXML reply (127.0.0.1)", "req/s")
    apps = webhook_apps(case)
    expected = canonical(our_library().build["medium"]().to_bytes())
    with ExitStack() as stack:
        contenders = {
            name: poster(stack.enter_context(serve(app)), stack) for name, app in apps.items()
        }
        for name, post in contenders.items():
            reply = post()
            if not isinstance(reply, bytes) or canonical(reply) != expected:
                raise AssertionError(f"{name} did not answer with the medium document")
        measurement = interleaved(contenders, http_settings(settings), REQUESTS_PER_BATCH)
    ours = "callcontrol.WebhookApp"
    for name in measurement.times:
        rps = 1 / measurement.median(name)
        relative = measurement.ratio(ours, name) if ours in measurement.times else None
        case["rows"].append({"library": name, "value": rps, "relative": relative})
    case["notes"].append(
        "One client, sequential requests on a keep-alive connection, waitress with 2 threads; "
        "WebhookApp parses the event, runs the handler and validates the reply."
    )
    return case


# -- webhook under load ---------------------------------------------------------------------

SERVER_THREADS = 4
LOAD_REQUESTS = 2000
LOAD_CLIENTS = 16
LOAD_ROUNDS = 5

GATHER_EVENT = {
    **ANSWER_EVENT,
    "eventType": "gather",
    "eventTime": "2024-06-01T12:00:09.100Z",
    "digits": "1",
    "terminatingDigit": "#",
}


@dataclass
class Server:
    """A load server process: its port on 127.0.0.1 and its process id."""

    port: int
    pid: int

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the process used so far (Linux /proc), or None."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server_processes(kinds: Iterable[str]) -> Iterator[dict[str, Server]]:
    """Run ``bench.load_server kind`` for each kind, each in its own process on 127.0.0.1.

    They start together; each prints its port when it listens.
    """
    import select
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    processes: dict[str, subprocess.Popen[str]] = {}
    try:
        for kind in kinds:
            processes[kind] = subprocess.Popen(
                [sys.executable, "-m", "bench.load_server", kind],
                cwd=root,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
        servers = {}
        for kind, process in processes.items():
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 30)
            line = process.stdout.readline() if ready else ""
            if not line.strip().isdigit():
                raise RuntimeError(f"the {kind} server did not start (exit {process.poll()})")
            servers[kind] = Server(int(line), process.pid)
        yield servers
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


def drive(port: int, requests: int, clients: int, expected: bytes) -> tuple[float, list[float]]:
    """POST the gather event ``requests`` times from ``clients`` threads (keep-alive each).

    Returns the wall time from the common start to the last reply, and every latency.
    Each request has a timeout; a wrong reply raises.
    """
    import http.client
    import time

    body = json.dumps(GATHER_EVENT).encode()
    headers = {"Content-Type": "application/json"}
    share = [requests // clients + (i < requests % clients) for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []
    start = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            start.wait(timeout=30)
            for _ in range(share[index]):
                sent = time.perf_counter()
                conn.request("POST", "/menu", body, headers)
                reply = conn.getresponse()
                data = reply.read()
                latencies[index].append(time.perf_counter() - sent)
                if reply.status != 200 or data != expected:
                    raise AssertionError(f"the server answered {reply.status}: {data[:80]!r}")
        except BaseException as exc:  # reported by the caller, not lost in the thread
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait(timeout=30)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=TIMEOUT * requests)
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed, [latency for one in latencies for latency in one]


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass
class Rounds:
    """What the rounds of one server measured."""

    throughput: list[float]
    cpu_per_request: list[float]
    latencies: list[float]


def measure_load(
    servers: dict[str, Server], requests: int, clients: int, rounds: int, expected: bytes
) -> dict[str, Rounds]:
    """Drive every server for ``rounds`` rounds, alternating their order."""
    found = {kind: Rounds([], [], []) for kind in servers}
    for server in servers.values():  # warm-up: connections, first builds
        drive(server.port, clients * 4 if rounds > 1 else clients, clients, expected)
    for round_number in range(rounds):
        order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
        for kind in order:
            server = servers[kind]
            cpu_before = server.cpu_seconds()
            elapsed, seen = drive(server.port, requests, clients, expected)
            cpu_after = server.cpu_seconds()
            found[kind].throughput.append(requests / elapsed)
            found[kind].latencies.extend(seen)
            if cpu_before is not None and cpu_after is not None:
                found[kind].cpu_per_request.append((cpu_after - cpu_before) / requests)
    return found


def paired_ratio(numerators: list[float], denominators: list[float]) -> float | None:
    """Median of the per-round ratios (None without data)."""
    pairs = [a / b for a, b in zip(numerators, denominators, strict=True) if b > 0]
    return statistics.median(pairs) if pairs else None


def load_case(settings: Settings) -> tuple[Case, list[Target]]:
    """Throughput and p99 of WebhookApp and of the bare floor under N client threads."""
    from bench.load_server import reply_bytes

    claim = "webhook load: WebhookApp ÷ floor throughput"
    case = new_case(
        "http", "webhook under load: gather callback, 16 clients, waitress (127.0.0.1)", "req/s"
    )
    requests, clients, rounds = (
        (32, 4, 1) if settings.quick else (LOAD_REQUESTS, LOAD_CLIENTS, LOAD_ROUNDS)
    )
    names = {"floor": "bare WSGI, same bytes (floor)", "webhook": "callcontrol.WebhookApp"}
    try:
        callcontrol_name("WebhookApp", "callcontrol.webhooks")
    except ImportError as exc:
        case["skipped"][names["webhook"]] = f"not available yet ({exc})"
        return case, [check(claim, ">=", 0.8, None)]
    with server_processes(names) as servers:
        found = measure_load(servers, requests, clients, rounds, reply_bytes())
    median = {kind: statistics.median(one.throughput) for kind, one in found.items()}
    for kind, name in names.items():
        case["rows"].append(
            {"library": name, "value": median[kind], "relative": median[kind] / median["webhook"]}
        )
    p99 = {kind: percentile(one.latencies, 0.99) * 1000 for kind, one in found.items()}
    case["notes"].append(
        f"{requests} POSTs of a gather event per round from {clients} client threads "
        f"(http.client, keep-alive), {rounds} rounds alternating the two servers; each server "
        f"is waitress with {SERVER_THREADS} threads in a process of its own; the client shares "
        f"the machine's cores with it. p99 latency: floor {p99['floor']:.1f} ms, "
        f"WebhookApp {p99['webhook']:.1f} ms."
    )
    cpu = {kind: one.cpu_per_request for kind, one in found.items()}
    cpu_ratio = paired_ratio(cpu["floor"], cpu["webhook"])
    if cpu_ratio is not None:
        used = {kind: statistics.median(values) * 1e6 for kind, values in cpu.items()}
        case["notes"].append(
            f"Server CPU per request: floor {used['floor']:.0f} µs, WebhookApp "
            f"{used['webhook']:.0f} µs (floor ÷ WebhookApp {cpu_ratio:.2f}: the throughput "
            "ratio a server with the cores to itself would see)."
        )
    ratio = paired_ratio(found["webhook"].throughput, found["floor"].throughput)
    return case, [check(claim, ">=", 0.8, ratio)]


# -- hosting under threads ------------------------------------------------------------------

HOSTING_LIVE = 20000
HOSTING_CALLS = 4000
HOSTING_THREADS = (1, 8)
HOSTING_ROUNDS = 3


def host_rate(threads: int, calls: int, live: int) -> float:
    """``WebhookApp.host()`` calls per second from ``threads`` threads, in-memory store.

    A fresh app first hosts ``live`` documents (all still live: the TTL outlasts the run),
    then the threads host ``calls`` more between them; the time is from a barrier to the
    last thread's end.
    """
    import logging

    from bxml import Hangup, Response, SpeakSentence

    WebhookApp = callcontrol_name("WebhookApp", "callcontrol.webhooks")
    logging.getLogger("callcontrol").setLevel(logging.ERROR)  # the in-process warning
    app = WebhookApp()
    doc = Response(SpeakSentence("Your call is being transferred"), Hangup())
    for _ in range(live):
        app.host(doc, ttl=3600)
    each = max(1, calls // threads)
    start = threading.Barrier(threads + 1)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=TIMEOUT * 12)
            for _ in range(each):
                app.host(doc, ttl=3600)
        except BaseException as exc:  # reported by the caller, not lost in the thread
            failures.append(exc)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    start.wait(timeout=TIMEOUT * 12)
    began = time.perf_counter()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise failures[0]
    return each * threads / elapsed


def hosting_case(settings: Settings) -> Case:
    """host() throughput with the default in-memory store, 1 and 8 threads, many live."""
    calls, live, rounds = (
        (8, 50, 1) if settings.quick else (HOSTING_CALLS, HOSTING_LIVE, HOSTING_ROUNDS)
    )
    case = new_case(
        "http",
        f"hosting: WebhookApp.host() with {live:,} live documents (in-memory store)",
        "calls/s",
    )
    rates = {n: [host_rate(n, calls, live) for _ in range(rounds)] for n in HOSTING_THREADS}
    single = statistics.median(rates[1])
    for threads, found in rates.items():
        value = statistics.median(found)
        case["rows"].append(
            {
                "library": f"callcontrol.WebhookApp, {threads} thread{'s' * (threads > 1)}",
                "value": value,
                "relative": value / single,
            }
        )
    case["notes"].append(
        f"{calls} host() calls of a short document per round after {live} others were "
        f"hosted (TTL an hour, so all stay live), {rounds} rounds, median; relative is "
        "to one thread. Each call renders and validates the document; the store keeps "
        "its expiry order in a heap, so a call does not look at the other live documents."
    )
    return case
