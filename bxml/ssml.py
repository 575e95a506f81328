"""Typed SSML nodes for the content of :class:`bxml.SpeakSentence`.

A plain ``str`` is always text and is always escaped; markup comes only from these nodes::

    from bxml import SpeakSentence, ssml

    SpeakSentence("Your code is ", ssml.SayAs("1234", interpret_as="characters"),
                  ssml.Break(time="500ms"), "Goodbye.")

Tags and values follow Bandwidth's SpeakSentence page (Amazon Polly): break, emphasis,
lang, p, phoneme, prosody, s, say-as and sub.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal, get_args

from ._element import ContentKind, Element, allow_children
from ._values import Choice, Custom, Text
from .exceptions import InvalidValueError

BreakStrength = Literal["none", "x-weak", "weak", "medium", "strong", "x-strong"]
EmphasisLevel = Literal["strong", "moderate", "reduced"]
InterpretAs = Literal["date", "time", "telephone", "characters", "cardinal", "ordinal"]
DateFormat = Literal["mdy", "dmy", "ymd", "md", "dm", "ym", "my", "d", "m", "y"]

Language = Literal[
    "arb", "cmn-CN", "da-DK", "nl-NL", "en-AU", "en-GB", "en-IN", "en-US", "fr-FR", "fr-CA",
    "hi-IN", "de-DE", "is-IS", "it-IT", "ja-JP", "ko-KR", "nb-NO", "pl-PL", "pt-BR", "pt-PT",
    "ro-RO", "ru-RU", "es-ES", "es-MX", "es-US", "sv-SE", "tr-TR", "cy-GB",
]  # fmt: skip

#: The languages of ``<lang xml:lang="...">`` (from :data:`Language`).
LANGUAGES: tuple[str, ...] = get_args(Language)

# Patterns shared with the XSD (which anchors them implicitly).
BREAK_TIME_PATTERN = r"[0-9]+(\.[0-9]+)?(s|ms)"
PITCH_PATTERN = r"x-low|low|medium|high|x-high|default|[+-][0-9]+(\.[0-9]+)?%"
RATE_PATTERN = r"x-slow|slow|medium|fast|x-fast|[0-9]+(\.[0-9]+)?%"
VOLUME_PATTERN = r"silent|x-soft|soft|medium|loud|x-loud|default|[+-][0-9]+(\.[0-9]+)?dB"

_BREAK_TIME = re.compile(BREAK_TIME_PATTERN)


def _break_time_problem(value: str) -> str | None:
    match = _BREAK_TIME.fullmatch(value)
    if match is None:
        return "is not a duration like '500ms' or '1.5s'"
    amount = float(value[: -len(match.group(2))])
    seconds = amount / 1000 if match.group(2) == "ms" else amount
    return "is longer than the 10s maximum" if seconds > 10 else None


class SsmlNode(Element):
    """Base of the SSML nodes that may appear inside SpeakSentence."""

    __slots__ = ()

    CONTENT: ClassVar[ContentKind] = "mixed"


class Break(SsmlNode, tag="break"):
    """A pause: by ``strength`` or by ``time`` (at most 10 s, e.g. ``"750ms"``)."""

    __slots__ = ()

    CONTENT = "empty"
    strength = Choice(*BreakStrength.__args__, default="medium")  # type: ignore[attr-defined]
    time = Custom(_break_time_problem)

    def __init__(self, *, strength: BreakStrength | None = None, time: str | None = None) -> None:
        self._setup((), locals())


class SayAs(SsmlNode, tag="say-as"):
    """Say the text as a date, time, telephone number, characters or number."""

    __slots__ = ()

    interpret_as = Choice(*InterpretAs.__args__, required=True)  # type: ignore[attr-defined]
    format = Choice(*DateFormat.__args__)  # type: ignore[attr-defined]

    def __init__(
        self, *content: str, interpret_as: InterpretAs, format: DateFormat | None = None
    ) -> None:
        self._setup(content, locals())

    def _check_rules(self) -> None:
        if self.format is not None and self.interpret_as != "date":
            raise InvalidValueError(
                f"say-as.format: {self.format!r} is only allowed with interpret_as='date'"
            )


class Sub(SsmlNode, tag="sub"):
    """Say ``alias`` instead of the text."""

    __slots__ = ()

    alias = Text(min_length=1, required=True)

    def __init__(self, *content: str, alias: str) -> None:
        self._setup(content, locals())


class Phoneme(SsmlNode, tag="phoneme"):
    """Pronounce the text with the IPA string ``ph``."""

    __slots__ = ()

    ph = Text(min_length=1, required=True)

    def __init__(self, *content: str, ph: str) -> None:
        self._setup(content, locals())


Inline = str | Break | SayAs | Sub | Phoneme


class Emphasis(SsmlNode, tag="emphasis"):
    """Stress the content at ``level`` strong, moderate or reduced."""

    __slots__ = ()

    level = Choice(*EmphasisLevel.__args__)  # type: ignore[attr-defined]

    def __init__(
        self, *content: Inline | Emphasis | Prosody | Lang, level: EmphasisLevel | None = None
    ) -> None:
        self._setup(content, locals())


class Prosody(SsmlNode, tag="prosody"):
    """Change pitch, rate or volume of the content."""

    __slots__ = ()

    pitch = Text(pattern=PITCH_PATTERN, pattern_help="a pitch (x-low..x-high, default or ±N%)")
    rate = Text(pattern=RATE_PATTERN, pattern_help="a rate (x-slow..x-fast or N%)")
    volume = Text(pattern=VOLUME_PATTERN, pattern_help="a volume (silent..x-loud, default or ±NdB)")

    def __init__(
        self,
        *content: Inline | Emphasis | Prosody | Lang,
        pitch: str | None = None,
        rate: str | None = None,
        volume: str | None = None,
    ) -> None:
        self._setup(content, locals())


class Lang(SsmlNode, tag="lang"):
    """Speak the content in another language (the voice keeps its accent)."""

    __slots__ = ()

    xml_lang = Choice(*LANGUAGES, required=True)

    def __init__(self, *content: Inline | Emphasis | Prosody | Lang, xml_lang: Language) -> None:
        self._setup(content, locals())


class S(SsmlNode, tag="s"):
    """A sentence (adds a sentence pause)."""

    __slots__ = ()

    def __init__(self, *content: Inline | Emphasis | Prosody | Lang) -> None:
        self._setup(content, locals())


class P(SsmlNode, tag="p"):
    """A paragraph (adds a paragraph pause)."""

    __slots__ = ()

    def __init__(self, *content: Inline | Emphasis | Prosody | Lang | S) -> None:
        self._setup(content, locals())


_PHRASE: tuple[type[Element], ...] = (Break, SayAs, Sub, Phoneme, Emphasis, Prosody, Lang)
for _node in (Emphasis, Prosody, Lang, S):
    allow_children(_node, *_PHRASE)
allow_children(P, *_PHRASE, S)

#: Everything SpeakSentence may hold besides text.
NODE_TYPES: tuple[type[Element], ...] = (*_PHRASE, S, P)

Node = Break | SayAs | Sub | Phoneme | Emphasis | Prosody | Lang | S | P

__all__ = [
    "BREAK_TIME_PATTERN",
    "LANGUAGES",
    "NODE_TYPES",
    "PITCH_PATTERN",
    "RATE_PATTERN",
    "VOLUME_PATTERN",
    "Break",
    "BreakStrength",
    "DateFormat",
    "Emphasis",
    "EmphasisLevel",
    "Inline",
    "InterpretAs",
    "Lang",
    "Language",
    "Node",
    "P",
    "Phoneme",
    "Prosody",
    "S",
    "SayAs",
    "SsmlNode",
    "Sub",
]
