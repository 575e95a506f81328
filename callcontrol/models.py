"""The Calls API's request and response bodies as dataclasses.

Field names are the snake_case of the API's camelCase JSON names (``from_`` for ``from``).
``to_dict()`` writes the API's JSON (camelCase, None omitted) and ``from_dict()`` reads it.
Fields the library does not know are kept in ``extra`` and written back by ``to_dict()``,
so nothing the API sends, or a user gives, is lost.

Request models (:class:`CreateCall`, :class:`MachineDetectionConfiguration`,
:class:`UpdateCall`) check every value when they are built, and raise
:class:`~callcontrol.exceptions.InvalidRequestError` naming the field::

    >>> CreateCall(to="+15551234567", from_="+15557654321", application_id="app",
    ...            answer_url="https://example.com/answer", call_timeout=500)
    Traceback (most recent call last):
    ...
    callcontrol.exceptions.InvalidRequestError: CreateCall.call_timeout = 500: must be a
    number from 1 to 300

Response models (:class:`CreateCallResponse`, :class:`CallState`) are tolerant: values of an
unexpected type are kept, as given, in ``extra`` instead of failing; timestamps become
timezone-aware datetimes. Passwords are masked in every repr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn, TypeVar

from . import _checks as check
from ._wire import (
    REQUEST,
    RESPONSE,
    ComparedByFields,
    Reading,
    dump_fields,
    field_specs,
    fields_repr,
    load_fields,
)
from .exceptions import InvalidRequestError, UnexpectedResponseError

__all__ = [
    "CallState",
    "CallbackMethod",
    "CreateCall",
    "CreateCallResponse",
    "MachineDetectionConfiguration",
    "MachineDetectionMode",
    "UpdateCall",
    "UpdateCallState",
]

CallbackMethod = Literal["GET", "POST"]
MachineDetectionMode = Literal["sync", "async"]
UpdateCallState = Literal["active", "completed"]

METHODS = ("GET", "POST")
PRIVATE_DISPLAY_NAMES = ("Restricted", "Anonymous", "Private", "Unavailable")
UUI_ENCODINGS = ("jwt", "base64", "hex")

M = TypeVar("M", bound="_Model")


def _field(*, secret: bool = False, required: bool = False, hash: bool = True) -> Any:
    metadata = {"secret": secret}
    if required:
        return field(metadata=metadata)
    return field(default=None, metadata=metadata, hash=hash)


def _extra() -> Any:
    return field(default_factory=dict, hash=False, repr=False)


class _Model(ComparedByFields):
    """Shared behaviour: JSON mapping, unknown-field keeping, checks and masked repr."""

    #: Request models check values and refuse unknown types; response models tolerate them.
    _STRICT: ClassVar[bool] = True

    extra: dict[str, Any]

    if TYPE_CHECKING:  # every subclass is a dataclass with keyword-only fields

        def __init__(self, **fields: Any) -> None: ...

    def __post_init__(self) -> None:
        if not isinstance(self.extra, Mapping):
            raise InvalidRequestError(
                f"{type(self).__name__}.extra must be a mapping of JSON names to values",
                field="extra",
                value=self.extra,
            )
        object.__setattr__(self, "extra", dict(self.extra))
        self._check_extra()
        if self._STRICT:
            self._check()

    def _check(self) -> None:
        """Check field values; request models override this."""

    def _check_extra(self) -> None:
        if not self.extra:
            return
        if self._STRICT:
            for key, value in self.extra.items():
                check.json_texts(type(self).__name__, f"extra[{key!r}]", (key, value))
        for name, spec in field_specs(type(self)).items():
            # Response models park unreadable values of known fields in extra; a request
            # model must not let extra smuggle a value past its checks.
            if name in self.extra and (self._STRICT or getattr(self, spec.attr) is not None):
                raise InvalidRequestError(
                    f"{type(self).__name__}.extra[{name!r}] duplicates the field "
                    f"{spec.attr!r}; set {spec.attr}= instead",
                    field="extra",
                    value=name,
                )

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON object: camelCase names, None omitted, ``extra`` included."""
        return dump_fields(self, None, self.extra)

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """Build the model from the API's JSON object; unknown fields go to ``extra``."""
        if not isinstance(data, Mapping):
            cls._missing(f"a JSON object is expected, not {type(data).__name__}")
        return cls._from_json(data, "", REQUEST if cls._STRICT else RESPONSE)

    @classmethod
    def _from_json(cls: type[M], data: Mapping[str, Any], path: str, reading: Reading) -> M:
        values, extra, _ = load_fields(cls, data, path, reading)
        for key, spec in field_specs(cls).items():
            if spec.required and values.get(spec.attr) is None:
                cls._missing(f"the required field {path + key!r} is missing or invalid")
        return cls(**values, extra=extra)

    @classmethod
    def _missing(cls, problem: str) -> NoReturn:
        message = f"{cls.__name__}.from_dict: {problem}"
        if cls._STRICT:
            raise InvalidRequestError(message)
        raise UnexpectedResponseError(message)

    def __repr__(self) -> str:
        return fields_repr(self)


