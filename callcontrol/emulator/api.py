"""The Calls REST API (voice-api §2-§8): routing, auth, content types and the five operations.

:meth:`CallsApi.handle` turns one HTTP request into a :class:`Reply`; it never raises for
bad input. It reaches the calls only through a :class:`~.backend.CallsBackend`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import bxml
from bxml import Bxml, BxmlError

from .._time import parse_datetime
from ..contract import parse_basic_authorization
from ..engine import CallStateConflict
from . import validate
from .backend import CallRefused, CallsBackend, CallView
from .faults import Fault, Faults
from .validate import ApiError, bad

_CALLS = re.compile(
    r"/api/v2/accounts/(?P<account>[^/]+)/calls(?:/(?P<call>[^/]+)(?P<bxml>/bxml)?)?/?"
)
_STATISTICS = re.compile(r"/api/v2/accounts/(?P<account>[^/]+)/statistics/?")
_ALLOWED = {
    "calls": ("GET", "POST"),
    "call": ("GET", "POST"),
    "bxml": ("PUT",),
    "statistics": ("GET",),
}
_OPERATIONS = {
    ("calls", "POST"): "createCall",
    ("calls", "GET"): "listCalls",
    ("call", "GET"): "getCallState",
    ("call", "POST"): "updateCall",
    ("bxml", "PUT"): "updateCallBxml",
    ("statistics", "GET"): "getStatistics",
}
LIST_PARAMS = ("to", "from", "minStartTime", "maxStartTime", "disconnectCause", "pageSize",
               "pageToken")  # fmt: skip
MAX_LISTED = 10000
MASK = "*****"
NO_FAULT = Fault()


@dataclass
class Reply:
    """An HTTP answer; ``drop`` closes the connection without it ("before"/"after")."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    operation: str | None = None
    drop: str | None = None
    latency: float = 0.0


@dataclass(frozen=True)
class Account:
    """An API user: password and the account it may use."""

    password: str
    account_id: str


Admin = Callable[[str, str, bytes], tuple[int, Any]]


