"""The call engine: runs BXML the way Bandwidth does, on a virtual clock, without I/O.

Inputs go in through methods (:meth:`Engine.start_call`, :meth:`Engine.fetch_done`,
:meth:`Engine.update_call`, ...); effects come out as :class:`CallbackRequest` values in
:attr:`Engine.outbox` and as :attr:`Engine.transcript` entries. A driver loops::

    engine.run()                      # until a callback must be sent, or nothing is left
    for request in engine.take():     # send it; report synchronous results back
        engine.fetch_done(request, result)

Semantics follow reference/bxml-spec.md §3 and §5 and voice-api.md §9; where they are
silent the engine follows an entry of :mod:`callcontrol.engine.assumptions` and writes its
id into the transcript.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import bxml
from bxml import Bxml, BxmlError, Element, Response

from . import payloads
from .activities import GatherRun, RecordRun, TransferRun
from .clock import COMMAND, INPUT, TIMER, Scheduler, to_ms
from .durations import Durations
from .model import CallbackRequest, Credentials, Cursor, FetchResult, Leg, Target, TranscriptEntry
from .script import Answers, Busy, Destination, HangUp, LeaveMessage, Press, Step

LOOP_LIMIT = 50
TIME_LIMIT_MS = 4 * 3600 * 1000
DEFAULT_CALL_TIMEOUT = 30.0
BUSY_AFTER_MS = 1000
TRANSFER_ANSWER_FORBIDDEN = frozenset({"Bridge", "Conference", "Forward", "Transfer"})
NOT_ANSWERING = frozenset(
    {"Tag", "Hangup", "Forward", "Redirect", "StartGather", "StopGather", "Ring"}
)
UNSUPPORTED_AUDIO = (".ogg",)
_CACHE_SIZE = 256
# Parsed replies shared by every engine, keyed by the exact reply bytes (an app may answer
# the same URL differently, so never by URL). Documents are never changed once parsed.
_DOCUMENTS: dict[bytes, Response | Bxml] = {}
_JOINED: dict[tuple[str, str], str] = {}
_PATHS: dict[str, str] = {}


class Engine:
    """One simulated call (its A-leg and any Transfer B-legs) on its own virtual clock."""

    def __init__(
        self,
        *,
        seed: int = 0,
        start_time: datetime = payloads.EPOCH,
        durations: Durations | None = None,
        account_id: str = "9900000",
        application_id: str | None = None,
        loop_limit: int = LOOP_LIMIT,
        time_limit: float = TIME_LIMIT_MS / 1000,
    ) -> None:
        self.sched = Scheduler()
        self.rng = random.Random(seed)
        self.start_time = start_time
        self.durations = durations or Durations()
        self.account_id = account_id
        self.application_id = application_id or self._uuid()
        self.loop_limit = loop_limit
        self.time_limit_ms = to_ms(time_limit)
        self.legs: dict[str, Leg] = {}
        self.a_leg: Leg | None = None
        self.outbox: deque[CallbackRequest] = deque()
        self._notes: list[tuple[int, str, str, str | Callable[[], str]]] = []
        self.heard: list[str] = []
        self.pressed: list[str] = []
        self.verbs_run: list[tuple[str, str, str]] = []
        self.gather_outcomes: list[tuple[str, str]] = []
        self.transfer_outcomes: list[tuple[str, str]] = []
        self.served: list[tuple[str, str]] = []
        self._served_docs: list[tuple[str, Element]] = []
        self.assumptions_used: list[str] = []
        self.stop_verb: str | None = None
        self.stopped = False
        self._next_request = 0

    # -- ids and time -----------------------------------------------------------------------

    def _hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def _uuid(self) -> str:
        return "-".join(self._hex(n) for n in (8, 4, 4, 4, 12))

    @property
    def now(self) -> int:
        """The virtual time in milliseconds."""
        return self.sched.now

    def _note(self, leg: Leg | None, kind: str, detail: str | Callable[[], str]) -> None:
        self._notes.append((self.sched.now, leg.label if leg is not None else "-", kind, detail))

    @property
    def transcript(self) -> list[TranscriptEntry]:
        """The call's story so far, one entry per event, in order."""
        return [TranscriptEntry(*note) for note in self._notes]

    def _assume_once(self, leg: Leg | None, assumption: str, detail: str = "") -> None:
        if assumption not in self.assumptions_used:
            self._assume(leg, assumption, detail)

    def _assume(self, leg: Leg | None, assumption: str, detail: str = "") -> None:
        self.assumptions_used.append(assumption)
        self._note(leg, "assume", f"[{assumption}] {detail}".rstrip())

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
    ) -> Leg:
        """Create the A-leg; inbound sends ``initiate`` at once, outbound ``answer`` when the
        called number answers (at once unless ``destinations`` has an entry for it)."""
        if direction not in ("inbound", "outbound"):
            raise ValueError(f"direction must be 'inbound' or 'outbound', not {direction!r}")
        leg = self._new_leg("A", direction, from_, to)
        leg.credentials = credentials
        if disconnect_url is not None:
            leg.disconnect = Target(disconnect_url, _method(disconnect_method), credentials)
        leg.destinations = dict(destinations or {})
        self.a_leg = leg
        for step in script:
            if isinstance(step, HangUp) and step.after is not None:
                leg.timed_steps.append(step)
                self.sched.at(to_ms(step.after), COMMAND, self._caller_hangup, leg, step, owner=leg)
            else:
                leg.script.append(step)
        self.sched.at(self.time_limit_ms, COMMAND, self._time_limit, leg, owner=leg)
        first = Target(url, _method(method), credentials)
        fallback = Target(fallback_url, _method(method), credentials) if fallback_url else None
        if direction == "inbound":
            self._note(leg, "call", f"inbound {from_} -> {to}")
            payload = payloads.call_fields("initiate", leg, self.start_time, self.now)
            self._send(leg, "initiate", payload, first, fallback, synchronous=True)
        else:
            self._note(leg, "call", f"outbound {from_} -> {to}")
            self._dial_outbound(leg, first, fallback)
        return leg

    def _new_leg(self, label: str, direction: str, from_: str, to: str) -> Leg:
        call_id = f"c-{self._hex(8)}-{self._uuid()}"
        call_url = f"https://voice.bandwidth.com/api/v2/accounts/{self.account_id}/calls/{call_id}"
        leg = Leg(
            id=call_id,
            label=label,
            direction="inbound" if direction == "inbound" else "outbound",
            from_=from_,
            to=to,
            start_ms=self.now,
            account_id=self.account_id,
            application_id=self.application_id,
            call_url=call_url,
        )
        self.legs[call_id] = leg
        return leg

    def _dial_outbound(self, leg: Leg, first: Target, fallback: Target | None) -> None:
        callee = leg.destinations.pop(leg.to, None)
        if callee is None or isinstance(callee, Answers):
            after = to_ms(callee.after) if isinstance(callee, Answers) else 0
            self.sched.at(
                self.now + after, INPUT, self._outbound_answered, leg, first, fallback, owner=leg
            )
            if isinstance(callee, Answers):
                due = self.now + after + to_ms(callee.hangs_up_after)
                self.sched.at(due, COMMAND, self._caller_hangup, leg, HangUp(), owner=leg)
        elif isinstance(callee, Busy):
            self._assume(leg, "busy-timing")
            self.sched.at(self.now + BUSY_AFTER_MS, INPUT, self._end_leg, leg, "busy", owner=leg)
        else:
            due = self.now + to_ms(DEFAULT_CALL_TIMEOUT)
            self.sched.at(due, INPUT, self._end_leg, leg, "timeout", owner=leg)

    def _outbound_answered(self, leg: Leg, first: Target, fallback: Target | None) -> None:
        self._answer(leg)
        payload = payloads.call_fields("answer", leg, self.start_time, self.now)
        self._send(leg, "answer", payload, first, fallback, synchronous=True)

    def _answer(self, leg: Leg) -> None:
        if leg.answer_ms is None:
            leg.answer_ms = self.now
            leg.state = "answered"
            self._note(leg, "answered", "")

    # -- the driver's side ------------------------------------------------------------------

    def run(self, until_ms: int | None = None) -> None:
        """Process scheduled entries until a callback waits in the outbox, a stop point is
        reached, virtual time would pass ``until_ms``, or nothing is left."""
        sched = self.sched
        while not self.outbox and not self.stopped:
            due = sched.peek()
            if due is None:
                return
            if until_ms is not None and due > until_ms:
                sched.now = max(sched.now, until_ms)
                return
            entry = sched.pop()
            assert entry is not None
            owner = entry.owner
            if owner is not None and (
                not owner.up or (entry.epoch is not None and owner.epoch != entry.epoch)
            ):
                continue
            entry.action(*entry.args)

    def take(self) -> list[CallbackRequest]:
        """Remove and return the callbacks waiting to be sent, in order."""
        out = list(self.outbox)
        self.outbox.clear()
        return out

    @property
    def finished(self) -> bool:
        """True when every leg has ended and nothing is left to send."""
        return not self.outbox and all(not leg.up for leg in self.legs.values())

    def fetch_done(self, request: CallbackRequest, result: FetchResult) -> None:
        """Report the result of a synchronous callback; its reply becomes the next document."""
        leg = self.legs[request.leg_id]
        if not leg.up or leg.waiting != request.id:
            self._note(leg, "stale", f"{request.event_type} reply ignored (call moved on)")
            return
        if result.error is not None or result.status is None or not 200 <= result.status < 300:
            self._fetch_failed(leg, request, result)
            return
        leg.waiting = None
        doc = self._read_reply(leg, request, result)
        if doc is None:
            return
        self._note(leg, "fetch", _fetch_line(request, result, len(doc)))
        self._install(leg, doc, request.target.url)
        self._advance(leg)

    def delivered(self, request: CallbackRequest, result: FetchResult) -> None:
        """Report the result of an asynchronous callback (the reply body is ignored)."""
        leg = self.legs[request.leg_id]
        self._note(leg, "callback", _fetch_line(request, result, None))
        if result.error is not None and not request.is_fallback:
            self._note(leg, "retry", f"{request.event_type} once more after: {result.error}")
            self._queue(_replace(request, self._request_id(), request.target, True))

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
        state: str | None = None,
    ) -> None:
        """updateCall: ``state='completed'`` hangs up; a ``redirect_url`` interrupts the running
        verb, drops the rest of the document and fetches a new one (bxml-spec §3.1)."""
        if not leg.up:
            raise ValueError(f"call {leg.id} has ended; it cannot be updated")
        if state == "completed":
            self._note(leg, "api", "updateCall state=completed")
            self._end_leg(leg, "hangup")
            return
        if redirect_url is None:
            raise ValueError("updateCall needs redirect_url or state='completed'")
        self._note(leg, "api", f"updateCall redirect {redirect_url}")
        self._interrupt(leg)
        target = Target(redirect_url, _method(method), credentials)
        fallback = (
            Target(fallback_url, _method(method), fallback_credentials) if fallback_url else None
        )
        payload = payloads.leg_event("redirect", leg, self.start_time, self.now)
        self._send(leg, "redirect", payload, target, fallback, synchronous=True)

    def update_call_bxml(self, leg: Leg, document: Bxml | str | bytes) -> None:
        """updateCallBxml: interrupt the running verb and run ``document`` instead."""
        if not leg.up:
            raise ValueError(f"call {leg.id} has ended; it cannot be updated")
        doc = bxml.parse(document) if isinstance(document, (str, bytes)) else document
        if not isinstance(doc, Bxml):
            raise ValueError(f"updateCallBxml needs a <Bxml> document, not <{type(doc).__name__}>")
        self._note(leg, "api", f"updateCallBxml {len(doc.children)} verbs")
        self._interrupt(leg)
        self._assume(leg, "put-relative-urls", leg.base_url)
        self._install(leg, doc, leg.base_url)
        self._advance(leg)

    def hang_up(self, leg: Leg) -> None:
        """updateCall with state=completed."""
        self.update_call(leg, state="completed")

    # -- callbacks ---------------------------------------------------------------------------

    def _request_id(self) -> int:
        self._next_request += 1
        return self._next_request

    def _queue(self, request: CallbackRequest) -> None:
        self.outbox.append(request)

    def _send(
        self,
        leg: Leg,
        event_type: str,
        payload: dict[str, Any],
        target: Target,
        fallback: Target | None = None,
        *,
        synchronous: bool,
    ) -> None:
        request = CallbackRequest(
            self._request_id(), leg.id, event_type, payload, target, synchronous, fallback
        )
        if synchronous:
            self._assume_once(leg, "fetch-latency", "replies take no virtual time")
            if self._looping(leg, target.url):
                return
            leg.waiting = request.id
            leg.cursor = None
        self._queue(request)

    def _looping(self, leg: Leg, url: str) -> bool:
        mark = (self.now, leg.inputs)
        if leg.loop_mark != mark:
            leg.loop_mark = mark
            leg.loop_urls = []
        leg.loop_urls.append(url)
        if len(leg.loop_urls) <= self.loop_limit:
            return False
        seen = " -> ".join(urlsplit(u).path or u for u in leg.loop_urls[-4:])
        self._assume(leg, "loop-limit")
        self._end_leg(
            leg,
            "error",
            f"loop: {len(leg.loop_urls) - 1} documents fetched at {self.now / 1000:.3f} s "
            f"without time passing or caller input (... {seen})",
        )
        return True

    def _fetch_failed(self, leg: Leg, request: CallbackRequest, result: FetchResult) -> None:
        problem = result.error or f"HTTP {result.status}"
        self._note(leg, "fetch", _fetch_line(request, result, None))
        if request.fallback is not None and not request.is_fallback:
            self._assume(leg, "fallback-status", f"retrying {request.fallback.url}")
            retry = _replace(request, self._request_id(), request.fallback, True)
            leg.waiting = retry.id
            self._queue(retry)
            return
        leg.waiting = None
        message = f"{request.event_type} callback to {request.target.url} failed: {problem}"
        self._end_leg(leg, "callback-error", message)

    def _read_reply(
        self, leg: Leg, request: CallbackRequest, result: FetchResult
    ) -> Response | Bxml | None:
        body = result.body
        if not body.strip():
            self._assume(leg, "empty-reply", f"{request.event_type} reply had no body")
            return Response()
        try:
            doc = _DOCUMENTS.get(body)
            if doc is None:
                doc = bxml.parse(body)
                if len(_DOCUMENTS) >= _CACHE_SIZE:
                    _DOCUMENTS.clear()
                _DOCUMENTS[body] = doc
        except BxmlError as exc:
            self._invalid(leg, request, str(exc))
            return None
        if isinstance(doc, Bxml):
            self._assume(leg, "bxml-root-reply")
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
        self.served.append((request.target.url, request.event_type))
        self._served_docs.append((request.target.url, doc))
        return doc

    def _invalid(self, leg: Leg, request: CallbackRequest, problem: str) -> None:
        self._note(leg, "fetch", f"{request.event_type} {request.target.url} -> invalid BXML")
        self._end_leg(leg, "invalid-bxml", f"invalid BXML from {request.target.url}: {problem}")

    @property
    def mentioned(self) -> dict[str, str]:
        """Callback URLs (absolute) that appeared in served documents, with where."""
        found: dict[str, str] = {}
        for base, doc in self._served_docs:
            for element in doc.iter():
                for name, value in element.attributes.items():
                    if name.endswith("_url") and isinstance(value, str):
                        found.setdefault(urljoin(base, value), f"{element.TAG}.{name}")
        return found

    # -- running documents ------------------------------------------------------------------

    def _install(self, leg: Leg, doc: Response | Bxml, base_url: str) -> None:
        leg.cursor = Cursor(doc.children, base_url, 0, _path(base_url))
        leg.base_url = base_url
        leg.epoch += 1

    def _advance(self, leg: Leg) -> None:
        while leg.up and leg.waiting is None and leg.activity is None:
            cursor = leg.cursor
            if cursor is None or cursor.index >= len(cursor.verbs):
                self._document_end(leg)
                return
            verb = cursor.verbs[cursor.index]
            cursor.index += 1
            self._run_verb(leg, verb, cursor)

    def _document_end(self, leg: Leg) -> None:
        if leg.parent is not None:
            self._assume(leg, "hangup-in-bleg-reply", "end of the transferAnswer reply")
            leg.cursor = None
            self._bridge(leg)
            return
        self._note(leg, "end-doc", "end of document: implicit Hangup")
        self._hangup_verb(leg)

    def _run_verb(self, leg: Leg, verb: Element, cursor: Cursor) -> None:
        name = verb.TAG
        self.verbs_run.append((leg.label, name, cursor.source))
        tag = verb.attributes.get("tag")
        if isinstance(tag, str):
            self._set_tag(leg, tag)
        if leg.direction == "inbound" and leg.answer_ms is None and leg.parent is None:
            if name not in NOT_ANSWERING or (
                name == "Ring" and verb.attributes.get("answer_call") is not False
            ):
                self._assume(leg, "inbound-answer", f"answered by <{name}>")
                self._answer(leg)
        self._note(leg, "verb", lambda: _describe(verb))
        runner = self._runners().get(name, Engine._verb_instant)
        runner(self, leg, verb)
        if self.stop_verb == name:
            self.stopped = True

    def _set_tag(self, leg: Leg, value: str) -> None:
        leg.tag = value.strip() or None

    def _url(self, leg: Leg, value: str) -> str:
        key = (leg.base_url, value)
        joined = _JOINED.get(key)
        if joined is None:
            if len(_JOINED) >= 4 * _CACHE_SIZE:
                _JOINED.clear()
            joined = _JOINED[key] = urljoin(leg.base_url, value)
        return joined

    def _target(
        self, leg: Leg, verb: Element, url_attr: str, method_attr: str, *, fallback: bool = False
    ) -> Target | None:
        attrs = verb.attributes
        url = attrs.get(url_attr)
        if not url:
            return None
        user = attrs.get("fallback_username" if fallback else "username")
        password = attrs.get("fallback_password" if fallback else "password")
        creds = Credentials(user, password or "") if user else None
        return Target(self._url(leg, url), _method(attrs.get(method_attr) or "POST"), creds)

    def _targets(self, leg: Leg, verb: Element, stem: str) -> tuple[Target | None, Target | None]:
        primary = self._target(leg, verb, f"{stem}_url", f"{stem}_method")
        fallback = self._target(
            leg, verb, f"{stem}_fallback_url", f"{stem}_fallback_method", fallback=True
        )
        return primary, fallback

    def _after(self, leg: Leg, ms: int, action: Callable[..., None], *args: Any) -> None:
        self.sched.at(self.now + ms, TIMER, action, leg, *args, owner=leg, epoch=leg.epoch)

    def _finish_activity(self, leg: Leg) -> None:
        leg.activity = None
        leg.epoch += 1
        self._advance(leg)

    # -- simple verbs -------------------------------------------------------------------------

    @staticmethod
    def _runners() -> dict[str, Callable[[Engine, Leg, Any], None]]:
        return _RUNNERS

    def _verb_instant(self, leg: Leg, verb: Element) -> None:
        """Tag and the verbs that only change background state take no time."""

    def _timed(self, leg: Leg, ms: int, media: bool = False) -> None:
        if media:
            self._assume_once(leg, "speech-rate", "durations of speech and audio")
        leg.activity = "timed"
        self._listen_in_background(leg, ms)
        self._after(leg, ms, self._finish_activity)

    def _speak(self, leg: Leg, verb: bxml.SpeakSentence) -> None:
        text, ms = self.durations.speech(verb)
        self._hear(leg, text)
        self._timed(leg, ms, media=True)

    def _play(self, leg: Leg, verb: bxml.PlayAudio) -> None:
        url = self._url(leg, verb.text.strip())
        if urlsplit(url).path.lower().endswith(UNSUPPORTED_AUDIO):
            self._assume(leg, "unsupported-audio", url)
            self._end_leg(leg, "application-error", f"unsupported audio format: {url}")
            return
        self._hear(leg, f"[audio {url}]")
        self._timed(leg, self.durations.audio_ms(verb, url), media=True)

    def _hear(self, leg: Leg, text: str) -> None:
        if leg.parent is None:
            self.heard.append(text)

    def _pause(self, leg: Leg, verb: bxml.Pause) -> None:
        self._timed(leg, to_ms(verb.duration if verb.duration is not None else 1.0))

    def _ring(self, leg: Leg, verb: bxml.Ring) -> None:
        self._timed(leg, to_ms(verb.duration if verb.duration is not None else 5.0))

    def _send_dtmf(self, leg: Leg, verb: bxml.SendDtmf) -> None:
        from .durations import dtmf_ms

        self._timed(leg, dtmf_ms(verb))

    def _tag_verb(self, leg: Leg, verb: bxml.Tag) -> None:
        self._set_tag(leg, verb.text)

    def _hangup_verb(self, leg: Leg, verb: Element | None = None) -> None:
        if leg.direction == "inbound" and leg.answer_ms is None and leg.parent is None:
            self._assume(leg, "reject-cause")
            self._end_leg(leg, "rejected")
        else:
            self._end_leg(leg, "hangup")

    def _redirect(self, leg: Leg, verb: bxml.Redirect) -> None:
        target, fallback = self._targets(leg, verb, "redirect")
        assert target is not None
        payload = payloads.leg_event("redirect", leg, self.start_time, self.now)
        self._send(leg, "redirect", payload, target, fallback, synchronous=True)

    def _hold(self, leg: Leg, verb: Element) -> None:
        self._assume(leg, "conference-alone", f"<{verb.TAG}> holds the call")
        leg.activity = "hold"

    def _bridge_verb(self, leg: Leg, verb: bxml.Bridge) -> None:
        self._assume(leg, "no-bridge-target", verb.text.strip())
        target, fallback = self._targets(leg, verb, "bridge_complete")
        if target is None:
            return
        payload = payloads.call_fields("bridgeComplete", leg, self.start_time, self.now)
        payload["cause"] = "unknown"
        payload["errorMessage"] = f"call {verb.text.strip()} is not part of this simulation"
        self._send(leg, "bridgeComplete", payload, target, fallback, synchronous=True)

    def _forward(self, leg: Leg, verb: bxml.Forward) -> None:
        if leg.direction != "inbound" or leg.answer_ms is not None or leg.parent is not None:
            self._assume(leg, "forward-answered")
            self._end_leg(leg, "application-error", "<Forward> needs an unanswered inbound call")
            return
        leg.activity = "forward"
        leg.cursor = None
        number = str(verb.to)
        timeout = to_ms(
            verb.call_timeout if verb.call_timeout is not None else DEFAULT_CALL_TIMEOUT
        )
        self._ring_destination(leg, number, timeout, self._forward_outcome)

    def _forward_outcome(self, leg: Leg, number: str, outcome: str, hangs_up_ms: int) -> None:
        self.transfer_outcomes.append((number, outcome))
        self._note(leg, "forward", f"{number} -> {outcome}")
        if outcome == "answered":
            self._answer(leg)
            self.sched.at(self.now + hangs_up_ms, COMMAND, self._end_leg, leg, "hangup", owner=leg)
        else:
            self._end_leg(leg, "busy" if outcome == "busy" else "timeout")

    def _ring_destination(
        self, leg: Leg, number: str, timeout_ms: int, outcome: Callable[..., None]
    ) -> None:
        dest = self._destinations_of(leg).get(number)
        if isinstance(dest, Answers) and to_ms(dest.after) < timeout_ms:
            due, result, hang = to_ms(dest.after), "answered", to_ms(dest.hangs_up_after)
        elif isinstance(dest, Busy):
            self._assume(leg, "busy-timing", number)
            due, result, hang = BUSY_AFTER_MS, "busy", 0
        else:
            if dest is None:
                self._assume(leg, "busy-timing", f"{number} has no destination entry")
            due, result, hang = timeout_ms, "no-answer", 0
        self.sched.at(self.now + due, INPUT, outcome, leg, number, result, hang, owner=leg)

    def _destinations_of(self, leg: Leg) -> dict[str, Destination]:
        return (leg.parent or leg).destinations

    # -- background verbs ---------------------------------------------------------------------

    def _start_gather(self, leg: Leg, verb: bxml.StartGather) -> None:
        target = self._target(leg, verb, "dtmf_url", "dtmf_method")
        leg.start_gather = (target,) if target is not None else ()

    def _stop_gather(self, leg: Leg, verb: Element) -> None:
        leg.start_gather = None

    def _start_recording(self, leg: Leg, verb: bxml.StartRecording) -> None:
        if leg.recording is not None:
            self._note(leg, "ignored", "StartRecording while one runs (bxml-spec §3.2)")
            return
        leg.recording = {
            "id": f"r-{self._uuid()}",
            "start": self.now,
            "target": self._target(
                leg, verb, "recording_available_url", "recording_available_method"
            ),
            "file_format": verb.file_format or "wav",
            "channels": 2 if verb.multi_channel else 1,
        }

    def _stop_recording(self, leg: Leg, verb: Element | None = None) -> None:
        info = leg.recording
        if info is None:
            return
        leg.recording = None
        info["end"] = self.now
        self._note(leg, "recording", f"{info['id']} stopped")
        self._recording_available(leg, info)

    def _recording_available(self, leg: Leg, info: dict[str, Any]) -> None:
        target = info.get("target")
        if target is None:
            return
        payload = payloads.recording("recordingAvailable", leg, self.start_time, self.now, info)
        self._send(leg, "recordingAvailable", payload, target, synchronous=False)

    def _stream(self, leg: Leg, verb: Element) -> None:
        kind = "mediaStream" if verb.TAG == "StartStream" else "realTimeTranscription"
        store = leg.streams if kind == "mediaStream" else leg.transcriptions
        self._assume(leg, "stream-events")
        name = verb.attributes.get("name") or f"s-{self._uuid()}"
        url = "stream_event" if kind == "mediaStream" else "transcription_event"
        target = self._target(leg, verb, f"{url}_url", f"{url}_method")
        destination = verb.attributes.get("destination")
        info = {
            "id": f"s-{self._uuid()}",
            "name": name,
            "start": self.now,
            "target": target,
            "destination": destination,
            "tracks": _tracks(verb.attributes.get("tracks")),
            "kind": kind,
        }
        store[name] = info
        if target is not None and (kind == "mediaStream" or destination):
            self._send(
                leg,
                f"{kind}Started",
                self._stream_payload(leg, info, "Started"),
                target,
                synchronous=False,
            )

    def _stop_stream(self, leg: Leg, verb: Element) -> None:
        store = leg.streams if verb.TAG == "StopStream" else leg.transcriptions
        name = verb.attributes.get("name")
        names = [name] if name else list(store)
        for key in names:
            info = store.pop(key, None)
            if info is not None:
                self._stream_stopped(leg, info)

    def _stream_stopped(self, leg: Leg, info: dict[str, Any]) -> None:
        target = info["target"]
        if target is None:
            return
        kind = info["kind"]
        if kind == "mediaStream" or info["destination"]:
            self._send(
                leg,
                f"{kind}Stopped",
                self._stream_payload(leg, info, "Stopped"),
                target,
                synchronous=False,
            )
        if kind == "realTimeTranscription":
            payload = self._stream_payload(leg, info, "Available")
            self._send(leg, f"{kind}Available", payload, target, synchronous=False)

    def _stream_payload(self, leg: Leg, info: dict[str, Any], what: str) -> dict[str, Any]:
        kind = info["kind"]
        payload = payloads.call_fields(f"{kind}{what}", leg, self.start_time, self.now)
        inner: dict[str, Any] = {
            "id": info["id"],
            "name": info["name"],
            "startTime": payloads.timestamp(self.start_time, info["start"]),
            "tracks": info["tracks"],
        }
        if info["destination"]:
            inner["destination"] = info["destination"]
        if kind == "mediaStream":
            inner["type"] = "WebSocket"
        if what != "Started":
            inner["duration"] = payloads.iso_duration(self.now - info["start"])
        if what == "Stopped":
            payload["cause"] = "closed"
        if what == "Available":
            inner["status"] = "available"
            inner["completedTime"] = payloads.timestamp(self.start_time, self.now)
        payload[kind] = inner
        return payload

    # -- caller input -------------------------------------------------------------------------

    def _take_step(self, leg: Leg, where: str) -> Step | None:
        if not leg.script:
            return None
        step = leg.script.popleft()
        self._note(leg, "step", f"{step!r} at {where}")
        return step

    def _listen_in_background(self, leg: Leg, ms: int) -> None:
        if leg.start_gather is None or not leg.script:
            return
        step = self._take_step(leg, "StartGather")
        if isinstance(step, Press):
            gap = to_ms(self.durations.key_gap)
            offset = to_ms(step.barge_in) if step.barge_in is not None else ms + gap
            self._press(leg, step, self.now + offset)
        elif isinstance(step, (HangUp, LeaveMessage)):
            self._hang_up_at(leg, self.now + ms, step)

    def _press(self, leg: Leg, step: Press, at: int) -> None:
        self._assume_once(leg, "press-timing", "keys 0.3 s apart, after the prompt")
        self.pressed.append(step.digits)
        gap = to_ms(self.durations.key_gap)
        for index, digit in enumerate(step.digits):
            self.sched.at(at + index * gap, INPUT, self._on_digit, leg, digit, owner=leg)

    def _hang_up_at(self, leg: Leg, at: int, step: Step) -> None:
        self.sched.at(at, INPUT, self._caller_hangup, leg, step, owner=leg)

    def _caller_hangup(self, leg: Leg, step: Step) -> None:
        leg.inputs += 1
        if step in leg.timed_steps:
            leg.timed_steps.remove(step)
        self._note(leg, "hangs-up", f"caller ({step!r})")
        self._end_leg(leg, "hangup")

    def _on_digit(self, leg: Leg, digit: str) -> None:
        leg.inputs += 1
        activity = leg.activity
        if isinstance(activity, GatherRun):
            self._gather_digit(leg, activity, digit)
        elif isinstance(activity, RecordRun):
            if leg.start_gather is not None:  # only a Gather pauses StartGather (§3.2)
                self._dtmf_event(leg, digit)
            self._record_digit(leg, activity, digit)
        elif leg.start_gather is not None:
            self._note(leg, "pressed", f"{digit} (StartGather)")
            self._dtmf_event(leg, digit)
        else:
            self._assume(leg, "digits-unheard", f"key {digit} discarded")

    def _dtmf_event(self, leg: Leg, digit: str) -> None:
        for target in leg.start_gather or ():
            payload = payloads.leg_event("dtmf", leg, self.start_time, self.now, digit=digit)
            self._send(leg, "dtmf", payload, target, synchronous=False)

    # -- Gather (bxml-spec §4.6) -----------------------------------------------------------------

    def _gather(self, leg: Leg, verb: bxml.Gather) -> None:
        cursor = leg.cursor
        assert cursor is not None
        ordinal = len([v for v in cursor.verbs[: cursor.index] if v.TAG == "Gather"])
        prompts = [(self._prompt_ms(leg, p), p) for p in verb.children]
        if prompts:
            self._assume_once(leg, "speech-rate", "durations of speech and audio")
        run = GatherRun(verb, prompts, f"{cursor.source} Gather[{ordinal}]")
        leg.activity = run
        self._gather_step(leg, run, sum(ms for ms, _ in prompts))
        self._gather_prompt(leg, run)

    def _prompt_ms(self, leg: Leg, prompt: Element) -> int:
        if isinstance(prompt, bxml.SpeakSentence):
            return self.durations.speech_ms(prompt)
        assert isinstance(prompt, bxml.PlayAudio)
        return self.durations.audio_ms(prompt, self._url(leg, prompt.text.strip()))

    def _gather_step(self, leg: Leg, run: GatherRun, prompt_ms: int) -> None:
        step = self._take_step(leg, run.site)
        if isinstance(step, Press):
            gap = to_ms(self.durations.key_gap)
            offset = to_ms(step.barge_in) if step.barge_in is not None else prompt_ms + gap
            self._press(leg, step, self.now + offset)
        elif isinstance(step, HangUp):
            self._hang_up_at(leg, self.now + prompt_ms, step)
        elif isinstance(step, LeaveMessage):
            self._note(leg, "speaks", f"{step.seconds} s into a Gather (no keys)")
            if step.then == "hang_up":
                self._hang_up_at(leg, self.now + prompt_ms + to_ms(step.seconds), step)

    def _gather_prompt(self, leg: Leg, run: GatherRun) -> None:
        if run.index < len(run.prompts):
            ms, prompt = run.prompts[run.index]
            if isinstance(prompt, bxml.SpeakSentence):
                text = self.durations.speech(prompt)[0]
            else:
                text = f"[audio {self._url(leg, prompt.text.strip())}]"
            self._hear(leg, text)
            self._note(leg, "prompt", text)
            self._after(leg, ms, self._gather_prompt_end, run)
            return
        run.phase = "wait"
        first = run.verb.first_digit_timeout
        run.deadline = self.now + to_ms(first if first is not None else 5.0)
        self._after(leg, run.deadline - self.now, self._gather_timeout, run)

    def _gather_prompt_end(self, leg: Leg, run: GatherRun) -> None:
        run.index += 1
        self._gather_prompt(leg, run)

    def _gather_timeout(self, leg: Leg, run: GatherRun) -> None:
        if not run.digits and run.round < (run.verb.repeat_count or 1) and run.prompts:
            run.round += 1
            run.index = 0
            run.phase = "prompt"
            self._note(leg, "repeat", f"prompt {run.round} of {run.verb.repeat_count}")
            self._gather_prompt(leg, run)
            return
        self._gather_end(leg, run, "")

    def _gather_digit(self, leg: Leg, run: GatherRun, digit: str) -> None:
        if run.phase == "prompt":
            self._note(leg, "barge-in", "first key interrupts the prompt")
        elif run.deadline == self.now:
            self._assume(leg, "digit-tie", f"key {digit} at the timeout counts")
        run.phase = "digits"
        leg.epoch += 1
        self._note(leg, "pressed", digit)
        terminating = run.verb.terminating_digits or ""
        if digit in terminating:
            self._gather_end(leg, run, digit)
            return
        run.digits += digit
        if len(run.digits) >= (run.verb.max_digits or 50):
            self._gather_end(leg, run, "")
            return
        inter = run.verb.inter_digit_timeout
        run.deadline = self.now + to_ms(inter if inter is not None else 5.0)
        self._after(leg, run.deadline - self.now, self._gather_end, run, "")

    def _gather_end(self, leg: Leg, run: GatherRun, terminator: str) -> None:
        leg.activity = None
        leg.epoch += 1
        outcome = run.digits or ("terminated" if terminator else "timeout")
        self.gather_outcomes.append((run.site, outcome))
        self._note(leg, "gathered", f"digits={run.digits!r} terminatingDigit={terminator!r}")
        target, fallback = self._targets(leg, run.verb, "gather")
        if target is None:
            self._advance(leg)
            return
        payload = payloads.leg_event(
            "gather",
            leg,
            self.start_time,
            self.now,
            digits=run.digits,
            terminatingDigit=terminator,
        )
        self._send(leg, "gather", payload, target, fallback, synchronous=True)

    # -- Record (bxml-spec §4.12) ---------------------------------------------------------------

    def _record(self, leg: Leg, verb: bxml.Record) -> None:
        info: dict[str, Any] = {
            "id": f"r-{self._uuid()}",
            "start": self.now,
            "file_format": verb.file_format or "wav",
            "channels": 1,
            "target": self._target(
                leg, verb, "recording_available_url", "recording_available_method"
            ),
        }
        run = RecordRun(verb, info)
        leg.activity = run
        self._note(leg, "recording", info["id"])
        max_ms = to_ms(verb.max_duration if verb.max_duration is not None else 60)
        self._after(leg, max_ms, self._record_end, run, "maxDuration")
        speech_end = self._record_step(leg, run)
        silence = verb.silence_timeout or 0
        if silence > 0 and speech_end is not None:
            self._after(
                leg, speech_end - self.now + to_ms(silence), self._record_end, run, "silenceTimeout"
            )

    def _record_step(self, leg: Leg, run: RecordRun) -> int | None:
        """Schedule the caller's part; return when silence starts (None: it never does)."""
        step = self._take_step(leg, "Record")
        terminating = run.verb.terminating_digits
        terminating = "#" if terminating is None else terminating
        if isinstance(step, LeaveMessage):
            end = self.now + to_ms(step.seconds)
            self._note(leg, "speaks", f"{step.seconds:g} s")
            if step.then == "hang_up":
                self._hang_up_at(leg, end, step)
                return None
            if step.then == "press" and terminating:
                self.pressed.append(terminating[0])
                self.sched.at(end, INPUT, self._on_digit, leg, terminating[0], owner=leg)
                return None
            return end
        if isinstance(step, Press):
            at = self.now + (to_ms(step.barge_in) if step.barge_in is not None else 0)
            self._press(leg, step, at)
            return self.now
        if isinstance(step, HangUp):
            self._hang_up_at(leg, self.now, step)
            return None
        return self.now

    def _record_digit(self, leg: Leg, run: RecordRun, digit: str) -> None:
        terminating = run.verb.terminating_digits
        if digit in ("#" if terminating is None else terminating):
            self._note(leg, "pressed", f"{digit} ends the recording")
            self._record_end(leg, run, "terminatingDigit")
        else:
            self._note(leg, "pressed", f"{digit} (recorded, not a terminating digit)")

    def _record_end(self, leg: Leg, run: RecordRun, reason: str) -> None:
        leg.activity = None
        leg.epoch += 1
        run.info["end"] = self.now
        self._note(leg, "recorded", f"{run.info['id']} ends by {reason}")
        target, fallback = self._targets(leg, run.verb, "record_complete")
        if target is not None:
            payload = payloads.recording("recordComplete", leg, self.start_time, self.now, run.info)
            self._send(leg, "recordComplete", payload, target, fallback, synchronous=True)
            self._recording_available(leg, run.info)
            return
        self._recording_available(leg, run.info)
        self._advance(leg)

    # -- Transfer (bxml-spec §4.27, §3.1) --------------------------------------------------------

    def _transfer(self, leg: Leg, verb: bxml.Transfer) -> None:
        run = TransferRun(verb, leg.cursor.base_url if leg.cursor else "")
        leg.activity = run
        timeout = to_ms(
            verb.call_timeout if verb.call_timeout is not None else DEFAULT_CALL_TIMEOUT
        )
        children = verb.children
        caller_id = verb.transfer_caller_id or (leg.from_ if leg.direction == "inbound" else leg.to)
        for index, child in enumerate(children):
            label = "B" if len(children) == 1 else f"B{index + 1}"
            number = child.text.strip()  # type: ignore[attr-defined]
            b_leg = self._new_leg(label, "outbound", caller_id, number)
            b_leg.parent = leg
            b_leg.transfer_caller_id = caller_id
            b_leg.transfer_to = number
            b_leg.tag = leg.tag
            b_leg.transfer = child
            b_leg.base_url = run.base_url
            child_tag = child.attributes.get("tag")
            if isinstance(child_tag, str):
                b_leg.tag = child_tag.strip() or None
            run.b_legs.append((b_leg, child))
            self._note(b_leg, "dial", f"{number} (Transfer, callTimeout {timeout / 1000:g} s)")
            self._ring_destination(b_leg, number, timeout, self._b_outcome)
        self._listen_in_background(leg, 0)

    def _b_outcome(self, b_leg: Leg, number: str, outcome: str, hangs_up_ms: int) -> None:
        a_leg = b_leg.parent
        assert a_leg is not None
        run = a_leg.activity
        if not isinstance(run, TransferRun) or run.winner is not None:
            self._end_leg(b_leg, "cancel")
            return
        self.transfer_outcomes.append((number, outcome))
        self._note(b_leg, "dial", f"{number} -> {outcome}")
        if outcome != "answered":
            self._end_leg(b_leg, "busy" if outcome == "busy" else "timeout")
            return
        run.winner = b_leg
        self._answer(b_leg)
        for other, _ in run.b_legs:
            if other is not b_leg and other.up:
                self._end_leg(other, "cancel")
        self.sched.at(self.now + hangs_up_ms, COMMAND, self._callee_hangup, b_leg, owner=b_leg)
        target, fallback = self._targets(b_leg, b_leg.transfer, "transfer_answer")
        if target is None:
            b_leg.cursor = None
            self._bridge(b_leg)
            return
        payload = payloads.transfer_answer(b_leg, self.start_time, self.now)
        self._send(b_leg, "transferAnswer", payload, target, fallback, synchronous=True)

    def _callee_hangup(self, b_leg: Leg) -> None:
        self._note(b_leg, "hangs-up", "called party")
        self._end_leg(b_leg, "hangup")

    def _bridge(self, b_leg: Leg) -> None:
        b_leg.activity = "bridged"
        self._note(b_leg, "bridged", f"with {b_leg.parent.label if b_leg.parent else '?'}")

    def _b_leg_ended(self, b_leg: Leg) -> None:
        a_leg = b_leg.parent
        assert a_leg is not None
        run = a_leg.activity
        if not a_leg.up or not isinstance(run, TransferRun):
            return
        if run.winner is not None and b_leg is not run.winner:
            return
        if run.winner is None and any(b.up for b, _ in run.b_legs):
            return
        if run.winner is None:
            self._assume(a_leg, "transfer-failure-cause")
        self._transfer_complete(a_leg, run, b_leg)

    def _transfer_complete(self, a_leg: Leg, run: TransferRun, b_leg: Leg) -> None:
        a_leg.activity = None
        a_leg.epoch += 1
        cause = b_leg.cause or "hangup"
        if run.winner is None and cause == "cancel":
            cause = "timeout"
        target, fallback = self._targets(a_leg, run.verb, "transfer_complete")
        if target is None:
            self._advance(a_leg)
            return
        payload = payloads.transfer_complete(
            a_leg, b_leg, self.start_time, self.now, cause, b_leg.error_message
        )
        self._send(a_leg, "transferComplete", payload, target, fallback, synchronous=True)

    # -- ending --------------------------------------------------------------------------------

    def _interrupt(self, leg: Leg) -> None:
        activity = leg.activity
        leg.activity = None
        leg.waiting = None
        leg.cursor = None
        leg.epoch += 1
        if isinstance(activity, RecordRun):
            activity.info["end"] = self.now
            self._recording_available(leg, activity.info)
        elif isinstance(activity, TransferRun):
            self._assume(leg, "interrupt-transfer")
            for b_leg, _ in activity.b_legs:
                self._end_leg(b_leg, "hangup")

    def _time_limit(self, leg: Leg) -> None:
        self._assume(leg, "time-limit")
        self._end_leg(leg, "error", f"the simulation stopped the call after {self.now / 1000:g} s")

    def _end_leg(self, leg: Leg, cause: str, error: str | None = None) -> None:
        if not leg.up:
            return
        activity = leg.activity
        leg.state = "disconnected"
        leg.up = False
        leg.end_ms = self.now
        leg.cause = cause
        leg.error_message = error
        leg.activity = None
        leg.waiting = None
        leg.epoch += 1
        self._note(leg, "end", cause + (f": {error}" if error else ""))
        if isinstance(activity, RecordRun):
            activity.info["end"] = self.now
            self._recording_available(leg, activity.info)
        if isinstance(activity, TransferRun):
            for b_leg, _ in activity.b_legs:
                self._end_leg(b_leg, "hangup")
        self._stop_recording(leg)
        for store in (leg.streams, leg.transcriptions):
            for info in list(store.values()):
                self._stream_stopped(leg, info)
            store.clear()
        if leg.parent is None:
            if leg.disconnect is not None:
                payload = payloads.disconnect(leg, self.start_time, self.now)
                self._send(leg, "disconnect", payload, leg.disconnect, synchronous=False)
            return
        self._b_disconnect(leg)
        self._b_leg_ended(leg)

    def _b_disconnect(self, b_leg: Leg) -> None:
        a_leg = b_leg.parent
        assert a_leg is not None
        child = b_leg.transfer
        if child is None:
            return
        target = self._target(b_leg, child, "transfer_disconnect_url", "transfer_disconnect_method")
        if target is not None:
            payload = payloads.transfer_disconnect(b_leg, self.start_time, self.now)
            self._send(b_leg, "transferDisconnect", payload, target, synchronous=False)


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


