"""Attribute kinds: how a value is checked, written as XML text, and read back.

Each attribute of an element is declared once, as a class attribute holding one of the
descriptors below. The descriptor knows the Python name, the XML name, the constraint
and the text form, so checking, serialization and parsing share one definition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload
from urllib.parse import urlsplit

from .exceptions import InvalidValueError

if TYPE_CHECKING:
    from ._element import Element

T = TypeVar("T")

#: The whitespace of XML (and of XML Schema's ``\s``): space, tab, line feed, carriage return.
XML_SPACE = " \t\n\r"

#: Checks one attribute value and returns its serialized `` name="text"`` form.
Fragment = Callable[[Any], str]

# Patterns with large character classes, compiled on first use: each takes milliseconds
# to compile, and most programs only ever write printable ASCII, which needs neither.
_LAZY_PATTERNS = {
    # Characters XML 1.0 cannot carry, in text or in attributes.
    "_NOT_XML_CHAR": "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]",
}
_compiled: dict[str, re.Pattern[str]] = {}


def _lazy(name: str) -> re.Pattern[str]:
    found = _compiled.get(name)
    if found is None:
        found = _compiled[name] = re.compile(_LAZY_PATTERNS[name])
    return found


def __getattr__(name: str) -> Any:
    if name in _LAZY_PATTERNS:
        return _lazy(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# XML 1.0's Name production: what an element or attribute name may be (ASCII names are
# checked with the short form).
_ASCII_XML_NAME = re.compile(r"[:A-Z_a-z][:A-Z_a-z\-.0-9]*")
_NAME_START = (
    ":A-Z_a-z\xc0-\xd6\xd8-\xf6\xf8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_LAZY_PATTERNS["_XML_NAME"] = f"[{_NAME_START}][{_NAME_START}\\-.0-9\xb7\u0300-\u036f\u203f\u2040]*"


def _is_xml_name(value: str) -> bool:
    # A qualified name: one name, or two joined by a single ':' (a prefix), so that
    # namespace-aware readers (libxml2, expat) read back what was written.
    prefix, colon, local = value.partition(":")
    if colon:
        return _is_ncname(prefix) and _is_ncname(local)
    return _is_ncname(value)


def _is_ncname(value: str) -> bool:
    if ":" in value:
        return False
    if value.isascii():
        return _ASCII_XML_NAME.fullmatch(value) is not None
    return _lazy("_XML_NAME").fullmatch(value) is not None


# Python names whose XML name is not plain lowerCamelCase.
_XML_NAME_OVERRIDES = {"from_": "from", "xml_lang": "xml:lang", "interpret_as": "interpret-as"}


def xml_name(py_name: str) -> str:
    """Return the XML attribute name for a snake_case Python name."""
    if py_name in _XML_NAME_OVERRIDES:
        return _XML_NAME_OVERRIDES[py_name]
    head, *rest = py_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def check_xml_chars(owner: str, value: str, what: str) -> None:
    """Raise InvalidValueError if ``value`` holds a character XML 1.0 cannot carry."""
    if value.isascii() and value.isprintable():
        return
    bad = _lazy("_NOT_XML_CHAR").search(value)
    if bad is not None:
        char = bad.group()
        raise InvalidValueError(
            f"{owner}.{what}: character U+{ord(char):04X} at index {bad.start()} cannot be "
            "carried by XML 1.0 (control characters and lone surrogates are not allowed)"
        )


def check_xml_name(owner: str, value: object, what: str) -> str:
    """Return ``value`` if it is an XML name, else raise InvalidValueError.

    A name is written into the markup as it is, so anything else could break the document
    or add markup to it.
    """
    if not isinstance(value, str) or not _is_xml_name(value):
        raise InvalidValueError(
            f"{owner}: {what} {value!r} is not an XML name (a letter or '_' first, then "
            "letters, digits, '-', '.' or '_', with at most one ':' between two such names; "
            "no spaces or markup)"
        )
    return value


def escape_text(text: str) -> str:
    """Escape character data; ``\\r`` is written as a reference so it survives parsing."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def escape_attr(text: str) -> str:
    """Escape an attribute value; whitespace controls become references so they survive."""
    text = escape_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#9;")
    return text


