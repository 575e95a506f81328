"""<Conference> (bxml-spec §4.2, §3.1, §6; voice-api §9.4 conference events).

A conference is created by its first member and lives in the engine until its last member
leaves; using the name again makes a new instance with a new conferenceId. Every event
(conferenceCreated, conferenceMemberJoin, conferenceMemberExit, conferenceCompleted) goes
to the creator's conferenceEventUrl with the creator's method, credentials, fallback,
callbackTimeout and tag; later members' values are ignored (§4.2). Replies to the
synchronous events may be empty or hold only the conference verbs (§6); accepted replies
are queued and played into the conference one after another, heard by every member not on
hold. A member leaves by hanging up, by updateCall redirect / updateCallBxml (or being
bridged), or when the conference is ended, after which it goes on with the verb after its
<Conference> (§3.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import bxml
from bxml import BxmlError, Element

from ..contract import CONFERENCE_REPLY_VERBS
from . import media, payloads
from .activities import ConferenceRun, Member, Room
from .clock import COMMAND, TIMER, to_ms
from .model import CallbackRequest, Credentials, FetchResult, Leg, Method, Target
from .observations import (
    CallbackAnswered,
    ConferenceCompleted,
    ConferenceCreated,
    ConferenceJoined,
    ConferenceLeft,
    ConferenceReplyRejected,
)
from .record import pause_or_resume

if TYPE_CHECKING:
    from .runtime import Runtime

#: At most 20 calls in one conference (bxml-spec §4.2).
MAX_MEMBERS = 20
#: A conference lasts at most 24 hours (bxml-spec §4.2).
MAX_DURATION_MS = 24 * 3600 * 1000
#: The only verbs a reply to a conference event may hold (bxml-spec §4.2, §6).
CONFERENCE_VERBS = CONFERENCE_REPLY_VERBS
#: The events a conference sends (voice-api §9.4); they are about the conference, so their
#: replies never become a call's document.
EVENT_TYPES = frozenset(
    {
        "conferenceCreated",
        "conferenceMemberJoin",
        "conferenceMemberExit",
        "conferenceCompleted",
        "conferenceRecordingAvailable",
    }
)


@dataclass(frozen=True)
class ConferenceMember:
    """How a call was in a conference: ``mute``, ``hold``, the calls it ``coaching``
    (callIdsToCoach), and when it joined and left (virtual ms)."""

    call_id: str
    mute: bool
    hold: bool
    coaching: tuple[str, ...]
    joined_ms: int
    left_ms: int | None


@dataclass(frozen=True)
class ConferenceCallback:
    """One conference event sent (``request``) and what came back (``result``, None
    while unanswered); ``accepted`` says a reply's BXML was queued (None: nothing to
    queue, False: rejected)."""

    request: CallbackRequest
    result: FetchResult | None
    accepted: bool | None

    @property
    def event_type(self) -> str:
        """The eventType sent."""
        return self.request.event_type

    @property
    def payload(self) -> Mapping[str, Any]:
        """The fields sent (read-only)."""
        return MappingProxyType(self.request.payload)


@dataclass(frozen=True)
class ConferenceRecord:
    """One conference instance as the engine saw it (read with ``Engine.conferences``).

    ``members`` holds every call id that joined, in join order, kept after it leaves (a
    call that joined twice appears twice); ``participants`` how each was in it;
    ``callbacks`` the conference events sent with their replies; ``created_ms`` and
    ``completed_ms`` virtual times (``completed_ms`` None while it runs), and
    ``created_time``/``completed_time`` the same as eventTime text.
    """

    name: str
    conference_id: str
    members: tuple[str, ...]
    participants: tuple[ConferenceMember, ...]
    callbacks: tuple[ConferenceCallback, ...]
    created_ms: int
    completed_ms: int | None
    created_time: str
    completed_time: str | None

    def hears(self, listener: str, speaker: str) -> bool:
        """Whether call ``listener`` hears call ``speaker`` in this conference, by how they
        last joined (bxml-spec §4.2): a muted member is not heard, a member on hold neither
        hears nor is heard, and a coach is heard only by the calls it coaches."""
        by_id = {member.call_id: member for member in self.participants}
        heard, hearing = by_id.get(speaker), by_id.get(listener)
        if heard is None or hearing is None or listener == speaker:
            return False
        if heard.mute or heard.hold or hearing.hold:
            return False
        return not heard.coaching or listener in heard.coaching


def record(room: Room, start: Any) -> ConferenceRecord:
    """The immutable record of ``room`` now."""
    done = room.completed_ms
    return ConferenceRecord(
        name=room.name,
        conference_id=room.conference_id,
        members=tuple(member.leg.id for member in room.members),
        participants=tuple(
            ConferenceMember(m.leg.id, m.mute, m.hold, m.coaching, m.joined_ms, m.left_ms)
            for m in room.members
        ),
        callbacks=tuple(ConferenceCallback(*entry) for entry in room.callbacks),
        created_ms=room.created_ms,
        completed_ms=done,
        created_time=payloads.timestamp(start, room.created_ms),
        completed_time=None if done is None else payloads.timestamp(start, done),
    )


# -- joining --------------------------------------------------------------------------------


def join(engine: Runtime, leg: Leg, verb: bxml.Conference) -> None:
    """<Conference>: join the named conference, creating it first when it does not run."""
    name = verb.text.strip()
    room = engine.rooms.active.get(name)
    if room is not None and len(room.present) >= MAX_MEMBERS:
        engine.assume(leg, "conference-full", f"{name} has {MAX_MEMBERS} members")
        engine.end_leg(
            leg,
            "error",
            f"conference {name} is full: at most {MAX_MEMBERS} calls (bxml-spec §4.2)",
        )
        return
    if room is None:
        room = _create(engine, leg, verb, name)
    elif verb.conference_event_url is not None or verb.username is not None:
        engine.note(
            leg,
            "conference",
            f"{name}: this member's conferenceEventUrl, method and credentials are ignored "
            "(only the creator's count, bxml-spec §4.2)",
        )
    coaching = _coaching(engine, leg, room, verb)
    now = engine.sched.now
    member = Member(leg, bool(verb.mute), bool(verb.hold), coaching, now)
    room.present.append(member)
    room.members.append(member)
    leg.activity = ConferenceRun(room, member)
    engine.observe(
        ConferenceJoined(
            now, leg.label, leg.id, name, room.conference_id, member.mute, member.hold, coaching
        )
    )
    _event(engine, room, "conferenceMemberJoin", leg)


def _create(engine: Runtime, leg: Leg, verb: bxml.Conference, name: str) -> Room:
    conference_id = f"conf-{engine.uuid()}"
    base = leg.call_url.rsplit("/calls/", 1)[0]
    primary, fallback = engine.targets(leg, verb, "conference_event")
    timeout = verb.callback_timeout
    timeout_ms = to_ms(timeout) if timeout is not None else engine.callback_timeout_ms
    if leg.tag is not None:
        engine.assume_once(leg, "conference-tag", f"{name}: tag {leg.tag!r}")
    room = Room(
        name=name,
        conference_id=conference_id,
        url=f"{base}/conferences/{conference_id}",
        created_ms=engine.sched.now,
        creator=leg,
        event=primary,
        fallback=fallback,
        tag=leg.tag,
        timeout_ms=timeout_ms,
    )
    engine.rooms.active[name] = room
    engine.rooms.all.append(room)
    engine.observe(ConferenceCreated(engine.sched.now, leg.label, leg.id, name, conference_id))
    engine.assume_once(leg, "conference-event-order", name)
    due = engine.sched.now + MAX_DURATION_MS
    engine.sched.at(due, COMMAND, _day_over, room, owner=room, epoch=room.epoch)
    _event(engine, room, "conferenceCreated", None)
    return room


def _coaching(engine: Runtime, leg: Leg, room: Room, verb: bxml.Conference) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in (verb.call_ids_to_coach or "").split(",") if part.strip())
    if not ids:
        return ()
    coach = next((m for m in room.present if m.coaching), None)
    if coach is not None:
        engine.assume(
            leg,
            "conference-one-coach",
            f"{room.name}: {coach.leg.id} already coaches; this call joins as a member",
        )
        return ()
    return ids


# -- leaving --------------------------------------------------------------------------------


def member_left(engine: Runtime, leg: Leg, run: ConferenceRun, how: str) -> None:
    """``leg`` left its conference (``how``: hangup, removed or ended): memberExit, and
    conferenceCompleted when it was the last member."""
    room, member = run.room, run.member
    if member not in room.present:
        return
    room.present.remove(member)
    now = engine.sched.now
    member.left_ms = now
    engine.observe(ConferenceLeft(now, leg.label, leg.id, room.name, room.conference_id, how))
    _event(engine, room, "conferenceMemberExit", leg)
    if not room.present:
        _complete(engine, room, leg)


def _complete(engine: Runtime, room: Room, last: Leg) -> None:
    now = engine.sched.now
    room.completed_ms = now
    room.up = False
    room.epoch += 1
    room.queue.clear()
    if engine.rooms.active.get(room.name) is room:
        del engine.rooms.active[room.name]
    engine.observe(ConferenceCompleted(now, last.label, last.id, room.name, room.conference_id))
    _event(engine, room, "conferenceCompleted", None)
    # The recording ends with the conference (bxml-spec §3.2) and is announced once
    # processed, after conferenceCompleted (register conference-recording-order).
    if room.recording is not None:
        engine.assume_once(last, "conference-recording-order", room.name)
        _stop_recording(engine, room)


def end(engine: Runtime, room: Room) -> None:
    """End the conference now: every member leaves and goes on with the verb after its
    <Conference> (bxml-spec §3.1: as updateConference status=completed does)."""
    members = list(room.present)
    for member in members:
        leg = member.leg
        run = leg.activity
        leg.activity = None
        leg.epoch += 1
        if isinstance(run, ConferenceRun):
            member_left(engine, leg, run, "ended")
    for member in members:
        engine.advance(member.leg)


def _day_over(engine: Runtime, room: Room) -> None:
    creator = room.creator
    engine.assume(creator, "conference-time-limit", room.name)
    end(engine, room)


# -- events and their replies ---------------------------------------------------------------


def _event(engine: Runtime, room: Room, event_type: str, member: Leg | None) -> None:
    """Send a conference event to the creator's conferenceEventUrl (none: nothing sent)."""
    if room.event is None:
        return
    payload = payloads.conference_event(
        event_type,
        engine.start_time,
        engine.sched.now,
        room.conference_id,
        room.name,
        room.tag,
        member,
    )
    _send(engine, room, event_type, payload, room.event, room.fallback, False)