def _check_credentials(owner: str, model: Any, *names: str) -> None:
    for name in names:
        check.text(owner, name, getattr(model, name), max_length=1024, secret="password" in name)


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class MachineDetectionConfiguration(_Model):
    """Answering-machine detection for :class:`CreateCall`.

    ``mode="sync"`` puts the result in the answer webhook; ``"async"`` (the API's default)
    sends a machineDetectionComplete webhook to ``callback_url``. Times are in seconds.
    """

    mode: MachineDetectionMode | None = _field()
    detection_timeout: float | None = _field()
    silence_timeout: float | None = _field()
    speech_threshold: float | None = _field()
    speech_end_threshold: float | None = _field()
    machine_speech_end_threshold: float | None = _field()
    delay_result: bool | None = _field()
    callback_url: str | None = _field()
    callback_method: CallbackMethod | None = _field()
    username: str | None = _field()
    password: str | None = _field(secret=True)
    fallback_url: str | None = _field()
    fallback_method: CallbackMethod | None = _field()
    fallback_username: str | None = _field()
    fallback_password: str | None = _field(secret=True)
    extra: dict[str, Any] = _extra()

    def _check(self) -> None:
        owner = type(self).__name__
        check.choice(owner, "mode", self.mode, ("sync", "async"))
        for name in (
            "detection_timeout",
            "silence_timeout",
            "speech_threshold",
            "speech_end_threshold",
            "machine_speech_end_threshold",
        ):
            check.number(owner, name, getattr(self, name), low=0, high=None)
        check.boolean(owner, "delay_result", self.delay_result)
        check.url(owner, "callback_url", self.callback_url)
        check.url(owner, "fallback_url", self.fallback_url)
        check.choice(owner, "callback_method", self.callback_method, METHODS)
        check.choice(owner, "fallback_method", self.fallback_method, METHODS)
        _check_credentials(
            owner, self, "username", "password", "fallback_username", "fallback_password"
        )


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class CreateCall(_Model):
    """The body of createCall: place an outbound call.

    ``to`` is an E.164 number or a SIP URI; ``from_`` an E.164 number on the account.
    When the callee answers, Bandwidth fetches the first BXML document from ``answer_url``.
    URLs must use https when their callback credentials are set, except on loopback hosts
    (which only a local emulator can reach).
    """

    to: str = _field(required=True)
    from_: str = _field(required=True)
    application_id: str = _field(required=True)
    answer_url: str = _field(required=True)
    privacy: bool | None = _field()
    display_name: str | None = _field()
    uui: str | None = _field()
    answer_method: CallbackMethod | None = _field()
    username: str | None = _field()
    password: str | None = _field(secret=True)
    answer_fallback_url: str | None = _field()
    answer_fallback_method: CallbackMethod | None = _field()
    fallback_username: str | None = _field()
    fallback_password: str | None = _field(secret=True)
    disconnect_url: str | None = _field()
    disconnect_method: CallbackMethod | None = _field()
    call_timeout: float | None = _field()
    callback_timeout: float | None = _field()
    machine_detection: MachineDetectionConfiguration | None = _field()
    priority: int | None = _field()
    tag: str | None = _field()
    extra: dict[str, Any] = _extra()

    def _check(self) -> None:
        owner = type(self).__name__
        check.destination(owner, "to", self.to, required=True)
        check.e164(owner, "from_", self.from_, required=True)
        check.text(owner, "application_id", self.application_id, required=True)
        check.url(owner, "answer_url", self.answer_url, required=True)
        check.url(owner, "answer_fallback_url", self.answer_fallback_url)
        check.url(owner, "disconnect_url", self.disconnect_url)
        for name in ("answer_method", "answer_fallback_method", "disconnect_method"):
            check.choice(owner, name, getattr(self, name), METHODS)
        _check_credentials(
            owner, self, "username", "password", "fallback_username", "fallback_password"
        )
        self._check_https()
        self._check_caller_display()
        self._check_uui()
        check.number(owner, "call_timeout", self.call_timeout, low=1, high=300)
        check.number(owner, "callback_timeout", self.callback_timeout, low=1, high=25)
        check.integer(owner, "priority", self.priority, low=1, high=5)
        check.text(owner, "tag", self.tag, max_length=4096)
        if self.machine_detection is not None and not isinstance(
            self.machine_detection, MachineDetectionConfiguration
        ):
            check.fail(
                owner,
                "machine_detection",
                self.machine_detection,
                "must be a MachineDetectionConfiguration",
            )

    def _check_https(self) -> None:
        owner = type(self).__name__
        if self.username is not None or self.password is not None:
            check.https_with_credentials(owner, "answer_url", self.answer_url, "username/password")
        if self.fallback_username is not None or self.fallback_password is not None:
            check.https_with_credentials(
                owner,
                "answer_fallback_url",
                self.answer_fallback_url,
                "fallback_username/fallback_password",
            )

    def _check_caller_display(self) -> None:
        owner = type(self).__name__
        check.boolean(owner, "privacy", self.privacy)
        check.text(owner, "display_name", self.display_name, max_length=256)
        check.no_control_characters(owner, "display_name", self.display_name)
        if self.privacy and self.display_name not in (None, *PRIVATE_DISPLAY_NAMES):
            allowed = ", ".join(repr(n) for n in PRIVATE_DISPLAY_NAMES)
            check.fail(
                owner,
                "display_name",
                self.display_name,
                f"must be one of {allowed} when privacy=True",
            )

    def _check_uui(self) -> None:
        owner = type(self).__name__
        check.text(owner, "uui", self.uui, max_length=350)
        if self.uui is None:
            return
        if not check.SIP_URI.fullmatch(self.to):
            check.fail(
                owner, "uui", self.uui, "is only sent to SIP URI destinations (to='sip:...')"
            )
        for item in self.uui.split(","):
            value, _, encoding = item.rpartition(";encoding=")
            if not value or encoding.lower() not in UUI_ENCODINGS:
                check.fail(
                    owner,
                    "uui",
                    self.uui,
                    "must be comma-separated values each ending in ';encoding=jwt', "
                    "';encoding=base64' or ';encoding=hex'",
                )


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class UpdateCall(_Model):
    """The body of updateCall: redirect a call to new BXML, or end it.

    ``state="active"`` (the default) needs ``redirect_url``, whose reply becomes the call's
    BXML; ``state="completed"`` hangs up, cancels or rejects the call and takes no other field.
    """

    state: UpdateCallState | None = _field()
    redirect_url: str | None = _field()
    redirect_method: CallbackMethod | None = _field()
    username: str | None = _field()
    password: str | None = _field(secret=True)
    redirect_fallback_url: str | None = _field()
    redirect_fallback_method: CallbackMethod | None = _field()
    fallback_username: str | None = _field()
    fallback_password: str | None = _field(secret=True)
    tag: str | None = _field()
    extra: dict[str, Any] = _extra()

    def _check(self) -> None:
        owner = type(self).__name__
        check.choice(owner, "state", self.state, ("active", "completed"))
        if self.state == "completed":
            self._check_completed()
        elif self.redirect_url is None:
            check.fail(
                owner,
                "redirect_url",
                None,
                "is required when state is 'active' (the default); "
                "use state='completed' to hang up",
            )
        check.url(owner, "redirect_url", self.redirect_url, max_length=None)
        check.url(owner, "redirect_fallback_url", self.redirect_fallback_url, max_length=None)
        check.choice(owner, "redirect_method", self.redirect_method, METHODS)
        check.choice(owner, "redirect_fallback_method", self.redirect_fallback_method, METHODS)
        _check_credentials(
            owner, self, "username", "password", "fallback_username", "fallback_password"
        )
        check.text(owner, "tag", self.tag, max_length=4096)

    def _check_completed(self) -> None:
        for spec in field_specs(type(self)).values():
            value = getattr(self, spec.attr)
            if spec.attr != "state" and value is not None:
                check.fail(
                    type(self).__name__,
                    spec.attr,
                    value,
                    "is not allowed when state='completed' (it only applies to redirects)",
                    secret=spec.secret,
                )


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class CreateCallResponse(_Model):
    """The createCall reply: the new call's id and URL, and the settings it was created with."""

    _STRICT: ClassVar[bool] = False

    application_id: str = _field(required=True)
    account_id: str = _field(required=True)
    call_id: str = _field(required=True)
    to: str = _field(required=True)
    from_: str = _field(required=True)
    enqueued_time: datetime | None = _field()
    call_url: str = _field(required=True)
    call_timeout: float | None = _field()
    callback_timeout: float | None = _field()
    tag: str | None = _field()
    answer_method: str = _field(required=True)
    answer_url: str = _field(required=True)
    answer_fallback_method: str | None = _field()
    answer_fallback_url: str | None = _field()
    disconnect_method: str = _field(required=True)
    disconnect_url: str | None = _field()
    username: str | None = _field()
    password: str | None = _field(secret=True)
    fallback_username: str | None = _field()
    fallback_password: str | None = _field(secret=True)
    priority: int | None = _field()
    extra: dict[str, Any] = _extra()


@dataclass(frozen=True, kw_only=True, repr=False, eq=False)
class CallState(_Model):
    """A call as getCallState and listCalls describe it.

    ``state`` is one of ``queued``, ``initiated``, ``answered``, ``disconnected`` today, but
    new values may appear; ``disconnect_cause`` likewise (``hangup``, ``busy``, ``timeout``...).
    """

    _STRICT: ClassVar[bool] = False

    application_id: str | None = _field()
    account_id: str | None = _field()
    call_id: str | None = _field()
    parent_call_id: str | None = _field()
    to: str | None = _field()
    from_: str | None = _field()
    direction: str | None = _field()
    state: str | None = _field()
    stir_shaken: dict[str, str] | None = _field(hash=False)
    identity: str | None = _field()
    enqueued_time: datetime | None = _field()
    start_time: datetime | None = _field()
    answer_time: datetime | None = _field()
    end_time: datetime | None = _field()
    disconnect_cause: str | None = _field()
    error_message: str | None = _field()
    error_id: str | None = _field()
    last_update: datetime | None = _field()
    extra: dict[str, Any] = _extra()