def format_number(value: float) -> str:
    """Write a number the way BXML expects: integral values without ``.0``, no exponent."""
    if isinstance(value, int) or value.is_integer():
        return str(int(value))  # int() also drops a bool or IntEnum subclass
    text = repr(value)
    if "e" in text or "E" in text:
        from decimal import Decimal  # rare: imported here, as it is slow to import

        text = format(Decimal(text), "f")
    return text


class Attr(Generic[T]):
    """Descriptor for one XML attribute of an element.

    Reading returns the value or None when unset; assigning checks the value first.
    """

    def __init__(
        self, *, required: bool = False, secret: bool = False, default: Any = None
    ) -> None:
        self.required = required
        self.secret = secret
        #: The value Bandwidth uses when the attribute is left out (bxml-spec.md §4), or
        #: None when there is none (or it depends on the call): writing it changes nothing.
        self.default = default
        self.name = ""
        self.xml = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.xml = xml_name(name)

    @overload
    def __get__(self, obj: None, owner: type) -> Attr[T]: ...

    @overload
    def __get__(self, obj: Element, owner: type) -> T | None: ...

    def __get__(self, obj: Element | None, owner: type) -> Attr[T] | T | None:
        if obj is None:
            return self
        return obj._values.get(self.name)

    def __set__(self, obj: Element, value: T | None) -> None:
        obj._set_attr(self, value)

    def label(self, owner: str) -> str:
        """Return ``Owner.python_name`` for messages."""
        return f"{owner}.{self.name}"

    def shown(self, value: object) -> str:
        """Return the value as it may appear in a message (secrets are masked)."""
        return "'***'" if self.secret else repr(value)

    def fail(self, owner: str, value: object, allowed: str) -> InvalidValueError:
        """Build the error for a value this attribute does not accept."""
        return InvalidValueError(f"{self.label(owner)}: {self.shown(value)} {allowed}")

    def check(self, owner: str, value: Any) -> T:
        """Return ``value`` if it is acceptable, else raise InvalidValueError."""
        raise NotImplementedError

    def to_text(self, value: T) -> str:
        """Return the unescaped XML text for a checked value."""
        return str(value)

    def convert(self, owner: str, text: str) -> Any:
        """Turn the XML text of this attribute into a Python value, without range checks."""
        return text

    def from_text(self, owner: str, text: str) -> T:
        """Read the XML text of this attribute back into a checked value."""
        return self.check(owner, self.convert(owner, text))

    def fragment(self, owner: str) -> Fragment:
        """Return a function that checks a value and returns its `` name="text"`` XML.

        Kinds override this with fast paths for the common case; the slow path is
        always the full :meth:`check`, so both accept exactly the same values.
        """
        prefix = f' {self.xml}="'

        def make(value: Any) -> str:
            return prefix + escape_attr(self.to_text(self.check(owner, value))) + '"'

        return make


