"""The engine thread: the single writer of every call, fed by an inbox, with a fetch pool.

HTTP threads and the Python API never touch a call; they put a command into the inbox and
wait for its result. The engine thread alternates commands and due timers, hands callbacks
to a pool of sender threads, and gets their results back through the same inbox, so an app
may call the API from inside its webhook without a deadlock, and one slow webhook holds up
only its own call.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from ..engine.model import CallbackRequest, FetchResult
from .clock import EmulatorClock
from .store import CallRecord, Store

T = TypeVar("T")
Sender = Callable[[CallbackRequest, float], tuple[str, FetchResult]]
Recorder = Callable[[CallRecord, CallbackRequest, str, FetchResult], None]
STATE_ORDER = ("queued", "initiated", "answered", "disconnected")
PURGE_EVERY_MS = 3600 * 1000
CLOSED = "the emulator is closed"


class Waiter:
    """A ``wait_for`` in progress: a verb to stop at, or a state to reach."""

    def __init__(self, verb: str | None, state: str | None) -> None:
        self.verb = verb
        self.state = state
        self.done = threading.Event()
        self.problem: str | None = None


class Driver:
    """Owns the calls' engines; see the module docstring."""

    def __init__(
        self,
        clock: EmulatorClock,
        store: Store,
        send: Sender,
        record: Recorder,
        *,
        calls_per_second: float,
        max_concurrent: int,
        queue_capacity: int,
        fetch_workers: int = 32,
    ) -> None:
        self.clock = clock
        self.store = store
        self._send = send
        self._record = record
        self.interval_ms = 1000.0 / calls_per_second
        self.max_concurrent = max_concurrent
        self.queue_capacity = queue_capacity
        self.errors: list[BaseException] = []
        self.active = 0
        self.created = 0
        self._inbox: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], Future[Any]]]
        self._inbox = queue.SimpleQueue()
        self._waiting: list[tuple[int, int, CallRecord]] = []
        self._next_slot = 0.0
        # (due, order, record): the order number keeps records themselves from being compared.
        self._wake: list[tuple[int, int, CallRecord]] = []
        self._order = itertools.count()
        self._waiters: dict[str, list[Waiter]] = {}
        self._inflight = 0
        self._idle = threading.Condition()
        # True while the engine thread works through a round (commands, then due timers).
        self._busy = False
        self._stopping = False
        # With the manual clock, queued calls and timers move only in advance().
        self._tick_due = False
        self._purged = 0
        # Threads start only when none is idle; the ceiling leaves room for every call in
        # progress to have a callback out at once, so a slow app for one call never makes
        # another call's callback wait for a thread.
        self._pool = ThreadPoolExecutor(
            fetch_workers + 4 * max_concurrent, thread_name_prefix="emulator-fetch"
        )
        self._thread = threading.Thread(target=self._loop, name="emulator-engine", daemon=True)

    # -- other threads' side ------------------------------------------------------------------

    def start(self) -> None:
        """Start the engine thread."""
        self._thread.start()

    def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = 30.0) -> T:
        """Run ``fn(*args)`` on the engine thread and return its result (or raise its error)."""
        if self._stopping:
            raise RuntimeError(CLOSED)
        future: Future[T] = Future()
        self._inbox.put((fn, args, future))
        return future.result(timeout)

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the engine thread, without waiting."""
        self._inbox.put((fn, args, Future()))

    def settle(self, timeout: float) -> bool:
        """Wait until no command, due timer or callback is in flight; False on timeout.

        Idle means the engine thread finished a whole round (commands, then the timers a
        manual ``advance`` made due) with nothing queued after it and no callback out.
        """
        if self._stopping or not self._thread.is_alive():
            return True
        marker: Future[None] = Future()
        self._inbox.put((lambda: None, (), marker))
        try:
            marker.result(timeout)
        except TimeoutError:
            return False
        with self._idle:
            return self._idle.wait_for(self._is_idle, timeout)

    def _is_idle(self) -> bool:
        return not self._busy and not self._tick_due and self._inflight == 0 and self._inbox.empty()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the engine thread and the sender pool, waiting at most ``timeout`` seconds.

        Commands still queued fail with "the emulator is closed"; callbacks still being
        sent are not waited for (their owner closes their connections).
        """
        self._stopping = True
        self._inbox.put((lambda: None, (), Future()))
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
        while True:
            try:
                _, _, future = self._inbox.get_nowait()
            except queue.Empty:
                break
            if not future.done():
                future.set_exception(RuntimeError(CLOSED))

    # -- the engine thread ---------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping:
            try:
                item = self._inbox.get(timeout=self._wait_seconds())
            except queue.Empty:
                item = None
            with self._idle:
                self._busy = True
            while item is not None:
                self._execute(*item)
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    item = None
            if not self.clock.manual or self._tick_due:
                self._tick_due = False
                self._guard(self._tick)
            with self._idle:
                self._busy = False
                self._idle.notify_all()

    def _execute(self, fn: Callable[..., Any], args: tuple[Any, ...], future: Future[Any]) -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the caller that waits on the future
            future.set_exception(exc)
        else:
            future.set_result(result)

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # kept and raised again by VoiceEmulator.close()
            self.errors.append(exc)

    def _wait_seconds(self) -> float | None:
        due: list[float] = []
        if self._wake:
            due.append(self._wake[0][0])
        if self._waiting:
            due.append(self._next_slot)
        if not due:
            return None
        wait = self.clock.wall_seconds(int(min(due)))
        return None if wait is None else min(wait, 1.0)

    def _tick(self) -> None:
        now = self.clock.now_ms()
        if now - self._purged >= PURGE_EVERY_MS:
            self._purged = now
            self.store.forget(lambda record: not record.gone(now))
        self._dequeue(now)
        wake = self._wake
        while wake and wake[0][0] <= now:
            due, _, record = heapq.heappop(wake)
            if record.wake_at == due:
                record.wake_at = None
            self._guard(self.run, record)

    # -- queue (voice-api §8.3) --------------------------------------------------------------

    def enqueue(self, record: CallRecord) -> str | None:
        """Queue a new call; the 429 message when the account's limits refuse it."""
        if self.active >= self.max_concurrent:
            return "Account concurrent call limit exceeded"
        if len(self._waiting) >= self.queue_capacity:
            return "Account call creation rate limit exceeded"
        self.store.add(record)
        self.created += 1
        heapq.heappush(self._waiting, (record.priority, record.seq, record))
        record.publish(self.clock)
        return None

    def advance(self, ms: int) -> None:
        """Move the manual clock by ``ms`` and run everything due (engine thread only)."""
        self.clock.advance(ms)
        self._tick_due = True

    def queue_size(self) -> int:
        """Calls waiting to be placed."""
        return len(self._waiting)

    def _dequeue(self, now: int) -> None:
        while self._waiting and now >= self._next_slot and self.active < self.max_concurrent:
            _, _, record = heapq.heappop(self._waiting)
            if not record.leg.up:
                continue
            # Placed in its own slot: a late tick (or a jump of the manual clock) places
            # every call whose slot has come, each at its slot's time.
            start = int(max(self._next_slot, float(record.enqueued_ms)))
            self._next_slot = start + self.interval_ms
            record.dequeued = True
            record.offset = start
            record.engine.start_time = self.clock.at(start)
            self.active += 1
            self._guard(self.run, record)

    # -- running one call ------------------------------------------------------------------------

    def run(self, record: CallRecord) -> None:
        """Run ``record``'s engine up to now, send what it asks, publish its state."""
        if record.parent is not None:
            record = record.parent
        if record.dequeued and not record.held and not record.fetching:
            now = self.clock.now_ms()
            engine = record.engine
            target = now - record.offset
            while True:
                engine.run(target)
                if not engine.outbox:
                    break
                for request in engine.take():
                    self._dispatch(record, request, now)
                if record.fetching or engine.paused:
                    break
            if engine.paused and not record.held:
                record.held = True
                record.held_since = now
            if not record.fetching and not engine.paused:
                due = engine.next_due()
                if due is None or due > target:
                    engine.advance_to(target)
                if due is not None and due + record.offset != record.wake_at:
                    record.wake_at = due + record.offset
                    heapq.heappush(self._wake, (record.wake_at, next(self._order), record))
        self._after_change(record)

    def _after_change(self, record: CallRecord) -> None:
        if len(record.engine.legs) > 1 + len(record.children):
            self._adopt(record)
        for child in record.children.values():
            self._settle_record(child)
        self._settle_record(record)

    def _adopt(self, record: CallRecord) -> None:
        """Give each new Transfer B-leg a record of its own (getCallState, listCalls)."""
        for leg in record.engine.legs.values():
            if leg is record.leg or leg.id in record.children:
                continue
            child = CallRecord(
                seq=self.store.next_seq(),
                account_id=record.account_id,
                engine=record.engine,
                leg=leg,
                request={},
                enqueued_ms=record.offset + leg.start_ms,
                priority=record.priority,
                callback_timeout=record.callback_timeout,
                offset=record.offset,
                dequeued=True,
                parent=record,
            )
            record.children[leg.id] = child
            self.store.add(child)

    def _settle_record(self, record: CallRecord) -> None:
        leg = record.leg
        if record.parent is not None:
            record.offset = record.parent.offset
        if not leg.up and record.end_ms is None:
            record.end_ms = (
                record.offset + leg.end_ms
                if record.dequeued and leg.end_ms is not None
                else self.clock.now_ms()
            )
        owner = record.parent or record
        if (
            not record.finished
            and not leg.up
            and not owner.fetching
            and not owner.delivering
            and not record.engine.outbox
            and all(not other.up for other in record.engine.legs.values())
        ):
            record.finished = True
            if record.dequeued and record.parent is None:
                self.active -= 1
        record.publish(self.clock)
        self._check_waiters(record)

    def _dispatch(self, record: CallRecord, request: CallbackRequest, now: int) -> None:
        if request.synchronous:
            record.fetching += 1
            record.fetch_since = now
            self._submit(record, request, self._fetched)
        else:
            record.deliveries.append(request)
            self._pump(record)

    def _pump(self, record: CallRecord) -> None:
        if not record.delivering and record.deliveries:
            record.delivering = True
            self._submit(record, record.deliveries.popleft(), self._delivered)

    def _submit(
        self,
        record: CallRecord,
        request: CallbackRequest,
        done: Callable[[CallRecord, CallbackRequest, str, FetchResult], None],
    ) -> None:
        self._inflight += 1
        # callbackTimeout is a deadline for the whole callback, counted from now.
        deadline = time.monotonic() + record.callback_timeout

        def work() -> None:
            try:
                left = deadline - time.monotonic()
                if left > 0:
                    url, result = self._send(request, left)
                else:
                    url = request.target.url
                    result = FetchResult(None, b"", "timed out: no reply within callbackTimeout")
            except Exception as exc:  # a bug in sending; the call sees a failed callback
                url, result = request.target.url, FetchResult(None, b"", repr(exc))
                self.post(self.errors.append, exc)
            self.post(done, record, request, url, result)

        self._pool.submit(work)

    def _fetched(
        self, record: CallRecord, request: CallbackRequest, url: str, result: FetchResult
    ) -> None:
        self._inflight -= 1
        self._record(record, request, url, result)
        record.fetching -= 1
        if not record.fetching and record.fetch_since is not None and not self.clock.manual:
            record.offset += self.clock.now_ms() - record.fetch_since
            record.fetch_since = None
        self._guard(record.engine.fetch_done, request, result)
        self._guard(self.run, record)

    def _delivered(
        self, record: CallRecord, request: CallbackRequest, url: str, result: FetchResult
    ) -> None:
        self._inflight -= 1
        self._record(record, request, url, result)
        record.delivering = False
        self._guard(record.engine.delivered, request, result)
        self._pump(record)
        self._guard(self.run, record)

    # -- commands --------------------------------------------------------------------------------

    def prepare(self, record: CallRecord) -> None:
        """Before an API command: release a hold and bring the call up to now."""
        if record.parent is not None:
            record = record.parent
        if record.held:
            record.held = False
            record.engine.resume()
            if record.held_since is not None:
                record.offset += self.clock.now_ms() - record.held_since
            record.held_since = None
        self.run(record)

    def command(self, record: CallRecord, action: Callable[[], None]) -> None:
        """Apply an API command to ``record``'s engine now, then run it on."""
        self.prepare(record)
        action()
        if record.dequeued:
            self.run(record)
        else:
            for request in record.engine.take():
                self._dispatch(record, request, self.clock.now_ms())
            self._after_change(record)

    # -- wait_for ------------------------------------------------------------------------------

    def add_waiter(self, record: CallRecord, waiter: Waiter) -> None:
        """Register ``waiter``; a verb waiter stops the call where that verb starts."""
        was_held = (record.parent or record).held
        if was_held:
            self.prepare(record)
        if waiter.verb is not None:
            engine = record.engine
            last = engine.verbs_run[-1][1] if engine.verbs_run else None
            running = record.leg.activity is not None and record.leg.up and not record.parent
            if last == waiter.verb and running and not was_held:
                engine.hold()
            else:
                engine.pause_at(waiter.verb)
        self._waiters.setdefault(record.call_id, []).append(waiter)
        self.run(record)

    def _check_waiters(self, record: CallRecord) -> None:
        waiters = self._waiters.get(record.call_id)
        if not waiters:
            return
        for waiter in list(waiters):
            problem = _unmet(record, waiter)
            if problem == "":
                continue
            waiter.problem = problem
            waiters.remove(waiter)
            waiter.done.set()
        if not waiters:
            del self._waiters[record.call_id]

    def drop_waiter(self, record: CallRecord, waiter: Waiter) -> None:
        """Forget a waiter that timed out."""
        waiters = self._waiters.get(record.call_id, [])
        if waiter in waiters:
            waiters.remove(waiter)
        if waiter.verb is not None and record.engine.pause_verb == waiter.verb:
            record.engine.pause_at(None)


def _unmet(record: CallRecord, waiter: Waiter) -> str | None:
    """None when ``waiter`` is satisfied, a problem when it never can be, "" to keep waiting."""
    if waiter.verb is not None:
        if (record.parent or record).held:
            return None
        if record.finished or not record.leg.up:
            cause = record.leg.cause
            return f"the call ended ({cause}) before a <{waiter.verb}> started"
        return ""
    state = record.state
    wanted = waiter.state
    if wanted == "disconnected":
        if record.finished:
            return None
        return ""
    if state == wanted or (wanted == "answered" and record.leg.answer_ms is not None):
        return None
    if wanted in STATE_ORDER and state in STATE_ORDER:
        if STATE_ORDER.index(state) > STATE_ORDER.index(wanted) and wanted != "answered":
            return None
    if state == "disconnected":
        return f"the call ended ({record.leg.cause}) without reaching state {wanted!r}"
    return ""
