"""Runners of the verbs that play, wait or end: SpeakSentence, PlayAudio, Pause, Ring,
SendDtmf, Tag, Hangup, Redirect, and Connect (which holds the call)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import bxml
from bxml import Element

from . import payloads
from .clock import to_ms
from .durations import dtmf_ms
from .model import Leg

if TYPE_CHECKING:
    from .runtime import Runtime

#: Audio the engine does not play, in a call or a conference (register unsupported-audio).
UNSUPPORTED_AUDIO = (".ogg",)


def verb_instant(engine: Runtime, leg: Leg, verb: Element) -> None:
    """Tag and the verbs that only change background state take no time."""


def speak(engine: Runtime, leg: Leg, verb: bxml.SpeakSentence) -> None:
    """SpeakSentence: the caller hears the text (SSML left out) for its spoken length."""
    text, ms = engine.durations.speech(verb)
    hear(engine, leg, text)
    engine.timed(leg, ms, media=True)


def play(engine: Runtime, leg: Leg, verb: bxml.PlayAudio) -> None:
    """PlayAudio: plays for the configured length; .ogg ends the call (§4.11)."""
    url = engine.resolve_url(leg, verb.text.strip())
    if urlsplit(url).path.lower().endswith(UNSUPPORTED_AUDIO):
        engine.assume(leg, "unsupported-audio", url)
        engine.end_leg(leg, "application-error", f"unsupported audio format: {url}")
        return
    hear(engine, leg, f"[audio {url}]")
    engine.timed(leg, engine.durations.audio_ms(verb, url), media=True)


def hear(engine: Runtime, leg: Leg, text: str) -> None:
    """Add to what the caller heard (B-leg audio is heard by the called party)."""
    if leg.parent is None:
        leg.heard.append(text)


def pause(engine: Runtime, leg: Leg, verb: bxml.Pause) -> None:
    """Pause: silence for ``duration`` (default 1 s)."""
    engine.timed(leg, to_ms(verb.duration if verb.duration is not None else 1.0))


def ring(engine: Runtime, leg: Leg, verb: bxml.Ring) -> None:
    """Ring: ringback for ``duration`` (default 5 s)."""
    engine.timed(leg, to_ms(verb.duration if verb.duration is not None else 5.0))


def send_dtmf(engine: Runtime, leg: Leg, verb: bxml.SendDtmf) -> None:
    """SendDtmf: tones for the time of §4.15."""
    engine.timed(leg, dtmf_ms(verb))


def tag_verb(engine: Runtime, leg: Leg, verb: bxml.Tag) -> None:
    """Tag: set the sticky tag; empty text clears it (§4.26)."""
    engine.set_tag(leg, verb.text)


def hangup_verb(engine: Runtime, leg: Leg, verb: Element | None = None) -> None:
    """Hangup (and the end of a document): end the call, or reject it unanswered."""
    if leg.direction == "inbound" and leg.answer_ms is None and leg.parent is None:
        engine.assume(leg, "reject-cause")
        engine.end_leg(leg, "rejected")
    else:
        engine.end_leg(leg, "hangup")


def redirect(engine: Runtime, leg: Leg, verb: bxml.Redirect) -> None:
    """Redirect: send ``redirect``; its reply replaces the rest (§3.1)."""
    target, fallback = engine.targets(leg, verb, "redirect")
    assert target is not None
    payload = payloads.leg_event("redirect", leg, engine.start_time, engine.sched.now)
    engine.send(leg, "redirect", payload, target, fallback, synchronous=True)


def hold(engine: Runtime, leg: Leg, verb: Element) -> None:
    """Connect: hold the call (the ``connect-holds`` assumption)."""
    engine.assume(leg, "connect-holds", f"<{verb.TAG}> holds the call")
    leg.activity = "hold"
