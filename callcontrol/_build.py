"""Building the Calls API requests, checked before anything is sent.

Shared by the sync and the async client: each operation becomes an :class:`Outgoing`
request (method, URL, query, body, content type, and whether it may be sent twice), which
the client's transport then sends.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from . import _checks as check
from ._bxml_payload import bxml_payload
from ._config import Config, path_segment
from ._time import format_datetime, parse_datetime
from .exceptions import InvalidRequestError, UnexpectedResponseError
from .models import CallbackMethod, CreateCall, UpdateCall

if TYPE_CHECKING:
    import bxml

__all__ = ["Outgoing", "RequestBuilder", "redirect_update"]

JSON = "application/json; charset=utf-8"
XML = "application/xml; charset=utf-8"
FORM = "application/x-www-form-urlencoded"

ModelT = TypeVar("ModelT", CreateCall, UpdateCall)


@dataclass(frozen=True)
class Outgoing:
    """One request to send.

    ``idempotent`` is False for a request that must never be sent again once it may have
    reached the server, whatever its method (None: the retry policy decides by method).
    """

    method: str
    url: str
    params: Mapping[str, str] | None = None
    body: bytes | None = None
    content_type: str | None = None
    idempotent: bool | None = None

    def headers(self, user_agent: str) -> dict[str, str]:
        """The headers every request carries (authentication is added by the transport)."""
        headers = {"User-Agent": user_agent, "Accept": "application/json"}
        if self.content_type is not None:
            headers["Content-Type"] = self.content_type
        return headers


class RequestBuilder:
    """The requests of one client's account, from the checked :class:`Config`."""

    def __init__(self, config: Config, owner: str) -> None:
        self.config = config
        self.owner = owner

    def create_call(self, call: CreateCall | None, values: Mapping[str, Any]) -> Outgoing:
        """createCall, from a :class:`CreateCall` or its fields (never sent twice: POST)."""
        body = request_model(CreateCall, call, values)
        return _json("POST", self.config.calls_url, body.to_dict())

    def get_call_state(self, call_id: str) -> Outgoing:
        """getCallState."""
        return Outgoing("GET", self.call_url(call_id))

    def list_calls(
        self,
        to: str | None,
        from_: str | None,
        min_start_time: datetime | str | None,
        max_start_time: datetime | str | None,
        disconnect_cause: str | None,
        page_size: int | None,
    ) -> Outgoing:
        """The first page of listCalls, with the filters checked."""
        params = list_params(to, from_, min_start_time, max_start_time, disconnect_cause, page_size)
        return Outgoing("GET", self.config.calls_url, params)

    def next_page(self, url: str, *, from_server: bool) -> Outgoing:
        """The page at ``url`` (a next link), refused when on another origin than the API:
        our credentials would go with it. ``from_server``: the API sent the link."""
        if not from_server:
            check.text("list_calls_page", "next_url", url, required=True)
        if _origin(url) == _origin(self.config.base_url):
            return Outgoing("GET", url)
        base = self.config.base_url
        message = self.config.redact(f"refusing to send credentials to {url}: not on {base}")
        if from_server:
            raise UnexpectedResponseError(f"the API sent a next-page link {message}")
        raise InvalidRequestError(message, field="next_url", value=url)

    def update_call(
        self, call_id: str, update: UpdateCall | None, values: Mapping[str, Any]
    ) -> Outgoing:
        """updateCall: redirect or end a call (never sent twice: POST)."""
        url = self.call_url(call_id)
        body = request_model(UpdateCall, update, values)
        return _json("POST", url, body.to_dict())

    def update_call_bxml(self, call_id: str, doc: bxml.Bxml | str) -> Outgoing:
        """updateCallBxml: a PUT, but never sent twice once it may have arrived, since
        Bandwidth starts the document over on each one (a ``<Transfer>`` dials again)."""
        url = self.call_url(call_id) + "/bxml"
        return Outgoing("PUT", url, body=bxml_payload(doc), content_type=XML, idempotent=False)

    def token(self) -> Outgoing:
        """The OAuth2 client-credentials token request (sent with Basic client credentials)."""
        body = b"grant_type=client_credentials"
        return Outgoing("POST", self.config.token_url, body=body, content_type=FORM)

    def call_url(self, call_id: str) -> str:
        """The URL of one call; the id is one path segment."""
        return f"{self.config.calls_url}/{path_segment(self.owner, 'call_id', call_id)}"


