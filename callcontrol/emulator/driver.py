"""The engine thread: the single writer of every call, fed by an inbox, with a fetch pool.

Every call runs in one :class:`~callcontrol.engine.Engine` that follows the emulator clock,
so calls can bridge with each other. HTTP threads and the Python API never touch a call;
they put a command into the inbox and wait for its result. The engine thread alternates
commands and due work, hands callbacks to a pool of sender threads, and gets their results
back through the same inbox, so an app may call the API from inside its webhook without a
deadlock, and one slow webhook holds up only its own call (it waits for its reply; the
other calls go on).
"""

from __future__ import annotations

import heapq
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from ..contract import CONCURRENT_LIMIT_EXCEEDED, RATE_LIMIT_EXCEEDED
from ..engine import CallStateConflict, Engine
from ..engine.model import CallbackRequest, FetchResult
from ..engine.observations import VerbStarted
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
    """Owns the engine and the calls' records; see the module docstring."""

    def __init__(
        self,
        clock: EmulatorClock,
        store: Store,
        engine: Engine,
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
        self.engine = engine
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
        # Entries of _waiting whose call was cancelled while queued.
        self._cancelled = 0
        self._next_slot = 0.0
        # When the queue last found max_concurrent calls up at a slot (register:
        # queue-session-wait): a call queued by then and placed later waited for a session.
        self._blocked_ms: int | None = None
        self._waiters: dict[str, list[Waiter]] = {}
        # How many of the engine's observations the records have seen.
        self._seen = 0
        self._inflight = 0
        # Synchronous callbacks awaiting their reply.
        self._fetches = 0
        self._idle = threading.Condition()
        # True while the engine thread works through a round (commands, then due work).
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
        """Wait until no command, due work or callback is in flight; False on timeout.

        Idle means the engine thread finished a whole round (commands, then the work a
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
        next_due = self.engine.next_due()
        if next_due is not None:
            due.append(next_due)
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
            self._purge(now)
        self._dequeue(now)
        self.run()

    def _purge(self, now: int) -> None:
        """Forget the calls past retention, in the store and in the engine."""
        gone = self.store.forget(lambda record: not record.gone(now))
        self.engine.forget_calls(r.call_id for r in gone if r.parent is None and r.begin is None)
        self._seen = len(self.engine.observations)

    # -- queue (voice-api §8.3) --------------------------------------------------------------

    def enqueue(self, record: CallRecord) -> str | None:
        """Queue a new call; the 429 message when the account's limits refuse it."""
        if self.active >= self.max_concurrent:
            return CONCURRENT_LIMIT_EXCEEDED
        if self.queue_size() >= self.queue_capacity:
            return RATE_LIMIT_EXCEEDED
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
        """Calls waiting to be placed (a call cancelled while queued has left the queue,
        voice-api §6, though its entry waits for its turn to be dropped)."""
        return len(self._waiting) - self._cancelled

    def _dequeue(self, now: int) -> None:
        while self._waiting and now >= self._next_slot and self.active < self.max_concurrent:
            if self._stand_still():
                return  # placed once the awaited reply is in, at its slot's time
            _, _, record = heapq.heappop(self._waiting)
            if record.begin is None:
                self._cancelled -= 1
                continue  # cancelled while queued
            # Placed in its own slot: a late tick (or a jump of the manual clock) places
            # every call whose slot has come, each at its slot's time.
            start = int(max(self._next_slot, float(record.enqueued_ms)))
            self.run(start)
            if self._stand_still():
                # A callback went out on the way to the slot: the clock waits for its
                # reply, so the call waits too (placed now, it would start before its slot).
                heapq.heappush(self._waiting, (record.priority, record.seq, record))
                return
            self._next_slot = start + self.interval_ms
            record.dequeued = True
            self.active += 1
            self._begin(record)
            if self._blocked_ms is not None and self._blocked_ms >= record.enqueued_ms:
                waited = (now - record.enqueued_ms) / 1000
                assert record.leg is not None
                self.engine.assume(record.leg, "queue-session-wait", f"queued {waited:g} s")
        if self._waiting and now >= self._next_slot and self.active >= self.max_concurrent:
            self._blocked_ms = now

    def _begin(self, record: CallRecord) -> None:
        begin, record.begin = record.begin, None
        assert begin is not None
        record.leg = begin()
        if record.hold_at is not None:
            self.engine.hold_call_at(record.call_id, record.hold_at)
            record.hold_at = None

    # -- running the calls -----------------------------------------------------------------------

    def run(self, until: int | None = None) -> None:
        """Run the engine up to ``until`` (now by default), send what it asks, publish."""
        engine = self.engine
        target = self.clock.now_ms() if until is None else until
        while True:
            engine.run(engine.now if self._stand_still() else target)
            if not engine.outbox:
                break
            for request in engine.take():
                self._dispatch(request)
        due = engine.next_due()
        if not self._stand_still() and (due is None or due > target):
            engine.advance_to(target)
        self._publish_changes()

    def _stand_still(self) -> bool:
        """With the manual clock a reply takes no virtual time: while one is awaited,
        the engine's clock waits for it (only the real clock moves on meanwhile)."""
        return self.clock.manual and self._fetches > 0

    def _publish_changes(self, *also: CallRecord) -> None:
        """Settle and publish the records of every call something happened to."""
        seen = self.engine.observations_since(self._seen)
        self._seen += len(seen)
        changed: dict[str, CallRecord] = {record.call_id: record for record in also}
        for observation in seen:
            record = changed.get(observation.call_id)
            if record is None:
                record = self._record_of(observation.call_id)
                changed[observation.call_id] = record
            if isinstance(observation, VerbStarted):
                record.owner.last_verb = observation.verb
        owners = {id(r.owner): r.owner for r in changed.values()}
        for owner in owners.values():
            if owner.held != self._held(owner):
                owner.held = not owner.held
        for owner in owners.values():
            # A B-leg may finish only once its call's last callback is out, so all of them.
            for child in owner.children.values():
                self._settle_record(child)
            self._settle_record(owner)

    def _held(self, record: CallRecord) -> bool:
        return record.begin is None and self.engine.is_held(record.call_id)

    def _record_of(self, call_id: str) -> CallRecord:
        """The record of a leg, made for a new Transfer B-leg (getCallState, listCalls)."""
        record = self.store.get(call_id)
        if record is not None:
            return record
        leg = self.engine.leg(call_id)
        owner = self._record_of(leg.root.id)
        child = CallRecord(
            seq=self.store.next_seq(),
            account_id=owner.account_id,
            leg=leg,
            request={},
            enqueued_ms=leg.start_ms,
            priority=owner.priority,
            callback_timeout=owner.callback_timeout,
            dequeued=True,
            parent=owner,
        )
        owner.children[leg.id] = child
        self.store.add(child)
        return child

    def _settle_record(self, record: CallRecord) -> None:
        leg = record.leg
        if not leg.up and record.end_ms is None:
            record.end_ms = (
                leg.end_ms if record.dequeued and leg.end_ms is not None else self.clock.now_ms()
            )
        owner = record.owner
        if (
            not record.finished
            and not leg.up
            and not owner.fetching
            and not owner.delivering
            and not owner.deliveries
            and all(not child.leg.up for child in owner.children.values())
            and not owner.leg.up
        ):
            record.finished = True
            if record.dequeued and record.parent is None:
                self.active -= 1
        record.publish(self.clock)
        self._check_waiters(record)

    def _dispatch(self, request: CallbackRequest) -> None:
        record = self._record_of(request.leg_id).owner
        if request.synchronous:
            record.fetching += 1
            self._fetches += 1
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
        self._fetches -= 1
        if not self.clock.manual:
            # The reply arrives now on the clock: bring the other calls up to now first.
            self._guard(self.run)
        self._guard(self.engine.fetch_done, request, result)
        self._guard(self._tick)
        self._publish_changes(record)

    def _delivered(
        self, record: CallRecord, request: CallbackRequest, url: str, result: FetchResult
    ) -> None:
        self._inflight -= 1
        self._record(record, request, url, result)
        record.delivering = False
        if not self.clock.manual:
            self._guard(self.run)
        self._guard(self.engine.delivered, request, result)
        self._pump(record)
        self._guard(self._tick)
        self._publish_changes(record)

    # -- commands --------------------------------------------------------------------------------

    def prepare(self, record: CallRecord) -> None:
        """Before an API command: release a hold and bring every call up to now."""
        owner = record.owner
        self.run()
        if owner.begin is None:
            self.engine.release_call(owner.call_id)
            owner.held = False
        self.run()

    def command(
        self, record: CallRecord, action: Callable[[], None], *, queued: bool = False
    ) -> None:
        """Apply an API command to ``record``'s call now, then run the calls on.

        ``queued``: the command applies to a call still queued too (a hang-up cancels it).

        :raises CallStateConflict: the call is queued and the command needs it placed.
        """
        owner = record.owner
        if owner.begin is not None and not queued:
            raise CallStateConflict(f"Call [{record.call_id}] cannot be modified while queued")
        self.prepare(record)
        if owner.begin is not None:
            # Still queued: the call starts only to be cancelled (voice-api §6: "cancel").
            self._begin(owner)
            if not owner.dequeued:
                self._cancelled += 1
        action()
        self.run()
        self._publish_changes(record)

    # -- wait_for ------------------------------------------------------------------------------

    def add_waiter(self, record: CallRecord, waiter: Waiter) -> None:
        """Register ``waiter``; a verb waiter holds the call where that verb starts."""
        owner = record.owner
        was_held = owner.held
        if was_held:
            self.prepare(record)
        else:
            self.run()
        if waiter.verb is not None and owner.begin is None:
            running = record.leg.up and not owner.fetching and record.parent is None
            if owner.last_verb == waiter.verb and running and not was_held:
                self.engine.hold_call(owner.call_id)
            else:
                self.engine.hold_call_at(owner.call_id, waiter.verb)
        elif waiter.verb is not None:
            owner.hold_at = waiter.verb
        self._waiters.setdefault(record.call_id, []).append(waiter)
        self.run()
        self._publish_changes(record)

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
        owner = record.owner
        if waiter.verb is not None:
            if owner.begin is None:
                self.engine.hold_call_at(owner.call_id, None)
            else:
                owner.hold_at = None


def _unmet(record: CallRecord, waiter: Waiter) -> str | None:
    """None when ``waiter`` is satisfied, a problem when it never can be, "" to keep waiting."""
    if waiter.verb is not None:
        if record.owner.held:
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
