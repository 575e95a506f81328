"""VoiceEmulator: a local Voice Calls API on 127.0.0.1 that drives every call with the engine.

::

    with VoiceEmulator(app=ivr_app, speed=50.0) as emu:
        client = emu.client()
        created = client.create_call(to="+15553334444", from_="+15551230000",
                                     answer_url=emu.app_url + "/answer", application_id="app-1")
        emu.wait_for(created.call_id, state="disconnected")
        print(emu.timeline(created.call_id))
"""

from __future__ import annotations

import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..call_result import Callback, SimulatedCall, path_of
from ..callback_wire import callback_headers, challenge_first, challenges, encode, fetch
from ..contract import (
    DEFAULT_CALLS_PER_SECOND,
    DEFAULT_MAX_CONCURRENT,
    call_url,
    queue_capacity,
)
from ..engine import Engine, Leg, amd
from ..engine.dialing import DEFAULT_CALL_TIMEOUT
from ..engine.model import CallbackRequest, FetchResult
from ..engine.script import (
    Destination,
    Step,
    check_destinations,
    check_script,
)
from . import admin
from .api import Account, CallsApi, Reply
from .backend import create_call_start
from .calls import EmulatorCalls
from .clock import EmulatorClock
from .driver import CLOSED, Driver, Waiter
from .faults import Faults
from .server import ApiServer, AppServer, WsgiApp
from .store import CallRecord, Store
from .validate import MAX_SECONDS, is_loopback

if TYPE_CHECKING:
    from ..client import CallsClient
    from ..models import CallState

USER_AGENT = "BandwidthAPI/v2 (callcontrol emulator)"
#: How many exchanges :attr:`VoiceEmulator.exchanges` keeps (the oldest go first).
MAX_EXCHANGES = 10_000
#: The password of a default emulator (loopback only); shown by ``callcontrol emulator``.
DEFAULT_PASSWORD = "emulator-password"
_SAFE = re.compile(r"[A-Za-z0-9._-]+")


class EmulatorError(RuntimeError):
    """An error in one of the emulator's threads or in the app it hosts, raised on close."""


@dataclass(frozen=True)
class Exchange:
    """One recorded exchange: a REST request and answer, or a callback and its result.

    ``drop`` is ``"before"`` or ``"after"`` for a REST answer never sent (a dropped
    connection, the request not applied or applied); its status is then 0.
    """

    kind: str
    operation: str
    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str = ""
    drop: str | None = None


