"""Find call-flow mistakes in BXML that an XML Schema cannot see.

::

    for problem in bxml.lint(doc):
        print(problem)   # /Response/Pause[1]: <Pause> never runs: ... [BX101]

``lint`` takes what :func:`bxml.validate` takes (a document object, XML text or a file
path) and returns a list of :class:`bxml.Problem`, in document order. Problems found in
text carry the source line; problems found in objects have ``line=None``. The document
is not validated first: run :func:`bxml.validate` for that.

``context`` says where the document is used: ``"call"`` (a webhook reply or a live-call
update, the default), ``"conference"`` (a reply to a conference event, or a conference
update) or ``"transfer_answer"`` (the reply to transferAnswer, run on the called party).

Rules (from Bandwidth's BXML documentation: execution, context restrictions, limits):

=====  ===========================================================================
BX101  verbs after Redirect, Hangup or Forward never run
BX102  verbs after a Gather, Record, Transfer, Bridge or Refer that has its callback URL
       (gatherUrl, recordCompleteUrl, transferCompleteUrl, bridgeCompleteUrl,
       referCompleteUrl) never run
BX103  a Gather without gatherUrl throws the digits away
BX104  a Gather whose prompts x repeatCount exceeds 20
BX105  a SpeakSentence with nothing to speak
BX106  say-as with format but without interpret-as="date"
BX107  a document that ends with StartStream: the call ends at once
BX110  a document larger than 64 KB (``bxml.MAX_DOCUMENT_BYTES``)
BX120  username/password on Record, StartRecording, StartStream or StartTranscription
       with a callback URL that is not https
BX121  username/password with a fallback URL but no fallbackUsername/fallbackPassword: the
       fallback callback carries no credentials, so a server that wants them answers 401
BX122  username without password (or password without username), and the same for the
       fallback pair: a verb's callbacks carry the verb's own Basic credentials only
BX130  a conference document with verbs other than PlayAudio, SpeakSentence,
       StartRecording, StopRecording, PauseRecording and ResumeRecording
BX131  a transferAnswer reply with Bridge, Conference, Forward, Refer or Transfer
BX140  StartGather together with Forward
BX141  two StartStreams, or two StartTranscriptions, with the same name
BX142  more than 4 stream tracks, or 4 transcription tracks, at once
       (``tracks="both"`` counts as 2)
BX143  a StartRecording while another recording runs (Bandwidth ignores it)
BX150  a Refer whose SipUri has attributes (a Refer's SipUri carries the URI only)
=====  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Literal

from ._element import Element, UnknownElement
from ._tree import Source
from ._tree import line as _line
from ._tree import parse_tree as _parse
from ._tree import read_source as _read
from ._tree import xml_name as _name
from ._values import XML_SPACE, redact_url
from .document import MAX_DOCUMENT_BYTES
from .exceptions import Problem

if TYPE_CHECKING:
    from lxml import etree

Context = Literal["call", "conference", "transfer_answer"]
CONTEXTS: tuple[Context, ...] = ("call", "conference", "transfer_answer")

#: The verbs a conference document may use.
CONFERENCE_VERBS = frozenset(
    {"PlayAudio", "SpeakSentence", "StartRecording", "StopRecording", "PauseRecording"}
    | {"ResumeRecording"}
)
#: The verbs a transferAnswer reply may not use. Refer works on inbound SIP calls only, and
#: the leg that answered a Transfer is an outbound call.
TRANSFER_ANSWER_FORBIDDEN = frozenset({"Bridge", "Conference", "Forward", "Refer", "Transfer"})
#: Most concurrent stream (or transcription) tracks on one call.
MAX_TRACKS = 4
#: Most prompts a Gather may play, counting repeats.
MAX_GATHER_PROMPTS = 20

_ENDS = {
    "Redirect": "hands the call to the document at redirectUrl",
    "Hangup": "ends the call",
    "Forward": "hands both legs off; no more BXML runs on this call",
}
_CALLBACKS = {
    "Gather": "gatherUrl",
    "Record": "recordCompleteUrl",
    "Transfer": "transferCompleteUrl",
    "Bridge": "bridgeCompleteUrl",
    "Refer": "referCompleteUrl",
}
_CREDENTIAL_URLS = {
    "Record": ("recordCompleteUrl", "recordingAvailableUrl", "transcriptionAvailableUrl"),
    "StartRecording": ("recordingAvailableUrl", "transcriptionAvailableUrl"),
    "StartStream": ("streamEventUrl",),
    "StartTranscription": ("transcriptionEventUrl",),
}
_FALLBACK_URLS = {"Record": ("recordCompleteFallbackUrl",)}


class _Node:
    """An element as the rules see it: tag, XML attributes, where it is, what it holds."""

    __slots__ = ("tag", "attrs", "path", "line", "order", "children", "text")

    def __init__(
        self, tag: str, attrs: dict[str, str], path: str, line: int | None, order: int
    ) -> None:
        self.tag = tag
        self.attrs = attrs
        self.path = path
        self.line = line
        self.order = order
        self.children: list[_Node] = []
        self.text = ""

    def problem(self, message: str, code: str, attribute: str | None = None) -> Problem:
        path = f"{self.path}/@{attribute}" if attribute else self.path
        return Problem(path, self.line, message, code)


class _Builder:
    """Builds the _Node tree from bxml objects or from an lxml tree, numbering nodes."""

    def __init__(self) -> None:
        self.order = 0

    def _next(self) -> int:
        self.order += 1
        return self.order

    def from_element(self, element: Element, path: str) -> _Node:
        tag = element.element_name
        if isinstance(element, UnknownElement):
            attrs = element.extra_attributes
        else:
            fields = {attr.name: attr for attr in type(element).FIELDS}
            attrs = {
                fields[name].xml: fields[name].to_text(value)
                for name, value in element.attributes.items()
            }
            attrs.update(element.extra_attributes)
        node = _Node(tag, attrs, path, None, self._next())
        counts: dict[str, int] = {}
        for item in element.content:
            if isinstance(item, str):
                node.text += item
                continue
            child_tag = item.element_name
            counts[child_tag] = counts.get(child_tag, 0) + 1
            child_path = f"{path}/{child_tag}[{counts[child_tag]}]"
            node.children.append(self.from_element(item, child_path))
        return node

    def from_lxml(self, elem: etree._Element, path: str) -> _Node:
        attrs = {_name(key): str(value) for key, value in elem.attrib.items()}
        node = _Node(_name(elem.tag), attrs, path, _line(elem), self._next())
        node.text = str(elem.text or "")
        counts: dict[str, int] = {}
        for child in elem:
            node.text += str(child.tail or "")
            if not isinstance(child.tag, str):
                continue
            tag = _name(child.tag)
            counts[tag] = counts.get(tag, 0) + 1
            node.children.append(self.from_lxml(child, f"{path}/{tag}[{counts[tag]}]"))
        return node


def lint(doc: Source, *, context: Context = "call") -> list[Problem]:
    """Return the call-flow problems of a document, in document order (see the rule table).

    :param doc: a document object, XML text (str or bytes) or a file path.
    :param context: ``"call"``, ``"conference"`` or ``"transfer_answer"``.
    :raises ValueError: for an unknown context.
    """
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {', '.join(CONTEXTS)}, not {context!r}")
    root, size, problem = _load(doc)
    if root is None:
        return [problem] if problem is not None else []
    verbs = root.children if root.tag in ("Response", "Bxml") else [root]
    found: list[tuple[int, Problem]] = []
    if size > MAX_DOCUMENT_BYTES:
        message = f"the document is {size} bytes; Bandwidth refuses more than {MAX_DOCUMENT_BYTES}"
        found.append((0, root.problem(message, "BX110")))
    for rule in _RULES:
        found += rule(verbs, context)
    found.sort(key=lambda item: (item[0], item[1].code or ""))
    return [problem for _, problem in found]


def _load(doc: Source) -> tuple[_Node | None, int, Problem | None]:
    if isinstance(doc, Element):
        data, _ = _read(doc)
        return _Builder().from_element(doc, "/" + doc.element_name), len(data), None
    data, utf8 = _read(doc)
    elem, problem = _parse(data, utf8)
    if elem is None:
        return None, len(data), problem
    return _Builder().from_lxml(elem, "/" + _name(elem.tag)), len(data), None


def _walk(nodes: list[_Node]) -> Iterator[_Node]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


# -- rules: each takes the top-level verbs and the context, and returns (order, Problem) --

Found = list[tuple[int, Problem]]


def _unreachable(verbs: list[_Node], context: Context) -> Found:
    for index, verb in enumerate(verbs[:-1]):
        if verb.tag in _ENDS:
            code, why = "BX101", _ENDS[verb.tag]
        elif verb.tag in _CALLBACKS and _CALLBACKS[verb.tag] in verb.attrs:
            url = _CALLBACKS[verb.tag]
            code, why = "BX102", f"has {url}: the reply to that callback runs next"
        else:
            continue
        rest = verbs[index + 1 :]
        more = len(rest) - 1
        what = f"<{rest[0].tag}> never runs"
        if more:
            what = f"<{rest[0].tag}> and {more} later verb{'s' if more > 1 else ''} never run"
        message = f"{what}: <{verb.tag}> at {verb.path} {why}"
        return [(rest[0].order, rest[0].problem(message, code))]
    return []


def _gathers(verbs: list[_Node], context: Context) -> Found:
    found: Found = []
    for node in _walk(verbs):
        if node.tag != "Gather":
            continue
        if "gatherUrl" not in node.attrs:
            message = "Gather has no gatherUrl: the digits pressed are thrown away"
            found.append((node.order, node.problem(message, "BX103")))
        prompts = len(node.children)
        repeat = _int(node.attrs.get("repeatCount"), 1)
        if prompts * repeat > MAX_GATHER_PROMPTS:
            message = (
                f"Gather plays {prompts} prompts x repeatCount {repeat} = {prompts * repeat}; "
                f"at most {MAX_GATHER_PROMPTS} are allowed"
            )
            found.append((node.order, node.problem(message, "BX104")))
    return found


def _speech(verbs: list[_Node], context: Context) -> Found:
    found: Found = []
    for node in _walk(verbs):
        if node.tag == "SpeakSentence" and not node.children and not node.text.strip(XML_SPACE):
            message = "SpeakSentence has nothing to speak: its text is required"
            found.append((node.order, node.problem(message, "BX105")))
        elif node.tag == "say-as" and "format" in node.attrs:
            if node.attrs.get("interpret-as") != "date":
                message = 'say-as: format is only allowed with interpret-as="date"'
                found.append((node.order, node.problem(message, "BX106", "format")))
    return found


def _stream_last(verbs: list[_Node], context: Context) -> Found:
    if verbs and verbs[-1].tag == "StartStream":
        last = verbs[-1]
        message = (
            "the document ends with StartStream, which does not block: the call ends at once "
            'and the stream closes (add e.g. <StopStream name="..." wait="true"/>)'
        )
        return [(last.order, last.problem(message, "BX107"))]
    return []


def _credentials(verbs: list[_Node], context: Context) -> Found:
    found: Found = []
    for node in _walk(verbs):
        checks = [(("username", "password"), _CREDENTIAL_URLS.get(node.tag, ()))]
        checks.append((("fallbackUsername", "fallbackPassword"), _FALLBACK_URLS.get(node.tag, ())))
        for secrets, urls in checks:
            if not any(name in node.attrs for name in secrets):
                continue
            for url_name in urls:
                url = node.attrs.get(url_name)
                if url is not None and _scheme(url) not in ("", "https"):
                    message = (
                        f"{node.tag}.{url_name} is {redact_url(url)!r}: with "
                        f"{'/'.join(secrets)} set, Bandwidth requires https URLs"
                    )
                    found.append((node.order, node.problem(message, "BX120", url_name)))
        found.extend((node.order, problem) for problem in _credential_pairs(node))
    return found


def _credential_pairs(node: _Node) -> list[Problem]:
    """BX121 and BX122: the credentials each callback of ``node`` will carry (bxml-spec §2:
    username/password for the primary URLs, fallbackUsername/fallbackPassword for the
    fallback ones; voice-api §9.2: Bandwidth answers a 401 challenge with those only)."""
    found: list[Problem] = []
    for user, password in (("username", "password"), ("fallbackUsername", "fallbackPassword")):
        if (user in node.attrs) != (password in node.attrs):
            given, missing = (user, password) if user in node.attrs else (password, user)
            message = (
                f"{node.tag} has {given} without {missing}: Basic credentials need both, "
                "and a verb's callbacks carry no others"
            )
            found.append(node.problem(message, "BX122", given))
    fallbacks = [name for name in node.attrs if name.endswith("FallbackUrl")]
    has_fallback_credentials = "fallbackUsername" in node.attrs or "fallbackPassword" in node.attrs
    if fallbacks and "username" in node.attrs and not has_fallback_credentials:
        message = (
            f"{node.tag}.{fallbacks[0]} gets no credentials: username/password are for the "
            "primary URL only; set fallbackUsername/fallbackPassword for the fallback"
        )
        found.append(node.problem(message, "BX121", fallbacks[0]))
    return found


def _context(verbs: list[_Node], context: Context) -> Found:
    found: Found = []
    for verb in verbs:
        if context == "conference" and verb.tag not in CONFERENCE_VERBS:
            allowed = ", ".join(sorted(CONFERENCE_VERBS))
            message = (
                f"<{verb.tag}> is not allowed in a conference document (Bandwidth rejects the "
                f"whole document); allowed: {allowed}"
            )
            found.append((verb.order, verb.problem(message, "BX130")))
        elif context == "transfer_answer" and verb.tag in TRANSFER_ANSWER_FORBIDDEN:
            forbidden = ", ".join(sorted(TRANSFER_ANSWER_FORBIDDEN))
            message = f"<{verb.tag}> is not allowed in a transferAnswer reply (no {forbidden})"
            found.append((verb.order, verb.problem(message, "BX131")))
    return found


def _start_gather_forward(verbs: list[_Node], context: Context) -> Found:
    tags = {verb.tag for verb in verbs}
    if "StartGather" not in tags:
        return []
    return [
        (verb.order, verb.problem("Forward cannot run together with StartGather", "BX140"))
        for verb in verbs
        if verb.tag == "Forward"
    ]


def _background(verbs: list[_Node], context: Context) -> Found:
    found: Found = []
    streams = _Tracks("StartStream", "StopStream", "stream")
    transcriptions = _Tracks("StartTranscription", "StopTranscription", "transcription")
    recording = False
    for verb in verbs:
        found += streams.step(verb) + transcriptions.step(verb)
        if verb.tag == "StartRecording":
            if recording:
                message = "a recording is already running: Bandwidth ignores this StartRecording"
                found.append((verb.order, verb.problem(message, "BX143")))
            recording = True
        elif verb.tag == "StopRecording":
            recording = False
    return found


class _Tracks:
    """Follows the named streams (or transcriptions) that run, and their tracks."""

    def __init__(self, start: str, stop: str, what: str) -> None:
        self.start, self.stop, self.what = start, stop, what
        self.active: dict[str, int] = {}

    def step(self, verb: _Node) -> Found:
        if verb.tag == self.stop:
            name = verb.attrs.get("name")
            if name is None:
                self.active.clear()  # StopTranscription without a name stops them all
            else:
                self.active.pop(name, None)
            return []
        if verb.tag != self.start:
            return []
        found: Found = []
        name = verb.attrs.get("name")
        if name is not None and name in self.active:
            message = f"a {self.what} named {name!r} is already running; names must be unique"
            found.append((verb.order, verb.problem(message, "BX141", "name")))
        key = name if name is not None else f"#{verb.order}"
        self.active[key] = 2 if verb.attrs.get("tracks") == "both" else 1
        total = sum(self.active.values())
        if total > MAX_TRACKS:
            message = (
                f"{total} {self.what} tracks would run at once; at most {MAX_TRACKS} per call "
                '(tracks="both" counts as 2)'
            )
            found.append((verb.order, verb.problem(message, "BX142")))
        return found


def _refer_destination(verbs: list[_Node], context: Context) -> Found:
    found: Found = []
    for node in _walk(verbs):
        if node.tag != "Refer":
            continue
        for child in node.children:
            if child.tag == "SipUri" and child.attrs:
                given = ", ".join(child.attrs)
                message = (
                    f"the SipUri of a Refer carries the SIP URI only; {given} "
                    "belong to a Transfer's SipUri"
                )
                found.append((child.order, child.problem(message, "BX150")))
    return found


def _scheme(url: str) -> str:
    """Return the URL's scheme in lower case ('' for a relative URL)."""
    from urllib.parse import urlsplit  # only when a rule needs it: it is slow to import

    return urlsplit(url).scheme.lower()


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


_RULES: tuple[Callable[[list[_Node], Context], Found], ...] = (
    _unreachable,
    _gathers,
    _speech,
    _stream_last,
    _credentials,
    _context,
    _start_gather_forward,
    _background,
    _refer_destination,
)
