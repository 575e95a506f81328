"""State of the blocking verbs that wait for time or input: Gather, Record and Transfer."""

from __future__ import annotations

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
