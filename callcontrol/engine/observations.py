"""What happened in a run, as small immutable values: the engine's observations.

The engine records one :class:`Observation` per event in :attr:`Engine.observations`; the
transcript is rendered from them (:attr:`Observation.kind` and :meth:`Observation.detail`),
and the simulator's results, coverage, the explorer and the emulator's timeline read their
fields, never the transcript text. An observation whose ``kind`` is empty has no transcript
line (a document installed, a callback queued, an input outcome).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import bxml
from bxml import Element

from .model import CallbackRequest, FetchResult

if TYPE_CHECKING:
    from bxml import Bxml, Response

#: How a number was dialled.
DialHow = Literal["Transfer", "Forward", "Refer", "createCall"]
#: The transcript kind of a dialled number, by how it was dialled (else ``dial``); an
#: outbound call's own number has none (its transcript tells the call's story already).
_DIAL_KINDS = {"Forward": "forward", "Refer": "refer", "createCall": ""}


@dataclass(frozen=True, slots=True)
class Observation:
    """One event: virtual ``ms``, the leg's label and call id."""

    ms: int
    leg: str
    call_id: str
    KIND: ClassVar[str] = ""

    @property
    def kind(self) -> str:
        """The transcript kind ("" when the event has no transcript line)."""
        return self.KIND

    def detail(self) -> str:
        """The transcript detail text."""
        return ""

    def to_json(self) -> dict[str, Any]:
        """The observation as JSON-ready values (the emulator's timeline): its type, its
        fields (a callback as its event and URL, a document or verb as its tag) and, when
        it has a transcript line, its kind and detail."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for item in fields(self):
            out[item.name] = _plain(getattr(self, item.name))
        if self.kind:
            out["kind"], out["detail"] = self.kind, self.detail()
        out.pop("text", None)
        return out


@dataclass(frozen=True, slots=True)
class Noted(Observation):
    """Any other transcript line: a kind and its detail (text, or a function giving it)."""

    what: str = ""
    text: str | Callable[[], str] = ""

    @property
    def kind(self) -> str:
        """The transcript kind."""
        return self.what

    def detail(self) -> str:
        """The transcript detail text."""
        return self.text if isinstance(self.text, str) else self.text()


@dataclass(frozen=True, slots=True)
class VerbStarted(Observation):
    """A verb began to run; ``source`` is the path of the URL that served its document."""

    verb: str = ""
    source: str = ""
    element: Element | None = None
    KIND: ClassVar[str] = "verb"

    def detail(self) -> str:
        """The verb with its attributes (passwords left out)."""
        return describe(self.element) if self.element is not None else self.verb


@dataclass(frozen=True, slots=True)
class InputTaken(Observation):
    """The caller's script was consulted at an input opportunity: a Gather (``site`` names
    it), a Record, or StartGather; ``step`` is the script step taken."""

    site: str = ""
    step: Any = None
    KIND: ClassVar[str] = "step"

    @property
    def verb(self) -> str:
        """Gather, Record or StartGather."""
        return "Gather" if "Gather[" in self.site else self.site

    def detail(self) -> str:
        """The step and where it was taken."""
        return f"{self.step!r} at {self.site}"


@dataclass(frozen=True, slots=True)
class GatherEnded(Observation):
    """A Gather at ``site`` ended with ``outcome`` (the coverage vocabulary)."""

    site: str = ""
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class Dialled(Observation):
    """A number was dialled (``how``) and reached ``outcome`` ("answered", "busy",
    "no-answer", ...)."""

    number: str = ""
    how: DialHow = "Transfer"
    outcome: str = ""
    shown: str = ""

    @property
    def kind(self) -> str:
        """``forward`` for Forward, ``refer`` for Refer, none for createCall, else ``dial``."""
        return _DIAL_KINDS.get(self.how, "dial")

    def detail(self) -> str:
        """The number and its outcome."""
        return self.shown or f"{self.number} -> {self.outcome}"


@dataclass(frozen=True, slots=True)
class CallbackSent(Observation):
    """A callback was queued for the driver to send."""

    request: CallbackRequest | None = None


@dataclass(frozen=True, slots=True)
class CallbackAnswered(Observation):
    """The driver reported the answer to a callback; ``verbs`` counts the verbs of an
    accepted reply (None when it was not one)."""

    request: CallbackRequest | None = None
    result: FetchResult | None = None
    verbs: int | None = None

    @property
    def kind(self) -> str:
        """``fetch`` for a synchronous callback, ``callback`` for an asynchronous one."""
        return "fetch" if self.request is not None and self.request.synchronous else "callback"

    def detail(self) -> str:
        """Event, method, URL and what came back."""
        assert self.request is not None and self.result is not None
        return fetch_line(self.request, self.result, self.verbs)


@dataclass(frozen=True, slots=True)
class DocumentInstalled(Observation):
    """A document became the one the leg runs: a callback's reply (``event_type``) or an
    updateCallBxml body (``event_type`` None); ``url`` is the base of its relative URLs."""

    url: str = ""
    event_type: str | None = None
    document: Response | Bxml | None = None


@dataclass(frozen=True, slots=True)
class LegEnded(Observation):
    """The leg ended with ``cause`` (and ``error``, the errorMessage)."""

    cause: str = ""
    error: str | None = None
    KIND: ClassVar[str] = "end"

    def detail(self) -> str:
        """The cause and the error message."""
        return self.cause + (f": {self.error}" if self.error else "")


@dataclass(frozen=True, slots=True)
class AssumptionApplied(Observation):
    """The engine followed the register entry ``assumption``."""

    assumption: str = ""
    note: str = ""
    KIND: ClassVar[str] = "assume"

    def detail(self) -> str:
        """The assumption id and what it was applied to."""
        return f"[{self.assumption}] {self.note}".rstrip()


@dataclass(frozen=True, slots=True)
class BridgeMade(Observation):
    """This call was bridged with ``other`` (``origin``: this call ran the <Bridge>)."""

    other: str = ""
    origin: bool = True
    KIND: ClassVar[str] = "bridge"

    def detail(self) -> str:
        """With which call, and who asked."""
        return f"{'with' if self.origin else 'into the bridge of'} {self.other}"


@dataclass(frozen=True, slots=True)
class BridgeEnded(Observation):
    """The bridge with ``other`` ended; ``left`` says this call left it first."""

    other: str = ""
    left: bool = True
    KIND: ClassVar[str] = "bridge"

    def detail(self) -> str:
        """Who left first."""
        return f"ended: {'this call' if self.left else self.other} left first"


@dataclass(frozen=True, slots=True)
class ConferenceCreated(Observation):
    """This call created the conference ``name`` (a new ``conference_id``, bxml-spec §4.2)."""

    name: str = ""
    conference_id: str = ""
    KIND: ClassVar[str] = "conference"

    def detail(self) -> str:
        """The conference and its id."""
        return f"{self.name} created ({self.conference_id})"


@dataclass(frozen=True, slots=True)
class ConferenceJoined(Observation):
    """This call joined the conference ``name`` (``mute``, ``hold``, and the calls it
    coaches)."""

    name: str = ""
    conference_id: str = ""
    mute: bool = False
    hold: bool = False
    coaching: tuple[str, ...] = ()
    KIND: ClassVar[str] = "conference"

    def detail(self) -> str:
        """The conference and how the member joined."""
        flags = [flag for flag, on in (("muted", self.mute), ("on hold", self.hold)) if on]
        if self.coaching:
            flags.append("coaching " + ", ".join(self.coaching))
        return f"joined {self.name}" + (f" ({'; '.join(flags)})" if flags else "")


@dataclass(frozen=True, slots=True)
class ConferenceLeft(Observation):
    """This call left the conference ``name``; ``how``: ``hangup`` (the call ended),
    ``removed`` (updateCall redirect, updateCallBxml or a Bridge) or ``ended`` (the
    conference was ended and the call goes on after its <Conference>)."""

    name: str = ""
    conference_id: str = ""
    how: str = "hangup"
    KIND: ClassVar[str] = "conference"

    def detail(self) -> str:
        """The conference and how the member left."""
        return f"left {self.name} ({self.how})"


@dataclass(frozen=True, slots=True)
class ConferenceCompleted(Observation):
    """The last member (this call) left: the conference ``name`` is over."""

    name: str = ""
    conference_id: str = ""
    KIND: ClassVar[str] = "conference"

    def detail(self) -> str:
        """The conference that ended."""
        return f"{self.name} completed ({self.conference_id})"


@dataclass(frozen=True, slots=True)
class ConferenceReplyRejected(Observation):
    """A reply to a conference event was rejected whole (bxml-spec §4.2, §6): ``reason``."""

    name: str = ""
    conference_id: str = ""
    event_type: str = ""
    reason: str = ""
    KIND: ClassVar[str] = "conference"

    def detail(self) -> str:
        """Which reply, and why."""
        return f"{self.event_type} reply rejected: {self.reason}"


def describe(verb: Element) -> str:
    """A verb as one line: tag, text and attributes (never a password)."""
    if isinstance(verb, bxml.SpeakSentence):
        return f'SpeakSentence "{" ".join(verb.text.split())}"'
    text = getattr(verb, "text", "")
    # The XML spellings (gatherUrl="/menu"), as the user's BXML and Bandwidth's docs write them.
    fields = type(verb)._BY_NAME
    shown = [
        f'{fields[k].xml}="{fields[k].to_text(v)}"'
        for k, v in verb.attributes.items()
        if "password" not in k.lower()
    ]
    head = verb.TAG + (f" {text.strip()!r}" if isinstance(text, str) and text.strip() else "")
    return " ".join([head, *shown])


def fetch_line(request: CallbackRequest, result: FetchResult, verbs: int | None) -> str:
    """A callback's transcript detail: event, method, URL and outcome."""
    outcome = result.error or f"{result.status}"
    if verbs is not None:
        outcome += f", {verbs} verb" + ("" if verbs == 1 else "s")
    via = " (fallback)" if request.is_fallback and request.synchronous else ""
    return f"{request.event_type} {request.target.method} {request.target.url}{via} -> {outcome}"


def _plain(value: object) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, CallbackRequest):
        return {"eventType": value.event_type, "url": value.target.url}
    if isinstance(value, FetchResult):
        return {"status": value.status, "error": value.error}
    if isinstance(value, Element):
        return value.TAG
    return repr(value)
