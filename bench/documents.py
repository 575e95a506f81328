"""The three benchmark documents, built the same way by every library.

small: one SpeakSentence. medium: an IVR menu (Gather holding SpeakSentence and PlayAudio,
Transfer to two PhoneNumbers, Pause, Redirect). large: 500 SpeakSentences with attributes.

Each library gets a :class:`Library`: per document, a function that builds the tree the
way a user of that library would, and a function that serializes it with an XML
declaration. Peers are imported only when their library is made, so a missing peer is an
``ImportError`` the runner reports as a skipped case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr

SIZES = ("small", "medium", "large")

VOICE: Final = "julie"
LOCALE: Final = "en_US"
SMALL_TEXT = "Thank you for calling Example Corp."
MENU_TEXT = "Welcome to Example Corp. For sales & billing press 1, for support press 2."
MENU_AUDIO = "https://media.example.com/prompts/menu.wav"
# The & exercises attribute escaping in every library.
GATHER_URL = "https://app.example.com/menu?step=1&lang=en"
MAX_DIGITS = 1
CALLER_ID = "+15555550100"
TRANSFER_URL = "https://app.example.com/transfer-complete"
NUMBERS = ("+15555550101", "+15555550102")
PAUSE_SECONDS = 2
REDIRECT_URL = "https://app.example.com/voicemail"
LARGE_TEXTS = tuple(f"This is sentence number {i} of the large document." for i in range(500))

# Twilio has no BXML vocabulary; these are the closest TwiML values.
TWILIO_VOICE = "alice"
TWILIO_LANGUAGE = "en-US"

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

Builder = Callable[[], Any]


@dataclass(frozen=True)
class Library:
    """How one library builds each document and serializes a built tree."""

    name: str
    build: dict[str, Builder]
    serialize: Callable[[Any], str | bytes]
    #: False when the output uses another vocabulary (TwiML) and cannot equal BXML.
    same_markup: bool = True

    def build_and_serialize(self, size: str) -> Callable[[], str | bytes]:
        """Return a function that builds the ``size`` document and serializes it."""
        build, serialize = self.build[size], self.serialize
        return lambda: serialize(build())


# -- bxml (ours) --------------------------------------------------------------------------


def ours() -> Library:
    """bxml: verb objects passed to ``Response``, then ``to_xml()``."""
    from bxml import (
        Gather,
        Pause,
        PhoneNumber,
        PlayAudio,
        Redirect,
        Response,
        SpeakSentence,
        Transfer,
    )

    def small() -> Any:
        return Response(SpeakSentence(SMALL_TEXT, voice=VOICE))

    def medium() -> Any:
        return Response(
            Gather(
                SpeakSentence(MENU_TEXT, voice=VOICE),
                PlayAudio(MENU_AUDIO),
                gather_url=GATHER_URL,
                max_digits=MAX_DIGITS,
            ),
            Transfer(
                PhoneNumber(NUMBERS[0]),
                PhoneNumber(NUMBERS[1]),
                transfer_caller_id=CALLER_ID,
                transfer_complete_url=TRANSFER_URL,
            ),
            Pause(duration=PAUSE_SECONDS),
            Redirect(redirect_url=REDIRECT_URL),
        )

    def large() -> Any:
        return Response(*[SpeakSentence(text, voice=VOICE, locale=LOCALE) for text in LARGE_TEXTS])

    return Library("bxml", {"small": small, "medium": medium, "large": large}, _to_xml)


def _to_xml(doc: Any) -> str:
    text: str = doc.to_xml()
    return text


# -- bandwidth-sdk --------------------------------------------------------------------------


def bandwidth() -> Library:
    """bandwidth-sdk: ``bandwidth.models.bxml`` verbs in lists, then ``to_bxml()``."""
    from bandwidth.models import bxml as bw

    # Lists are always passed: the SDK's list defaults are shared mutable objects.
    def small() -> Any:
        return bw.Response([bw.SpeakSentence(SMALL_TEXT, voice=VOICE)])

    def medium() -> Any:
        return bw.Response(
            [
                bw.Gather(
                    [bw.SpeakSentence(MENU_TEXT, voice=VOICE), bw.PlayAudio(MENU_AUDIO)],
                    gather_url=GATHER_URL,
                    max_digits=MAX_DIGITS,
                ),
                bw.Transfer(
                    [bw.PhoneNumber(NUMBERS[0]), bw.PhoneNumber(NUMBERS[1])],
                    transfer_caller_id=CALLER_ID,
                    transfer_complete_url=TRANSFER_URL,
                ),
                bw.Pause(duration=PAUSE_SECONDS),
                bw.Redirect(redirect_url=REDIRECT_URL),
            ]
        )

    def large() -> Any:
        return bw.Response(
            [bw.SpeakSentence(text, voice=VOICE, locale=LOCALE) for text in LARGE_TEXTS]
        )

    return Library("bandwidth-sdk", {"small": small, "medium": medium, "large": large}, _to_bxml)


def _to_bxml(doc: Any) -> str:
    text: str = doc.to_bxml()
    return text


# -- twilio ---------------------------------------------------------------------------------


def twilio() -> Library:
    """twilio: ``VoiceResponse`` with its builder methods (Say, Gather, Play, Dial, ...)."""
    from twilio.twiml.voice_response import VoiceResponse

    def small() -> Any:
        response = VoiceResponse()
        response.say(SMALL_TEXT, voice=TWILIO_VOICE)
        return response

    def medium() -> Any:
        response = VoiceResponse()
        gather = response.gather(action=GATHER_URL, num_digits=MAX_DIGITS)
        gather.say(MENU_TEXT, voice=TWILIO_VOICE)
        gather.play(MENU_AUDIO)
        dial = response.dial(caller_id=CALLER_ID, action=TRANSFER_URL)
        dial.number(NUMBERS[0])
        dial.number(NUMBERS[1])
        response.pause(length=PAUSE_SECONDS)
        response.redirect(REDIRECT_URL)
        return response

    def large() -> Any:
        response = VoiceResponse()
        for text in LARGE_TEXTS:
            response.say(text, voice=TWILIO_VOICE, language=TWILIO_LANGUAGE)
        return response

    return Library(
        "twilio",
        {"small": small, "medium": medium, "large": large},
        _twiml,
        same_markup=False,
    )


def _twiml(doc: Any) -> str:
    text: str = doc.to_xml(xml_declaration=True)
    return text


# -- raw lxml (the floor for a tree) ------------------------------------------------------


def raw_lxml() -> Library:
    """lxml.etree: ``SubElement`` calls, then ``tostring`` with a declaration."""
    from lxml import etree

    sub = etree.SubElement

    def speak(parent: Any, text: str, **attributes: str) -> None:
        sub(parent, "SpeakSentence", attributes).text = text

    def small() -> Any:
        root = etree.Element("Response")
        speak(root, SMALL_TEXT, voice=VOICE)
        return root

    def medium() -> Any:
        root = etree.Element("Response")
        gather = sub(root, "Gather", gatherUrl=GATHER_URL, maxDigits=str(MAX_DIGITS))
        speak(gather, MENU_TEXT, voice=VOICE)
        sub(gather, "PlayAudio").text = MENU_AUDIO
        transfer = sub(
            root, "Transfer", transferCallerId=CALLER_ID, transferCompleteUrl=TRANSFER_URL
        )
        for number in NUMBERS:
            sub(transfer, "PhoneNumber").text = number
        sub(root, "Pause", duration=str(PAUSE_SECONDS))
        sub(root, "Redirect", redirectUrl=REDIRECT_URL)
        return root

    def large() -> Any:
        root = etree.Element("Response")
        for text in LARGE_TEXTS:
            speak(root, text, voice=VOICE, locale=LOCALE)
        return root

    def serialize(root: Any) -> bytes:
        data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        return data

    return Library("raw lxml", {"small": small, "medium": medium, "large": large}, serialize)


# -- plain strings (the floor for text) ---------------------------------------------------


def _speak_markup(text: str, voice: str, locale: str | None = None) -> str:
    attributes = f" voice={quoteattr(voice)}"
    if locale is not None:
        attributes += f" locale={quoteattr(locale)}"
    return f"<SpeakSentence{attributes}>{escape(text)}</SpeakSentence>"


def plain_strings() -> Library:
    """f-strings with ``xml.sax.saxutils`` escape/quoteattr: no tree at all."""

    def small() -> str:
        return f"{XML_DECLARATION}<Response>{_speak_markup(SMALL_TEXT, VOICE)}</Response>"

    def medium() -> str:
        numbers = "".join(f"<PhoneNumber>{escape(n)}</PhoneNumber>" for n in NUMBERS)
        return (
            f"{XML_DECLARATION}<Response>"
            f'<Gather gatherUrl={quoteattr(GATHER_URL)} maxDigits="{MAX_DIGITS}">'
            f"{_speak_markup(MENU_TEXT, VOICE)}<PlayAudio>{escape(MENU_AUDIO)}</PlayAudio>"
            f"</Gather>"
            f"<Transfer transferCallerId={quoteattr(CALLER_ID)}"
            f" transferCompleteUrl={quoteattr(TRANSFER_URL)}>{numbers}</Transfer>"
            f'<Pause duration="{PAUSE_SECONDS}"/>'
            f"<Redirect redirectUrl={quoteattr(REDIRECT_URL)}/>"
            f"</Response>"
        )

    def large() -> str:
        body = "".join(_speak_markup(text, VOICE, LOCALE) for text in LARGE_TEXTS)
        return f"{XML_DECLARATION}<Response>{body}</Response>"

    return Library("plain strings", {"small": small, "medium": medium, "large": large}, _identity)


def _identity(text: Any) -> str:
    result: str = text
    return result


#: Every library of the build case by name, ours first.
LIBRARIES: dict[str, Callable[[], Library]] = {
    "bxml": ours,
    "bandwidth-sdk": bandwidth,
    "twilio": twilio,
    "raw lxml": raw_lxml,
    "plain strings": plain_strings,
}


def canonical(xml: str | bytes) -> bytes:
    """Return the C14N form of a document, to check that libraries wrote the same tree."""
    from lxml import etree

    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    result: bytes = etree.tostring(etree.fromstring(data), method="c14n")
    return result


def document_bytes(size: str) -> bytes:
    """Return the ``size`` document as written by bxml, UTF-8 (input of parse/validate)."""
    return ours().build[size]().to_bytes()  # type: ignore[no-any-return]
