"""``run``: many simulated callers at once, each on a worker thread with its own connection."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import replace

from ..engine import Credentials, Destination
from .caller import Caller, CallPlan, Script
from .report import INVALID_BXML, LoadReport, Tally
from .serve import WsgiApp, serve
from .wire import Reply, Wire

#: Called after each finished call with the number of calls finished so far.
Progress = Callable[[int], None]


class _TallyRecorder:
    """A worker's recorder: its own :class:`Tally`, merged when the run ends (no locking)."""

    def __init__(self, tally: Tally, finished: Callable[[], None]) -> None:
        self.tally = tally
        self.finished = finished

    def callback(self, path: str, reply: Reply, invalid: str | None) -> None:
        tally = self.tally
        tally.callback(path, reply.seconds, reply.kind, reply.detail, reply.too_slow)
        if invalid is not None:
            tally.error(path, INVALID_BXML, invalid)

    def call(self, cause: str | None) -> None:
        self.tally.call(cause)
        self.finished()


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of 1 or more, not {value!r}")
    return value


def _check_rate(rate: object) -> float | None:
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < float("inf"):
        raise ValueError(f"rate must be calls per second above 0 (or None), not {rate!r}")
    return float(rate)


class _Schedule:
    """Hands out call numbers; with a ``rate``, call n may not start before n / rate s."""

    def __init__(
        self,
        calls: int,
        rate: float | None,
        stop: threading.Event,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.calls = calls
        self.rate = rate
        self.stop = stop
        self.clock = clock
        self.started = clock()
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """The next call number, at its start time; None when all are taken or on stop."""
        with self._lock:
            number = self._next
            if number >= self.calls or self.stop.is_set():
                return None
            self._next += 1
        if self.rate is not None:
            pause = self.started + number / self.rate - self.clock()
            if pause > 0 and self.stop.wait(pause):
                return None
        return number


def run(
    target: str | WsgiApp,
    *,
    calls: int,
    concurrency: int,
    script: Script = (),
    entry: str = "/answer",
    rate: float | None = None,
    speed: float = 1.0,
    destinations: Mapping[str, Destination] | None = None,
    username: str | None = None,
    password: str | None = None,
    callback_timeout: float = 15.0,
    disconnect: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Run ``calls`` inbound calls against ``target``, at most ``concurrency`` at a time.

    ``target`` is the base URL of a running webhook server, or an app served here on
    127.0.0.1 for the run: a WSGI app by waitress, an ASGI app (``app.asgi``, FastAPI) by
    uvicorn. Each call starts at ``entry`` and its caller follows
    ``script`` (steps, or a function of the call number returning them); ``rate`` caps new
    calls per second. The flow's own time runs ``speed`` times faster than the wall clock;
    the app's reply times are measured as they are, and a reply slower than
    ``callback_timeout`` seconds (1 to 25, voice-api §9.1) counts as ``too_slow`` and fails
    its call, as on Bandwidth. ``username``/``password`` are the callbacks' Basic credentials.
    ``progress`` is called after each call with the number finished.
    """
    calls = _positive_int("calls", calls)
    concurrency = _positive_int("concurrency", concurrency)
    checked_rate = _check_rate(rate)
    if (username is None) != (password is None):
        raise ValueError("username and password go together; give both or neither")
    credentials = (
        Credentials(username, password) if username is not None and password is not None else None
    )
    if not isinstance(target, str) and not callable(target):
        raise TypeError(f"target must be a base URL or a WSGI app, not {type(target).__name__}")
    plan = CallPlan(
        base_url=target if isinstance(target, str) else "http://127.0.0.1",
        entry=entry,
        script=script,
        destinations=destinations,
        speed=speed,
        callback_timeout=callback_timeout,
        credentials=credentials,
        disconnect=disconnect,
    )
    workers = min(calls, concurrency)
    with ExitStack() as stack:
        if not isinstance(target, str):
            plan = replace(plan, base_url=stack.enter_context(serve(target, workers)))
        return _Run(plan, calls, workers, checked_rate, progress).go()


class _Run:
    """The worker threads of one :func:`run` and what they measured."""

    def __init__(
        self,
        plan: CallPlan,
        calls: int,
        workers: int,
        rate: float | None,
        progress: Progress | None,
    ) -> None:
        self.plan = plan
        self.workers = workers
        self.stop = threading.Event()
        self.schedule = _Schedule(calls, rate, self.stop)
        self.progress = progress
        self.tallies = [Tally() for _ in range(workers)]
        # Call ids differ from run to run (a server may keep state per call id).
        self.seed = random.getrandbits(40)
        self.problems: list[BaseException] = []
        self._finished = 0
        self._lock = threading.Lock()

    def go(self) -> LoadReport:
        wall, cpu = time.perf_counter(), time.process_time()
        threads = [
            threading.Thread(target=self._work, args=(tally,), name=f"load-caller-{i}", daemon=True)
            for i, tally in enumerate(self.tallies)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()
        if self.problems:
            raise self.problems[0]
        total = Tally()
        for tally in self.tallies:
            total.merge(tally)
        return LoadReport.from_tally(
            total,
            callback_timeout=self.plan.callback_timeout,
            wall_seconds=time.perf_counter() - wall,
            cpu_seconds=time.process_time() - cpu,
        )

    def _work(self, tally: Tally) -> None:
        wire = Wire(self.plan.base_url, self.plan.callback_timeout)
        recorder = _TallyRecorder(tally, self._one_done)
        caller = Caller(self.plan, wire, recorder, self.stop.wait, seed=self.seed)
        try:
            while (number := self.schedule.take()) is not None:
                if not caller.call(number):
                    return
        except BaseException as exc:  # a bug or a bad script: stop the run and raise it there
            self.problems.append(exc)
            self.stop.set()
        finally:
            wire.close()

    def _one_done(self) -> None:
        with self._lock:
            self._finished += 1
            if self.progress is not None:
                self.progress(self._finished)
