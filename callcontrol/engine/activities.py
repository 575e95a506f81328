"""State of the blocking verbs that wait for time or input: Gather, Record, Transfer,
Bridge, and the conferences calls are held in."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bxml import Bridge, Element, Gather, Record, Transfer

from .model import Leg, Target


@dataclass
class GatherRun:
    """A running Gather: its prompts (ms, verb), position, round and the digits so far.

    ``rules`` holds the verb's settings as the runner uses them: terminating digits, max
    digits, first-digit and inter-digit timeouts in ms, and the repeat count.
    """

    verb: Gather
    prompts: list[tuple[int, Any]]
    site: str
    rules: tuple[str, int, int, int, int]
    index: int = 0
    round: int = 1
    digits: str = ""
    phase: str = "prompt"
    deadline: int = -1


@dataclass
class RecordRun:
    """A running Record and the recording it makes."""

    verb: Record
    info: dict[str, Any]


@dataclass
class TransferRun:
    """A running Transfer: its B-legs with their destination elements, and the winner."""

    verb: Transfer
    base_url: str
    b_legs: list[tuple[Leg, Element]] = field(default_factory=list)
    winner: Leg | None = None


@dataclass
class BridgeRun:
    """A running Bridge on the call that asked for it: the target call and the
    (primary, fallback) targets of bridgeComplete and bridgeTargetComplete."""

    verb: Bridge
    target: Leg
    complete: tuple[Target | None, Target | None]
    target_complete: tuple[Target | None, Target | None]


@dataclass
class BridgedRun:
    """A call held in another call's Bridge (its own BXML cancelled)."""

    origin: Leg


@dataclass
class Member:
    """One time a call was in a conference: how it joined, and when it joined and left."""

    leg: Leg
    mute: bool
    hold: bool
    coaching: tuple[str, ...]
    joined_ms: int
    left_ms: int | None = None


@dataclass
class Room:
    """One instance of a conference, from its first member to its last (bxml-spec §4.2).

    ``event``/``fallback`` and ``tag`` are the creator's; ``callbacks`` holds each event
    sent as ``[request, result]`` (result None until answered); ``queue`` the verbs of
    accepted replies still to play, with the URL that served them. ``up`` and ``epoch``
    let the scheduler drop the room's timers once it is over.
    """

    name: str
    conference_id: str
    url: str
    created_ms: int
    creator: Leg
    event: Target | None
    fallback: Target | None
    tag: str | None
    timeout_ms: int
    present: list[Member] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    callbacks: list[list[Any]] = field(default_factory=list)
    queue: deque[tuple[Element, str]] = field(default_factory=deque)
    playing: bool = False
    recording: dict[str, Any] | None = None
    completed_ms: int | None = None
    up: bool = True
    epoch: int = 0


@dataclass
class Rooms:
    """The conferences of one engine: those running, by name, and every one so far."""

    active: dict[str, Room] = field(default_factory=dict)
    all: list[Room] = field(default_factory=list)


@dataclass
class ConferenceRun:
    """A call held in a conference (its activity until it leaves)."""

    room: Room
    member: Member
