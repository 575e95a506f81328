"""Request bodies checked the way the Voice API checks them (voice-api §3, §6, §8.2).

Each problem raises :class:`ApiError` with the official ``VoiceApiError`` body, naming the
field and what is allowed. Fields the API does not know are refused, never ignored.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import contract
from ..engine import amd

E164 = contract.E164
SIP = contract.SIP_URI
REQUIRED_CREATE = ("from", "to", "answerUrl", "applicationId")
METHODS = ("POST", "GET")
MAX_URL = 2048
MAX_CREDENTIAL = 1024
MAX_TAG = 4096
#: The longest duration the emulator takes anywhere (about 31 years): beyond it virtual
#: milliseconds and dates overflow, and no test needs it.
MAX_SECONDS = 1e9


@dataclass
class ApiError(Exception):
    """An error answer: status, VoiceApiError type and description, extra headers."""

    status: int
    type: str
    description: str
    headers: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.status} {self.type}: {self.description}"

    def body(self) -> dict[str, Any]:
        """The VoiceApiError JSON object."""
        return {"type": self.type, "description": self.description, "id": ""}


def bad(description: str) -> ApiError:
    """A 400 validation error."""
    return ApiError(400, "validation", description)


def json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object (NaN and Infinity are not JSON, RFC 8259 §6)."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except RecursionError:
        raise bad("Bad Request: the body is not valid JSON (nested too deeply)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad(f"Bad Request: the body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise bad(f"Bad Request: the body must be a JSON object, not {type(value).__name__}")
    return value


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def finite_seconds(value: Any, where: str, *, limit: float = MAX_SECONDS) -> float:
    """``value`` as seconds: a finite JSON number from 0 to ``limit`` (400 otherwise)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad(f"{where} must be a number of seconds, but was {json.dumps(value)}")
    if not 0 <= value <= limit:  # also false for NaN
        raise bad(f"{where} must be from 0 to {limit:g} seconds, but was {value!r}")
    return float(value)


_CREATE_FIELDS = {
    "to": "string", "from": "string", "privacy": "boolean", "displayName": "string",
    "uui": "string", "applicationId": "string", "answerUrl": "url", "answerMethod": "method",
    "username": "credential", "password": "credential", "answerFallbackUrl": "url",
    "answerFallbackMethod": "method", "fallbackUsername": "credential",
    "fallbackPassword": "credential", "disconnectUrl": "url", "disconnectMethod": "method",
    "callTimeout": "number", "callbackTimeout": "number", "machineDetection": "object",
    "priority": "integer", "tag": "tag",
}  # fmt: skip
_UPDATE_FIELDS = {
    "state": "string", "redirectUrl": "url", "redirectMethod": "method",
    "username": "credential", "password": "credential", "redirectFallbackUrl": "url",
    "redirectFallbackMethod": "method", "fallbackUsername": "credential",
    "fallbackPassword": "credential", "tag": "tag",
}  # fmt: skip
_RANGES = {"callTimeout": (1, 300), "callbackTimeout": (1, 25), "priority": (1, 5)}


def create_call(body: dict[str, Any]) -> dict[str, Any]:
    """A checked createCall body, with nulls removed."""
    fields = _known(body, _CREATE_FIELDS, "createCall")
    missing = [name for name in REQUIRED_CREATE if not fields.get(name)]
    if missing:
        raise bad(
            "Missing at least one required field. Required fields are "
            f"[from, to, answerUrl, applicationId] (missing: {', '.join(missing)})"
        )
    if not (E164.fullmatch(fields["to"]) or SIP.fullmatch(fields["to"])):
        raise bad("Invalid to: must be an E164 telephone number")
    if not E164.fullmatch(fields["from"]):
        raise bad("Invalid from: must be an E164 telephone number")
    if "machineDetection" in fields:
        _machine_detection(fields["machineDetection"])
    if len(fields.get("displayName", "")) > 256:
        raise bad("displayName must contain at most 256 characters")
    _credentials(fields, "answerUrl", "username", "password")
    _credentials(fields, "answerFallbackUrl", "fallbackUsername", "fallbackPassword")
    return fields


