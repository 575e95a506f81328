"""The script DSL: what the caller does and how Transfer destinations behave."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from .script import (
    Answers,
    Busy,
    HangUp,
    LeaveMessage,
    Machine,
    NoAnswer,
    Press,
    Rejects,
    Silence,
    Step,
    Voicemail,
)


def press(digits: str, *, barge_in: float | None = None) -> Press:
    """Press ``digits`` after the prompt, or ``barge_in`` seconds into it."""
    return Press(digits, barge_in)


def silence() -> Silence:
    """Press and say nothing at the next input opportunity (the no-input branch)."""
    return Silence()


def leave_message(
    seconds: float, then: Literal["press", "silence", "hang_up"] = "press"
) -> LeaveMessage:
    """Speak into a Record for ``seconds``, then press its terminating digit (or ``then``)."""
    return LeaveMessage(seconds, then)


def hang_up(*, after: float | None = None) -> HangUp:
    """Hang up at the next input opportunity, or at virtual time ``after`` seconds."""
    return HangUp(after)


def answers(
    *, after: float = 2.0, hangs_up_after: float = 60.0, script: Iterable[Step] = ()
) -> Answers:
    """A destination that answers ``after`` seconds and hangs up ``hangs_up_after`` later;
    ``script`` is what the person who answers a Transfer does in the transferAnswer reply
    (``[press("1")]`` accepts a whisper's offer)."""
    return Answers(after, hangs_up_after, script=tuple(script))


def busy() -> Busy:
    """A destination that is busy."""
    return Busy()


def no_answer() -> NoAnswer:
    """A destination that rings until the call times out."""
    return NoAnswer()


def rejects() -> Rejects:
    """A destination that refuses the call (for a Refer: the REFER is declined)."""
    return Rejects()


def voicemail(greeting: float = 5.0, *, after: float = 4.0, message: float = 60.0) -> Voicemail:
    """A voicemail box: answers after ``after`` seconds, plays its ``greeting``, then
    records for up to ``message`` seconds and hangs up (the call counts as answered)."""
    return Voicemail(after, greeting + message, greeting, message)


def machine(
    result: str = "answering-machine",
    *,
    after: float = 2.0,
    hangs_up_after: float = 60.0,
    detected_after: float | None = None,
) -> Machine:
    """A destination that answers after ``after`` seconds; machine detection on the call
    reports ``result`` (answering-machine, human, silence, timeout or error) after
    ``detected_after`` seconds, or after the engine's usual time for that result."""
    return Machine(after, hangs_up_after, result, detected_after)