class VoiceEmulator:
    """The Voice Calls API on a loopback port, calling ``app`` back over real HTTP.

    :param app: a WSGI or ASGI app (served on its own loopback port, :attr:`app_url`), the
        base URL of an app you run, or None.
    :param speed: how many times faster than wall time the virtual clock runs.
    :param clock: ``"real"`` (scaled by ``speed``) or ``"manual"`` (only :meth:`advance`).
    :param seed: makes call ids and probabilistic faults repeat.
    :param faults: a :class:`~callcontrol.emulator.Faults` plan (scripted ones can be added
        with ``emu.faults.next(...)`` either way).
    :param host: the address to listen on, loopback by default; any other address needs
        ``allow_remote=True`` and a ``password`` other than the default. Requests whose
        ``Host`` header names something else than this address, an IP of it or
        ``localhost`` are refused with 421 (a web page cannot reach the emulator through
        DNS rebinding). Credentials are never sent over plain http beyond loopback.
    :param callback_workers: threads kept to send callbacks; more start when all are busy
        (up to a few per call in progress), so a slow app never delays another call.

    Each callback must be answered completely within the call's ``callbackTimeout``
    (reading at most 64 KB + 1 of its reply); :meth:`close` returns within its
    ``timeout`` whatever the app does; a closed emulator refuses every use at once.
    """

    def __init__(
        self,
        app: WsgiApp | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        account_id: str = "9900000",
        username: str = "emulator",
        password: str = DEFAULT_PASSWORD,
        speed: float = 1.0,
        clock: str = "real",
        seed: int = 0,
        faults: Faults | None = None,
        calls_per_second: float = DEFAULT_CALLS_PER_SECOND,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
        callback_workers: int = 32,
        allow_remote: bool = False,
    ) -> None:
        if app is not None and not isinstance(app, str) and not callable(app):
            raise TypeError(f"app must be a WSGI or ASGI app, a base URL or None, not {app!r}")
        capacity = queue_capacity(calls_per_second, max_concurrent)
        for name, value in (("account_id", account_id), ("username", username)):
            if not isinstance(value, str) or not value or not _SAFE.fullmatch(value):
                raise ValueError(
                    f"{name} must be a non-empty string of letters, digits, '.', '_' or '-', "
                    f"not {value!r}"
                )
        if not isinstance(password, str) or not password:
            raise ValueError("password must be a non-empty string")
        _check_host(host, allow_remote, password)
        self.account_id = account_id
        self.username = username
        self.password = password
        self.seed = seed
        self.faults = faults if faults is not None else Faults(seed)
        #: The last :data:`MAX_EXCHANGES` REST exchanges and callbacks, oldest first.
        self.exchanges: deque[Exchange] = deque(maxlen=MAX_EXCHANGES)
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._callees: dict[str, tuple[Step, ...]] = {}
        self._destinations: dict[str, Destination] = {}
        self._clock = EmulatorClock(clock, speed)
        self._store = Store()
        self._sockets: set[socket.socket] = set()
        self._ids = random.Random(seed)
        self._api_server = ApiServer(host, port, on_error=self._app_error)
        self._app_server: AppServer | None = None
        if app is not None and not isinstance(app, str):
            self._app_server = AppServer(host, 0, app, self._app_error)
        self.base_url = f"http://{host}:{self._api_server.server_address[1]}/api/v2"
        engine = Engine(
            seed=seed,
            start_time=self._clock.epoch,
            account_id=account_id,
            # Callbacks name each call (Transfer B-legs too) by the URL that reaches it
            # here, as Location does.
            api_base=self.base_url,
            # On the real clock a reply's wall latency passes on the calls' clock.
            wall_clock=not self._clock.manual,
        )
        self._driver = Driver(
            self._clock,
            self._store,
            engine,
            self._send,
            self._recorded,
            calls_per_second=calls_per_second,
            max_concurrent=max_concurrent,
            queue_capacity=capacity,
            fetch_workers=callback_workers,
        )
        if self._app_server is not None:
            self.app_url: str | None = f"http://{host}:{self._app_server.server_address[1]}"
        else:
            self.app_url = app.rstrip("/") if isinstance(app, str) else None
        self.api = CallsApi(
            users={username: Account(password, account_id)},
            calls=EmulatorCalls(self._driver, self._store, self._new_call),
            faults=self.faults,
            base_url=self.base_url,
        )
        self.api.admin = partial(admin.handle, self)
        self._api_server.api = self.api
        self._api_server.on_reply = self._record_rest
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._driver.start()
        for server in (self._api_server, self._app_server):
            if server is not None:
                thread = threading.Thread(
                    target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def __repr__(self) -> str:
        return f"VoiceEmulator(base_url={self.base_url!r}, app_url={self.app_url!r})"

    def __enter__(self) -> VoiceEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(raise_errors=exc[0] is None)

    # -- the Python API ------------------------------------------------------------------------

    @property
    def created_calls(self) -> int:
        """How many createCall requests created a call (retries that were refused excluded)."""
        return self._driver.created

    def client(self, **options: Any) -> CallsClient:
        """A :class:`~callcontrol.CallsClient` bound to this emulator and its credentials."""
        self._check_open()
        from ..client import CallsClient

        return CallsClient(
            self.account_id,
            username=self.username,
            password=self.password,
            base_url=self.base_url,
            **options,
        )

    def callee(self, number: str, script: Iterable[Step] = ()) -> None:
        """How a dialled ``number`` behaves: it answers and follows ``script`` (for later calls)."""
        self._check_open()
        steps = check_script(script)
        with self._lock:
            self._callees[_number(number)] = steps

    def destination(self, number: str, behaviour: Destination) -> None:
        """How ``number`` answers when dialled or transferred to (``answers()``, ``busy()``...)."""
        self._check_open()
        checked = check_destinations({_number(number): behaviour})
        with self._lock:
            self._destinations.update(checked)

    def advance(self, seconds: float = 0.0, *, days: float = 0.0, timeout: float = 30.0) -> None:
        """Move the manual clock forward and wait until the calls have caught up."""
        self._check_open()
        total = seconds + days * 86400
        if total < 0:
            raise ValueError(f"time only moves forward; cannot advance by {total:g} s")
        if not total <= MAX_SECONDS:
            raise ValueError(f"advance by at most {MAX_SECONDS:g} s at a time, not {total!r} s")
        self._driver.call(self._driver.advance, int(round(total * 1000)))
        if not self._driver.settle(timeout):
            raise TimeoutError(f"the calls did not settle within {timeout:g} s after advance()")

    def wait_for(
        self,
        call_id: str,
        *,
        verb: str | None = None,
        state: str | None = None,
        timeout: float = 10.0,
    ) -> CallState:
        """Wait until the call starts ``verb`` (and hold it there) or reaches ``state``.

        A call stopped at ``verb`` stays there, its virtual time standing still, until the
        next API request that changes it or the next ``wait_for`` for it. ``timeout`` is in
        wall seconds; with ``clock="manual"``, move time with :meth:`advance` first.
        """
        from ..models import CallState

        self._check_open()
        if (verb is None) == (state is None):
            raise ValueError("wait_for needs exactly one of verb= or state=")
        record = self._record_of(call_id)
        waiter = Waiter(verb, state)
        self._driver.call(self._driver.add_waiter, record, waiter)
        if self._clock.manual:
            self._driver.settle(timeout)
        if not waiter.done.wait(0 if self._clock.manual else timeout):
            self._driver.call(self._driver.drop_waiter, record, waiter)
            wanted = f"<{verb}>" if verb else f"state {state!r}"
            now = record.snapshot.get("state")
            hint = "; the clock is manual: advance() it first" if self._clock.manual else ""
            raise TimeoutError(f"call {call_id} did not reach {wanted} (it is {now}){hint}")
        if waiter.problem:
            raise AssertionError(f"call {call_id}: {waiter.problem}")
        return CallState.from_dict(record.snapshot)

    def timeline(self, call_id: str) -> SimulatedCall:
        """The call's story so far, the same transcript the simulator gives (``str()`` it)."""
        self._check_open()
        record = self._record_of(call_id)
        return self._driver.call(_snapshot, self._driver.engine, record)

    def statistics(self) -> dict[str, int]:
        """The account's queue statistics, as ``GET /accounts/{id}/statistics`` gives them."""
        self._check_open()
        size = self._driver.call(self._driver.queue_size)
        return {"currentCallQueueSize": size, "maxCallQueueSize": self._driver.queue_capacity}

    def close(self, *, raise_errors: bool = True, timeout: float = 10.0) -> None:
        """Drain the callbacks in flight, stop every thread, raise their errors.

        Returns within ``timeout`` seconds whatever the app does: callbacks still in flight
        then are cut off (their connections closed), and threads still running a hosted app
        that never returns are left behind (they are daemon threads).
        """
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + max(0.0, timeout)

        def left() -> float:
            return max(0.0, deadline - time.monotonic())

        self._driver.settle(left())
        for server in (self._api_server, self._app_server):
            if server is not None:
                server.stop()
        with self._lock:
            in_flight = list(self._sockets)
        for sock in in_flight:
            _shut(sock)
        self._driver.stop(left())
        for thread in self._threads:
            thread.join(left())
        errors = [*self._driver.errors, *self.errors]
        if errors and raise_errors:
            first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise EmulatorError(f"{first}{more}") from first

    # -- internals -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise EmulatorError(CLOSED)

    def _record_of(self, call_id: str) -> CallRecord:
        record = self._store.get(call_id)
        if record is None:
            raise KeyError(f"no call {call_id!r} in this emulator")
        return record

    def _new_call(self, account: str, fields: dict[str, Any]) -> CallRecord:
        seq = self._store.next_seq()
        now = self._clock.now_ms()
        with self._lock:
            script = self._callees.get(fields["to"], ())
            destinations = dict(self._destinations)
            call_id = _call_id(self._ids)
        engine = self._driver.engine

        def begin() -> Leg:
            """Start the call in the engine (on the engine thread, when it leaves the queue)."""
            return engine.start_call(
                "outbound",
                fields["answerUrl"],
                **create_call_start(fields),
                call_timeout=float(fields.get("callTimeout", DEFAULT_CALL_TIMEOUT)),
                script=script,
                destinations=destinations,
                machine_detection=(
                    amd.detection(fields["machineDetection"])
                    if "machineDetection" in fields
                    else None
                ),
                call_id=call_id,
            )

        queued = Leg(
            id=call_id,
            label="A",
            direction="outbound",
            from_=fields["from"],
            to=fields["to"],
            start_ms=now,
            account_id=account,
            application_id=fields["applicationId"],
            call_url=call_url(self.base_url, account, call_id),
        )
        return CallRecord(
            seq=seq,
            account_id=account,
            leg=queued,
            request=fields,
            enqueued_ms=now,
            priority=int(fields.get("priority", 5)),
            callback_timeout=float(fields.get("callbackTimeout", 15)),
            begin=begin,
        )

    def _send(self, request: CallbackRequest, timeout: float) -> tuple[str, FetchResult]:
        url, body = encode(request)
        deadline = time.monotonic() + timeout  # one callbackTimeout for both attempts

        def attempt(authorization: str | None) -> tuple[FetchResult, bool]:
            if authorization is not None and _plain_http_elsewhere(url):
                # Basic credentials over plain http would cross the network readable by anyone.
                problem = "not sent: the callback carries credentials and its URL is plain http"
                return FetchResult(None, b"", f"{problem} to a host other than loopback"), False
            left = deadline - time.monotonic()
            if left <= 0:
                problem = "timed out: no reply within callbackTimeout"
                return FetchResult(None, b"", problem, timed_out=True), False
            headers = callback_headers(body, USER_AGENT, authorization)
            result, reply_headers = fetch(
                request.target.method, url, body, headers, left, track=self._track
            )
            return result, challenges(result.status, reply_headers)

        # Credentials only after a 401 challenge, as Bandwidth sends them (voice-api §9.2).
        return url, challenge_first(request, attempt)

    def _track(self, sock: socket.socket, open_now: bool) -> None:
        with self._lock:
            if open_now:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    def _recorded(
        self, record: CallRecord, request: CallbackRequest, url: str, result: FetchResult
    ) -> None:
        callback = Callback.sent(request, url, result, self._driver.engine.now)
        record.callbacks.append(callback)
        if request.synchronous:  # as the simulator counts them: every synchronous callback
            record.visited.append(path_of(request.target.url))
        exchange = Exchange(
            "callback", request.event_type, result.status, (), _json(request.payload), url
        )
        with self._lock:
            self.exchanges.append(exchange)

    def _record_rest(self, reply: Reply) -> None:
        exchange = Exchange(
            "rest",
            reply.operation or "",
            0 if reply.drop else reply.status,
            tuple(reply.headers),
            reply.body,
            drop=reply.drop,
        )
        with self._lock:
            self.exchanges.append(exchange)

    def _app_error(self, exc: BaseException, where: str) -> None:
        error = EmulatorError(f"{where}: {exc}")
        error.__cause__ = exc
        with self._lock:
            self.errors.append(error)


def _snapshot(engine: Engine, record: CallRecord) -> SimulatedCall:
    call = SimulatedCall(
        record.leg.id, visited=list(record.visited), callbacks=list(record.callbacks)
    )
    if record.begin is not None:  # still queued: not in the engine yet
        leg = record.leg
        call.state, call.direction, call.from_, call.to = "queued", leg.direction, leg.from_, leg.to
        return call
    return call.update_from(engine, record.leg, record.state)


def _call_id(ids: random.Random) -> str:
    """A new call id, in the form the engine gives its legs."""
    h = f"{ids.getrandbits(128):032x}"
    return f"c-{ids.getrandbits(32):08x}-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _check_host(host: str, allow_remote: bool, password: str) -> None:
    """Serving other machines is a choice, made with credentials of one's own."""
    if host == "localhost" or is_loopback(host):
        return
    if not allow_remote:
        raise ValueError(
            f"host {host!r} is not a loopback address: other machines could reach the "
            "emulator; pass allow_remote=True (and a password of your own) to mean it"
        )
    if password == DEFAULT_PASSWORD:
        raise ValueError(
            f"host {host!r} with allow_remote=True needs a password of your own, "
            "not the emulator's default one"
        )


def _plain_http_elsewhere(url: str) -> bool:
    """True for an http:// URL to a host other than loopback (credentials must not go there)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False  # fetch() names the bad URL
    return parts.scheme == "http" and not is_loopback(host)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by its fetch


def _json(payload: dict[str, Any]) -> bytes:
    import json

    return json.dumps(payload, separators=(",", ":")).encode()


def _number(number: object) -> str:
    if not isinstance(number, str) or not number:
        raise TypeError(f"number must be a phone number or SIP URI string, not {number!r}")
    return number
