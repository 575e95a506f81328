"""Conversion between callback JSON values and typed Python values (private).

Each field of a callback record has a *kind*, inferred once per class from its type hint
(``str | None``, ``datetime | None``, ``timedelta | None``, ...). A kind reads a JSON value
(or the string a GET query parameter carries) and writes the JSON value back. Timestamps and
durations remember how they were spelled, so a parsed payload serializes to the same text.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol

from ._time import parse_datetime

__all__ = [
    "FieldSpec",
    "Wire",
    "WireError",
    "camel_case",
    "dump_fields",
    "field_specs",
    "format_duration",
    "format_timestamp",
    "load_fields",
    "parse_duration",
    "parse_timestamp",
]

_NOT_FIELDS = frozenset({"extra", "_wire"})
_MAX_SHOWN = 60


class WireError(ValueError):
    """A callback value cannot be read as its field's type; ``path`` names the field."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"field {path!r} {problem}")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


# -- timestamps and durations -------------------------------------------------------------


def parse_timestamp(text: str) -> datetime:
    """Read an ISO 8601 date-time into an aware datetime (UTC when no offset is given).

    The same reading as the client's models; fractions beyond microseconds are truncated
    (the caller keeps the original text).
    """
    value = parse_datetime(text)
    if value is None:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time")
    return value


def format_timestamp(value: datetime) -> str:
    """Write a datetime as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (microseconds when needed).

    A naive datetime is taken to be UTC already.
    """
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    micro = value.microsecond
    fraction = f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}{fraction}Z"
    )


