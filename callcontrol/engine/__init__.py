"""The call engine: a pure core that runs BXML like Bandwidth does, in virtual time.

No HTTP, no threads, no wall clock: inputs go in (call start, callback results, caller
keys, API commands) and effects come out (:class:`CallbackRequest` values to send and
transcript entries). The simulator (:mod:`callcontrol.testing`) and other drivers run it.
"""

from __future__ import annotations

from .assumptions import ASSUMPTIONS, Assumption
from .conference import ConferenceCallback, ConferenceMember, ConferenceRecord
from .core import CallStateConflict, Engine
from .durations import Durations
from .model import CallbackRequest, Credentials, FetchResult, Leg, Target, TranscriptEntry
from .observations import (
    AssumptionApplied,
    CallbackAnswered,
    CallbackSent,
    ConferenceCompleted,
    ConferenceCreated,
    ConferenceJoined,
    ConferenceLeft,
    ConferenceReplyRejected,
    Dialled,
    DocumentInstalled,
    GatherEnded,
    InputTaken,
    LegEnded,
    Noted,
    Observation,
    VerbStarted,
)
from .payloads import EPOCH
from .script import (
    Answers,
    Busy,
    Destination,
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

__all__ = [
    "ASSUMPTIONS",
    "Answers",
    "Assumption",
    "AssumptionApplied",
    "Busy",
    "CallStateConflict",
    "CallbackAnswered",
    "CallbackRequest",
    "CallbackSent",
    "ConferenceCallback",
    "ConferenceCompleted",
    "ConferenceCreated",
    "ConferenceJoined",
    "ConferenceLeft",
    "ConferenceMember",
    "ConferenceRecord",
    "ConferenceReplyRejected",
    "Credentials",
    "Destination",
    "Dialled",
    "DocumentInstalled",
    "Durations",
    "EPOCH",
    "Engine",
    "FetchResult",
    "GatherEnded",
    "HangUp",
    "InputTaken",
    "LeaveMessage",
    "Leg",
    "LegEnded",
    "Machine",
    "NoAnswer",
    "Noted",
    "Observation",
    "Press",
    "Rejects",
    "Silence",
    "Step",
    "Target",
    "TranscriptEntry",
    "VerbStarted",
    "Voicemail",
]
