"""<Record> (bxml-spec §4.12) and the background recording verbs (§4.9, §4.19)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bxml
from bxml import Element

from . import caller, payloads
from .activities import RecordRun
from .clock import INPUT, to_ms
from .model import Leg
from .script import HangUp, LeaveMessage, Press

if TYPE_CHECKING:
    from .runtime import Runtime


def start_recording(engine: Runtime, leg: Leg, verb: bxml.StartRecording) -> None:
    """StartRecording: one background recording at a time (§3.2)."""
    if leg.recording is not None:
        engine.note(leg, "ignored", "StartRecording while one runs (bxml-spec §3.2)")
        return
    leg.recording = {
        "id": f"r-{engine.uuid()}",
        "start": engine.sched.now,
        "target": engine.target(leg, verb, "recording_available_url", "recording_available_method"),
        "file_format": verb.file_format or "wav",
        "channels": 2 if verb.multi_channel else 1,
        **_transcription(engine, leg, verb),
    }


def _transcription(engine: Runtime, leg: Leg, verb: bxml.Record | bxml.StartRecording) -> Any:
    """Where transcriptionAvailable goes: only with transcribe="true" and its URL (§4.12)."""
    if not verb.transcribe:
        return {}
    target = engine.target(
        leg, verb, "transcription_available_url", "transcription_available_method"
    )
    return {} if target is None else {"transcription": target}


def stop_recording(engine: Runtime, leg: Leg, verb: Element | None = None) -> None:
    """StopRecording: finish the background recording and announce it."""
    info = finish_recording(engine, leg)
    if info is not None:
        recording_available(engine, leg, info)


def finish_recording(engine: Runtime, leg: Leg) -> dict[str, Any] | None:
    """Stop the background recording, if one runs, and return it (not yet announced)."""
    info = leg.recording
    if info is None:
        return None
    leg.recording = None
    info["end"] = engine.sched.now
    engine.note(leg, "recording", f"{info['id']} stopped")
    return info


def recording_available(engine: Runtime, leg: Leg, info: dict[str, Any]) -> None:
    """Send ``recordingAvailable`` (and ``transcriptionAvailable``) for a finished
    recording, to the URLs that were set."""
    paused_at = info.pop("paused_at", None)
    if paused_at is not None:  # stopped while paused: the pause lasts to the end
        info["paused_ms"] = info.get("paused_ms", 0) + info["end"] - paused_at
    target = info.get("target")
    if target is not None:
        payload = payloads.recording(
            "recordingAvailable", leg, engine.start_time, engine.sched.now, info
        )
        engine.send(leg, "recordingAvailable", payload, target, synchronous=False)
    transcription = info.get("transcription")
    if transcription is not None:
        engine.assume_once(leg, "transcription-timing", info["id"])
        payload = payloads.transcription_available(leg, engine.start_time, engine.sched.now, info)
        engine.send(leg, "transcriptionAvailable", payload, transcription, synchronous=False)


def record(engine: Runtime, leg: Leg, verb: bxml.Record) -> None:
    """Record: one segment ended by key, maxDuration or silenceTimeout (§4.12)."""
    info: dict[str, Any] = {
        "id": f"r-{engine.uuid()}",
        "start": engine.sched.now,
        "file_format": verb.file_format or "wav",
        "channels": 1,
        "target": engine.target(leg, verb, "recording_available_url", "recording_available_method"),
        **_transcription(engine, leg, verb),
    }
    run = RecordRun(verb, info)
    leg.activity = run
    engine.note(leg, "recording", info["id"])
    max_ms = to_ms(verb.max_duration if verb.max_duration is not None else 60)
    engine.after(leg, max_ms, _record_end, run, "maxDuration")
    speech_end = _record_step(engine, leg, run)
    silence = verb.silence_timeout or 0
    if silence > 0 and speech_end is not None:
        engine.after(
            leg, speech_end - engine.sched.now + to_ms(silence), _record_end, run, "silenceTimeout"
        )


def _record_step(engine: Runtime, leg: Leg, run: RecordRun) -> int | None:
    """Schedule the caller's part; return when silence starts (None: it never does)."""
    step = caller.take_step(engine, leg, "Record")
    terminating = run.verb.terminating_digits
    terminating = "#" if terminating is None else terminating
    if isinstance(step, LeaveMessage):
        end = engine.sched.now + to_ms(step.seconds)
        engine.note(leg, "speaks", f"{step.seconds:g} s")
        if step.then == "hang_up":
            caller.hang_up_at(engine, leg, end, step)
            return None
        if step.then == "press" and terminating:
            engine.sched.at(end, INPUT, caller.on_digit, leg, terminating[0], owner=leg)
            return None
        return end
    if isinstance(step, Press):
        at = engine.sched.now + (to_ms(step.barge_in) if step.barge_in is not None else 0)
        caller.press(engine, leg, step, at)
        return engine.sched.now
    if isinstance(step, HangUp):
        caller.hang_up_at(engine, leg, engine.sched.now, step)
        return None
    return engine.sched.now


def record_digit(engine: Runtime, leg: Leg, run: RecordRun, digit: str) -> None:
    """A key during a Record: a terminating digit ends it."""
    terminating = run.verb.terminating_digits
    if digit in ("#" if terminating is None else terminating):
        engine.note(leg, "pressed", f"{digit} ends the recording")
        _record_end(engine, leg, run, "terminatingDigit")
    else:
        engine.note(leg, "pressed", f"{digit} (recorded, not a terminating digit)")


def _record_end(engine: Runtime, leg: Leg, run: RecordRun, reason: str) -> None:
    leg.activity = None
    leg.epoch += 1
    run.info["end"] = engine.sched.now
    engine.note(leg, "recorded", f"{run.info['id']} ends by {reason}")
    target, fallback = engine.targets(leg, run.verb, "record_complete")
    if target is not None:
        payload = payloads.recording(
            "recordComplete", leg, engine.start_time, engine.sched.now, run.info
        )
        engine.send(leg, "recordComplete", payload, target, fallback, synchronous=True)
        recording_available(engine, leg, run.info)
        return
    recording_available(engine, leg, run.info)
    engine.advance(leg)


def pause_recording(engine: Runtime, leg: Leg, verb: Element) -> None:
    """PauseRecording / ResumeRecording: nothing happens when no recording runs (§4.9).

    Audio between a pause and its resume is left out of the file (bxml-spec §4.9), so
    that time is left out of the recording's duration too."""
    info = leg.recording
    if info is None:
        return
    pause_or_resume(info, verb.TAG, engine.sched.now)
    engine.note(leg, "recording", f"{info['id']} {verb.TAG}")


def pause_or_resume(info: dict[str, Any], tag: str, now: int) -> None:
    """Apply PauseRecording or ResumeRecording (``tag``) at ``now`` to a recording's
    ``info``: a second pause or a resume without a pause changes nothing (§4.9), and the
    paused time adds up in ``paused_ms`` (left out of the duration)."""
    paused_at = info.get("paused_at")
    if tag == "PauseRecording" and paused_at is None:
        info["paused_at"] = now
    elif tag == "ResumeRecording" and paused_at is not None:
        info["paused_ms"] = info.get("paused_ms", 0) + now - paused_at
        info["paused_at"] = None