def _tracks(value: object) -> list[str]:
    if value == "both":
        return ["inbound", "outbound"]
    return [str(value or "inbound")]


def _describe(verb: Element) -> str:
    if isinstance(verb, bxml.SpeakSentence):
        return f'SpeakSentence "{" ".join(verb.text.split())}"'
    text = getattr(verb, "text", "")
    shown = [f"{k}={v!r}" for k, v in verb.attributes.items() if "password" not in k]
    head = verb.TAG + (f" {text.strip()!r}" if isinstance(text, str) and text.strip() else "")
    return " ".join([head, *shown])


def _fetch_line(request: CallbackRequest, result: FetchResult, verbs: int | None) -> str:
    outcome = result.error or f"{result.status}"
    if verbs is not None:
        outcome += f", {verbs} verb" + ("" if verbs == 1 else "s")
    via = " (fallback)" if request.is_fallback and request.synchronous else ""
    return f"{request.event_type} {request.target.method} {request.target.url}{via} -> {outcome}"


_RUNNERS: dict[str, Callable[[Engine, Leg, Any], None]] = {
    "SpeakSentence": Engine._speak,
    "PlayAudio": Engine._play,
    "Pause": Engine._pause,
    "Ring": Engine._ring,
    "SendDtmf": Engine._send_dtmf,
    "Tag": Engine._tag_verb,
    "Hangup": Engine._hangup_verb,
    "Redirect": Engine._redirect,
    "Gather": Engine._gather,
    "Record": Engine._record,
    "Transfer": Engine._transfer,
    "Forward": Engine._forward,
    "Bridge": Engine._bridge_verb,
    "Conference": Engine._hold,
    "Connect": Engine._hold,
    "StartGather": Engine._start_gather,
    "StopGather": Engine._stop_gather,
    "StartRecording": Engine._start_recording,
    "StopRecording": Engine._stop_recording,
    "StartStream": Engine._stream,
    "StopStream": Engine._stop_stream,
    "StartTranscription": Engine._stream,
    "StopTranscription": Engine._stop_stream,
}