class Text(Attr[str]):
    """A string, optionally limited in length, pattern and emptiness."""

    def __init__(
        self,
        *,
        max_length: int | None = None,
        min_length: int = 0,
        pattern: str | None = None,
        pattern_help: str = "",
        required: bool = False,
        secret: bool = False,
        default: str | None = None,
    ) -> None:
        super().__init__(required=required, secret=secret, default=default)
        self.max_length = max_length
        self.min_length = min_length
        self.pattern = pattern
        self._regex = re.compile(pattern) if pattern is not None else None
        self.pattern_help = pattern_help

    def check(self, owner: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(owner, value, f"is a {type(value).__name__}; a str is required")
        check_xml_chars(owner, value, self.name)
        size = len(value)
        if size < self.min_length:
            if self.min_length == 1:
                raise self.fail(owner, value, "is empty; a non-empty string is required")
            raise self.fail(owner, value, f"is too short: at least {self.min_length} characters")
        if self.max_length is not None and size > self.max_length:
            raise self.fail(owner, value, f"is {size} characters long; at most {self.max_length}")
        if self._regex is not None and self._regex.fullmatch(value) is None:
            raise self.fail(owner, value, f"is not {self.pattern_help}")
        return value

    def fragment(self, owner: str) -> Fragment:
        prefix = f' {self.xml}="'
        low = self.min_length
        high = self.max_length if self.max_length is not None else 1 << 62
        match = self._regex.fullmatch if self._regex is not None else None
        check = self.check
        if match is None and high == 1 << 62 and low <= 1:
            return _plain_text_fragment(prefix, low == 1, owner, check)

        def make(value: Any) -> str:
            plain = type(value) is str and value.isascii() and value.isprintable()
            if not (
                plain and low <= len(value) <= high and (match is None or match(value) is not None)
            ):
                value = check(owner, value)
            text: str = value
            if not plain or '"' in text or "&" in text or "<" in text or ">" in text:
                text = escape_attr(text)
            return f'{prefix}{text}"'

        return make


def _plain_text_fragment(
    prefix: str, non_empty: bool, owner: str, check: Callable[[str, Any], str]
) -> Fragment:
    """The fragment of a Text with no pattern and no maximum (the usual URL or name):
    fewer steps for printable ASCII, the full check for anything else."""

    empty_ok = not non_empty

    def make(value: Any) -> str:
        if type(value) is str and (value or empty_ok) and value.isascii() and value.isprintable():
            if '"' in value or "&" in value or "<" in value or ">" in value:
                return f'{prefix}{escape_attr(value)}"'
            return f'{prefix}{value}"'
        return f'{prefix}{escape_attr(check(owner, value))}"'

    return make


# Callback URLs (bxml-spec §1: "Relative URLs in *Url attributes ... resolved against the URL
# of the request that returned this BXML"; webhooks are HTTP requests, and Bandwidth's API
# refuses other schemes: "Invalid answerUrl: only http and https are allowed", bandwidth.yml
# components.examples.voiceBadRequestErrorExample). So: an absolute http or https URL with
# a host, or a relative reference whose first segment has no ':' (RFC 3986 §4.2: anything
# else before a ':' is a scheme, such as javascript: or file:). No whitespace (RFC 3986
# §2: a space is written %20), which also keeps a leading space from hiding a scheme.
# The XSD's "url" type has this very pattern (a test compares them).
# The authority is [userinfo@]host[:port], the host a name or a bracketed IPv6 literal
# (RFC 3986 §3.2): a stray '[' or ']' would make the URL unusable (urljoin refuses it).
_H16 = "[0-9A-Fa-f]{1,4}"
_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"({_OCTET}\.){{3}}{_OCTET}"
_LS32 = f"({_H16}:{_H16}|{_IPV4})"
# RFC 3986 §3.2.2 IPv6address, the one bracketed host that urllib (and so the engine) reads.
_IPV6 = "|".join(
    (
        f"({_H16}:){{6}}{_LS32}",
        f"::({_H16}:){{5}}{_LS32}",
        f"({_H16})?::({_H16}:){{4}}{_LS32}",
        f"(({_H16}:)?{_H16})?::({_H16}:){{3}}{_LS32}",
        f"(({_H16}:){{0,2}}{_H16})?::({_H16}:){{2}}{_LS32}",
        f"(({_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
        f"(({_H16}:){{0,4}}{_H16})?::{_LS32}",
        f"(({_H16}:){{0,5}}{_H16})?::{_H16}",
        f"(({_H16}:){{0,6}}{_H16})?::",
    )
)
_URL_AUTHORITY = rf"([^/?#@ \t\n\r\[\]]*@)?([^/?#@ \t\n\r\[\]:]+|\[({_IPV6})\])(:[0-9]*)?"
URL_PATTERN = (
    rf"[hH][tT][tT][pP][sS]?://{_URL_AUTHORITY}([/?#][^ \t\n\r]*)?"
    rf"|//{_URL_AUTHORITY}([/?#][^ \t\n\r]*)?"
    r"|/([^/ \t\n\r][^ \t\n\r]*)?"
    r"|[?#][^ \t\n\r]*"
    r"|[^:/?# \t\n\r]+([/?#][^ \t\n\r]*)?"
)
URL_HELP = (
    "an http or https URL, or a URL relative to the document's (no other scheme, such as "
    "javascript: or file:, and no whitespace: write a space as %20)"
)
_AUTHORITY = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//([^/?#]*)")
NFKC_HELP = (
    "its authority holds a character that Unicode NFKC normalization turns into a URL "
    "delimiter (such as a fullwidth ＃ or ／), which HTTP clients refuse (urllib raises); "
    "percent-encode it"
)


def _usable_authority(url: str) -> bool:
    """Whether an HTTP client can read the authority of ``url`` (urllib refuses one whose
    characters NFKC-normalise to '/', '?', '#', '@' or ':', so the callback could never be
    sent)."""
    try:
        urlsplit(url)
    except ValueError:
        return False
    return True


def url_userinfo(url: str) -> str | None:
    """The ``user:password`` part of a URL's authority (``https://user:pw@host/``), or None."""
    if "@" not in url:
        return None
    found = _AUTHORITY.match(url)
    if found is None:
        return None
    userinfo, at, _ = found.group(1).rpartition("@")
    return userinfo if at else None


def is_https(url: str) -> bool:
    """Whether ``url`` (a checked callback URL) is an absolute https URL."""
    return url[:8].lower() == "https://"


def is_relative(url: str) -> bool:
    """Whether ``url`` (a checked callback URL) is relative to the document's URL."""
    return url[:7].lower() != "http://" and not is_https(url)


def redact_url(url: str) -> str:
    """``url`` with the credentials of its authority (``user:password@``) masked."""
    userinfo = url_userinfo(url)
    if userinfo is None:
        return url
    start = url.index("//") + 2
    return url[:start] + "***@" + url[start + len(userinfo) + 1 :]


class Url(Text):
    """A callback URL: absolute http or https, or relative to the document's URL; never
    empty. Credentials in it (``user:password@``) are masked in messages and reprs."""

    def __init__(self, *, required: bool = False) -> None:
        super().__init__(
            min_length=1, pattern=URL_PATTERN, pattern_help=URL_HELP, required=required
        )

    def shown(self, value: object) -> str:
        return repr(redact_url(value)) if isinstance(value, str) else repr(value)

    def check(self, owner: str, value: Any) -> str:
        checked = super().check(owner, value)
        if not checked.isascii() and not _usable_authority(checked):
            raise self.fail(owner, value, f"is not usable: {NFKC_HELP}")
        return checked

    def fragment(self, owner: str) -> Fragment:
        # A program uses a handful of callback URLs over and over: each is checked once and
        # its XML kept (bounded), so building a verb costs a dict lookup per URL.
        prefix = f' {self.xml}="'
        known: dict[str, str] = {}
        check = self.check

        def make(value: Any) -> str:
            if type(value) is str:
                found = known.get(value)
                if found is not None:
                    return found
            text = f'{prefix}{escape_attr(check(owner, value))}"'
            if type(value) is str and len(value) <= _KNOWN_URL_CHARS:
                if len(known) >= _KNOWN_URLS:
                    known.clear()
                known[value] = text
            return text

        return make


# The most URLs each attribute remembers as checked, and the longest it remembers.
_KNOWN_URLS = 1024
_KNOWN_URL_CHARS = 2048


class SocketUrl(Text):
    """A websocket URI (``wss://...``) that audio or transcripts go to; never empty.
    Credentials in it are masked in messages and reprs."""

    def __init__(self, *, required: bool = False) -> None:
        super().__init__(min_length=1, required=required)

    def shown(self, value: object) -> str:
        return repr(redact_url(value)) if isinstance(value, str) else repr(value)


class Choice(Attr[str]):
    """One string out of a fixed set."""

    def __init__(self, *values: str, required: bool = False, default: str | None = None) -> None:
        super().__init__(required=required, default=default)
        self.values = values
        self._set = frozenset(values)

    def check(self, owner: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self._set:
            raise self.fail(owner, value, f"is not one of {', '.join(self.values)}")
        return value

    def fragment(self, owner: str) -> Fragment:
        table = {value: f' {self.xml}="{escape_attr(value)}"' for value in self.values}
        check = self.check

        def make(value: Any) -> str:
            if type(value) is str and value in table:
                return table[value]
            return table[check(owner, value)]

        return make


def Method() -> Choice:  # noqa: N802 - reads as a kind
    """An HTTP method for a callback: GET or POST."""
    return Choice("GET", "POST", default="POST")


class Flag(Attr[bool]):
    """A boolean, written ``true`` or ``false``."""

    def check(self, owner: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(owner, value, "is not a bool (True or False)")
        return value

    def to_text(self, value: bool) -> str:
        return "true" if value else "false"

    def fragment(self, owner: str) -> Fragment:
        true, false = f' {self.xml}="true"', f' {self.xml}="false"'
        check = self.check

        def make(value: Any) -> str:
            if value is True:
                return true
            if value is False:
                return false
            return true if check(owner, value) else false

        return make

    def convert(self, owner: str, text: str) -> bool:
        if text == "true":
            return True
        if text == "false":
            return False
        raise InvalidValueError(
            f"{self.label(owner)}: {text!r} is not a BXML boolean (true or false)"
        )


# XML Schema's integer and decimal forms (surrounding whitespace is collapsed there too).
_INTEGER = re.compile(r"[ \t\r\n]*[+-]?[0-9]+[ \t\r\n]*")
_DECIMAL = re.compile(r"[ \t\r\n]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")


N = TypeVar("N", int, float)


class _Ranged(Attr[N]):
    """A number within an inclusive range, with a unit for messages."""

    def __init__(self, low: N, high: N, *, unit: str = "", default: N | None = None) -> None:
        super().__init__(default=default)
        self.low: N = low
        self.high: N = high
        self.unit = unit


class Integer(_Ranged[int]):
    """A whole number within an inclusive range."""

    def check(self, owner: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(owner, value, "is not an int")
        if not self.low <= value <= self.high:
            raise self.fail(owner, value, f"is out of range {self.low}..{self.high}{self.unit}")
        return value

    def convert(self, owner: str, text: str) -> int:
        if text.isascii() and text.isdigit():
            return int(text)
        if _INTEGER.fullmatch(text) is None:
            raise InvalidValueError(f"{self.label(owner)}: {text!r} is not an integer")
        return int(text)

    def to_text(self, value: int) -> str:
        return str(int(value))

    def fragment(self, owner: str) -> Fragment:
        prefix, low, high, check = f' {self.xml}="', self.low, self.high, self.check

        def make(value: Any) -> str:
            if type(value) is int and low <= value <= high:
                return prefix + str(value) + '"'
            return prefix + str(int(check(owner, value))) + '"'

        return make


class Number(_Ranged[float]):
    """A decimal number (int or float) within an inclusive range."""

    def check(self, owner: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(owner, value, "is not a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(owner, value, "is not a finite number")
        if not self.low <= value <= self.high:
            low, high = format_number(self.low), format_number(self.high)
            raise self.fail(owner, value, f"is out of range {low}..{high}{self.unit}")
        return value

    def to_text(self, value: float) -> str:
        return format_number(value)

    def fragment(self, owner: str) -> Fragment:
        prefix, low, high, check = f' {self.xml}="', self.low, self.high, self.check

        def make(value: Any) -> str:
            if type(value) is int and low <= value <= high:
                return prefix + str(value) + '"'
            return prefix + format_number(check(owner, value)) + '"'

        return make

    def convert(self, owner: str, text: str) -> float:
        if text.isascii() and text.isdigit():
            return int(text)
        if _DECIMAL.fullmatch(text) is None:
            raise InvalidValueError(f"{self.label(owner)}: {text!r} is not a decimal number")
        if _INTEGER.fullmatch(text) is not None:
            return int(text)
        return float(text)


class Custom(Attr[str]):
    """A string checked by a function that returns an error text, or None when fine."""

    def __init__(self, test: Callable[[str], str | None], *, required: bool = False) -> None:
        super().__init__(required=required)
        self.test = test

    def check(self, owner: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail(owner, value, f"is a {type(value).__name__}; a str is required")
        check_xml_chars(owner, value, self.name)
        problem = self.test(value)
        if problem is not None:
            raise self.fail(owner, value, problem)
        return value