_NUMBER = r"([0-9]+(?:[.,][0-9]+)?)"
_DURATION = re.compile(
    rf"(-)?P(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_UNIT_MICROS = (604_800_000_000, 86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000)


def parse_duration(text: str) -> timedelta:
    """Read an ISO 8601 duration such as ``PT4.9891287S`` or ``P1DT2H`` into a timedelta.

    Years and months have no fixed length and are refused; sub-microsecond digits are dropped.
    """
    match = _DURATION.fullmatch(text)
    parts = match.groups()[1:] if match else ()
    if match is None or all(part is None for part in parts) or text.endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration (like PT4.98S)")
    pairs = zip(parts, _UNIT_MICROS, strict=True)
    micros = sum(
        (Decimal(part.replace(",", ".")) * unit for part, unit in pairs if part), Decimal(0)
    )
    try:
        result = timedelta(microseconds=int(micros))
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None
    return -result if match.group(1) else result


def format_duration(value: timedelta) -> str:
    """Write a timedelta as an ISO 8601 duration in seconds, e.g. ``PT4.98S``."""
    micros = abs(value) // timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    text = f"{seconds}.{fraction:06d}".rstrip("0").rstrip(".")
    return f"{'-' if value < timedelta(0) else ''}PT{text}S"


# -- kinds ----------------------------------------------------------------------------------


class _Loadable(Protocol):
    @classmethod
    def _from_wire(cls, data: Mapping[str, Any], path: str) -> Any: ...

    def to_dict(self) -> dict[str, Any]: ...


class Kind:
    """How one field reads its JSON value and writes it back."""

    def load(self, value: Any, path: str) -> tuple[Any, str | None]:
        """Return the typed value and, for timestamps and durations, the text it came from."""
        raise NotImplementedError

    def dump(self, value: Any, text: str | None) -> Any:
        """Return the JSON value for ``value`` (``text`` is the spelling it was read from)."""
        return value


class _Str(Kind):
    def load(self, value: Any, path: str) -> tuple[Any, str | None]:
        if not isinstance(value, str):
            raise WireError(path, f"must be a string, got {_type_name(value)} {_shown(value)}")
        return value, None


class _Scalar(Kind):
    """An int, float or bool; a string (GET query parameters) is converted."""

    def __init__(self, name: str, accepts: Callable[[Any], bool], convert: Callable[[str], Any]):
        self.name = name
        self.accepts = accepts
        self.convert = convert

    def load(self, value: Any, path: str) -> tuple[Any, str | None]:
        if self.accepts(value):
            return value, None
        if isinstance(value, str):
            if value == "":
                return None, None
            try:
                return self.convert(value), None
            except ValueError:
                pass
        raise WireError(path, f"must be {self.name}, got {_type_name(value)} {_shown(value)}")


def _to_int(text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", text):
        raise ValueError(text)
    return int(text)


def _to_float(text: str) -> float:
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(text)
    return number


def _to_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError(text)
    return lowered == "true"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Text(Kind):
    """A string parsed into a richer value (timestamp, duration); the text is kept."""

    def __init__(self, name: str, parse: Callable[[str], Any], write: Callable[[Any], str]):
        self.name = name
        self.parse = parse
        self.write = write

    def load(self, value: Any, path: str) -> tuple[Any, str | None]:
        if not isinstance(value, str):
            raise WireError(path, f"must be {self.name} string, got {_type_name(value)}")
        if value == "":
            return None, None
        try:
            return self.parse(value), value
        except ValueError as exc:
            raise WireError(path, f"is not {self.name}: {exc}") from None

    def dump(self, value: Any, text: str | None) -> Any:
        return text if text is not None else self.write(value)


def _decoded(value: Any, path: str, opener: str) -> Any:
    """Decode a JSON-encoded structure that arrived as a string (GET query parameters)."""
    if isinstance(value, str) and value.lstrip().startswith(opener):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            raise WireError(path, f"holds malformed JSON {_shown(value)}") from None
    return value


class _Strings(Kind):
    def load(self, value: Any, path: str) -> tuple[Any, str | None]:
        value = _decoded(value, path, "[")
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise WireError(path, f"must be a list of strings, got {_shown(value)}")
        return tuple(value), None

    def dump(self, value: Any, text: str | None) -> Any:
        return list(value)


class _StrMap(Kind):
    def load(self, value: Any, path: str) -> tuple[Any, str | None]:
        value = _decoded(value, path, "{")
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise WireError(path, f"must be an object of strings, got {_shown(value)}")
        return dict(value), None

    def dump(self, value: Any, text: str | None) -> Any:
        return dict(value)


class _Nested(Kind):
    def __init__(self, cls: type[_Loadable]):
        self.cls = cls

    def load(self, value: Any, path: str) -> tuple[Any, str | None]:
        value = _decoded(value, path, "{")
        if value is None:
            return None, None
        if not isinstance(value, Mapping):
            raise WireError(path, f"must be an object, got {_type_name(value)} {_shown(value)}")
        return self.cls._from_wire(value, path + "."), None

    def dump(self, value: Any, text: str | None) -> Any:
        return value.to_dict()


_SIMPLE_KINDS: dict[object, Kind] = {
    str: _Str(),
    int: _Scalar("an integer", _is_int, _to_int),
    float: _Scalar("a number", _is_number, _to_float),
    bool: _Scalar("a boolean", lambda v: isinstance(v, bool), _to_bool),
    datetime: _Text("an ISO 8601 date-time", parse_timestamp, format_timestamp),
    timedelta: _Text("an ISO 8601 duration", parse_duration, format_duration),
}


def _kind_for(hint: object, where: str) -> Kind:
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        if len(args) != 1:
            raise TypeError(f"{where}: only 'X | None' unions are supported, not {hint}")
        hint = args[0]
    if hint in _SIMPLE_KINDS:
        return _SIMPLE_KINDS[hint]
    origin = typing.get_origin(hint)
    if origin is tuple and typing.get_args(hint) == (str, ...):
        return _Strings()
    if origin is Mapping and typing.get_args(hint) == (str, str):
        return _StrMap()
    if isinstance(hint, type) and hasattr(hint, "_from_wire"):
        return _Nested(hint)
    raise TypeError(f"{where}: no wire conversion for type {hint}")


# -- field tables ---------------------------------------------------------------------------


def camel_case(attr: str) -> str:
    """Give the JSON name of a snake_case attribute (``from_`` -> ``from``)."""
    head, *rest = attr.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class FieldSpec:
    """One typed field: attribute name, JSON name and conversion."""

    attr: str
    key: str
    kind: Kind


_SPECS: dict[type, dict[str, FieldSpec]] = {}


def field_specs(cls: type) -> dict[str, FieldSpec]:
    """The typed fields of a record class, keyed by JSON name, in declaration order."""
    specs = _SPECS.get(cls)
    if specs is None:
        specs = _SPECS[cls] = _build_specs(cls)
    return specs


def _build_specs(cls: type) -> dict[str, FieldSpec]:
    hints = typing.get_type_hints(cls)
    specs: dict[str, FieldSpec] = {}
    for item in dataclasses.fields(cls):
        if item.name in _NOT_FIELDS:
            continue
        kind = _kind_for(hints[item.name], f"{cls.__name__}.{item.name}")
        specs[camel_case(item.name)] = FieldSpec(item.name, camel_case(item.name), kind)
    return specs


@dataclass(frozen=True)
class Wire:
    """How a record looked on the wire: its key order and the spelling of parsed texts."""

    order: tuple[str, ...]
    texts: Mapping[str, str]


def load_fields(
    cls: type, data: Mapping[str, Any], path: str
) -> tuple[dict[str, Any], dict[str, Any], Wire]:
    """Split ``data`` into typed constructor values, unknown fields, and its :class:`Wire`."""
    specs = field_specs(cls)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise WireError(path.rstrip(".") or "<root>", f"has a non-string key {_shown(key)}")
        spec = specs.get(key)
        if spec is None:
            extra[key] = value
            continue
        if value is None:
            values[spec.attr] = None
            continue
        values[spec.attr], text = spec.kind.load(value, path + key)
        if text is not None:
            texts[key] = text
    return values, extra, Wire(tuple(data), texts)


def dump_fields(record: object, wire: Wire | None, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object for ``record``: received keys in received order, then the rest."""
    specs = field_specs(type(record))
    out: dict[str, Any] = {}
    texts: Mapping[str, str] = wire.texts if wire is not None else {}
    for key in wire.order if wire is not None else ():
        spec = specs.get(key)
        if spec is not None:
            value = getattr(record, spec.attr)
            out[key] = None if value is None else spec.kind.dump(value, texts.get(key))
        elif key in extra:
            out[key] = extra[key]
    for key, spec in specs.items():
        value = getattr(record, spec.attr)
        if key not in out and value is not None:
            out[key] = spec.kind.dump(value, None)
    for key, value in extra.items():
        out.setdefault(key, value)
    return out