def _send(
    engine: Runtime,
    room: Room,
    event_type: str,
    payload: dict[str, Any],
    target: Target,
    fallback: Target | None,
    is_fallback: bool,
    *,
    retried: bool = False,
) -> None:
    # conferenceCompleted and conferenceRecordingAvailable are answered with 204 only
    # (voice-api §9.1): sent asynchronously, their reply is never read.
    synchronous = event_type not in ("conferenceCompleted", "conferenceRecordingAvailable")
    entry: list[Any] = []

    def on_reply(request: CallbackRequest, result: FetchResult) -> None:
        entry[1] = result
        if synchronous:
            _reply(engine, room, entry, request, result)

    request = engine.send_detached(
        room.creator,
        event_type,
        payload,
        target,
        fallback,
        synchronous=synchronous,
        on_reply=on_reply,
        timeout_ms=room.timeout_ms,
        is_fallback=is_fallback,
        retried=retried,
    )
    entry.extend([request, None, None])
    room.callbacks.append(entry)


def _reply(
    engine: Runtime, room: Room, entry: list[Any], request: CallbackRequest, result: FetchResult
) -> None:
    creator = room.creator
    now = engine.sched.now
    failed = result.error is not None or result.status is None or not 200 <= result.status < 300
    if failed:
        engine.observe(CallbackAnswered(now, creator.label, creator.id, request, result))
        if result.error is not None and not result.timed_out and not request.retried:
            engine.assume_once(creator, "sync-connection-retry", request.event_type)
            again = (request.target, request.fallback, request.is_fallback)
            _send(engine, room, request.event_type, request.payload, *again, retried=True)
            return
        if request.fallback is not None and not request.is_fallback:
            engine.assume(creator, "fallback-status", f"retrying {request.fallback.url}")
            _send(engine, room, request.event_type, request.payload, request.fallback, None, True)
            return
        engine.assume(creator, "conference-callback-failure", request.event_type)
        return
    body = result.body
    if not body.strip():  # an empty reply (204) plays nothing (voice-api §9.1)
        engine.observe(CallbackAnswered(now, creator.label, creator.id, request, result))
        return
    problem, verbs = _read(body)
    engine.observe(
        CallbackAnswered(
            engine.sched.now,
            creator.label,
            creator.id,
            request,
            result,
            None if verbs is None else len(verbs),
        )
    )
    if verbs is None:
        entry[2] = False
        engine.observe(
            ConferenceReplyRejected(
                engine.sched.now,
                creator.label,
                creator.id,
                room.name,
                room.conference_id,
                request.event_type,
                problem,
            )
        )
        return
    if not room.up:
        engine.note(creator, "stale", f"{request.event_type} reply ignored (conference over)")
        return
    entry[2] = True
    room.queue.extend((verb, request.target.url) for verb in verbs)
    _play_next(engine, room)


