"""One simulated caller: runs the call engine in scaled wall time, its callbacks over HTTP.

The flow's own time (speech, pauses, timers) passes ``speed`` times faster than the wall
clock; the time the app takes to reply passes as it is, in both clocks: a reply that took
0.3 s arrives 0.3 s of virtual time after its callback, so the engine applies the callback
timeout (voice-api §9.1) and a caller who hangs up meanwhile wins, as on Bandwidth.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from ..engine import CallbackRequest, Credentials, Destination, Engine, FetchResult, Step
from ..engine.clock import to_ms
from ..engine.script import check_destinations, check_script
from .report import FAILED_CAUSES, INVALID_BXML
from .wire import Reply, Wire, check_base_url

#: A script: the same steps for every call, or a function of the call number returning them.
Script = Sequence[Step] | Callable[[int], Sequence[Step]]
#: Waits up to the given seconds; True when the run is stopping (the call is abandoned).
Wait = Callable[[float], bool]
# Sleeps shorter than this are skipped: the wake-up would cost more than it keeps exact.
_MIN_SLEEP = 0.0005


class Recorder(Protocol):
    """Where a caller reports what happened."""

    def callback(self, path: str, reply: Reply, invalid: str | None) -> None:
        """One callback's reply; ``invalid`` says why its BXML was refused, if it was."""

    def call(self, cause: str | None) -> None:
        """One finished call; ``cause`` is its failure cause, None when it completed."""


def check_speed(speed: object) -> float:
    """``speed`` as a float; raises ValueError unless it is a finite number above 0."""
    if isinstance(speed, bool) or not isinstance(speed, (int, float)):
        raise TypeError(f"speed must be a number, not {type(speed).__name__}")
    if not 0 < speed < float("inf"):
        raise ValueError(f"speed must be a finite number above 0, not {speed!r}")
    return float(speed)


@dataclass(frozen=True)
class CallPlan:
    """What every call of a run does: where it starts, what the caller does, how fast.

    ``disconnect`` is the path of the disconnect callback (an inbound call's status callback
    URL in the Bandwidth application), None for none.
    """

    base_url: str
    entry: str = "/answer"
    script: Script = ()
    destinations: Mapping[str, Destination] | None = None
    speed: float = 1.0
    callback_timeout: float = 15.0
    credentials: Credentials | None = None
    disconnect: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        check_speed(self.speed)
        Engine(callback_timeout=self.callback_timeout)  # checks the value (1 to 25 s)
        for name in ("entry", "disconnect"):
            value = getattr(self, name)
            if (value is not None or name == "entry") and not (
                isinstance(value, str) and value.startswith("/")
            ):
                raise ValueError(f"{name} must be a URL path starting with '/', not {value!r}")
        if not callable(self.script):
            check_script(self.script)
        if self.destinations is not None:
            check_destinations(dict(self.destinations))

    def steps(self, number: int) -> tuple[Step, ...]:
        """The caller's steps in call ``number``."""
        if callable(self.script):
            try:
                return check_script(self.script(number))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"script({number}) returned a bad script: {exc}") from exc
        return check_script(self.script)


def from_number(number: int) -> str:
    """A distinct caller number per call (E.164), so apps keyed on the caller see many."""
    return f"+1555{number % 10_000_000:07d}"


class Caller:
    """Runs calls of ``plan`` one after another over ``wire``, reporting to ``recorder``.

    ``wait`` pauses until the flow's next event is due by the wall ``clock``. Call ``n``
    runs with engine seed ``seed + n`` (its call ids); give runs and users different seeds
    so a server that keeps state per call id never sees one twice.
    """

    def __init__(
        self,
        plan: CallPlan,
        wire: Wire,
        recorder: Recorder,
        wait: Wait,
        clock: Callable[[], float] = time.perf_counter,
        seed: int = 0,
    ) -> None:
        self.plan = plan
        self.wire = wire
        self.recorder = recorder
        self.wait = wait
        self.clock = clock
        self.seed = seed

    def call(self, number: int) -> bool:
        """Run call ``number`` to its end; False when the run stopped it first."""
        plan = self.plan
        engine = Engine(seed=self.seed + number, callback_timeout=plan.callback_timeout)
        leg = engine.start_call(
            "inbound",
            self.wire.base_url + plan.entry,
            from_=from_number(number),
            to="+15553334444",
            credentials=plan.credentials,
            script=plan.steps(number),
            destinations=dict(plan.destinations or {}),
            disconnect_url=self.wire.base_url + plan.disconnect if plan.disconnect else None,
        )
        if not _Flow(self, engine).run():
            return False
        cause = leg.cause if leg.cause in FAILED_CAUSES else None
        self.recorder.call(cause)
        return True


class _Flow:
    """The wall-clock loop of one call (see the module docstring)."""

    def __init__(self, caller: Caller, engine: Engine) -> None:
        self.caller = caller
        self.engine = engine
        self.speed = caller.plan.speed
        self.clock = caller.clock
        self.anchor_ms = engine.now
        self.anchor_wall = self.clock()
        # Synchronous replies whose BXML the engine has not read yet: (due ms, leg id, path,
        # reply); reported once read, so an invalid document counts against its callback.
        self.pending: list[tuple[int, str, str, Reply]] = []

    def run(self) -> bool:
        engine = self.engine
        while True:
            if engine.outbox:
                self._send(engine.take())
                continue
            if engine.finished:
                break
            due = engine.sched.peek()
            if due is None:
                break
            wall_due = self.anchor_wall + (due - self.anchor_ms) / 1000 / self.speed
            pause = wall_due - self.clock()
            if pause > _MIN_SLEEP and self.caller.wait(pause):
                return False
            engine.run(due)
            self._report_read()
        self._report_read(flush=True)
        return True

    def _send(self, requests: list[CallbackRequest]) -> None:
        engine = self.engine
        started = self.clock()
        waited = 0.0
        for request in requests:
            reply = self.caller.wire.send(request)
            waited += reply.seconds or 0.0
            path = urlsplit(reply.url).path or "/"
            failed = reply.status is None or reply.too_slow
            result = FetchResult(reply.status, reply.body, reply.detail if failed else None)
            if request.synchronous:
                if reply.seconds is None:
                    engine.fetch_done(request, result)
                    self.caller.recorder.callback(path, reply, None)
                else:
                    engine.fetch_done(request, result, latency=reply.seconds)
                    due = engine.now + min(to_ms(reply.seconds), engine.callback_timeout_ms)
                    self.pending.append((due, request.leg_id, path, reply))
            else:
                engine.delivered(request, result)
                self.caller.recorder.callback(path, reply, None)
        # The wall time spent on HTTP passed in virtual time too (not scaled by speed).
        now = self.clock()
        self.anchor_ms = engine.now + to_ms(max(now - started, waited))
        self.anchor_wall = now

    def _report_read(self, flush: bool = False) -> None:
        if not self.pending:
            return
        now = self.engine.now
        keep = []
        for item in self.pending:
            due, leg_id, path, reply = item
            if due > now and not flush:
                keep.append(item)
                continue
            leg = self.engine.legs[leg_id]
            invalid = None
            if not leg.up and leg.cause == "invalid-bxml" and leg.end_ms == due:
                invalid = leg.error_message or INVALID_BXML
            self.caller.recorder.callback(path, reply, invalid)
        self.pending = keep
