"""Facts of Bandwidth's Voice API contract, each in one place.

The client, the engine, the simulator and the emulator all read these: phone number and
SIP URI patterns, where a call lives (its callUrl), HTTP Basic credentials as they travel,
and the words for how a dialled number turned out. Nothing here does I/O.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterable

#: E.164 (bandwidth.yml ``^\+[1-9]\d{1,14}$``; the schema's ``\d`` is ASCII digits only).
E164 = re.compile(r"\+[1-9][0-9]{1,14}", re.ASCII)
#: ``sip:`` or ``sips:`` [user@]host[;params][?headers] (createCall ``to``, voice-api §3;
#: RFC 3261 §19.1); the user part may hold anything but '@' and spaces.
SIP_URI = re.compile(r"sips?:(?:[^@\s]+@)?[A-Za-z0-9.\-\[\]:_]+(?:[;?]\S*)?")
#: Where Bandwidth's Voice API lives (voice-api §3).
VOICE_API_BASE = "https://voice.bandwidth.com/api/v2"
#: How a dialled number turned out, in the simulator's words (Transfer, Forward, Refer,
#: createCall): the transferComplete causes busy/timeout/rejected read as these.
DIAL_OUTCOMES = ("answered", "busy", "no-answer", "rejected")


#: The account's default limits (voice-api §8.3): calls placed per second, and calls up
#: at once (active sessions).
DEFAULT_CALLS_PER_SECOND = 5.0
DEFAULT_MAX_CONCURRENT = 100
#: The createCall queue holds this many seconds' worth of calls at the account's rate
#: (voice-api §8.3: 5 CPS x 300 s = 1500 calls).
QUEUE_SECONDS = 300
#: createCall's 429 descriptions over the account's limits (voice-api §8.1).
CONCURRENT_LIMIT_EXCEEDED = "Account concurrent call limit exceeded"
RATE_LIMIT_EXCEEDED = "Account call creation rate limit exceeded"


#: The only verbs a reply to a conference event may hold (bxml-spec §4.2, §6).
CONFERENCE_REPLY_VERBS = frozenset(
    {
        "PlayAudio",
        "SpeakSentence",
        "StartRecording",
        "StopRecording",
        "PauseRecording",
        "ResumeRecording",
    }
)
#: The conference events whose replies Bandwidth plays into the conference (voice-api §9.4).
CONFERENCE_REPLY_EVENTS = frozenset(
    {"conferenceCreated", "conferenceMemberJoin", "conferenceMemberExit", "conferenceRedirect"}
)
#: The verbs a transferAnswer reply may not hold (bxml-spec §6).
TRANSFER_ANSWER_FORBIDDEN = frozenset({"Bridge", "Conference", "Forward", "Transfer"})


def reply_restriction(event_type: str, verbs: Iterable[str]) -> str | None:
    """Why a reply to ``event_type`` may not hold ``verbs`` (their tags), or None when it
    may (bxml-spec §6)."""
    tags = list(verbs)
    if event_type in CONFERENCE_REPLY_EVENTS:
        bad = [tag for tag in tags if tag not in CONFERENCE_REPLY_VERBS]
        if bad:
            return (
                f"a reply to {event_type} may hold only PlayAudio, SpeakSentence and the "
                f"recording verbs, not {', '.join(f'<{t}>' for t in bad)}; Bandwidth "
                "rejects the whole reply (bxml-spec §4.2, §6)"
            )
    elif event_type == "transferAnswer":
        bad = [tag for tag in tags if tag in TRANSFER_ANSWER_FORBIDDEN]
        if bad:
            return (
                f"a transferAnswer reply may not hold {', '.join(f'<{t}>' for t in bad)} "
                "(bxml-spec §6: not Bridge, Conference, Forward or Transfer)"
            )
    return None


def queue_capacity(calls_per_second: float, max_concurrent: int) -> int:
    """Check an account's limits and return how many calls its createCall queue holds
    (voice-api §8.3: :data:`QUEUE_SECONDS` of calls at ``calls_per_second``).

    :raises ValueError: ``calls_per_second`` is not a finite number above 0, or
        ``max_concurrent`` is not a whole number, 1 or more.
    """
    if (
        isinstance(calls_per_second, bool)
        or not isinstance(calls_per_second, (int, float))
        or not 0 < calls_per_second < math.inf  # nan fails too
    ):
        raise ValueError(
            f"calls_per_second must be above 0 (a finite number), not {calls_per_second!r}"
        )
    if (
        isinstance(max_concurrent, bool)
        or not isinstance(max_concurrent, int)
        or max_concurrent < 1
    ):
        raise ValueError(
            f"max_concurrent must be a whole number, 1 or more, not {max_concurrent!r}"
        )
    return int(calls_per_second * QUEUE_SECONDS)


def is_phone_number(value: object) -> bool:
    """Whether ``value`` is an E.164 telephone number."""
    return isinstance(value, str) and E164.fullmatch(value) is not None


def is_sip_uri(value: object) -> bool:
    """Whether ``value`` is a SIP URI (``sip:`` or ``sips:``)."""
    return isinstance(value, str) and SIP_URI.fullmatch(value) is not None


def call_url(api_base: str, account_id: str, call_id: str) -> str:
    """The URL a call lives at: createCall's Location and every callback's ``callUrl``."""
    return f"{api_base.rstrip('/')}/accounts/{account_id}/calls/{call_id}"


def basic_authorization(username: str, password: str) -> str:
    """The ``Authorization`` header value carrying these credentials (UTF-8, as RFC 7617
    recommends).

    :raises ValueError: a credential holds a lone surrogate, which UTF-8 cannot carry (the
        message names which one and where, never the value).
    """
    try:
        raw = f"{username}:{password}".encode()
    except UnicodeEncodeError as exc:
        which, at = ("username", exc.start)
        if exc.start > len(username):
            which, at = ("password", exc.start - len(username) - 1)
        raise ValueError(
            f"the Basic {which} holds a lone surrogate code point at index {at}; "
            "credentials must be valid Unicode text, which UTF-8 can carry"
        ) from None
    return "Basic " + base64.b64encode(raw).decode("ascii")


def parse_basic_authorization(header: str | None) -> tuple[str, str] | None:
    """The (username, password) of a ``Basic`` Authorization header; None when the header
    is missing, of another scheme, or not valid base64 of UTF-8 text."""
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password
