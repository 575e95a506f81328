"""Value checks for request models: each failure is an InvalidRequestError naming the field,
the value given and what is allowed. Secret values are never echoed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterator, Mapping
from typing import NoReturn
from urllib.parse import urlsplit

from .contract import E164 as E164
from .contract import SIP_URI as SIP_URI
from .exceptions import InvalidRequestError

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def fail(owner: str, name: str, value: object, expected: str, *, secret: bool = False) -> NoReturn:
    """Raise InvalidRequestError for ``owner.name``; ``expected`` says what is allowed."""
    shown: object = "***" if secret and value is not None else value
    if value is None:
        message = f"{owner}.{name}: {expected}"
    else:
        message = f"{owner}.{name} = {'***' if secret else repr(value)}: {expected}"
    raise InvalidRequestError(message, field=name, value=shown)


def text(
    owner: str,
    name: str,
    value: object,
    *,
    max_length: int | None = None,
    required: bool = False,
    secret: bool = False,
) -> None:
    """A string (or None unless ``required``), at most ``max_length`` characters long."""
    if value is None:
        if required:
            fail(owner, name, value, "is required", secret=secret)
        return
    if not isinstance(value, str):
        fail(owner, name, value, "must be a string", secret=secret)
    if not value.isascii() and lone_surrogate(value) is not None:
        fail(owner, name, value, UNENCODABLE, secret=secret)
    if required and not value:
        fail(owner, name, value, "is required and must not be empty", secret=secret)
    if max_length is not None and len(value) > max_length:
        fail(owner, name, value, f"must be at most {max_length} characters", secret=secret)


UNENCODABLE = (
    "must be valid Unicode text: it holds a lone surrogate code point, which UTF-8 "
    "(the encoding of the request) cannot carry"
)


def lone_surrogate(value: str) -> int | None:
    """The index of the first lone surrogate in ``value`` (which UTF-8 cannot encode), or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def json_texts(owner: str, name: str, value: object) -> None:
    """Every string in a JSON value (object keys too, at any depth) can be encoded as UTF-8.

    Only the position is shown: the value may be anything, a secret included.
    """
    for text in _strings(value):
        at = lone_surrogate(text) if not text.isascii() else None
        if at is not None:
            message = (
                f"{owner}.{name} holds a string with a lone surrogate {text[at]!r} at index "
                f"{at}; it must be valid Unicode text, which UTF-8 (the encoding of the "
                "request) can carry"
            )
            raise InvalidRequestError(message, field=name.partition("[")[0], value=None)


def _strings(value: object) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def e164(owner: str, name: str, value: object, *, required: bool = False) -> None:
    """A phone number in E.164 form, such as ``+15555551212``."""
    text(owner, name, value, required=required)
    if isinstance(value, str) and not E164.fullmatch(value):
        fail(owner, name, value, "must be an E.164 number like '+15555551212'")


def destination(owner: str, name: str, value: object, *, required: bool = False) -> None:
    """An E.164 number or a SIP URI such as ``sip:user@server.example``."""
    text(owner, name, value, required=required)
    if isinstance(value, str) and not (E164.fullmatch(value) or SIP_URI.fullmatch(value)):
        fail(
            owner,
            name,
            value,
            "must be an E.164 number like '+15555551212' or a SIP URI like "
            "'sip:user@server.example'",
        )


def url(
    owner: str, name: str, value: object, *, max_length: int | None = 2048, required: bool = False
) -> None:
    """An absolute http or https URL."""
    text(owner, name, value, max_length=max_length, required=required)
    if not isinstance(value, str):
        return
    if any(ch.isspace() for ch in value):
        fail(owner, name, value, "must be an absolute http(s) URL without spaces")
    try:
        parts = urlsplit(value)
    except ValueError:
        fail(owner, name, value, "must be an absolute http(s) URL")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        fail(owner, name, value, "must be an absolute http(s) URL such as 'https://host/path'")


def https_with_credentials(owner: str, name: str, value: str | None, credentials: str) -> None:
    """``value`` must use https because ``credentials`` are set (loopback hosts excepted).

    Loopback URLs are allowed over http: the Voice API cannot reach them, so they only
    occur against a local emulator, where TLS would add nothing.
    """
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme.lower() != "https" and parts.hostname not in LOOPBACK_HOSTS:
        fail(owner, name, value, f"must use https when {credentials} are set")


def choice(owner: str, name: str, value: object, choices: Collection[str]) -> None:
    """One of ``choices`` (exact spelling), or None."""
    if value is not None and value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        fail(owner, name, value, f"must be one of {allowed}")


def number(owner: str, name: str, value: object, *, low: float, high: float | None) -> None:
    """An int or float from ``low`` to ``high`` inclusive (no upper bound if None), or None."""
    if value is None:
        return
    span = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(owner, name, value, f"must be a number {span}")
    if not (low <= value and (high is None or value <= high)):  # also rejects NaN
        fail(owner, name, value, f"must be a number {span}")


def integer(owner: str, name: str, value: object, *, low: int, high: int) -> None:
    """An int from ``low`` to ``high`` inclusive, or None."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(owner, name, value, f"must be a whole number from {low} to {high}")


def boolean(owner: str, name: str, value: object) -> None:
    """True, False or None."""
    if value is not None and not isinstance(value, bool):
        fail(owner, name, value, "must be True or False")


def no_control_characters(owner: str, name: str, value: str | None) -> None:
    """No control characters (new lines, tabs, ...)."""
    if value is not None and any(unicodedata.category(ch) == "Cc" for ch in value):
        fail(owner, name, value, "must not contain control characters such as new lines")
