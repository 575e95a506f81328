"""Helpers shared by the Calls client tests: a client with instant retries, sample payloads."""

from __future__ import annotations

from typing import Any

from callcontrol import CallsClient, RetryPolicy

BASE_URL = "https://voice.bandwidth.com/api/v2"
ACCOUNT_ID = "9900000"
CALLS_URL = f"{BASE_URL}/accounts/{ACCOUNT_ID}/calls"
TOKEN_URL = "https://api.bandwidth.com/api/v1/oauth2/token"
USERNAME = "api-user"
PASSWORD = "pa55-w0rd-s3cr3t"
CLIENT_ID = "client-id-1"
CLIENT_SECRET = "client-s3cr3t-value"
CALL_ID = "c-15ac29a2-1331029c-2cb0-4a07-b215-b22865662d85"

#: The four required createCall fields, as keyword arguments.
CREATE_FIELDS: dict[str, Any] = {
    "to": "+19195551234",
    "from_": "+19195554321",
    "application_id": "04e88489-df02-4e34-a0ee-27a91849555f",
    "answer_url": "https://myServer.example/bandwidth/webhooks/answer",
}


class Sleeps(list[float]):
    """An injectable ``sleep`` that records each delay instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def instant_retry(sleeps: Sleeps | None = None, **overrides: Any) -> RetryPolicy:
    """A retry policy that never waits, with fixed jitter and a fixed wall clock."""
    settings: dict[str, Any] = {
        "sleep": sleeps if sleeps is not None else Sleeps(),
        "random": lambda: 0.5,
        "clock": lambda: 1_700_000_000.0,
    }
    settings.update(overrides)
    return RetryPolicy(**settings)


def make_client(**overrides: Any) -> CallsClient:
    """A Basic-auth client for the production base URL (intercepted by ``responses``)."""
    settings: dict[str, Any] = {
        "username": USERNAME,
        "password": PASSWORD,
        "retry": instant_retry(),
    }
    settings.update(overrides)
    return CallsClient(ACCOUNT_ID, **settings)


def call_state_json(call_id: str = CALL_ID, **overrides: Any) -> dict[str, Any]:
    """A CallState JSON object as the API sends it."""
    data: dict[str, Any] = {
        "applicationId": "04e88489-df02-4e34-a0ee-27a91849555f",
        "accountId": ACCOUNT_ID,
        "callId": call_id,
        "to": "+19195551234",
        "from": "+19195554321",
        "direction": "outbound",
        "state": "disconnected",
        "enqueuedTime": "2022-06-16T13:15:07.160Z",
        "startTime": "2022-06-16T13:15:07.160Z",
        "answerTime": "2022-06-16T13:15:18.126Z",
        "endTime": "2022-06-16T13:15:18.314Z",
        "disconnectCause": "hangup",
        "errorMessage": None,
        "errorId": None,
        "lastUpdate": "2022-06-16T13:15:18.314Z",
    }
    data.update(overrides)
    return data


def create_response_json(**overrides: Any) -> dict[str, Any]:
    """A createCall 201 body as the API sends it."""
    data: dict[str, Any] = {
        "applicationId": "04e88489-df02-4e34-a0ee-27a91849555f",
        "accountId": ACCOUNT_ID,
        "callId": CALL_ID,
        "to": "+19195551234",
        "from": "+19195554321",
        "enqueuedTime": "2022-06-16T13:15:07.160Z",
        "callUrl": f"{CALLS_URL}/{CALL_ID}",
        "callTimeout": 30,
        "callbackTimeout": 15,
        "answerMethod": "POST",
        "answerUrl": "https://myServer.example/bandwidth/webhooks/answer",
        "disconnectMethod": "POST",
        "priority": 5,
    }
    data.update(overrides)
    return data


def exception_texts(exc: BaseException) -> str:
    """Everything an exception chain shows: str, repr, args and attributes of each link."""
    parts: list[str] = []
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        parts += [repr(value) for value in vars(current).values()]
        parts += [repr(getattr(current, "object", ""))]
        pending += [current.__cause__, current.__context__]
    return "\n".join(parts)
