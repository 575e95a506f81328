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

import importlib
import typing

from ._version import __version__

if typing.TYPE_CHECKING:
    from .client import CallsClient
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
        Diversion,
        DtmfEvent,
        Event,
        EventParseError,
        GatherEvent,
        InitiateEvent,
        MachineDetectionCompleteEvent,
        MachineDetectionResult,
        MediaStream,
        MediaStreamRejectedEvent,
        MediaStreamStartedEvent,
        MediaStreamStoppedEvent,
        RealTimeTranscription,
        RealTimeTranscriptionAvailableEvent,
        RealTimeTranscriptionRejectedEvent,
        RealTimeTranscriptionStartedEvent,
        RealTimeTranscriptionStoppedEvent,
        RecordCompleteEvent,
        RecordingAvailableEvent,
        RedirectEvent,
        ReferCompleteEvent,
        StirShaken,
        Transcription,
        TranscriptionAvailableEvent,
        TransferAnswerEvent,
        TransferCompleteEvent,
        TransferDisconnectEvent,
        UnknownEvent,
        event_class,
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
        CallbackMethod,
        CallState,
        CreateCall,
        CreateCallResponse,
        MachineDetectionConfiguration,
        MachineDetectionMode,
        UpdateCall,
        UpdateCallState,
    )
    from .pagination import CallsPage
    from .retry import RetryPolicy
    from .webhooks import WebhookApp

__all__ = [
    "AnswerEvent",
    "ApiError",
    "BadRequestError",
    "BridgeCompleteEvent",
    "BridgeTargetCompleteEvent",
    "CallControlError",
    "CallEvent",
    "CallState",
    "CallbackMethod",
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
    "Diversion",
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
    "MachineDetectionMode",
    "MachineDetectionResult",
    "MediaStream",
    "MediaStreamRejectedEvent",
    "MediaStreamStartedEvent",
    "MediaStreamStoppedEvent",
    "MemoryStore",
    "MethodNotAllowedError",
    "NotFoundError",
    "RateLimitError",
    "RealTimeTranscription",
    "RealTimeTranscriptionAvailableEvent",
    "RealTimeTranscriptionRejectedEvent",
    "RealTimeTranscriptionStartedEvent",
    "RealTimeTranscriptionStoppedEvent",
    "RecordCompleteEvent",
    "RecordingAvailableEvent",
    "RedirectEvent",
    "RedisStore",
    "ReferCompleteEvent",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "StirShaken",
    "Transcription",
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
    "UpdateCallState",
    "WebhookApp",
    "__version__",
    "event_class",
    "parse_event",
]

# Where each public name lives. The submodules are imported on first use, so that
# ``import callcontrol`` costs next to nothing and a webhook application never imports
# requests, nor a client application bxml.
_SOURCES = {
    "CallsClient": "client",
    "AnswerEvent": "events",
    "BridgeCompleteEvent": "events",
    "BridgeTargetCompleteEvent": "events",
    "CallEvent": "events",
    "ConferenceCompletedEvent": "events",
    "ConferenceCreatedEvent": "events",
    "ConferenceEvent": "events",
    "ConferenceMemberExitEvent": "events",
    "ConferenceMemberJoinEvent": "events",
    "ConferenceRecordingAvailableEvent": "events",
    "ConferenceRedirectEvent": "events",
    "DisconnectEvent": "events",
    "Diversion": "events",
    "DtmfEvent": "events",
    "Event": "events",
    "EventParseError": "events",
    "GatherEvent": "events",
    "InitiateEvent": "events",
    "MachineDetectionCompleteEvent": "events",
    "MachineDetectionResult": "events",
    "MediaStream": "events",
    "MediaStreamRejectedEvent": "events",
    "MediaStreamStartedEvent": "events",
    "MediaStreamStoppedEvent": "events",
    "RealTimeTranscription": "events",
    "RealTimeTranscriptionAvailableEvent": "events",
    "RealTimeTranscriptionRejectedEvent": "events",
    "RealTimeTranscriptionStartedEvent": "events",
    "RealTimeTranscriptionStoppedEvent": "events",
    "RecordCompleteEvent": "events",
    "RecordingAvailableEvent": "events",
    "RedirectEvent": "events",
    "ReferCompleteEvent": "events",
    "StirShaken": "events",
    "Transcription": "events",
    "TranscriptionAvailableEvent": "events",
    "TransferAnswerEvent": "events",
    "TransferCompleteEvent": "events",
    "TransferDisconnectEvent": "events",
    "UnknownEvent": "events",
    "event_class": "events",
    "parse_event": "events",
    "ApiError": "exceptions",
    "BadRequestError": "exceptions",
    "CallControlError": "exceptions",
    "ConflictError": "exceptions",
    "DeadlineExceededError": "exceptions",
    "ForbiddenError": "exceptions",
    "InvalidRequestError": "exceptions",
    "MethodNotAllowedError": "exceptions",
    "NotFoundError": "exceptions",
    "RateLimitError": "exceptions",
    "ResponseTooLargeError": "exceptions",
    "ServerError": "exceptions",
    "TransportError": "exceptions",
    "UnauthorizedError": "exceptions",
    "UnexpectedResponseError": "exceptions",
    "UnsupportedMediaTypeError": "exceptions",
    "DocumentStore": "hosting",
    "MemoryStore": "hosting",
    "RedisStore": "hosting",
    "CallbackMethod": "models",
    "CallState": "models",
    "CreateCall": "models",
    "CreateCallResponse": "models",
    "MachineDetectionConfiguration": "models",
    "MachineDetectionMode": "models",
    "UpdateCall": "models",
    "UpdateCallState": "models",
    "CallsPage": "pagination",
    "RetryPolicy": "retry",
    "WebhookApp": "webhooks",
}


if not typing.TYPE_CHECKING:  # type checkers see the imports above, and flag unknown names

    def __getattr__(name: str) -> object:
        """Import a public name's submodule on first use (PEP 562)."""
        module = _SOURCES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """The module's names, the public ones not imported yet included."""
    return sorted(set(globals()) | set(__all__))