def _machine_detection(value: dict[str, Any]) -> None:
    for name, item in value.items():
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            finite_seconds(item, f"machineDetection.{name}")
    try:
        amd.detection(value)
    except (ValueError, TypeError, OverflowError) as exc:
        text = str(exc)
        raise bad(
            text if text.startswith("machineDetection") else f"Invalid machineDetection: {text}"
        ) from None
    fields = {name: item for name, item in value.items() if item is not None}
    _credentials(fields, "callbackUrl", "username", "password")
    _credentials(fields, "fallbackUrl", "fallbackUsername", "fallbackPassword")


def update_call(body: dict[str, Any]) -> dict[str, Any]:
    """A checked updateCall body, with nulls removed."""
    fields = _known(body, _UPDATE_FIELDS, "updateCall")
    state = fields.setdefault("state", "active")
    if state not in ("active", "completed"):
        raise bad(f"Invalid state: must be one of [active, completed], but was {state!r}")
    if state == "completed":
        # The contract refuses only these two with "completed"; the official SDK sends
        # redirectMethod (its default) with every update, and Bandwidth takes it.
        extra = [name for name in ("redirectUrl", "tag") if name in fields]
        if extra:
            raise bad(f"{extra[0]} is not allowed when state is completed")
    elif "redirectUrl" not in fields:
        raise bad("redirectUrl is required when state is active")
    _credentials(fields, "redirectUrl", "username", "password")
    _credentials(fields, "redirectFallbackUrl", "fallbackUsername", "fallbackPassword")
    return fields


def _known(body: dict[str, Any], schema: dict[str, str], operation: str) -> dict[str, Any]:
    unknown = [name for name in body if name not in schema]
    if unknown:
        known = ", ".join(schema)
        raise bad(f"Unknown field {unknown[0]!r} for {operation}; the fields are [{known}]")
    fields = {name: value for name, value in body.items() if value is not None}
    for name, value in fields.items():
        _check(name, schema[name], value)
    return fields


def _check(name: str, kind: str, value: Any) -> None:
    if kind == "boolean":
        if not isinstance(value, bool):
            raise bad(f"{name} must be true or false, but was {value!r}")
        return
    if kind == "object":
        if not isinstance(value, dict):
            raise bad(f"{name} must be a JSON object, but was {type(value).__name__}")
        return
    if kind in ("number", "integer"):
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not numeric or (kind == "integer" and not float(value).is_integer()):
            raise bad(f"{name} must be a{'n integer' if kind == 'integer' else ' number'}")
        low, high = _RANGES[name]
        if not low <= value <= high:
            raise bad(f"{name} must be within the range [{low}, {high}], but was {value}")
        return
    if not isinstance(value, str):
        raise bad(f"{name} must be a string, but was {type(value).__name__}")
    if kind == "method" and value not in METHODS:
        raise bad(f"Invalid {name}. Supported methods: [POST, GET]")
    if kind == "credential" and len(value) > MAX_CREDENTIAL:
        raise bad(f"{name} must contain at most {MAX_CREDENTIAL} characters")
    if kind == "tag" and len(value) > MAX_TAG:
        raise bad(f"tag must contain at most {MAX_TAG} characters")
    if kind == "url":
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (reading it checks it)
        except ValueError as exc:
            raise bad(f"Invalid {name}: {value!r} is not a URL ({exc})") from None
        if parts.scheme not in ("http", "https"):
            raise bad(f"Invalid {name}: only http and https are allowed")
        if not parts.hostname:
            raise bad(f"Invalid {name}: {value!r} names no host")
        if len(value) > MAX_URL:
            raise bad(f"{name} must contain at most {MAX_URL} characters")


def _credentials(fields: dict[str, Any], url_field: str, user: str, password: str) -> None:
    if (user in fields) != (password in fields):
        raise bad(f"{user} and {password} go together; give both or neither")
    url = fields.get(url_field)
    if url is None or user not in fields:
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        raise bad(f"Invalid {url_field}: {url!r} is not a URL") from None
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        raise bad(
            f"Invalid {url_field}: must be https when {user} and {password} are set "
            "(http is allowed only on loopback)"
        )


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