def check_next_url_alone(given: list[object]) -> None:
    """``list_calls_page(next_url=...)`` takes no filters: the URL carries them."""
    if any(value is not None for value in given):
        raise InvalidRequestError(
            "next_url already carries the filters; pass it alone", field="next_url"
        )


def redirect_update(
    url: str,
    *,
    method: CallbackMethod | None,
    username: str | None,
    password: str | None,
    fallback_url: str | None,
    fallback_method: CallbackMethod | None,
    fallback_username: str | None,
    fallback_password: str | None,
    tag: str | None,
) -> UpdateCall:
    """The updateCall body that redirects a call to the BXML at ``url``."""
    return UpdateCall(
        state="active",
        redirect_url=url,
        redirect_method=method,
        username=username,
        password=password,
        redirect_fallback_url=fallback_url,
        redirect_fallback_method=fallback_method,
        fallback_username=fallback_username,
        fallback_password=fallback_password,
        tag=tag,
    )


#: The updateCall body that ends a call.
HANGUP = UpdateCall(state="completed")


def _json(method: str, url: str, data: Mapping[str, Any]) -> Outgoing:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Outgoing(method, url, body=body, content_type=JSON)


def request_model(cls: type[ModelT], given: ModelT | None, values: Mapping[str, Any]) -> ModelT:
    """The request model from an instance or from keyword fields (not both)."""
    name = cls.__name__
    if given is not None:
        if values:
            raise InvalidRequestError(f"pass a {name} or keyword fields, not both")
        if not isinstance(given, cls):
            raise InvalidRequestError(f"expected a {name}, not {type(given).__name__}")
        return given
    known = {f.name for f in fields(cls)}
    for key in values:
        if key not in known:
            raise TypeError(f"{name} has no field {key!r}{_did_you_mean(key, known)}")
    missing = [
        f.name for f in fields(cls) if f.init and _required(f) and values.get(f.name) is None
    ]
    if missing:
        raise InvalidRequestError(
            f"{name}: missing required field(s) {', '.join(missing)}", field=missing[0]
        )
    return cls(**values)


def _required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _did_you_mean(key: str, known: set[str]) -> str:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
    if snake in known:
        return f"; did you mean {snake!r}?"
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def list_params(
    to: str | None,
    from_: str | None,
    min_start_time: datetime | str | None,
    max_start_time: datetime | str | None,
    disconnect_cause: str | None,
    page_size: int | None,
) -> dict[str, str]:
    """The listCalls query, every filter checked."""
    owner = "list_calls"
    for name, value in (("to", to), ("from_", from_), ("disconnect_cause", disconnect_cause)):
        check.text(owner, name, value)
        check.integer(owner, "page_size", page_size, low=1, high=10000)
    params = {
        "to": to,
        "from": from_,
        "minStartTime": _time_param("min_start_time", min_start_time),
        "maxStartTime": _time_param("max_start_time", max_start_time),
        "disconnectCause": disconnect_cause,
        "pageSize": str(page_size) if page_size is not None else None,
    }
    _check_time_order(min_start_time, max_start_time)
    return {key: value for key, value in params.items() if value is not None}


def _time_param(name: str, value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            check.fail(
                "list_calls",
                name,
                value,
                "must be timezone-aware (e.g. datetime.now(timezone.utc))",
            )
        return format_datetime(value)
    if not isinstance(value, str) or parse_datetime(value) is None:
        check.fail(
            "list_calls",
            name,
            value,
            "must be a datetime or an ISO 8601 string like '2022-06-21T19:13:21Z'",
        )
    return value


def _check_time_order(low: datetime | str | None, high: datetime | str | None) -> None:
    start, end = _as_datetime(low), _as_datetime(high)
    if start is not None and end is not None and start > end:
        check.fail(
            "list_calls", "min_start_time", low, f"must not be after max_start_time ({high!r})"
        )


def _as_datetime(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        return parse_datetime(value)
    return value


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port
