"""The call engine: runs BXML the way Bandwidth does, on a virtual clock, without I/O.

Inputs go in through methods (:meth:`Engine.start_call`, :meth:`Engine.fetch_done`,
:meth:`Engine.update_call`, ...); effects come out as :class:`CallbackRequest` values in
:attr:`Engine.outbox` and as :attr:`Engine.transcript` entries. A driver loops::

    engine.run()                      # until a callback must be sent, or nothing is left
    for request in engine.take():     # send it; report synchronous results back
        engine.fetch_done(request, result)

A driver uses only the public methods: :meth:`Engine.run`, :meth:`Engine.run_until_verb`,
:meth:`Engine.pause_at`, :meth:`Engine.hold`, :meth:`Engine.resume`, the per-call
:meth:`Engine.hold_call`, :meth:`Engine.hold_call_at`, :meth:`Engine.release_call` and
:meth:`Engine.is_held`, :meth:`Engine.forget_calls`, :meth:`Engine.next_due`,
:meth:`Engine.advance_to`, :meth:`Engine.take`, :meth:`Engine.fetch_done`,
:meth:`Engine.delivered`, :meth:`Engine.update_call`, :meth:`Engine.update_call_bxml`,
:meth:`Engine.hang_up`, :meth:`Engine.end_conference`, :meth:`Engine.leg`,
:meth:`Engine.annotate`, the typed :attr:`Engine.observations` and
:attr:`Engine.conferences`; the verb runners see the engine as a
:class:`~callcontrol.engine.runtime.Runtime`.

Semantics follow reference/bxml-spec.md §3 and §5 and voice-api.md §9; where they are
silent the engine follows an entry of :mod:`callcontrol.engine.assumptions` and writes its
id into the transcript.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import bxml
from bxml import Bxml, BxmlError, Element, Response

from .. import contract
from ..contract import VOICE_API_BASE
from . import (
    amd,
    background,
    bridge,
    caller,
    conference,
    dialing,
    gather,
    keys,
    media,
    payloads,
    record,
    refer,
)
from .activities import (
    BridgedRun,
    BridgeRun,
    ConferenceRun,
    RecordRun,
    Room,
    Rooms,
    TransferRun,
)
from .clock import COMMAND, FETCH, INPUT, TIMER, Scheduler, to_ms
from .durations import DEFAULT_DURATIONS, Durations
from .model import CallbackRequest, Credentials, Cursor, FetchResult, Leg, Target, TranscriptEntry
from .observations import (
    AssumptionApplied,
    CallbackAnswered,
    CallbackSent,
    Dialled,
    DocumentInstalled,
    LegEnded,
    Noted,
    Observation,
    VerbStarted,
)
from .runtime import Runtime
from .script import Answers, Busy, Destination, HangUp, NoAnswer, Rejects, Step, Voicemail

LOOP_LIMIT = 50

TIME_LIMIT_MS = 4 * 3600 * 1000
#: voice-api §9.1: 15 s per webhook by default, 1 to 25 s with callbackTimeout.
CALLBACK_TIMEOUT = 15.0
TRANSFER_ANSWER_FORBIDDEN = contract.TRANSFER_ANSWER_FORBIDDEN
NOT_ANSWERING = frozenset(
    {"Tag", "Hangup", "Forward", "Redirect", "StartGather", "StopGather", "Ring"}
)
_CACHE_SIZE = 256
#: Callbacks that carry the call's own credentials (createCall's, or the application's for
#: an inbound call), voice-api §9.2.
_CALL_CREDENTIAL_EVENTS = frozenset({"initiate", "answer", "disconnect"})
# Parsed replies shared by every engine, keyed by the exact reply bytes (an app may answer
# the same URL differently, so never by URL). Documents are never changed once parsed.
_DOCUMENTS: dict[bytes, Response | Bxml] = {}
# The verbs of each parsed reply (id of the document -> document, its verbs), so running
# a cached reply again does not rebuild the list. Only documents parsed here are kept:
# one given to updateCallBxml belongs to the user, who may still change it.
_VERBS: dict[int, tuple[Response | Bxml, list[Element]]] = {}
_JOINED: dict[tuple[str, str], str] = {}
_PATHS: dict[str, str] = {}
# Callback targets of the (shared, never changed) verbs, keyed by verb identity.
_TARGETS: dict[tuple[int, str, str], tuple[Element, tuple[Target | None, Target | None]]] = {}


class CallStateConflict(ValueError):
    """The call cannot be modified in its current state (the API's 409, voice-api §6.2)."""


class Engine:
    """Any number of calls (each an A-leg and its Transfer B-legs) on one virtual clock.

    Each call keeps its own document, tag, script, what it heard and pressed, and the
    assumptions applied to it; :meth:`observations_of` tells one call's story.

    ``wall_clock``: the driver follows a wall clock (the emulator on its real clock), so
    the time an app takes to reply has passed on the engine's clock before the driver
    reports the reply; without it a reply reported with no ``latency`` took no virtual
    time (register entry ``fetch-latency``).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        start_time: datetime = payloads.EPOCH,
        durations: Durations | None = None,
        account_id: str = "9900000",
        api_base: str = VOICE_API_BASE,
        application_id: str | None = None,
        loop_limit: int = LOOP_LIMIT,
        time_limit: float = TIME_LIMIT_MS / 1000,
        callback_timeout: float = CALLBACK_TIMEOUT,
        wall_clock: bool = False,
    ) -> None:
        if not isinstance(wall_clock, bool):
            raise TypeError(f"wall_clock must be True or False, not {wall_clock!r}")
        self.wall_clock = wall_clock
        if (
            isinstance(callback_timeout, bool)
            or not isinstance(callback_timeout, (int, float))
            or not 1 <= callback_timeout <= 25
        ):
            raise ValueError(
                f"callback_timeout must be 1 to 25 seconds (voice-api §9.1), "
                f"not {callback_timeout!r}"
            )
        self.callback_timeout_ms = to_ms(callback_timeout)
        self.sched = Scheduler()
        self.rng = random.Random(seed)
        self.start_time = start_time
        self.durations = durations or DEFAULT_DURATIONS
        self.account_id = account_id
        self.api_base = api_base.rstrip("/")
        self.application_id = application_id or self.uuid()
        self.loop_limit = loop_limit
        self.time_limit_ms = to_ms(time_limit)
        # Everything kept about a call is the call's (its legs, which hold what it heard,
        # pressed and assumed) or names it (observations, holds, scheduled work, callbacks
        # out), so forget_calls can drop all of it: a driver that runs for days (the
        # emulator) does not grow with the calls it has forgotten.
        self.legs: dict[str, Leg] = {}
        self.outbox: deque[CallbackRequest] = deque()
        self.observations: list[Observation] = []
        self._pause_verb: str | None = None
        self._pause_call: str | None = None
        self._paused = False
        self._next_request = 0
        # Per-call holds: the first leg's id -> (when the hold began, the call's entries).
        self._held: dict[str, tuple[int, list[tuple[Any, ...]]]] = {}
        self._hold_at: dict[str, str] = {}
        #: The conferences (bxml-spec §4.2) and the callbacks whose replies go elsewhere
        #: than a leg's document (request id -> handler, timeout ms).
        self.rooms = Rooms()
        self._detached: dict[
            int, tuple[Callable[[CallbackRequest, FetchResult], None], int, str]
        ] = {}

    # -- ids and time -----------------------------------------------------------------------

    def _hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def uuid(self) -> str:
        h = self._hex(32)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    @property
    def now(self) -> int:
        """The virtual time in milliseconds."""
        return self.sched.now

    def new_call_id(self) -> str:
        """A new call id, drawn as :meth:`start_call` draws one (so from the seed): for a
        driver that names a call before it starts (a queued createCall)."""
        return f"c-{self._hex(8)}-{self.uuid()}"

    def at(self, ms: int, action: Callable[..., None], *args: Any) -> None:
        """Run ``action(*args)`` when virtual time reaches ``ms`` (now if ``ms`` is past):
        a driver's own timed work, which belongs to no call (a queued call placed at its
        slot). It runs after everything else due at that instant, as :meth:`run` meets it,
        and like any scheduled work it keeps :meth:`run` going until it is done."""
        self.sched.at(ms, TIMER, _run_plain, action, args)

    def note(self, leg: Leg, kind: str, detail: str | Callable[[], str]) -> None:
        """Add a transcript line of ``kind`` for ``leg`` (a :class:`Noted` observation)."""
        self.observations.append(Noted(self.sched.now, leg.label, leg.id, kind, detail))

    def observe(self, observation: Observation) -> None:
        """Record a typed observation."""
        self.observations.append(observation)

    def observations_since(self, start: int) -> list[Observation]:
        """The observations from the ``start``-th on, for a driver that reads as calls go."""
        return self.observations[start:]

    @property
    def notes(self) -> list[tuple[int, str, str, str | Callable[[], str]]]:
        """A copy of the transcript as raw tuples, rendered later by :class:`TranscriptEntry`."""
        return [(o.ms, o.leg, o.kind, o.detail) for o in self.observations if o.kind]

    @property
    def transcript(self) -> list[TranscriptEntry]:
        """The call's story so far, one entry per event, in order."""
        return self.transcript_since(0)

    def transcript_since(self, start: int) -> list[TranscriptEntry]:
        """The entries from the ``start``-th on, for a driver that reads as the call goes."""
        return [TranscriptEntry(*note) for note in self.notes[start:]]

    def assume_once(self, leg: Leg, assumption: str, detail: str = "") -> None:
        """Apply the register entry ``assumption`` to the leg's call, the first time only."""
        if assumption not in leg.root.assumptions:
            self.assume(leg, assumption, detail)

    def assume(self, leg: Leg, assumption: str, detail: str = "") -> None:
        """Apply the register entry ``assumption`` to the leg's call (noted every time)."""
        leg.root.assumptions.append(assumption)
        self.observe(AssumptionApplied(self.sched.now, leg.label, leg.id, assumption, detail))

    # -- starting a call --------------------------------------------------------------------

    def start_call(
        self,
        direction: str,
        url: str,
        *,
        from_: str,
        to: str,
        credentials: Credentials | None = None,
        method: str = "POST",
        fallback_url: str | None = None,
        disconnect_url: str | None = None,
        disconnect_method: str = "POST",
        script: Iterable[Step] = (),
        destinations: dict[str, Destination] | None = None,
        fallback_credentials: Credentials | None = None,
        machine_detection: amd.Detection | None = None,
        fallback_method: str = "POST",
        call_timeout: float | None = None,
        tag: str | None = None,
        call_id: str | None = None,
        application_id: str | None = None,
    ) -> Leg:
        """Create the A-leg; inbound sends ``initiate`` at once, outbound ``answer`` when the
        called number answers (at once unless ``destinations`` has an entry for it).

        The fallback URL gets ``fallback_credentials``, or ``credentials`` when None, and
        ``fallback_method`` (POST by default, whatever ``method`` is: answerFallbackMethod
        has its own default, voice-api §3).
        ``machine_detection`` (outbound only) runs answering-machine detection on the answer.
        ``call_timeout`` (outbound only, createCall callTimeout: 1 to 300 s, default 30) is
        how long the called number rings before the call ends with ``timeout``; ``tag``
        is createCall's tag, sent with every callback after the first (voice-api §3).
        ``call_id`` (a new id by default) and ``application_id`` (the engine's by default)
        let a driver that names its calls before they start (a queued createCall) keep
        the names it gave; the call's Transfer B-legs share its application id."""
        if direction not in ("inbound", "outbound"):
            raise ValueError(f"direction must be 'inbound' or 'outbound', not {direction!r}")
        if machine_detection is not None and direction != "outbound":
            raise ValueError("machine detection runs on outbound calls only (createCall)")
        if call_timeout is not None and direction != "outbound":
            raise ValueError("call_timeout is createCall's: it applies to outbound calls only")
        if call_timeout is not None and (
            isinstance(call_timeout, bool)
            or not isinstance(call_timeout, (int, float))
            or not 1 <= call_timeout <= 300
        ):
            raise ValueError(
                f"call_timeout must be 1 to 300 seconds (voice-api §3), not {call_timeout!r}"
            )
        if tag is not None and not isinstance(tag, str):
            raise TypeError(f"tag must be a string, not {type(tag).__name__}")
        if call_id is not None and call_id in self.legs:
            raise ValueError(f"call_id {call_id!r} is already a call of this engine")
        leg = self.new_leg("A", direction, from_, to, call_id, application_id)
        leg.credentials = credentials
        if tag is not None:
            self.set_tag(leg, tag)
        ring_ms = to_ms(call_timeout if call_timeout is not None else dialing.DEFAULT_CALL_TIMEOUT)
        if disconnect_url is not None:
            leg.disconnect = Target(disconnect_url, _method(disconnect_method), credentials)
        leg.destinations = dict(destinations or {})
        leg.detection = machine_detection
        for step in script:
            if isinstance(step, HangUp) and step.after is not None:
                leg.timed_steps.append(step)
                self.sched.at(
                    self.sched.now + to_ms(step.after),
                    COMMAND,
                    caller.caller_hangup,
                    leg,
                    step,
                    owner=leg,
                )
            else:
                leg.script.append(step)
        due = self.sched.now + self.time_limit_ms
        self.sched.at(due, COMMAND, Engine._time_limit, leg, owner=leg)
        first = Target(url, _method(method), credentials)
        fallback_creds = credentials if fallback_credentials is None else fallback_credentials
        if fallback_url and fallback_credentials is None and credentials is not None:
            self.assume(leg, "call-fallback-credentials", fallback_url)
        fallback = (
            Target(fallback_url, _method(fallback_method), fallback_creds) if fallback_url else None
        )
        if direction == "inbound":
            self.note(leg, "call", f"inbound {from_} -> {to}")
            payload = payloads.call_fields("initiate", leg, self.start_time, self.sched.now)
            self.send(leg, "initiate", payload, first, fallback, synchronous=True)
        else:
            self.note(leg, "call", f"outbound {from_} -> {to}")
            self._dial_outbound(leg, first, fallback, ring_ms)
        return leg

    def new_leg(
        self,
        label: str,
        direction: str,
        from_: str,
        to: str,
        call_id: str | None = None,
        application_id: str | None = None,
    ) -> Leg:
        if call_id is None:
            call_id = self.new_call_id()
        call_url = contract.call_url(self.api_base, self.account_id, call_id)
        leg = Leg(
            id=call_id,
            label=label,
            direction="inbound" if direction == "inbound" else "outbound",
            from_=from_,
            to=to,
            start_ms=self.sched.now,
            account_id=self.account_id,
            application_id=application_id or self.application_id,
            call_url=call_url,
        )
        self.legs[call_id] = leg
        return leg

    def _dial_outbound(
        self, leg: Leg, first: Target, fallback: Target | None, ring_ms: int
    ) -> None:
        callee = leg.destinations.pop(leg.to, None)
        if isinstance(callee, Answers) and to_ms(callee.after) >= ring_ms:
            callee = NoAnswer()  # it would answer after callTimeout: the call times out first
        if isinstance(callee, Voicemail):
            self.note(leg, "voicemail", f"{leg.to}: greeting {callee.greeting:g} s")
        if callee is None or isinstance(callee, Answers):
            after = to_ms(callee.after) if isinstance(callee, Answers) else 0
            found = amd.verdict(leg.detection, callee) if leg.detection is not None else None
            self.sched.at(
                self.sched.now + after,
                INPUT,
                Engine._outbound_answered,
                leg,
                first,
                fallback,
                found,
                owner=leg,
            )
            if isinstance(callee, Answers):
                due = self.sched.now + after + to_ms(callee.hangs_up_after)
                self.sched.at(due, COMMAND, caller.caller_hangup, leg, HangUp(), owner=leg)
        elif isinstance(callee, (Busy, Rejects)):
            self.assume(leg, "busy-timing")
            outcome = "busy" if isinstance(callee, Busy) else "rejected"
            due = self.sched.now + dialing.BUSY_AFTER_MS
            self.sched.at(due, INPUT, Engine._outbound_unreached, leg, outcome, owner=leg)
        else:
            due = self.sched.now + ring_ms
            self.sched.at(due, INPUT, Engine._outbound_unreached, leg, "no-answer", owner=leg)

    def _outbound_unreached(self, leg: Leg, outcome: str) -> None:
        self.observe(Dialled(self.sched.now, leg.label, leg.id, leg.to, "createCall", outcome))
        dialing.end_unreached(self, leg, dialing.CAUSES[outcome])

    def _outbound_answered(
        self, leg: Leg, first: Target, fallback: Target | None, found: amd.Verdict | None
    ) -> None:
        self.answer(leg)
        self.observe(Dialled(self.sched.now, leg.label, leg.id, leg.to, "createCall", "answered"))
        detection = leg.detection
        if found is None or detection is None:
            self._send_answer(leg, first, fallback, None)
            return
        self.assume_once(leg, "amd-timing", f"{found.value} after {found.ms / 1000:g} s")
        due = self.sched.now + found.ms
        if detection.mode == "sync":
            self.sched.at(
                due, TIMER, Engine._send_answer, leg, first, fallback, found,
                owner=leg, epoch=leg.epoch,
            )  # fmt: skip
            return
        self._send_answer(leg, first, fallback, None)
        self.sched.at(due, TIMER, Engine._machine_detected, leg, found, owner=leg)

    def _send_answer(
        self, leg: Leg, first: Target, fallback: Target | None, found: amd.Verdict | None
    ) -> None:
        payload = payloads.call_fields("answer", leg, self.start_time, self.sched.now)
        if found is not None:
            self.note(leg, "machine", f"{found.value} (sync, in the answer callback)")
            payload["machineDetectionResult"] = amd.result_field(found)
        self.send(leg, "answer", payload, first, fallback, synchronous=True)

    def _machine_detected(self, leg: Leg, found: amd.Verdict) -> None:
        detection = leg.detection
        if detection is None or detection.target is None:
            return
        self.note(leg, "machine", f"{found.value} (async, machineDetectionComplete)")
        payload = payloads.call_fields(
            "machineDetectionComplete", leg, self.start_time, self.sched.now
        )
        payload["machineDetectionResult"] = amd.result_field(found)
        self.send(
            leg,
            "machineDetectionComplete",
            payload,
            detection.target,
            detection.fallback,
            synchronous=False,
        )

    def answer(self, leg: Leg) -> None:
        if leg.answer_ms is None:
            leg.answer_ms = self.sched.now
            leg.state = "answered"
            self.note(leg, "answered", "")

    # -- the driver's side ------------------------------------------------------------------

    def run(self, until_ms: int | None = None) -> None:
        """Process scheduled entries until a callback waits in the outbox, a stop point is
        reached, virtual time would pass ``until_ms``, or nothing is left.

        Entries hold plain functions (verb runners, timers) called as ``action(engine, *args)``;
        one whose leg has ended, or whose epoch has moved on, is dropped and the clock stays
        where it was (so after the last leg ends, ``now`` is when it ended).
        """
        sched = self.sched
        heap = sched._heap
        outbox = self.outbox
        pop = heapq.heappop
        held = self._held
        while not outbox and not self._paused:
            if not heap:
                return
            due = heap[0][0]
            if until_ms is not None and due > until_ms:
                sched.now = max(sched.now, until_ms)
                return
            entry = pop(heap)
            owner = entry[5]
            if owner is not None:
                epoch = entry[6]
                if not owner.up or (epoch is not None and owner.epoch != epoch):
                    continue  # dropped without moving the clock: time passes only for what happens
                # A conference's own work (owner a Room) belongs to no call: never held.
                if held and type(owner) is Leg and owner.root.id in held:
                    held[owner.root.id][1].append(entry)  # kept for release_call
                    continue
            sched.now = due
            entry[3](self, *entry[4])

    def run_until_verb(self, verb: str, call_id: str | None = None) -> None:
        """Run like :meth:`run`, pausing where ``verb`` starts (on the call ``call_id`` or
        one of its Transfer legs, or on any leg); :attr:`paused` then says it did, and
        :meth:`resume` lets it go on."""
        self.pause_at(verb, call_id)
        self.run()

    def pause_at(self, verb: str | None, call_id: str | None = None) -> None:
        """From now on, pause the run where ``verb`` starts (None: nowhere), on the call
        ``call_id`` and its Transfer legs, or on any leg when ``call_id`` is None."""
        self._pause_verb = verb
        self._pause_call = call_id if verb is not None else None

    def hold(self) -> None:
        """Pause now: :meth:`run` does nothing until :meth:`resume`."""
        self._paused = True

    def resume(self) -> None:
        """Forget the pause and the verb to pause at."""
        self._paused = False
        self._pause_verb = None
        self._pause_call = None

    def hold_call(self, call_id: str) -> None:
        """Hold one call (the one whose first leg is ``call_id``, with its Transfer B-legs).

        None of its scheduled work (timers, caller input, a reply given with latency, the
        rest of its document) runs until :meth:`release_call`, which runs it that much
        later: the call's own time stands still while it is held. Other calls go on.
        Holding a held call does nothing.

        :raises KeyError: no leg has that id.
        """
        root = self.leg(call_id).root
        if root.id in self._held:
            return
        heap = self.sched._heap
        mine = [entry for entry in heap if type(entry[5]) is Leg and entry[5].root is root]
        if mine:
            heap[:] = [
                entry for entry in heap if type(entry[5]) is not Leg or entry[5].root is not root
            ]
            heapq.heapify(heap)
        self._held[root.id] = (self.sched.now, mine)

    def release_call(self, call_id: str) -> None:
        """End :meth:`hold_call`'s hold (and a :meth:`hold_call_at` not reached yet): the
        call's held work runs later by as long as the hold lasted."""
        root = self.leg(call_id).root
        self._hold_at.pop(root.id, None)
        hold = self._held.pop(root.id, None)
        if hold is None:
            return
        since, entries = hold
        shift = self.sched.now - since
        heap = self.sched._heap
        for entry in entries:
            heapq.heappush(heap, (entry[0] + shift, *entry[1:]))

    def hold_call_at(self, call_id: str, verb: str | None) -> None:
        """Hold the call (see :meth:`hold_call`) once ``verb`` starts on it (None: forget).

        :raises KeyError: no leg has that id.
        """
        root = self.leg(call_id).root
        if verb is None:
            self._hold_at.pop(root.id, None)
        else:
            self._hold_at[root.id] = verb

    def is_held(self, call_id: str) -> bool:
        """Whether the call whose first leg is ``call_id`` is held (:meth:`hold_call`)."""
        return self.leg(call_id).root.id in self._held

    def forget_calls(self, call_ids: Iterable[str]) -> None:
        """Drop ended calls (by their first legs' ids) and everything kept about them: their
        legs (with what they heard, pressed and assumed), observations, holds, scheduled
        work, callbacks not yet sent or answered, and the conferences that are over and
        whose every member is forgotten. A driver that runs for days keeps only the calls
        it still reports; unknown ids are skipped.

        :raises ValueError: one of the calls still has a leg up.
        """
        roots = set(call_ids)
        legs = [leg for leg in self.legs.values() if leg.root.id in roots]
        live = [leg.id for leg in legs if leg.up]
        if live:
            raise ValueError(f"call {live[0]} has not ended; only ended calls can be forgotten")
        ids = {leg.id for leg in legs}
        if not ids:
            return
        for call_id in ids:
            del self.legs[call_id]
        for root in roots:
            self._held.pop(root, None)
            self._hold_at.pop(root, None)
        if self._pause_call in ids:
            self._pause_call = None
        self.observations[:] = [seen for seen in self.observations if seen.call_id not in ids]
        gone = self._forget_rooms()
        forgotten = ids | gone
        heap = self.sched._heap
        kept = [entry for entry in heap if not _names(entry, forgotten)]
        if len(kept) != len(heap):
            heap[:] = kept
            heapq.heapify(heap)
        if any(request.leg_id in ids for request in self.outbox):
            self.outbox = deque(r for r in self.outbox if r.leg_id not in ids)
        for request_id, detached in list(self._detached.items()):
            if detached[2] in ids:
                del self._detached[request_id]

    def _forget_rooms(self) -> set[str]:
        """Drop the conferences that are over and whose every member is forgotten; their
        conference ids."""
        legs = self.legs
        gone = {
            room.conference_id
            for room in self.rooms.all
            if not room.up
            and room.creator.id not in legs
            and all(member.leg.id not in legs for member in room.members)
        }
        if gone:
            self.rooms.all[:] = [room for room in self.rooms.all if room.conference_id not in gone]
        return gone

    @property
    def paused(self) -> bool:
        """Whether the run is paused (at a verb, or held)."""
        return self._paused

    @property
    def pause_verb(self) -> str | None:
        """The verb the run pauses at, if any."""
        return self._pause_verb

    def next_due(self) -> int | None:
        """When (virtual ms) the next scheduled event is due, or None when none is."""
        return self.sched.peek()

    def advance_to(self, ms: int) -> None:
        """Let virtual time reach ``ms`` with nothing happening (a driver that follows a
        wall clock); time never goes back.

        :raises ValueError: an event is due before ``ms`` (run to it first).
        """
        due = self.sched.peek()
        if due is not None and due < ms:
            raise ValueError(f"an event is due at {due} ms, before {ms} ms: run to it first")
        self.sched.now = max(self.sched.now, ms)

    def leg(self, call_id: str) -> Leg:
        """The leg with this call id (read it; change it only through the engine's methods).

        :raises KeyError: no leg has that id.
        """
        leg = self.legs.get(call_id)
        if leg is None:
            raise KeyError(f"no call {call_id!r} in this engine")
        return leg

    @property
    def call_ids(self) -> list[str]:
        """Every leg's call id, in creation order."""
        return list(self.legs)

    def call_legs(self, call_id: str) -> list[Leg]:
        """The legs of the call whose first leg is ``call_id``: it, then its B-legs."""
        first = self.leg(call_id)
        return [first, *(leg for leg in self.legs.values() if leg.parent is first)]

    def observations_of(self, call_id: str) -> list[Observation]:
        """What happened on the call whose first leg is ``call_id`` (its B-legs included)."""
        ids = {leg.id for leg in self.call_legs(call_id)}
        if len(ids) == len(self.legs):
            return list(self.observations)
        return [seen for seen in self.observations if seen.call_id in ids]

    def annotate(self, call_id: str, kind: str, detail: str) -> None:
        """Add a driver's line (a fault, a failure it covered up) to the transcript."""
        self.note(self.leg(call_id), kind, detail)

    def take(self) -> list[CallbackRequest]:
        """Remove and return the callbacks waiting to be sent, in order."""
        out = list(self.outbox)
        self.outbox.clear()
        return out

    @property
    def finished(self) -> bool:
        """True when every leg has ended and nothing is left to send."""
        return not self.outbox and all(not leg.up for leg in self.legs.values())

    def fetch_done(
        self, request: CallbackRequest, result: FetchResult, *, latency: float = 0.0
    ) -> None:
        """Report the result of a synchronous callback; its reply becomes the next document.

        ``latency`` is how many virtual seconds the reply took: it arrives that much later
        (meanwhile the caller may hang up or an update may interrupt), and past the
        engine's ``callback_timeout`` the callback fails with a timeout instead. With no
        ``latency`` the reply took no time (register ``fetch-latency``), unless the engine
        follows a ``wall_clock``: its time then passed before this report.
        """
        detached = self._detached.pop(request.id, None)
        if detached is not None:
            self._detached_reply(request, result, to_ms(latency), detached[0], detached[1])
            return
        if latency:
            self._reply_later(request, result, to_ms(latency))
            return
        if not self.wall_clock:
            leg = self.legs[request.leg_id]
            self.assume_once(leg, "fetch-latency", "replies take no virtual time")
        self._fetch_arrived(request, result)

    def _reply_later(self, request: CallbackRequest, result: FetchResult, ms: int) -> None:
        if ms < 0:
            raise ValueError(f"latency must be 0 seconds or more, not {ms / 1000:g}")
        if ms > self.callback_timeout_ms:
            ms = self.callback_timeout_ms
            message = f"no reply within callbackTimeout ({ms / 1000:g} s)"
            result = FetchResult(None, b"", message, timed_out=True)
        leg = self.legs[request.leg_id]
        self.sched.at(self.sched.now + ms, FETCH, Engine._fetch_arrived, request, result, owner=leg)

    def _fetch_arrived(self, request: CallbackRequest, result: FetchResult) -> None:
        leg = self.legs[request.leg_id]
        if result.challenged:
            self._challenged(leg, request)
        if not leg.up or leg.waiting != request.id:
            referred = request.event_type == "referComplete" and not leg.up
            why = "the call was referred" if referred else "call moved on"
            self.note(leg, "stale", f"{request.event_type} reply ignored ({why})")
            if leg.up:
                self.assume(leg, "interrupt-wins")
            return
        if result.error is not None or result.status is None or not 200 <= result.status < 300:
            self._fetch_failed(leg, request, result)
            return
        leg.waiting = None
        doc = self._read_reply(leg, request, result)
        if doc is None:
            return
        self.observe(CallbackAnswered(self.sched.now, leg.label, leg.id, request, result, len(doc)))
        self._install(leg, doc, request.target.url)
        self.advance(leg)

    def delivered(self, request: CallbackRequest, result: FetchResult) -> None:
        """Report the result of an asynchronous callback (the reply body is ignored)."""
        leg = self.legs[request.leg_id]
        if result.challenged:
            self._challenged(leg, request)
        self.observe(CallbackAnswered(self.sched.now, leg.label, leg.id, request, result))
        failed = result.error is not None or not 200 <= (result.status or 0) < 300
        detached = self._detached.pop(request.id, None)
        retry = None
        if request.fallback is not None and failed and not request.is_fallback:
            self.assume(leg, "amd-fallback", f"retrying {request.fallback.url}")
            retry = _replace(request, self._request_id(), request.fallback, True)
        elif result.error is not None and not request.is_fallback:
            self.note(leg, "retry", f"{request.event_type} once more after: {result.error}")
            retry = _replace(request, self._request_id(), request.target, True)
        if detached is not None:
            detached[0](request, result)
            if retry is not None:  # the repeat's result goes to the same handler
                self._detached[retry.id] = detached
        if retry is not None:
            self._queue(retry)

    # -- API commands (updateCall, updateCallBxml) --------------------------------------------

    def update_call(
        self,
        leg: Leg,
        *,
        redirect_url: str | None = None,
        method: str = "POST",
        credentials: Credentials | None = None,
        fallback_url: str | None = None,
        fallback_credentials: Credentials | None = None,
        state: str = "active",
        tag: str | None = None,
        fallback_method: str = "POST",
    ) -> None:
        """updateCall (voice-api §6): ``state='completed'`` hangs up an answered call, cancels
        an unanswered outbound one and rejects an unanswered inbound one; ``state='active'``
        with a ``redirect_url`` interrupts the running verb, drops the rest of the document and
        fetches a new one (bxml-spec §3.1). ``tag`` sets (``""`` clears) the sticky tag.

        :raises CallStateConflict: the call has ended, or is not answered yet for a redirect.
        """
        if state not in ("active", "completed"):
            raise ValueError(f"updateCall state must be 'active' or 'completed', not {state!r}")
        if state == "completed":
            if redirect_url is not None or tag is not None:
                raise ValueError("updateCall with state='completed' takes no redirect_url or tag")
            self._modifiable(leg, answered=False)
            self.note(leg, "api", "updateCall state=completed")
            self.end_leg(leg, self._completed_cause(leg))
            return
        if redirect_url is None:
            raise ValueError("updateCall with state='active' needs a redirect_url")
        self._modifiable(leg, answered=True)
        self.note(leg, "api", f"updateCall redirect {redirect_url}")
        if leg.parent is not None:
            self.assume(leg, "b-leg-update", "the B-leg leaves the bridge")
        if tag is not None:
            self.set_tag(leg, tag)
        self._interrupt(leg)
        target = Target(redirect_url, _method(method), credentials)
        # redirectFallbackMethod defaults to POST on its own (voice-api §6).
        fallback = (
            Target(fallback_url, _method(fallback_method), fallback_credentials)
            if fallback_url
            else None
        )
        payload = payloads.leg_event("redirect", leg, self.start_time, self.sched.now)
        self.send(leg, "redirect", payload, target, fallback, synchronous=True)

    def update_call_bxml(self, leg: Leg, document: Bxml | str | bytes) -> None:
        """updateCallBxml (voice-api §7): interrupt the running verb and run ``document``.

        :raises CallStateConflict: the call has ended or is not answered yet.
        """
        self._modifiable(leg, answered=True)
        doc = bxml.parse(document) if isinstance(document, (str, bytes)) else document
        if not isinstance(doc, Bxml):
            raise ValueError(f"updateCallBxml needs a <Bxml> document, not <{type(doc).__name__}>")
        self.note(leg, "api", f"updateCallBxml {len(doc.children)} verbs")
        self.observe(DocumentInstalled(self.sched.now, leg.label, leg.id, leg.base_url, None, doc))
        if leg.parent is not None:
            self.assume(leg, "b-leg-update", "the B-leg leaves the bridge")
        self._interrupt(leg)
        self.assume(leg, "put-relative-urls", leg.base_url)
        self._install(leg, doc, leg.base_url)
        self.advance(leg)

    def _modifiable(self, leg: Leg, *, answered: bool) -> None:
        if not leg.up or (answered and leg.answer_ms is None):
            raise CallStateConflict(f"Call [{leg.id}] cannot be modified in its current state")

    @staticmethod
    def _completed_cause(leg: Leg) -> str:
        if leg.answer_ms is not None:
            return "hangup"
        return "rejected" if leg.direction == "inbound" else "cancel"

    def hang_up(self, leg: Leg) -> None:
        """updateCall with state=completed."""
        self.update_call(leg, state="completed")

    # -- callbacks ---------------------------------------------------------------------------

    def _request_id(self) -> int:
        self._next_request += 1
        return self._next_request

    def _queue(self, request: CallbackRequest) -> None:
        self.outbox.append(request)
        leg = self.legs[request.leg_id]
        self.observe(CallbackSent(self.sched.now, leg.label, leg.id, request))

    def send(
        self,
        leg: Leg,
        event_type: str,
        payload: dict[str, Any],
        target: Target,
        fallback: Target | None = None,
        *,
        synchronous: bool,
    ) -> None:
        if (
            target.credentials is None
            and not leg.root.credentials_noted
            and leg.root.credentials is not None
            and event_type not in _CALL_CREDENTIAL_EVENTS
        ):
            leg.root.credentials_noted = True
            self.assume_once(leg, "verb-credentials", f"{event_type} to {target.url}")
        request = CallbackRequest(
            self._request_id(), leg.id, event_type, payload, target, synchronous, fallback
        )
        if synchronous:
            if self._looping(leg, target.url):
                return
            leg.waiting = request.id
            leg.cursor = None
        self._queue(request)

    def send_detached(
        self,
        leg: Leg,
        event_type: str,
        payload: dict[str, Any],
        target: Target,
        fallback: Target | None = None,
        *,
        synchronous: bool,
        on_reply: Callable[[CallbackRequest, FetchResult], None],
        timeout_ms: int | None = None,
        is_fallback: bool = False,
        retried: bool = False,
    ) -> CallbackRequest:
        """Queue a callback about ``leg`` that does not hold it (a conference event); its
        result goes to ``on_reply``, after the driver's latency (at most ``timeout_ms``)."""
        request = CallbackRequest(
            self._request_id(),
            leg.id,
            event_type,
            payload,
            target,
            synchronous,
            fallback,
            is_fallback,
            retried,
        )
        timeout = self.callback_timeout_ms if timeout_ms is None else timeout_ms
        self._detached[request.id] = (on_reply, timeout, leg.id)
        self._queue(request)
        return request

    def _detached_reply(
        self,
        request: CallbackRequest,
        result: FetchResult,
        ms: int,
        on_reply: Callable[[CallbackRequest, FetchResult], None],
        timeout_ms: int,
    ) -> None:
        if ms < 0:
            raise ValueError(f"latency must be 0 seconds or more, not {ms / 1000:g}")
        if ms > timeout_ms:
            ms = timeout_ms
            message = f"no reply within callbackTimeout ({ms / 1000:g} s)"
            result = FetchResult(None, b"", message, timed_out=True)
        if result.challenged:
            self._challenged(self.legs[request.leg_id], request)
        if not ms:
            on_reply(request, result)
            return
        self.sched.at(self.sched.now + ms, FETCH, _deliver, on_reply, request, result)

    @property
    def conferences(self) -> list[conference.ConferenceRecord]:
        """Every conference so far, in creation order, as immutable records (bxml-spec
        §4.2): name, conference_id, members, callbacks, created and completed times."""
        return [conference.record(room, self.start_time) for room in self.rooms.all]

    def end_conference(self, conference_id: str) -> None:
        """End a running conference as updateConference ``status=completed`` does: every
        member goes on with the verb after its <Conference> (bxml-spec §3.1).

        :raises KeyError: no running conference has that id.
        """
        for room in self.rooms.active.values():
            if room.conference_id == conference_id:
                self.note(room.creator, "api", f"updateConference {room.name} completed")
                conference.end(self, room)
                return
        raise KeyError(f"no running conference {conference_id!r} in this engine")

    def _looping(self, leg: Leg, url: str) -> bool:
        mark = (self.sched.now, leg.inputs)
        if leg.loop_mark != mark:
            leg.loop_mark = mark
            leg.loop_urls = []
        leg.loop_urls.append(url)
        if len(leg.loop_urls) <= self.loop_limit:
            return False
        seen = " -> ".join(urlsplit(u).path or u for u in leg.loop_urls[-4:])
        self.assume(leg, "loop-limit")
        self.end_leg(
            leg,
            "error",
            f"loop: {len(leg.loop_urls) - 1} documents fetched at {self.sched.now / 1000:.3f} s "
            f"without time passing or caller input (... {seen})",
        )
        return True

    def _challenged(self, leg: Leg, request: CallbackRequest) -> None:
        """Note the 401 challenge a callback met before its credentials went (§9.2)."""
        self.assume_once(leg, "auth-challenge", "every authenticated callback is challenged")
        sent = "sent again with" if request.target.credentials else "no"
        self.note(leg, "auth", f"{request.event_type}: 401 challenge, {sent} credentials")

    def _fetch_failed(self, leg: Leg, request: CallbackRequest, result: FetchResult) -> None:
        problem = _problem(request, result)
        self.observe(CallbackAnswered(self.sched.now, leg.label, leg.id, request, result))
        if result.error is not None and not result.timed_out and not request.retried:
            self.assume_once(leg, "sync-connection-retry", f"{request.event_type}: {problem}")
            retry = dataclasses.replace(request, id=self._request_id(), retried=True)
            leg.waiting = retry.id
            self._queue(retry)
            return
        if request.fallback is not None and not request.is_fallback:
            self.assume(leg, "fallback-status", f"retrying {request.fallback.url}")
            retry = _replace(request, self._request_id(), request.fallback, True)
            leg.waiting = retry.id
            self._queue(retry)
            return
        leg.waiting = None
        message = f"{request.event_type} callback to {request.target.url} failed: {problem}"
        self.end_leg(leg, "callback-error", message)

    def _read_reply(
        self, leg: Leg, request: CallbackRequest, result: FetchResult
    ) -> Response | Bxml | None:
        body = result.body
        if not body.strip():
            self.assume(leg, "empty-reply", f"{request.event_type} reply had no body")
            return Response()
        if len(body) > bxml.MAX_DOCUMENT_BYTES:
            limit = bxml.MAX_DOCUMENT_BYTES
            self._invalid(leg, request, f"the reply is {len(body)} bytes; at most {limit} (§1)")
            return None
        try:
            doc = _DOCUMENTS.get(body)
            if doc is None:
                doc = bxml.parse(body)
                if len(_DOCUMENTS) >= _CACHE_SIZE:
                    _DOCUMENTS.clear()
                    _VERBS.clear()
                _DOCUMENTS[body] = doc
                _VERBS[id(doc)] = (doc, doc.children)
        except BxmlError as exc:
            problem = str(exc)
            if "/@" in problem or "unknown attribute" in problem:
                self.assume(leg, "strict-attributes")
            self._invalid(leg, request, problem)
            return None
        if isinstance(doc, Bxml):
            self.assume(leg, "bxml-root-reply")
            self._invalid(leg, request, "the reply's root is <Bxml>; replies use <Response>")
            return None
        if request.event_type == "transferAnswer":
            bad = [v.TAG for v in doc.children if v.TAG in TRANSFER_ANSWER_FORBIDDEN]
            if bad:
                self._invalid(
                    leg,
                    request,
                    f"<{bad[0]}> is not allowed in a transferAnswer reply "
                    "(bxml-spec §6: not Bridge, Conference, Forward or Transfer)",
                )
                return None
        url = request.target.url
        self.observe(
            DocumentInstalled(self.sched.now, leg.label, leg.id, url, request.event_type, doc)
        )
        return doc

    def _invalid(self, leg: Leg, request: CallbackRequest, problem: str) -> None:
        self.note(leg, "fetch", f"{request.event_type} {request.target.url} -> invalid BXML")
        self.end_leg(leg, "invalid-bxml", f"invalid BXML from {request.target.url}: {problem}")

    # -- running documents ------------------------------------------------------------------

    def _install(self, leg: Leg, doc: Response | Bxml, base_url: str) -> None:
        cached = _VERBS.get(id(doc))
        verbs = cached[1] if cached is not None and cached[0] is doc else doc.children
        leg.cursor = Cursor(verbs, base_url, 0, _path(base_url))
        leg.base_url = base_url
        leg.epoch += 1

    def advance(self, leg: Leg) -> None:
        while leg.up and leg.waiting is None and leg.activity is None:
            if self._held and leg.root.id in self._held:
                # Go on where it stopped once the call is released (run() keeps this aside).
                self.sched.push(self.sched.now, TIMER, Engine.advance, (leg,), leg, leg.epoch)
                return
            cursor = leg.cursor
            if cursor is None or cursor.index >= len(cursor.verbs):
                self._document_end(leg)
                return
            verb = cursor.verbs[cursor.index]
            cursor.index += 1
            self._run_verb(leg, verb, cursor)

    def _document_end(self, leg: Leg) -> None:
        if leg.parent is not None:
            self.assume(leg, "hangup-in-bleg-reply", "end of the transferAnswer reply")
            leg.cursor = None
            dialing.bridge(self, leg)
            return
        self.note(leg, "end-doc", "end of document: implicit Hangup")
        media.hangup_verb(self, leg)

    def _run_verb(self, leg: Leg, verb: Element, cursor: Cursor) -> None:
        name = verb.TAG
        tag = getattr(verb, "tag", None)
        if isinstance(tag, str):
            self.set_tag(leg, tag)
        if leg.direction == "inbound" and leg.answer_ms is None and leg.parent is None:
            if name not in NOT_ANSWERING or (
                name == "Ring" and getattr(verb, "answer_call", None) is not False
            ):
                self.assume(leg, "inbound-answer", f"answered by <{name}>")
                self.answer(leg)
        self.observe(VerbStarted(self.sched.now, leg.label, leg.id, name, cursor.source, verb))
        runner = _RUNNERS.get(name, media.verb_instant)
        runner(self, leg, verb)
        if self._pause_verb == name and self._pause_call in (None, leg.id, leg.root.id):
            self._paused = True
        if self._hold_at and self._hold_at.get(leg.root.id) == name:
            del self._hold_at[leg.root.id]
            self.hold_call(leg.root.id)

    def find_leg(self, call_id: str) -> Leg | None:
        """The leg with this call id in this engine, if any."""
        return self.legs.get(call_id)

    def interrupt(self, leg: Leg) -> None:
        """Stop what the leg runs and drop the rest of its document."""
        self._interrupt(leg)

    def digit(self, leg: Leg, digit: str) -> None:
        """A key reaches the leg now (to its Gather, Record, StartGather, or nobody)."""
        keys.dispatch(self, leg, digit)

    def set_tag(self, leg: Leg, value: str) -> None:
        """Set the leg's sticky tag (blank clears it)."""
        leg.tag = value.strip() or None

    def resolve_url(self, leg: Leg, value: str) -> str:
        key = (leg.base_url, value)
        joined = _JOINED.get(key)
        if joined is None:
            if len(_JOINED) >= 4 * _CACHE_SIZE:
                _JOINED.clear()
            joined = _JOINED[key] = urljoin(leg.base_url, value)
        return joined

    def target(
        self, leg: Leg, verb: Element, url_attr: str, method_attr: str, *, fallback: bool = False
    ) -> Target | None:
        url = getattr(verb, url_attr, None)
        if not url:
            return None
        user = getattr(verb, "fallback_username" if fallback else "username", None)
        password = getattr(verb, "fallback_password" if fallback else "password", None)
        creds = Credentials(user, password or "") if user else None
        method = getattr(verb, method_attr, None) or "POST"
        return Target(self.resolve_url(leg, url), _method(method), creds)

    def targets(self, leg: Leg, verb: Element, stem: str) -> tuple[Target | None, Target | None]:
        key = (id(verb), stem, leg.base_url)
        cached = _TARGETS.get(key)
        if cached is not None and cached[0] is verb:
            return cached[1]
        primary = self.target(leg, verb, f"{stem}_url", f"{stem}_method")
        fallback = self.target(
            leg, verb, f"{stem}_fallback_url", f"{stem}_fallback_method", fallback=True
        )
        if len(_TARGETS) >= 4 * _CACHE_SIZE:
            _TARGETS.clear()
        _TARGETS[key] = (verb, (primary, fallback))
        return primary, fallback

    def after(self, leg: Leg, ms: int, action: Callable[..., None], *args: Any) -> None:
        sched = self.sched
        sched.push(sched.now + ms, TIMER, action, (leg, *args), leg, leg.epoch)

    def finish_activity(self, leg: Leg) -> None:
        leg.activity = None
        leg.epoch += 1
        self.advance(leg)

    # -- simple verbs -------------------------------------------------------------------------

    def timed(self, leg: Leg, ms: int, media: bool = False) -> None:
        if media:
            self.assume_once(leg, "speech-rate", "durations of speech and audio")
        leg.activity = "timed"
        caller.listen_in_background(self, leg, ms)
        self.after(leg, ms, Engine.finish_activity)

    # -- background verbs ---------------------------------------------------------------------

    # -- caller input -------------------------------------------------------------------------

    # -- Gather (bxml-spec §4.6) -----------------------------------------------------------------

    # -- Record (bxml-spec §4.12) ---------------------------------------------------------------

    # -- Transfer (bxml-spec §4.27, §3.1) --------------------------------------------------------

    # -- ending --------------------------------------------------------------------------------

    def _interrupt(self, leg: Leg) -> None:
        activity = leg.activity
        leg.activity = None
        leg.waiting = None
        leg.cursor = None
        leg.epoch += 1
        if isinstance(activity, RecordRun):
            activity.info["end"] = self.sched.now
            record.recording_available(self, leg, activity.info)
        elif isinstance(activity, TransferRun):
            self.assume(leg, "interrupt-transfer")
            dialing.end_b_legs(self, activity)
        elif isinstance(activity, BridgeRun):
            bridge.origin_left(self, leg, activity)
        elif isinstance(activity, BridgedRun):
            bridge.target_left(self, leg, activity)
        elif isinstance(activity, ConferenceRun):
            conference.member_left(self, leg, activity, "removed")

    def _time_limit(self, leg: Leg) -> None:
        self.assume(leg, "time-limit")
        self.end_leg(
            leg,
            "error",
            # The call's own duration: calls of one engine start at different times.
            f"the simulation stopped the call after {(self.sched.now - leg.start_ms) / 1000:g} s",
        )

    def end_leg(self, leg: Leg, cause: str, error: str | None = None) -> None:
        if not leg.up:
            return
        activity = leg.activity
        leg.state = "disconnected"
        leg.up = False
        leg.end_ms = self.sched.now
        leg.cause = cause
        leg.error_message = error
        leg.activity = None
        leg.waiting = None
        leg.epoch += 1
        self.observe(LegEnded(self.sched.now, leg.label, leg.id, cause, error))
        # Recordings the end cuts short are announced after the disconnect: they are
        # available once processed (webhooks recordingAvailable; register recording-order).
        finished = []
        if isinstance(activity, RecordRun):
            activity.info["end"] = self.sched.now
            finished.append(activity.info)
        if isinstance(activity, TransferRun):
            dialing.end_b_legs(self, activity)
        elif isinstance(activity, BridgeRun):
            bridge.origin_left(self, leg, activity)
        elif isinstance(activity, BridgedRun):
            bridge.target_left(self, leg, activity)
        elif isinstance(activity, ConferenceRun):
            conference.member_left(self, leg, activity, "hangup")
        background_recording = record.finish_recording(self, leg)
        if background_recording is not None:
            finished.append(background_recording)
        for store in (leg.streams, leg.transcriptions):
            for info in list(store.values()):
                background.stream_stopped(self, leg, info)
            store.clear()
        if leg.parent is None:
            if leg.disconnect is not None:
                payload = payloads.disconnect(leg, self.start_time, self.sched.now)
                self.send(leg, "disconnect", payload, leg.disconnect, synchronous=False)
            self._announce(leg, finished)
            return
        dialing.b_disconnect(self, leg)
        self._announce(leg, finished)
        dialing.b_leg_ended(self, leg)

    def _announce(self, leg: Leg, finished: list[dict[str, Any]]) -> None:
        if any(info.get("target") or info.get("transcription") for info in finished):
            self.assume_once(leg, "recording-order", "recordingAvailable after the disconnect")
        for info in finished:
            record.recording_available(self, leg, info)


