"""The 31 BXML elements, one class each, named exactly as the XML elements.

Attributes are keyword-only snake_case parameters; the camelCase XML names are derived in
one place (:func:`bxml._values.xml_name`). Text content is the first positional argument;
children are positional arguments of containers. Every value is checked when it is set::

    Gather(SpeakSentence("Press 1"), gather_url="/menu", max_digits=1)
    Gather(max_digits=99)   # InvalidValueError: Gather.max_digits: 99 is out of range 1..50
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal, TypeAlias, get_args

from ._builder import Container, leaf
from ._element import Element
from ._values import (
    XML_SPACE,
    Choice,
    Flag,
    Integer,
    Method,
    Number,
    SocketUrl,
    Text,
    Url,
    is_https,
    is_relative,
    url_userinfo,
)
from .exceptions import InvalidValueError
from .ssml import NODE_TYPES, Node

HttpMethod = Literal["GET", "POST"]
Tracks = Literal["inbound", "outbound", "both"]
FileFormat = Literal["wav", "mp3"]
DiversionTreatment = Literal["none", "propagate", "stack"]
DiversionReason = Literal[
    "unknown", "user-busy", "no-answer", "unavailable", "unconditional", "time-of-day",
    "do-not-disturb", "deflection", "follow-me", "out-of-service", "away",
]  # fmt: skip
Gender = Literal["female", "male"]
Locale = Literal[
    "en_US", "en_UK", "de", "es", "es_MX", "es_US", "fr", "fr_CA", "it", "ja", "ru", "arb",
    "cmn-CN", "en_AU", "en_IN", "da_DK", "ro_RO", "nl_NL", "en_GB", "en_GB_WLS",
]  # fmt: skip
Voice = Literal[
    # Documented voices.
    "julie", "kate", "susan", "dave", "paul", "bridget", "simon", "katrin", "stefan",
    "esperanza", "violeta", "jorge", "rosa", "jolie", "bernard", "paola", "luca", "masako",
    "kenji", "nadiya", "anatoli", "zeina", "zhiyu", "ruth", "stephen", "lupe", "pedro",
    "gabrielle", "liam",
    # Voices of the official Java SDK's enum that the docs do not list.
    "salli", "salli_enh", "chantal", "miguel", "joey", "joey_enh", "penelope", "russell",
    "emma", "emma_enh", "nicole", "raveena", "mads", "naja", "justin", "ivy", "ivy_enh",
    "carmen", "ruben", "geraint",
]  # fmt: skip
StreamMode = Literal["unidirectional", "bidirectional"]

# Formats, shared with the XSD (which anchors patterns implicitly).
E164_PATTERN = r"\+[1-9][0-9]{1,14}"
SIP_URI_PATTERN = r"sips?:[^ \t\n\r]+"
CALLER_ID_KEYWORDS = ("Restricted", "Anonymous", "Private", "Unavailable")
CALLER_ID_PATTERN = rf"({E164_PATTERN}|{'|'.join(CALLER_ID_KEYWORDS)})?"
DTMF_PATTERN = r"[0-9*#a-dA-D,wW]{1,50}"
DIGITS_PATTERN = r"[0-9*#]*"
CONFERENCE_NAME_PATTERN = r"[A-Za-z0-9_.\-]{1,100}"
DISPLAY_NAME_PATTERN = r"[^\x00-\x1f\x7f]{0,256}"
UUI_PATTERN = r"[^;]+(;[^;=]+=[^;]*)*;encoding=(base64|jwt)(;[^;=]+=[^;]*)*"
UUI_HEX_PATTERN = r"[^;]+(;[^;=]+=[^;]*)*;encoding=(base64|jwt|hex)(;[^;=]+=[^;]*)*"
TAG_MAX = 256

_E164 = re.compile(E164_PATTERN)
_SIP = re.compile(SIP_URI_PATTERN)
_DTMF = re.compile(DTMF_PATTERN)
_CONFERENCE = re.compile(CONFERENCE_NAME_PATTERN)


def _choices(kind: object) -> tuple[str, ...]:
    return tuple(kind.__args__)  # type: ignore[attr-defined]


def _tag() -> Text:
    return Text(max_length=TAG_MAX)


def _uui(pattern: str, encodings: str) -> Text:
    return Text(
        max_length=256,
        pattern=pattern,
        pattern_help=f"a User-To-User value ending in ;encoding={encodings}",
    )


def _caller_id() -> Text:
    return Text(
        pattern=CALLER_ID_PATTERN, pattern_help="an E.164 number or " + "/".join(CALLER_ID_KEYWORDS)
    )


def _display_name() -> Text:
    return Text(
        pattern=DISPLAY_NAME_PATTERN,
        pattern_help="at most 256 characters without control characters",
    )


class Verb(Element):
    """Base of every BXML verb and nested verb element."""

    __slots__ = ()

    def __init__(self) -> None:
        self._setup((), locals())


class _Credentials(Verb):
    __slots__ = ()
    username = Text()
    password = Text(secret=True)


class _FallbackCredentials(Verb):
    __slots__ = ()
    fallback_username = Text()
    fallback_password = Text(secret=True)


class _HttpsWithCredentials(Verb):
    """A verb that sends credentials to its callback URLs only over https: Record,
    StartRecording, StartStream and StartTranscription. Bandwidth's docs say that with
    username/password set the URLs must be https, and with fallbackUsername/Password the
    Record's fallback URL (bxml-spec §1.2, §4.16, §4.20, §4.21, §4.23). A URL that carries
    credentials itself (``user:password@``) must be https on these verbs too. A relative
    URL takes the scheme of the document's URL, so it is left to that URL."""

    __slots__ = ()

    #: (credential attributes, the URL attributes they are sent to), per verb.
    HTTPS_WITH: ClassVar[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = ()

    def _check_rules(self) -> None:
        values = self._values
        for secrets, urls in self.HTTPS_WITH:
            for name in urls:
                url = values.get(name)
                if url is not None and not url.startswith("https://") and not is_https(url):
                    self._check_plain_url(name, url, [s for s in secrets if s in values])

    def _check_plain_url(self, name: str, url: str, secrets: list[str]) -> None:
        shown = self._BY_NAME[name].shown(url)
        if secrets and not is_relative(url):
            given = "/".join(secrets)
            raise InvalidValueError(
                f"{self.TAG}.{name}: {shown} is not https; with {given} set, Bandwidth "
                "requires https URLs (bxml-spec §1.2)"
            )
        if url_userinfo(url) is not None:
            raise InvalidValueError(
                f"{self.TAG}.{name}: {shown} carries credentials (user:password@), so it "
                "must be an https URL (bxml-spec §1.2)"
            )


_CREDENTIALS = ("username", "password")
_FALLBACK_CREDENTIALS = ("fallback_username", "fallback_password")


# -- leaves with text ------------------------------------------------------------------


class SpeakSentence(Verb, tag="SpeakSentence"):
    """Speak text with text-to-speech; SSML nodes from :mod:`bxml.ssml` may be mixed in."""

    __slots__ = ()

    CONTENT = "mixed"
    CHILD_TYPES = NODE_TYPES
    voice = Choice(*_choices(Voice))
    gender = Choice(*_choices(Gender), default="female")
    locale = Choice(*_choices(Locale), default="en_US")

    def __init__(
        self,
        *content: str | Node,
        voice: Voice | None = None,
        gender: Gender | None = None,
        locale: Locale | None = None,
    ) -> None:
        self._setup(content, locals())

    def _check_rules(self) -> None:
        for item in self._content:
            if type(item) is not str or item.strip(XML_SPACE):
                return
        raise InvalidValueError("SpeakSentence: text is required and may not be blank")

    @classmethod
    def from_ssml(
        cls,
        markup: str,
        *,
        voice: Voice | None = None,
        gender: Gender | None = None,
        locale: Locale | None = None,
    ) -> SpeakSentence:
        """Build from a fragment of trusted SSML markup; unknown tags are refused."""
        from .parse import parse_ssml

        content: list[Any] = parse_ssml(markup)
        return cls(*content, voice=voice, gender=gender, locale=locale)

    @property
    def text(self) -> str:
        """The spoken text with SSML tags left out."""
        return "".join(_plain_text(item) for item in self._content)


def _plain_text(item: str | Element) -> str:
    if isinstance(item, str):
        return item
    return "".join(_plain_text(sub) for sub in item._content)


class _TextVerb(Verb):
    """A verb whose content is one string (the first positional argument)."""

    __slots__ = ()

    CONTENT = "text"

    @property
    def text(self) -> str:
        """The element's text content."""
        return self._content[0] if self._content else ""


class PlayAudio(_TextVerb, tag="PlayAudio"):
    """Play a WAV or MP3 file from a URL (absolute, or relative to the document's URL)."""

    __slots__ = ()

    username = Text()
    password = Text(secret=True)

    def __init__(
        self, text: str, /, *, username: str | None = None, password: str | None = None
    ) -> None:
        self._setup((text,), locals())


class SendDtmf(_TextVerb, tag="SendDtmf"):
    """Play DTMF tones: 0-9 * # a-d A-D, with ``,``/``w`` (0.5 s) and ``W`` (1 s) pauses."""

    __slots__ = ()

    tone_duration = Number(50, 5000, unit=" ms", default=200)
    tone_interval = Number(50, 5000, unit=" ms", default=400)

    def __init__(
        self,
        text: str,
        /,
        *,
        tone_duration: float | None = None,
        tone_interval: float | None = None,
    ) -> None:
        self._setup((text,), locals())

    def _text_problem(self, text: str) -> str | None:
        if _DTMF.fullmatch(text.strip(XML_SPACE)) is None:
            return "is not 1 to 50 DTMF characters from 0-9 * # a-d A-D , w W"
        return None


class Tag(_TextVerb, tag="Tag"):
    """Set the call's sticky tag, sent on later callbacks; empty text clears it."""

    __slots__ = ()

    TEXT_REQUIRED = False

    def __init__(self, text: str = "", /) -> None:
        self._setup((text,), locals())

    def _text_problem(self, text: str) -> str | None:
        return f"is {len(text)} characters long; at most {TAG_MAX}" if len(text) > TAG_MAX else None


class Bridge(_Credentials, _FallbackCredentials, _TextVerb, tag="Bridge"):
    """Bridge this call with another existing call, given by its call id."""

    __slots__ = ()

    bridge_complete_url = Url()
    bridge_complete_method = Method()
    bridge_complete_fallback_url = Url()
    bridge_complete_fallback_method = Method()
    bridge_target_complete_url = Url()
    bridge_target_complete_method = Method()
    bridge_target_complete_fallback_url = Url()
    bridge_target_complete_fallback_method = Method()
    tag = _tag()

    def __init__(
        self,
        text: str,
        /,
        *,
        bridge_complete_url: str | None = None,
        bridge_complete_method: HttpMethod | None = None,
        bridge_complete_fallback_url: str | None = None,
        bridge_complete_fallback_method: HttpMethod | None = None,
        bridge_target_complete_url: str | None = None,
        bridge_target_complete_method: HttpMethod | None = None,
        bridge_target_complete_fallback_url: str | None = None,
        bridge_target_complete_fallback_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        fallback_username: str | None = None,
        fallback_password: str | None = None,
        tag: str | None = None,
    ) -> None:
        self._setup((text,), locals())


class Conference(_Credentials, _FallbackCredentials, _TextVerb, tag="Conference"):
    """Join (or create) the named conference: up to 100 of ``A-Z a-z 0-9 - _ .``."""

    __slots__ = ()

    mute = Flag(default=False)
    hold = Flag(default=False)
    call_ids_to_coach = Text(default="")
    conference_event_url = Url()
    conference_event_method = Method()
    conference_event_fallback_url = Url()
    conference_event_fallback_method = Method()
    tag = _tag()
    callback_timeout = Number(1, 25, unit=" s")

    def __init__(
        self,
        text: str,
        /,
        *,
        mute: bool | None = None,
        hold: bool | None = None,
        call_ids_to_coach: str | None = None,
        conference_event_url: str | None = None,
        conference_event_method: HttpMethod | None = None,
        conference_event_fallback_url: str | None = None,
        conference_event_fallback_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        fallback_username: str | None = None,
        fallback_password: str | None = None,
        tag: str | None = None,
        callback_timeout: float | None = None,
    ) -> None:
        self._setup((text,), locals())

    def _text_problem(self, text: str) -> str | None:
        if _CONFERENCE.fullmatch(text) is None:
            return "is not a conference name (1 to 100 of A-Z a-z 0-9 - _ .)"
        return None


class _TransferTarget(_Credentials, _FallbackCredentials, _TextVerb):
    __slots__ = ()

    transfer_answer_url = Url()
    transfer_answer_method = Method()
    transfer_answer_fallback_url = Url()
    transfer_answer_fallback_method = Method()
    transfer_disconnect_url = Url()
    transfer_disconnect_method = Method()
    tag = _tag()
    uui = Text(max_length=256)  # each destination kind narrows the encodings

    def __init__(
        self,
        text: str,
        /,
        *,
        transfer_answer_url: str | None = None,
        transfer_answer_method: HttpMethod | None = None,
        transfer_answer_fallback_url: str | None = None,
        transfer_answer_fallback_method: HttpMethod | None = None,
        transfer_disconnect_url: str | None = None,
        transfer_disconnect_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        fallback_username: str | None = None,
        fallback_password: str | None = None,
        tag: str | None = None,
        uui: str | None = None,
    ) -> None:
        self._setup((text,), locals())


class PhoneNumber(_TransferTarget, tag="PhoneNumber"):
    """A Transfer destination given as an E.164 number, e.g. ``+15554567892``."""

    __slots__ = ()

    uui = _uui(UUI_HEX_PATTERN, "base64|jwt|hex")

    def _text_problem(self, text: str) -> str | None:
        if _E164.fullmatch(text.strip(XML_SPACE)) is None:
            return "is not an E.164 number like +15554567892"
        return None


class SipUri(_TransferTarget, tag="SipUri"):
    """A Transfer destination given as a SIP URI, e.g. ``sip:user@server.example``."""

    __slots__ = ()

    uui = _uui(UUI_PATTERN, "base64|jwt")

    def _text_problem(self, text: str) -> str | None:
        if _SIP.fullmatch(text.strip(XML_SPACE)) is None:
            return "is not a SIP URI like sip:user@server.example"
        return None


class Endpoint(_TextVerb, tag="Endpoint"):
    """A BRTC endpoint id to connect to (inside Connect)."""

    __slots__ = ()

    def __init__(self, text: str, /) -> None:
        self._setup((text,), locals())


# -- leaves without content ------------------------------------------------------------


class Hangup(Verb, tag="Hangup"):
    """End the call (or reject it, unbilled, when not yet answered)."""

    __slots__ = ()


class Pause(Verb, tag="Pause"):
    """Silence for ``duration`` seconds (0.1 to 86400, default 1)."""

    __slots__ = ()

    duration = Number(0.1, 86400, unit=" s", default=1)

    def __init__(self, *, duration: float | None = None) -> None:
        self._setup((), locals())


class Ring(Verb, tag="Ring"):
    """Play ringback for ``duration`` seconds (0.1 to 86400, default 5)."""

    __slots__ = ()

    duration = Number(0.1, 86400, unit=" s", default=5)
    answer_call = Flag(default=True)

    def __init__(self, *, duration: float | None = None, answer_call: bool | None = None) -> None:
        self._setup((), locals())


class PauseRecording(Verb, tag="PauseRecording"):
    """Pause the recording started by StartRecording."""

    __slots__ = ()


class ResumeRecording(Verb, tag="ResumeRecording"):
    """Resume a paused recording."""

    __slots__ = ()


class StopRecording(Verb, tag="StopRecording"):
    """Stop the recording started by StartRecording."""

    __slots__ = ()


class StopGather(Verb, tag="StopGather"):
    """Stop the background digit collection started by StartGather."""

    __slots__ = ()


class Forward(Verb, tag="Forward"):
    """Forward an unanswered inbound call; the application loses control of both legs."""

    __slots__ = ()

    to = Text(
        required=True,
        pattern=f"{E164_PATTERN}|{SIP_URI_PATTERN}",
        pattern_help="an E.164 number or a SIP URI",
    )
    from_ = _caller_id()
    privacy = Flag()
    caller_display_name = _display_name()
    call_timeout = Number(1, 300, unit=" s", default=30)
    diversion_treatment = Choice(*_choices(DiversionTreatment), default="none")
    diversion_reason = Choice(*_choices(DiversionReason), default="unknown")
    uui = _uui(UUI_PATTERN, "base64|jwt")

    def __init__(
        self,
        *,
        to: str,
        from_: str | None = None,
        privacy: bool | None = None,
        caller_display_name: str | None = None,
        call_timeout: float | None = None,
        diversion_treatment: DiversionTreatment | None = None,
        diversion_reason: DiversionReason | None = None,
        uui: str | None = None,
    ) -> None:
        self._setup((), locals())


class Record(_Credentials, _FallbackCredentials, _HttpsWithCredentials, tag="Record"):
    """Record one segment, voicemail style; the next document comes from recordCompleteUrl."""

    __slots__ = ()

    HTTPS_WITH = (
        (
            _CREDENTIALS,
            ("record_complete_url", "recording_available_url", "transcription_available_url"),
        ),
        (_FALLBACK_CREDENTIALS, ("record_complete_fallback_url",)),
    )

    record_complete_url = Url()
    record_complete_method = Method()
    record_complete_fallback_url = Url()
    record_complete_fallback_method = Method()
    recording_available_url = Url()
    recording_available_method = Method()
    transcribe = Flag(default=False)
    detect_language = Flag(default=False)
    transcription_available_url = Url()
    transcription_available_method = Method()
    tag = _tag()
    terminating_digits = Text(pattern=DIGITS_PATTERN, pattern_help="made of 0-9 * #", default="#")
    max_duration = Integer(1, 10800, unit=" s", default=60)
    silence_timeout = Number(0, 10800, unit=" s", default=0)
    file_format = Choice(*_choices(FileFormat), default="wav")

    def __init__(
        self,
        *,
        record_complete_url: str | None = None,
        record_complete_method: HttpMethod | None = None,
        record_complete_fallback_url: str | None = None,
        record_complete_fallback_method: HttpMethod | None = None,
        recording_available_url: str | None = None,
        recording_available_method: HttpMethod | None = None,
        transcribe: bool | None = None,
        detect_language: bool | None = None,
        transcription_available_url: str | None = None,
        transcription_available_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        fallback_username: str | None = None,
        fallback_password: str | None = None,
        tag: str | None = None,
        terminating_digits: str | None = None,
        max_duration: int | None = None,
        silence_timeout: float | None = None,
        file_format: FileFormat | None = None,
    ) -> None:
        self._setup((), locals())


class Redirect(_Credentials, _FallbackCredentials, Verb, tag="Redirect"):
    """Fetch the next document from ``redirect_url``; later verbs never run."""

    __slots__ = ()

    redirect_url = Url(required=True)
    redirect_method = Method()
    redirect_fallback_url = Url()
    redirect_fallback_method = Method()
    tag = _tag()

    def __init__(
        self,
        *,
        redirect_url: str,
        redirect_method: HttpMethod | None = None,
        redirect_fallback_url: str | None = None,
        redirect_fallback_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        fallback_username: str | None = None,
        fallback_password: str | None = None,
        tag: str | None = None,
    ) -> None:
        self._setup((), locals())


class StartGather(_Credentials, Verb, tag="StartGather"):
    """Collect digits in the background, one ``dtmf`` callback per digit."""

    __slots__ = ()

    dtmf_url = Url(required=True)
    dtmf_method = Method()
    tag = _tag()

    def __init__(
        self,
        *,
        dtmf_url: str,
        dtmf_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        tag: str | None = None,
    ) -> None:
        self._setup((), locals())


class StartRecording(_Credentials, _HttpsWithCredentials, tag="StartRecording"):
    """Record the call (or conference) in the background until StopRecording."""

    __slots__ = ()

    HTTPS_WITH = ((_CREDENTIALS, ("recording_available_url", "transcription_available_url")),)

    recording_available_url = Url()
    recording_available_method = Method()
    transcribe = Flag(default=False)
    detect_language = Flag(default=False)
    transcription_available_url = Url()
    transcription_available_method = Method()
    tag = _tag()
    file_format = Choice(*_choices(FileFormat), default="wav")
    multi_channel = Flag(default=False)

    def __init__(
        self,
        *,
        recording_available_url: str | None = None,
        recording_available_method: HttpMethod | None = None,
        transcribe: bool | None = None,
        detect_language: bool | None = None,
        transcription_available_url: str | None = None,
        transcription_available_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        tag: str | None = None,
        file_format: FileFormat | None = None,
        multi_channel: bool | None = None,
    ) -> None:
        self._setup((), locals())


class StopStream(Verb, tag="StopStream"):
    """Stop the named media stream; with ``wait=True`` block until its socket closes."""

    __slots__ = ()

    name = Text(required=True, min_length=1)
    wait = Flag(default=False)

    def __init__(self, *, name: str, wait: bool | None = None) -> None:
        self._setup((), locals())


class StopTranscription(Verb, tag="StopTranscription"):
    """Stop the named real-time transcription, or all of them when no name is given."""

    __slots__ = ()

    name = Text(min_length=1)

    def __init__(self, *, name: str | None = None) -> None:
        self._setup((), locals())


class _Param(Verb):
    __slots__ = ()

    name = Text(required=True, min_length=1, max_length=256)
    value = Text(required=True, max_length=2048)

    def __init__(self, *, name: str, value: str) -> None:
        self._setup((), locals())


class StreamParam(_Param, tag="StreamParam"):
    """A name/value pair sent in the media stream's ``start`` message."""

    __slots__ = ()


class CustomParam(_Param, tag="CustomParam"):
    """A name/value pair sent in the transcription's ``start`` message."""

    __slots__ = ()


# -- containers ------------------------------------------------------------------------


class Gather(
    _Credentials, _FallbackCredentials, Container[SpeakSentence | PlayAudio], Verb, tag="Gather"
):
    """Collect DTMF digits while the nested prompts play; send them to ``gather_url``."""

    __slots__ = ()

    CHILD_TYPES = (SpeakSentence, PlayAudio)
    MAX_PROMPTS: ClassVar[int] = 20
    gather_url = Url()
    gather_method = Method()
    gather_fallback_url = Url()
    gather_fallback_method = Method()
    tag = _tag()
    terminating_digits = Text(pattern=DIGITS_PATTERN, pattern_help="made of 0-9 * #", default="")
    max_digits = Integer(1, 50, default=50)
    inter_digit_timeout = Number(1, 60, unit=" s", default=5)
    first_digit_timeout = Number(0, 60, unit=" s", default=5)
    repeat_count = Integer(1, 20, default=1)

    def __init__(
        self,
        *children: SpeakSentence | PlayAudio,
        gather_url: str | None = None,
        gather_method: HttpMethod | None = None,
        gather_fallback_url: str | None = None,
        gather_fallback_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        fallback_username: str | None = None,
        fallback_password: str | None = None,
        tag: str | None = None,
        terminating_digits: str | None = None,
        max_digits: int | None = None,
        inter_digit_timeout: float | None = None,
        first_digit_timeout: float | None = None,
        repeat_count: int | None = None,
    ) -> None:
        self._setup(children, locals())

    def _check_rules(self) -> None:
        repeat = self._values.get("repeat_count") or 1
        total = len(self._content) * repeat
        if total > self.MAX_PROMPTS:
            raise InvalidValueError(
                f"Gather: {len(self._content)} prompts x repeat_count {repeat} = {total}; "
                f"at most {self.MAX_PROMPTS} prompts may play"
            )

    speak_sentence = leaf(SpeakSentence)
    play_audio = leaf(PlayAudio)


class Transfer(
    _Credentials, _FallbackCredentials, Container[PhoneNumber | SipUri], Verb, tag="Transfer"
):
    """Dial 1 to 8 destinations at once and bridge the first that answers."""

    __slots__ = ()

    CHILD_TYPES = (PhoneNumber, SipUri)
    MIN_CHILDREN = 1
    MAX_CHILDREN = 8
    transfer_caller_id = _caller_id()
    privacy = Flag()
    transfer_caller_display_name = _display_name()
    call_timeout = Number(1, 300, unit=" s", default=30)
    transfer_complete_url = Url()
    transfer_complete_method = Method()
    transfer_complete_fallback_url = Url()
    transfer_complete_fallback_method = Method()
    tag = _tag()
    diversion_treatment = Choice(*_choices(DiversionTreatment), default="none")
    diversion_reason = Choice(*_choices(DiversionReason), default="unknown")

    def __init__(
        self,
        *children: PhoneNumber | SipUri,
        transfer_caller_id: str | None = None,
        privacy: bool | None = None,
        transfer_caller_display_name: str | None = None,
        call_timeout: float | None = None,
        transfer_complete_url: str | None = None,
        transfer_complete_method: HttpMethod | None = None,
        transfer_complete_fallback_url: str | None = None,
        transfer_complete_fallback_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        fallback_username: str | None = None,
        fallback_password: str | None = None,
        tag: str | None = None,
        diversion_treatment: DiversionTreatment | None = None,
        diversion_reason: DiversionReason | None = None,
    ) -> None:
        self._setup(children, locals())

    phone_number = leaf(PhoneNumber)
    sip_uri = leaf(SipUri)


class StartStream(_Credentials, Container[StreamParam], _HttpsWithCredentials, tag="StartStream"):
    """Stream the call's audio to a websocket ``destination`` in the background."""

    __slots__ = ()

    HTTPS_WITH = ((_CREDENTIALS, ("stream_event_url",)),)

    CHILD_TYPES = (StreamParam,)
    MAX_CHILDREN = 12
    name = Text(min_length=1)
    mode = Choice(*_choices(StreamMode), default="unidirectional")
    tracks = Choice(*_choices(Tracks), default="inbound")
    destination = SocketUrl(required=True)
    destination_username = Text()
    destination_password = Text(secret=True)
    stream_event_url = Url()
    stream_event_method = Method()

    def __init__(
        self,
        *children: StreamParam,
        destination: str,
        name: str | None = None,
        mode: StreamMode | None = None,
        tracks: Tracks | None = None,
        destination_username: str | None = None,
        destination_password: str | None = None,
        stream_event_url: str | None = None,
        stream_event_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._setup(children, locals())

    stream_param = leaf(StreamParam)


class StartTranscription(
    _Credentials, Container[CustomParam], _HttpsWithCredentials, tag="StartTranscription"
):
    """Transcribe the call in real time, in the background."""

    __slots__ = ()

    HTTPS_WITH = ((_CREDENTIALS, ("transcription_event_url",)),)

    CHILD_TYPES = (CustomParam,)
    MAX_CHILDREN = 12
    name = Text(min_length=1)
    tracks = Choice(*_choices(Tracks), default="inbound")
    transcription_event_url = Url()
    transcription_event_method = Method()
    destination = SocketUrl()
    stabilized = Flag(default=True)

    def __init__(
        self,
        *children: CustomParam,
        name: str | None = None,
        tracks: Tracks | None = None,
        transcription_event_url: str | None = None,
        transcription_event_method: HttpMethod | None = None,
        username: str | None = None,
        password: str | None = None,
        destination: str | None = None,
        stabilized: bool | None = None,
    ) -> None:
        self._setup(children, locals())

    custom_param = leaf(CustomParam)


class Connect(Container[Endpoint], Verb, tag="Connect"):
    """Connect the call to one or more BRTC endpoints (Beta)."""

    __slots__ = ()

    CHILD_TYPES = (Endpoint,)
    MIN_CHILDREN = 1
    event_callback_url = Url()
    event_fallback_url = Url()

    def __init__(
        self,
        *children: Endpoint,
        event_callback_url: str | None = None,
        event_fallback_url: str | None = None,
    ) -> None:
        self._setup(children, locals())

    endpoint = leaf(Endpoint)


class Refer(Container[SipUri], Verb, tag="Refer"):
    """Send a SIP REFER (an inbound SIP call only) to the one SipUri it holds.

    On success the call leaves Bandwidth and the reply to ``refer_complete_url`` is
    ignored; on failure that reply runs on the call, which is still up. The SipUri of a
    Refer carries the SIP URI only (its Transfer attributes are refused here).
    """

    __slots__ = ()

    CHILD_TYPES = (SipUri,)
    MIN_CHILDREN = 1
    MAX_CHILDREN = 1
    refer_complete_url = Url()
    refer_complete_method = Method()
    tag = _tag()

    def __init__(
        self,
        *children: SipUri,
        refer_complete_url: str | None = None,
        refer_complete_method: HttpMethod | None = None,
        tag: str | None = None,
    ) -> None:
        self._setup(children, locals())

    def _check_rules(self) -> None:
        for child in self._content:
            if isinstance(child, SipUri) and child._values:
                given = ", ".join(child._values)
                raise InvalidValueError(
                    f"Refer: its SipUri takes the SIP URI only, not {given} "
                    "(those attributes belong to a Transfer's SipUri)"
                )

    def sip_uri(self, text: str, /) -> Refer:
        """Append the destination SipUri (e.g. ``sip:alice@example.com``); return this Refer."""
        return self.append(SipUri(text))


#: The verbs a root (Response or Bxml) may hold, in the order messages and the XSD list
#: them. This one union is the source of TOP_LEVEL too: a new verb is added here only.
TopLevelVerb: TypeAlias = (
    Bridge
    | Conference
    | Connect
    | Forward
    | Gather
    | Hangup
    | Pause
    | PauseRecording
    | PlayAudio
    | Record
    | Redirect
    | Refer
    | ResumeRecording
    | Ring
    | SendDtmf
    | SpeakSentence
    | StartGather
    | StartRecording
    | StartStream
    | StartTranscription
    | StopGather
    | StopRecording
    | StopStream
    | StopTranscription
    | Tag
    | Transfer
)

#: The 26 verb classes a root may hold (from :data:`TopLevelVerb`).
TOP_LEVEL: tuple[type[TopLevelVerb], ...] = get_args(TopLevelVerb)
