"""What the people on a simulated call do: caller steps and Transfer destinations.

Every step and destination is a small immutable value whose repr is the call that makes
it (``press('1')``, ``busy()``), so a failure message can quote the script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

_DIGITS = re.compile(r"[0-9*#]+")
_THEN = ("press", "silence", "hang_up")


#: The longest time a step or destination may name, in seconds (a day: longer than any
#: simulated call, which the engine ends after 4 hours). It keeps every value finite and
#: small enough to become whole milliseconds.
LONGEST = 86400.0


def _seconds(name: str, value: float | None, *, allow_zero: bool = True) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    # Written so that nan fails too (every comparison with nan is false).
    if not (0 <= value <= LONGEST) or (value == 0 and not allow_zero):
        least = "0 seconds or more" if allow_zero else "more than 0 seconds"
        raise ValueError(f"{name} must be {least}, not {value!r} (and at most {LONGEST:g}: a day)")


def _num(value: float) -> str:
    return repr(float(value)) if float(value) != int(value) else repr(int(value))


@dataclass(frozen=True, repr=False)
class Press:
    """Press ``digits`` at the next input opportunity (see :func:`press`)."""

    digits: str
    barge_in: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.digits, str) or _DIGITS.fullmatch(self.digits) is None:
            raise ValueError(f"press: digits must be one or more of 0-9 * #, not {self.digits!r}")
        _seconds("press: barge_in", self.barge_in)

    def __repr__(self) -> str:
        extra = "" if self.barge_in is None else f", barge_in={_num(self.barge_in)}"
        return f"press({self.digits!r}{extra})"


@dataclass(frozen=True, repr=False)
class Silence:
    """Say and press nothing at the next input opportunity (the no-input branch)."""

    def __repr__(self) -> str:
        return "silence()"


@dataclass(frozen=True, repr=False)
class LeaveMessage:
    """Speak into a Record for ``seconds``, then press, fall silent or hang up."""

    seconds: float
    then: Literal["press", "silence", "hang_up"] = "press"

    def __post_init__(self) -> None:
        _seconds("leave_message: seconds", self.seconds, allow_zero=False)
        if self.then not in _THEN:
            raise ValueError(
                f"leave_message: then must be one of {', '.join(_THEN)}, not {self.then!r}"
            )

    def __repr__(self) -> str:
        extra = "" if self.then == "press" else f", then={self.then!r}"
        return f"leave_message({_num(self.seconds)}{extra})"


@dataclass(frozen=True, repr=False)
class HangUp:
    """Hang up at the next input opportunity, or at virtual time ``after`` seconds."""

    after: float | None = None

    def __post_init__(self) -> None:
        _seconds("hang_up: after", self.after)

    def __repr__(self) -> str:
        return "hang_up()" if self.after is None else f"hang_up(after={_num(self.after)})"


Step = Press | Silence | LeaveMessage | HangUp
STEP_TYPES: tuple[type, ...] = get_args(Step)


@dataclass(frozen=True, repr=False)
class Answers:
    """A destination that answers ``after`` seconds and hangs up ``hangs_up_after`` later."""

    after: float = 2.0
    hangs_up_after: float = 60.0

    def __post_init__(self) -> None:
        _seconds("answers: after", self.after)
        _seconds("answers: hangs_up_after", self.hangs_up_after, allow_zero=False)

    def __repr__(self) -> str:
        parts = []
        if self.after != 2.0:
            parts.append(f"after={_num(self.after)}")
        if self.hangs_up_after != 60.0:
            parts.append(f"hangs_up_after={_num(self.hangs_up_after)}")
        return f"answers({', '.join(parts)})"


@dataclass(frozen=True, repr=False)
class Voicemail(Answers):
    """A voicemail box: answers ``after`` seconds, plays a ``greeting`` of that many
    seconds, records up to ``message`` seconds and hangs up (``hangs_up_after`` is the
    sum of the two)."""

    greeting: float = 5.0
    message: float = 60.0

    def __post_init__(self) -> None:
        _seconds("voicemail: after", self.after)
        _seconds("voicemail: greeting", self.greeting)
        _seconds("voicemail: message", self.message, allow_zero=False)
        _seconds("voicemail: greeting + message", self.hangs_up_after, allow_zero=False)

    def __repr__(self) -> str:
        parts = [f"greeting={_num(self.greeting)}"]
        if self.after != 4.0:
            parts.append(f"after={_num(self.after)}")
        if self.message != 60.0:
            parts.append(f"message={_num(self.message)}")
        return f"voicemail({', '.join(parts)})"


#: What a ``machine()`` destination makes the detector report (machineDetectionResult.value).
MACHINE_RESULTS = ("answering-machine", "human", "silence", "timeout", "error")


@dataclass(frozen=True, repr=False)
class Machine(Answers):
    """A destination that answers like :class:`Answers`; answering-machine detection on
    the call reports ``result`` after ``detected_after`` seconds (None: the engine's
    timing for that result)."""

    result: str = "answering-machine"
    detected_after: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.result not in MACHINE_RESULTS:
            raise ValueError(
                f"machine: result must be one of {', '.join(MACHINE_RESULTS)}, not {self.result!r}"
            )
        _seconds("machine: detected_after", self.detected_after)

    def __repr__(self) -> str:
        parts = [f"result={self.result!r}"]
        if self.after != 2.0:
            parts.append(f"after={_num(self.after)}")
        if self.hangs_up_after != 60.0:
            parts.append(f"hangs_up_after={_num(self.hangs_up_after)}")
        if self.detected_after is not None:
            parts.append(f"detected_after={_num(self.detected_after)}")
        return f"machine({', '.join(parts)})"


@dataclass(frozen=True, repr=False)
class Busy:
    """A destination that is busy."""

    def __repr__(self) -> str:
        return "busy()"


@dataclass(frozen=True, repr=False)
class NoAnswer:
    """A destination that rings until the call times out."""

    def __repr__(self) -> str:
        return "no_answer()"


@dataclass(frozen=True, repr=False)
class Rejects:
    """A destination that refuses the call (a SIP 603 Decline)."""

    def __repr__(self) -> str:
        return "rejects()"


Destination = Answers | Busy | NoAnswer | Rejects
DESTINATION_TYPES: tuple[type, ...] = get_args(Destination)


def check_script(script: object) -> tuple[Step, ...]:
    """The script as a tuple of steps; anything else is refused, naming its position."""
    if isinstance(script, (str, bytes)) or not hasattr(script, "__iter__"):
        raise TypeError(f"script must be a list of steps, not {type(script).__name__}")
    steps = tuple(script)
    for index, step in enumerate(steps):
        if not isinstance(step, STEP_TYPES):
            raise TypeError(
                f"script[{index}]: {step!r} is not a step; use press(), silence(), "
                "leave_message() or hang_up()"
            )
    return steps


def check_destinations(destinations: object) -> dict[str, Destination]:
    """The destination map, checked: keys are numbers or SIP URIs, values destinations."""
    if not isinstance(destinations, dict):
        raise TypeError(f"destinations must be a dict, not {type(destinations).__name__}")
    for key, value in destinations.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"destinations: key {key!r} is not a phone number or SIP URI")
        if not isinstance(value, DESTINATION_TYPES):
            raise TypeError(
                f"destinations[{key!r}]: {value!r} is not a destination; use answers(), "
                "busy(), no_answer(), rejects(), voicemail() or machine()"
            )
    return dict(destinations)