def _run_plain(engine: Engine, action: Callable[..., None], args: tuple[Any, ...]) -> None:
    action(*args)


def _deliver(
    engine: Engine,
    on_reply: Callable[[CallbackRequest, FetchResult], None],
    request: CallbackRequest,
    result: FetchResult,
) -> None:
    on_reply(request, result)


def _names(entry: tuple[Any, ...], forgotten: set[str]) -> bool:
    """Whether a scheduled entry belongs to a forgotten leg or conference (its owner, or a
    leg or callback among its arguments)."""
    for item in (entry[5], *entry[4]):
        if isinstance(item, Leg) and item.id in forgotten:
            return True
        if isinstance(item, CallbackRequest) and item.leg_id in forgotten:
            return True
        if isinstance(item, Room) and item.conference_id in forgotten:
            return True
    return False


def _path(url: str) -> str:
    path = _PATHS.get(url)
    if path is None:
        if len(_PATHS) >= 4 * _CACHE_SIZE:
            _PATHS.clear()
        path = _PATHS[url] = urlsplit(url).path
    return path


def _method(value: object) -> Any:
    if value not in ("GET", "POST"):
        raise ValueError(f"callback method must be GET or POST, not {value!r}")
    return value


def _replace(request: CallbackRequest, new_id: int, target: Target, again: bool) -> CallbackRequest:
    return CallbackRequest(
        new_id,
        request.leg_id,
        request.event_type,
        request.payload,
        target,
        request.synchronous,
        None,
        again,
    )


