"""Control live Bandwidth voice calls and serve their BXML.

The Calls API client (:class:`CallsClient`) with its models, errors and retries; typed
callback events (:func:`parse_event`); and :class:`WebhookApp`, a WSGI application that
answers Bandwidth's callbacks with validated BXML.

Example::

    from callcontrol import CallsClient

    with CallsClient("9900000", username="api-user", password="...") as client:
        for call in client.list_calls(to="+15551234567"):
            print(call.call_id, call.state)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .events import (
    AnswerEvent,
    BridgeCompleteEvent,
    BridgeTargetCompleteEvent,
    CallEvent,
    ConferenceCompletedEvent,
    ConferenceCreatedEvent,
    ConferenceEvent,
    ConferenceMemberExitEvent,
    ConferenceMemberJoinEvent,
    ConferenceRecordingAvailableEvent,
    ConferenceRedirectEvent,
    DisconnectEvent,
    DtmfEvent,
    Event,
    EventParseError,
    GatherEvent,
    InitiateEvent,
    MachineDetectionCompleteEvent,
    MediaStreamRejectedEvent,
    MediaStreamStartedEvent,
    MediaStreamStoppedEvent,
    RealTimeTranscriptionAvailableEvent,
    RealTimeTranscriptionRejectedEvent,
    RealTimeTranscriptionStartedEvent,
    RealTimeTranscriptionStoppedEvent,
    RecordCompleteEvent,
    RecordingAvailableEvent,
    RedirectEvent,
    TranscriptionAvailableEvent,
    TransferAnswerEvent,
    TransferCompleteEvent,
    TransferDisconnectEvent,
    UnknownEvent,
    parse_event,
)
from .exceptions import (
    ApiError,
    BadRequestError,
    CallControlError,
    ConflictError,
    DeadlineExceededError,
    ForbiddenError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnexpectedResponseError,
    UnsupportedMediaTypeError,
)
from .hosting import DocumentStore, MemoryStore, RedisStore
from .models import (
    CallState,
    CreateCall,
    CreateCallResponse,
    MachineDetectionConfiguration,
    UpdateCall,
)
from .retry import RetryPolicy
from .webhooks import WebhookApp

if TYPE_CHECKING:
    from .client import CallsClient
    from .pagination import CallsPage

# Loaded on first use: they import requests, which the command line's --help does not need.
_LAZY = {"CallsClient": "client", "CallsPage": "pagination"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AnswerEvent",
    "ApiError",
    "BadRequestError",
    "BridgeCompleteEvent",
    "BridgeTargetCompleteEvent",
    "CallControlError",
    "CallEvent",
    "CallState",
    "CallsClient",
    "CallsPage",
    "ConferenceCompletedEvent",
    "ConferenceCreatedEvent",
    "ConferenceEvent",
    "ConferenceMemberExitEvent",
    "ConferenceMemberJoinEvent",
    "ConferenceRecordingAvailableEvent",
    "ConferenceRedirectEvent",
    "ConflictError",
    "CreateCall",
    "CreateCallResponse",
    "DeadlineExceededError",
    "DisconnectEvent",
    "DocumentStore",
    "DtmfEvent",
    "Event",
    "EventParseError",
    "ForbiddenError",
    "GatherEvent",
    "InitiateEvent",
    "InvalidRequestError",
    "MachineDetectionCompleteEvent",
    "MachineDetectionConfiguration",
    "MediaStreamRejectedEvent",
    "MediaStreamStartedEvent",
    "MediaStreamStoppedEvent",
    "MemoryStore",
    "MethodNotAllowedError",
    "NotFoundError",
    "RateLimitError",
    "RealTimeTranscriptionAvailableEvent",
    "RealTimeTranscriptionRejectedEvent",
    "RealTimeTranscriptionStartedEvent",
    "RealTimeTranscriptionStoppedEvent",
    "RecordCompleteEvent",
    "RecordingAvailableEvent",
    "RedirectEvent",
    "RedisStore",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "TranscriptionAvailableEvent",
    "TransferAnswerEvent",
    "TransferCompleteEvent",
    "TransferDisconnectEvent",
    "TransportError",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnknownEvent",
    "UnsupportedMediaTypeError",
    "UpdateCall",
    "WebhookApp",
    "__version__",
    "parse_event",
]