class CallsApi:
    """Answers REST requests with the calls of ``calls`` (see :mod:`.backend`)."""

    def __init__(
        self,
        *,
        users: dict[str, Account],
        calls: CallsBackend,
        faults: Faults,
        base_url: str,
    ) -> None:
        self.users = users
        self.calls = calls
        self.faults = faults
        self.base_url = base_url
        self.admin: Admin | None = None

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        """Answer one request (never raises for what the client sent)."""
        operation: str | None = None
        try:
            if path == "/_emulator" or path.startswith("/_emulator/"):
                return self._admin(method, path, headers, body)
            match = _CALLS.fullmatch(path)
            if match is not None:
                kind = "bxml" if match["bxml"] else "call" if match["call"] else "calls"
                call_id = match["call"]
            else:
                match = _STATISTICS.fullmatch(path)
                if match is None:
                    raise ApiError(404, "validation", f"Not found: no resource at {path}")
                kind, call_id = "statistics", None
            allowed = method in _ALLOWED[kind]
            # A 405 is recorded under the path's first operation, which documents it.
            operation = _OPERATIONS[(kind, method if allowed else _ALLOWED[kind][0])]
            account = self._authenticate(headers.get("authorization"), match["account"])
            if not allowed:
                raise ApiError(405, "validation", "Method Not Allowed")
            fault = self.faults.decide(operation) or NO_FAULT
            if fault.status is not None:
                reply = _fault_reply(fault, operation)
            elif fault.drop == "before":
                reply = Reply(0)
            else:
                reply = self._operate(operation, account, call_id, query, headers, body)
            reply.drop, reply.latency = fault.drop, fault.latency
        except ApiError as error:
            reply = _error_reply(error)
        reply.operation = operation
        return reply

    def _admin(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        user = self.users.get(_user(headers.get("authorization")))
        if user is None or self.admin is None:
            raise ApiError(401, "authentication-error", "The credentials provided were invalid")
        self._authenticate(headers.get("authorization"), user.account_id)
        if method == "POST":
            _content_type(headers.get("content-type", ""), "application/json")
        status, value = self.admin(method, path, body)
        return _json_reply(status, value) if value is not None else Reply(status)

    def _authenticate(self, header: str | None, account_id: str) -> str:
        denied = ApiError(401, "authentication-error", "The credentials provided were invalid")
        pair = parse_basic_authorization(header)
        if pair is None:
            raise denied
        user, password = pair
        known = self.users.get(user)
        # Compared in constant time, so that the answer's timing says nothing of the password.
        expected = known.password if known is not None else "\0"
        if not hmac.compare_digest(password.encode(), expected.encode()) or known is None:
            raise denied
        if known.account_id != account_id:
            raise ApiError(403, "authorization-error", "Access is denied")
        return account_id

    def _operate(
        self,
        operation: str,
        account: str,
        call_id: str | None,
        query: str,
        headers: dict[str, str],
        body: bytes,
    ) -> Reply:
        content_type = headers.get("content-type", "")
        if operation in ("createCall", "updateCall"):
            _content_type(content_type, "application/json")
            fields = validate.json_object(body)
        if operation == "createCall":
            return self._create(account, validate.create_call(fields))
        if operation == "listCalls":
            return self._list(account, query)
        if operation == "getStatistics":
            size = self.calls.queue_size()
            stats = {"currentCallQueueSize": size, "maxCallQueueSize": self.calls.queue_capacity}
            return _json_reply(200, stats)
        assert call_id is not None
        record = self._find(account, call_id)
        if operation == "getCallState":
            return _json_reply(200, record.snapshot)
        if operation == "updateCall":
            update = validate.update_call(fields)
            self._command(record, lambda: self.calls.update(record.call_id, update))
            return Reply(200)
        _content_type(content_type, "application/xml", "text/xml")
        self._update_bxml(record, body)
        return Reply(204)

    # -- operations ----------------------------------------------------------------------------

    def _create(self, account: str, fields: dict[str, Any]) -> Reply:
        try:
            record = self.calls.create_call(account, fields)
        except CallRefused as refused:
            raise ApiError(429, "error", str(refused), (("Retry-After", "1"),)) from None
        location = f"{self.base_url}/accounts/{account}/calls/{record.call_id}"
        reply = _json_reply(201, create_response(record, location))
        reply.headers.append(("Location", location))
        return reply

    def _find(self, account: str, call_id: str) -> CallView:
        record = self.calls.find(call_id)
        now = self.calls.now_ms()
        if record is None or record.account_id != account or record.gone(now):
            raise ApiError(404, "validation", f"Call [{call_id}] not found")
        return record

    def _update_bxml(self, record: CallView, body: bytes) -> None:
        if len(body) > bxml.MAX_DOCUMENT_BYTES:
            raise bad(f"The BXML document is {len(body)} bytes; at most {bxml.MAX_DOCUMENT_BYTES}")
        try:
            doc = bxml.parse(body)
        except BxmlError as exc:
            raise bad(f"Invalid BXML: {exc}") from None
        if not isinstance(doc, Bxml):
            raise bad(f"Invalid BXML: the root must be <Bxml>, not <{type(doc).__name__}>")
        self._command(record, lambda: self.calls.update_bxml(record.call_id, doc))

    def _command(self, record: CallView, action: Callable[[], None]) -> None:
        try:
            action()
        except CallStateConflict:
            raise ApiError(
                409,
                "validation",
                f"Call [{record.call_id}] cannot be modified in its current state",
            ) from None

    def _list(self, account: str, query: str) -> Reply:
        params = _list_query(query)
        size = _page_size(params.get("pageSize"))
        after, served = _token(params.get("pageToken"))
        low = _time_param(params, "minStartTime")
        high = _time_param(params, "maxStartTime")
        now = self.calls.now_ms()
        page: list[dict[str, Any]] = []
        more = False
        last = after
        limit = min(size, MAX_LISTED - served)
        for record in self.calls.calls_of(account, after):
            if record.gone(now):
                continue
            state = record.snapshot
            if not _matches(state, params, low, high):
                continue
            if len(page) >= limit:
                more = served + len(page) < MAX_LISTED
                break
            page.append(state)
            last = record.seq
        reply = _json_reply(200, page)
        if more:
            carried = {k: v for k, v in params.items() if k != "pageToken"}
            carried["pageSize"] = str(size)
            carried["pageToken"] = _encode_token(last, served + len(page))
            url = f"{self.base_url}/accounts/{account}/calls?{urlencode(carried, quote_via=quote)}"
            reply.headers.append(("Link", f'<{url}>; rel="next"'))
        return reply


def create_response(record: CallView, location: str) -> dict[str, Any]:
    """The CreateCallResponse of a new call, with passwords masked."""
    request = record.request
    state = record.snapshot
    body: dict[str, Any] = {
        "applicationId": request["applicationId"],
        "accountId": record.account_id,
        "callId": record.call_id,
        "to": request["to"],
        "from": request["from"],
        "enqueuedTime": state["enqueuedTime"],
        "callUrl": location,
        "callTimeout": float(request.get("callTimeout", 30)),
        "callbackTimeout": float(request.get("callbackTimeout", 15)),
        "tag": request.get("tag"),
        "answerMethod": request.get("answerMethod", "POST"),
        "answerUrl": request["answerUrl"],
        "answerFallbackMethod": request.get("answerFallbackMethod", "POST"),
        "answerFallbackUrl": request.get("answerFallbackUrl"),
        "disconnectMethod": request.get("disconnectMethod", "POST"),
        "disconnectUrl": request.get("disconnectUrl"),
        "username": request.get("username"),
        "password": MASK if request.get("password") is not None else None,
        "fallbackUsername": request.get("fallbackUsername"),
        "fallbackPassword": MASK if request.get("fallbackPassword") is not None else None,
        "priority": request.get("priority", 5),
    }
    return body


def _user(header: str | None) -> str:
    pair = parse_basic_authorization(header)
    return pair[0] if pair is not None else ""


def _content_type(value: str, *allowed: str) -> None:
    media = value.split(";", 1)[0].strip().lower()
    if media not in allowed:
        shown = value or "none"
        raise ApiError(415, "validation", f"Content type '{shown}' not supported; use {allowed[0]}")


def _json_reply(status: int, value: Any) -> Reply:
    body = json.dumps(value, separators=(",", ":")).encode()
    return Reply(status, body, [("Content-Type", "application/json")])


def _error_reply(error: ApiError) -> Reply:
    reply = _json_reply(error.status, error.body())
    reply.headers.extend(error.headers)
    return reply


def _fault_reply(fault: Fault, operation: str) -> Reply:
    status = fault.status or 500
    if status == 429:
        error = ApiError(429, "error", "Account call creation rate limit exceeded")
    elif status == 503:
        error = ApiError(503, "system-overloaded", "Managing too many concurrent calls")
    elif status >= 500:
        error = ApiError(status, "internal-error", "An unknown internal error occurred")
    else:
        error = ApiError(status, "validation", f"Injected fault for {operation}")
    reply = _error_reply(error)
    if fault.retry_after is not None:
        reply.headers.append(("Retry-After", f"{fault.retry_after:g}"))
    return reply


def _list_query(query: str) -> dict[str, str]:
    try:
        parsed = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise bad(f"Bad Request: the query {query!r} cannot be read") from None
    params: dict[str, str] = {}
    for name, values in parsed.items():
        if name not in LIST_PARAMS:
            raise bad(
                f"Unknown query parameter {name!r}; the parameters are [{', '.join(LIST_PARAMS)}]"
            )
        if len(values) > 1:
            raise bad(f"Query parameter {name!r} given {len(values)} times; give it once")
        params[name] = values[0]
    return params


def _page_size(value: str | None) -> int:
    if value is None:
        return 1000
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 10000:
        raise bad(f"pageSize must be within the range [1, 10000], but was {value}")
    return int(value)


def _encode_token(seq: int, served: int) -> str:
    return base64.urlsafe_b64encode(f"{seq}:{served}".encode()).decode().rstrip("=")


def _token(value: str | None) -> tuple[int, int]:
    if value is None:
        return 0, 0
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        seq, served = (int(part) for part in raw.split(":"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad("Invalid pageToken: use the URL of the Link header as given") from None
    return seq, served


def _time_param(params: dict[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        moment = parse_datetime(value)
    except (ValueError, OverflowError):  # a field out of range, e.g. an offset of +99:00
        moment = None
    if moment is None:
        raise bad(f"Invalid {name}: must be an ISO 8601 date-time, but was {value!r}")
    return moment


def _matches(
    state: dict[str, Any], params: dict[str, str], low: datetime | None, high: datetime | None
) -> bool:
    for name in ("to", "from", "disconnectCause"):
        if name in params and state[name] != params[name]:
            return False
    if low is None and high is None:
        return True
    start = state["startTime"]
    moment = parse_datetime(start) if start else None
    if moment is None:
        return False
    return (low is None or moment >= low) and (high is None or moment <= high)
