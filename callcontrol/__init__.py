"""Control live Bandwidth voice calls: the Calls API client, its models, errors and retries.

Example::

    from callcontrol import CallsClient

    with CallsClient("9900000", username="api-user", password="...") as client:
        for call in client.list_calls(to="+15551234567"):
            print(call.call_id, call.state)
"""

from __future__ import annotations

from ._version import __version__
from .client import CallsClient
from .exceptions import (
    ApiError,
    BadRequestError,
    CallControlError,
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    MethodNotAllowedError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnexpectedResponseError,
    UnsupportedMediaTypeError,
)
from .models import (
    CallState,
    CreateCall,
    CreateCallResponse,
    MachineDetectionConfiguration,
    UpdateCall,
)
from .pagination import CallsPage
from .retry import RetryPolicy

__all__ = [
    "ApiError",
    "BadRequestError",
    "CallControlError",
    "CallState",
    "CallsClient",
    "CallsPage",
    "ConflictError",
    "CreateCall",
    "CreateCallResponse",
    "ForbiddenError",
    "InvalidRequestError",
    "MachineDetectionConfiguration",
    "MethodNotAllowedError",
    "NotFoundError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "UnexpectedResponseError",
    "UnsupportedMediaTypeError",
    "UpdateCall",
    "__version__",
]