def _problem(request: CallbackRequest, result: FetchResult) -> str:
    """Why a callback failed, with what the 401 rules of voice-api §9.2 make of a 401."""
    if result.error is not None or result.status != 401:
        return result.error or f"HTTP {result.status}"
    if not result.challenged:
        return (
            "HTTP 401 without a WWW-Authenticate header, so Bandwidth never sends "
            "credentials (voice-api §9.2 Authenticated Callbacks)"
        )
    if request.target.credentials is None:
        return (
            "HTTP 401: the app asked for credentials and this callback has none "
            "(set username/password where its URL is given)"
        )
    return "HTTP 401: the app refused the callback's credentials"


_RUNNERS: dict[str, Callable[[Runtime, Leg, Any], None]] = {
    "SpeakSentence": media.speak,
    "PlayAudio": media.play,
    "Pause": media.pause,
    "Ring": media.ring,
    "SendDtmf": media.send_dtmf,
    "Tag": media.tag_verb,
    "Hangup": media.hangup_verb,
    "Redirect": media.redirect,
    "Conference": conference.join,
    "Connect": media.hold,
    "Gather": gather.gather,
    "Record": record.record,
    "StartRecording": record.start_recording,
    "StopRecording": record.stop_recording,
    "PauseRecording": record.pause_recording,
    "ResumeRecording": record.pause_recording,
    "Transfer": dialing.transfer,
    "Forward": dialing.forward,
    "Bridge": bridge.bridge_verb,
    "Refer": refer.refer,
    "StartGather": background.start_gather,
    "StopGather": background.stop_gather,
    "StartStream": background.stream,
    "StopStream": background.stop_stream,
    "StartTranscription": background.stream,
    "StopTranscription": background.stop_stream,
}