def _read(body: bytes) -> tuple[str, list[Element] | None]:
    """The verbs of a reply to a conference event, or why the whole reply is rejected."""
    try:
        doc = bxml.parse(body)
    except BxmlError as exc:
        return f"invalid BXML: {exc}", None
    if not isinstance(doc, bxml.Response):
        return "the reply's root is <Bxml>; replies use <Response>", None
    for verb in doc.children:
        if verb.TAG not in CONFERENCE_VERBS:
            return (
                f"<{verb.TAG}> is not allowed in a conference (bxml-spec §6: only PlayAudio, "
                "SpeakSentence, StartRecording, StopRecording, PauseRecording, "
                "ResumeRecording)",
                None,
            )
    return "", list(doc.children)


# -- playing into the conference -----------------------------------------------------------


def _play_next(engine: Runtime, room: Room) -> None:
    """Run queued verbs one after another, never overlapping (bxml-spec §4.2)."""
    while not room.playing and room.queue and room.up:
        verb, base = room.queue.popleft()
        ms = _run(engine, room, verb, base)
        if ms:
            room.playing = True
            due = engine.sched.now + ms
            engine.sched.at(due, TIMER, _played, room, owner=room, epoch=room.epoch)


def _played(engine: Runtime, room: Room) -> None:
    room.playing = False
    _play_next(engine, room)


