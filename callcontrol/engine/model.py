"""The engine's data: legs, documents being run, callback requests and their results."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bxml import Element

from .script import Destination, Step

Method = Literal["GET", "POST"]


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic credentials; the password never appears in a repr."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***')"


@dataclass(frozen=True)
class Target:
    """Where a callback goes: absolute URL, method and credentials."""

    url: str
    method: Method = "POST"
    credentials: Credentials | None = None


@dataclass(frozen=True)
class CallbackRequest:
    """A callback the driver must send: the payload dict, where, and whether it is synchronous.

    For a synchronous callback the driver reports the result with
    :meth:`Engine.fetch_done`; ``fallback`` is tried by the engine itself.
    """

    id: int
    leg_id: str
    event_type: str
    payload: dict[str, Any]
    target: Target
    synchronous: bool
    fallback: Target | None = None
    is_fallback: bool = False
    #: Whether this is the one repeat of a synchronous callback after a connection error.
    retried: bool = False


@dataclass(frozen=True)
class FetchResult:
    """What came back: an HTTP ``status`` and ``body``, or an ``error`` (no response).

    ``challenged`` says the first attempt, sent without credentials, got 401 with a
    ``WWW-Authenticate`` header; the result is then the answer to the repeat with the
    target's credentials (or that 401 when it has none), voice-api §9.2.
    """

    status: int | None
    body: bytes = b""
    error: str | None = None
    challenged: bool = field(default=False, kw_only=True)
    #: With ``error``: no answer came within the callback timeout (not a connection error).
    timed_out: bool = field(default=False, kw_only=True)


class TranscriptEntry:
    """One line of a call's story: virtual ms, leg label, kind and detail.

    The detail may be given as a function, rendered the first time it is read, so runs
    whose transcript nobody reads do not pay for formatting it.
    """

    __slots__ = ("ms", "leg", "kind", "_detail")

    def __init__(self, ms: int, leg: str, kind: str, detail: str | Callable[[], str]) -> None:
        self.ms = ms
        self.leg = leg
        self.kind = kind
        self._detail = detail

    @property
    def detail(self) -> str:
        """The entry's detail text."""
        if not isinstance(self._detail, str):
            self._detail = self._detail()
        return self._detail

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TranscriptEntry):
            return NotImplemented
        return (self.ms, self.leg, self.kind, self.detail) == (
            other.ms,
            other.leg,
            other.kind,
            other.detail,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TranscriptEntry({self.ms}, {self.leg!r}, {self.kind!r}, {self.detail!r})"

    def render(self) -> str:
        """The entry as one stable line of text."""
        return f"{self.ms / 1000:8.3f}  {self.leg:<2} {self.kind:<9} {self.detail}".rstrip()


@dataclass
class Cursor:
    """A document being run: its verbs, the URL that served it and the next index."""

    verbs: list[Element]
    base_url: str
    index: int = 0
    source: str = ""


@dataclass
class Leg:
    """One call leg (the A-leg, or a Transfer B-leg) and everything the engine knows of it."""

    id: str
    label: str
    direction: Literal["inbound", "outbound"]
    from_: str
    to: str
    start_ms: int
    account_id: str
    application_id: str
    call_url: str
    state: str = "initiated"
    answer_ms: int | None = None
    end_ms: int | None = None
    cause: str | None = None
    error_message: str | None = None
    tag: str | None = None
    credentials: Credentials | None = None
    disconnect: Target | None = None
    parent: Leg | None = None
    transfer_caller_id: str | None = None
    transfer_to: str | None = None
    cursor: Cursor | None = None
    base_url: str = ""
    epoch: int = 0
    waiting: int | None = None
    script: deque[Step] = field(default_factory=deque)
    timed_steps: list[Step] = field(default_factory=list)
    destinations: dict[str, Destination] = field(default_factory=dict)
    #: Answering-machine detection asked for by createCall (an ``amd.Detection``).
    detection: Any = None
    activity: Any = None
    start_gather: tuple[Target, ...] | None = None
    recording: dict[str, Any] | None = None
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    transcriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfer: Any = None
    loop_urls: list[str] = field(default_factory=list)
    loop_mark: tuple[int, int] = (-1, -1)
    inputs: int = 0
    #: Whether the leg has not ended (kept beside ``state`` for the scheduler's hot path).
    up: bool = True
