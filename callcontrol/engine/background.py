"""Background verbs: StartGather/StopGather (§4.18) and media streams and real-time
transcriptions (§4.21 to §4.24; the ``stream-events`` assumption)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bxml
from bxml import Element

from . import payloads
from .model import Leg

if TYPE_CHECKING:
    from .runtime import Runtime

MAX_TRACKS = 4


def start_gather(engine: Runtime, leg: Leg, verb: bxml.StartGather) -> None:
    """StartGather: report each key as a ``dtmf`` callback (§4.18)."""
    target = engine.target(leg, verb, "dtmf_url", "dtmf_method")
    leg.start_gather = (target,) if target is not None else ()


def stop_gather(engine: Runtime, leg: Leg, verb: Element) -> None:
    """StopGather: stop reporting keys."""
    leg.start_gather = None


def stream(engine: Runtime, leg: Leg, verb: Element) -> None:
    """StartStream / StartTranscription: start, or reject a duplicate name or a fifth track."""
    kind = "mediaStream" if verb.TAG == "StartStream" else "realTimeTranscription"
    store = leg.streams if kind == "mediaStream" else leg.transcriptions
    engine.assume(leg, "stream-events")
    name = getattr(verb, "name", None) or f"s-{engine.uuid()}"
    url = "stream_event" if kind == "mediaStream" else "transcription_event"
    target = engine.target(leg, verb, f"{url}_url", f"{url}_method")
    destination = getattr(verb, "destination", None)
    info = {
        "id": f"s-{engine.uuid()}",
        "name": name,
        "start": engine.sched.now,
        "target": target,
        "destination": destination,
        "tracks": _tracks(getattr(verb, "tracks", None)),
        "kind": kind,
    }
    problem = _rejection(store, info)
    if problem is not None:
        engine.note(leg, "rejected", f"{verb.TAG} {name!r}: {problem[1]}")
        if target is not None:
            payload = _stream_payload(engine, leg, info, "Rejected")
            payload["cause"], payload["errorMessage"] = problem
            if problem[0] == "duplicate":
                original = (
                    "originalMediaStream" if kind == "mediaStream" else "originalTranscription"
                )
                payload[original] = _stream_payload(engine, leg, store[name], "Started")[kind]
            engine.send(leg, f"{kind}Rejected", payload, target, synchronous=False)
        return
    store[name] = info
    if target is not None and (kind == "mediaStream" or destination):
        engine.send(
            leg,
            f"{kind}Started",
            _stream_payload(engine, leg, info, "Started"),
            target,
            synchronous=False,
        )


def _rejection(store: dict[str, dict[str, Any]], info: dict[str, Any]) -> tuple[str, str] | None:
    """bxml-spec §3.2: names are unique per call; at most 4 tracks ('both' counts 2)."""
    if info["name"] in store:
        return "duplicate", f"a stream named {info['name']!r} is already running"
    tracks = sum(len(other["tracks"]) for other in store.values()) + len(info["tracks"])
    if tracks > MAX_TRACKS:
        return "track-limit", f"{tracks} tracks would run; at most {MAX_TRACKS} per call"
    return None


def stop_stream(engine: Runtime, leg: Leg, verb: Element) -> None:
    """StopStream / StopTranscription: stop by name (all transcriptions without one)."""
    store = leg.streams if verb.TAG == "StopStream" else leg.transcriptions
    name = getattr(verb, "name", None)
    names = [name] if name else list(store)
    for key in names:
        info = store.pop(key, None)
        if info is not None:
            stream_stopped(engine, leg, info)


def stream_stopped(engine: Runtime, leg: Leg, info: dict[str, Any]) -> None:
    """Send the stopped (and, for transcriptions, available) callbacks."""
    target = info["target"]
    if target is None:
        return
    kind = info["kind"]
    if kind == "mediaStream" or info["destination"]:
        engine.send(
            leg,
            f"{kind}Stopped",
            _stream_payload(engine, leg, info, "Stopped"),
            target,
            synchronous=False,
        )
    if kind == "realTimeTranscription":
        payload = _stream_payload(engine, leg, info, "Available")
        engine.send(leg, f"{kind}Available", payload, target, synchronous=False)


def _stream_payload(engine: Runtime, leg: Leg, info: dict[str, Any], what: str) -> dict[str, Any]:
    kind = info["kind"]
    payload = payloads.call_fields(f"{kind}{what}", leg, engine.start_time, engine.sched.now)
    inner: dict[str, Any] = {
        "id": info["id"],
        "name": info["name"],
        "startTime": payloads.timestamp(engine.start_time, info["start"]),
        "tracks": info["tracks"],
    }
    if info["destination"]:
        inner["destination"] = info["destination"]
    if kind == "mediaStream":
        inner["type"] = "WebSocket"
    if what != "Started":
        inner["duration"] = payloads.iso_duration(engine.sched.now - info["start"])
    if what == "Stopped":
        payload["cause"] = "closed"
    if what == "Available":
        inner["status"] = "available"
        inner["completedTime"] = payloads.timestamp(engine.start_time, engine.sched.now)
    payload[kind] = inner
    return payload


def _tracks(value: object) -> list[str]:
    if value == "both":
        return ["inbound", "outbound"]
    return [str(value or "inbound")]