def _run(engine: Runtime, room: Room, verb: Element, base: str) -> int:
    """Run one conference verb; return how long it plays (ms)."""
    creator = room.creator
    if isinstance(verb, bxml.SpeakSentence):
        text, ms = engine.durations.speech(verb)
        engine.assume_once(creator, "speech-rate", "durations of speech and audio")
        _hear(engine, room, text)
        return ms
    if isinstance(verb, bxml.PlayAudio):
        url = urljoin(base, verb.text.strip())
        if urlsplit(url).path.lower().endswith(media.UNSUPPORTED_AUDIO):
            # "If an error happens when executing a verb, it will continue to the next
            # verb" (bxml-spec §4.2).
            engine.assume(creator, "unsupported-audio", url)
            engine.note(creator, "conference", f"{room.name}: {url} not played (unsupported)")
            return 0
        engine.assume_once(creator, "speech-rate", "durations of speech and audio")
        _hear(engine, room, f"[audio {url}]")
        return engine.durations.audio_ms(verb, url)
    if isinstance(verb, bxml.StartRecording):
        _start_recording(engine, room, verb, base)
    elif isinstance(verb, bxml.StopRecording):
        _stop_recording(engine, room)
    else:
        _pause_recording(engine, room, verb)
    return 0


def _hear(engine: Runtime, room: Room, text: str) -> None:
    """Audio played into the conference: every member not on hold hears it (§4.2)."""
    creator = room.creator
    engine.note(creator, "conference", f"{room.name} plays {text}")
    for member in room.present:
        if not member.hold:
            media.hear(engine, member.leg, text)


def _start_recording(engine: Runtime, room: Room, verb: bxml.StartRecording, base: str) -> None:
    if room.recording is not None:
        engine.note(room.creator, "ignored", "StartRecording while one runs (bxml-spec §3.2)")
        return
    if verb.transcribe or verb.multi_channel:
        engine.note(
            room.creator,
            "conference",
            "transcribe and multiChannel are ignored for conferences (bxml-spec §4.19)",
        )
    room.recording = {
        "id": f"r-{engine.uuid()}",
        "start": engine.sched.now,
        "target": _target(verb, base),
        "file_format": verb.file_format or "wav",
    }
    engine.note(room.creator, "recording", f"{room.name}: {room.recording['id']} started")


def _target(verb: bxml.StartRecording, base: str) -> Target | None:
    url = verb.recording_available_url
    if not url:
        return None
    creds = Credentials(verb.username, verb.password or "") if verb.username else None
    method: Method = "GET" if verb.recording_available_method == "GET" else "POST"
    return Target(urljoin(base, url), method, creds)


def _stop_recording(engine: Runtime, room: Room) -> None:
    info = room.recording
    if info is None:
        return
    room.recording = None
    now = engine.sched.now
    info["end"] = now
    paused_at = info.pop("paused_at", None)
    if paused_at is not None:
        info["paused_ms"] = info.get("paused_ms", 0) + now - paused_at
    engine.note(room.creator, "recording", f"{room.name}: {info['id']} stopped")
    target = info.get("target")
    if target is None:
        return
    payload = payloads.conference_recording(
        engine.start_time,
        now,
        conference_id=room.conference_id,
        name=room.name,
        account_id=room.creator.account_id,
        tag=room.tag,
        conference_url=room.url,
        info=info,
    )
    _send(engine, room, "conferenceRecordingAvailable", payload, target, None, False)


def _pause_recording(engine: Runtime, room: Room, verb: Element) -> None:
    info = room.recording
    if info is None:
        return
    pause_or_resume(info, verb.TAG, engine.sched.now)
    engine.note(room.creator, "recording", f"{room.name}: {info['id']} {verb.TAG}")
