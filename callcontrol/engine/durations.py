"""How long verbs take in virtual time (the ``speech-rate`` assumption and BXML defaults)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bxml import Element, PlayAudio, SendDtmf, SpeakSentence
from bxml.ssml import Break

from .clock import to_ms
from .script import LONGEST

# Parsed documents are shared and never change, so a verb's speech is worked out once.
_SPEECH: dict[tuple[int, float, float], tuple[SpeakSentence, str, int]] = {}
_TIME = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s)\s*")


@dataclass(frozen=True)
class Durations:
    """Durations model: seconds per spoken word, audio lengths by URL, key timing."""

    per_word: float = 0.4
    min_speech: float = 0.5
    audio: Mapping[str, float] = field(default_factory=dict)
    default_audio: float = 3.0
    key_gap: float = 0.3

    def __post_init__(self) -> None:
        for name in ("per_word", "min_speech", "default_audio", "key_gap"):
            _check_seconds(f"Durations.{name}", getattr(self, name))
        for url, seconds in self.audio.items():
            _check_seconds(f"Durations.audio[{url!r}]", seconds)

    @functools.cached_property
    def key_gap_ms(self) -> int:
        """``key_gap`` in whole milliseconds."""
        return to_ms(self.key_gap)

    def speech_ms(self, verb: SpeakSentence) -> int:
        """Words at ``per_word`` seconds each (at least ``min_speech``) plus SSML breaks."""
        return self.speech(verb)[1]

    def speech(self, verb: SpeakSentence) -> tuple[str, int]:
        """The spoken text (whitespace collapsed) and how long it takes, cached per verb."""
        key = (id(verb), self.per_word, self.min_speech)
        cached = _SPEECH.get(key)
        if cached is not None and cached[0] is verb:
            return cached[1], cached[2]
        text = " ".join(_spoken(verb).split())
        ms = self._speech_ms(verb, text)
        if len(_SPEECH) >= 1024:
            _SPEECH.clear()
        _SPEECH[key] = (verb, text, ms)
        return text, ms

    def _speech_ms(self, verb: SpeakSentence, text: str) -> int:
        words = len(text.split())
        spoken = max(to_ms(words * self.per_word), to_ms(self.min_speech))
        return spoken + sum(_break_ms(node) for node in verb.iter() if node is not verb)

    def audio_ms(self, verb: PlayAudio, url: str) -> int:
        """The configured length of ``url`` (or of the URL as written), else the default."""
        seconds = self.audio.get(url, self.audio.get(verb.text.strip(), self.default_audio))
        return to_ms(seconds)


def _check_seconds(name: str, value: object) -> None:
    # Written so that nan fails too; inf (or 1e308) would overflow whole milliseconds.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= LONGEST:
        raise ValueError(
            f"{name} must be 0 seconds or more, not {value!r} (and at most {LONGEST:g})"
        )


def _spoken(node: Element) -> str:
    """The text of ``node`` with SSML tags left out; a tag separates words (a <break/>
    between two words is a pause, not a join)."""
    parts = []
    for item in node.content:
        parts.append(item if isinstance(item, str) else f" {_spoken(item)} ")
    return "".join(parts)


def _break_ms(node: Element) -> int:
    if not isinstance(node, Break):
        return 0
    match = _TIME.fullmatch(str(node.attributes.get("time") or ""))
    if match is None:
        return 0
    value = float(match.group(1))
    return min(int(value if match.group(2) == "ms" else value * 1000), 10_000)


def dtmf_ms(verb: SendDtmf) -> int:
    """bxml-spec §4.15: each tone plus toneInterval; ``w``/``,`` (0.5 s) and ``W`` (1 s)
    replace the interval after the tone before them."""
    tone = int(verb.tone_duration or 200)
    interval = int(verb.tone_interval or 400)
    total = 0
    pending_gap = 0
    for char in verb.text.strip():
        if char in ",w":
            pending_gap = 500
        elif char == "W":
            pending_gap = 1000
        else:
            total += pending_gap + tone
            pending_gap = interval
    return total + pending_gap


#: The default model, shared so per-verb caches keyed by the model hit across calls.
DEFAULT_DURATIONS = Durations()
