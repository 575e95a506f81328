"""One JSON layer for callcontrol's records: API models and callback events (private).

A record is a frozen dataclass whose attributes are the snake_case of the JSON's camelCase
names (``from_`` for ``from``), plus ``extra`` for the names it does not know. Each field's
:class:`FieldSpec` is built once per class, on first use: the JSON name from
:func:`camel_case`, the :class:`Kind` (how the JSON value is read and written) from the type
hint, ``secret`` from the dataclass field's metadata, ``required`` from its default.

One decoding path, :func:`load_fields`, serves every reader; a :class:`Reading` says what
becomes of a value that does not fit its field: a callback raises :class:`WireError` naming
the JSON path, a response keeps the value as given in ``extra``, a request passes it on to
the model's own checks (which name the field). One encoding path, :func:`dump_fields`,
writes a record back; timestamps and durations read from a callback keep their spelling.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from ._time import format_datetime, format_duration, parse_datetime, parse_duration

__all__ = [
    "CALLBACK",
    "REQUEST",
    "RESPONSE",
    "ComparedByFields",
    "FieldSpec",
    "Kind",
    "Reading",
    "Wire",
    "WireError",
    "camel_case",
    "dump_fields",
    "field_specs",
    "fields_repr",
    "load_fields",
]

#: Dataclass fields that are not JSON fields.
_NOT_FIELDS = frozenset({"extra", "_wire"})
_MAX_SHOWN = 60


class WireError(ValueError):
    """A JSON value cannot be read as its field's type; ``path`` is its dotted JSON name."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"field {path!r} {problem}")


@dataclass(frozen=True)
class Reading:
    """How a JSON object is read.

    ``from_query``: values may arrive as the text of a GET query parameter (numbers and
    booleans spelled out, objects and lists JSON-encoded, ``""`` for null in a typed field).
    ``on_error``: what becomes of a value its field cannot take: ``"raise"`` a
    :class:`WireError`, ``"keep"`` it as given in ``extra``, or ``"pass"`` it on unchanged.
    """

    from_query: bool
    on_error: Literal["raise", "keep", "pass"]


#: Callbacks: strict, and GET callbacks carry their fields as query text.
CALLBACK = Reading(from_query=True, on_error="raise")
#: API responses: tolerant; what cannot be read is kept, as given, in ``extra``.
RESPONSE = Reading(from_query=False, on_error="keep")
#: Request bodies read back: the model's checks judge every value and name the field.
REQUEST = Reading(from_query=False, on_error="pass")


def camel_case(attr: str) -> str:
    """The JSON name of a snake_case attribute: ``call_timeout`` -> ``callTimeout``.

    A trailing underscore, which keeps a name off a Python keyword, is dropped (``from_``).
    """
    head, *rest = attr.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


# -- kinds ----------------------------------------------------------------------------------


class _Loadable(Protocol):
    @classmethod
    def _from_json(cls, data: Mapping[str, Any], path: str, reading: Reading) -> Any: ...

    def to_dict(self) -> dict[str, Any]: ...


class Kind:
    """How one field reads its JSON value and writes it back."""

    #: Whether the received text is kept, so that the value is written back as it came.
    keeps_text = False

    def load(self, value: Any, path: str, reading: Reading) -> Any:
        """The typed value of a non-null JSON ``value``; :class:`WireError` if it is unfit."""
        raise NotImplementedError

    def dump(self, value: Any) -> Any:
        """The JSON value of a non-None typed ``value``."""
        return value


class _Str(Kind):
    def load(self, value: Any, path: str, reading: Reading) -> Any:
        if not isinstance(value, str):
            raise WireError(path, f"must be a string, got {_type_name(value)} {_shown(value)}")
        return value


class _Scalar(Kind):
    """An int, float or bool; query text is converted."""

    def __init__(
        self,
        expected: str,
        accepts: Callable[[Any], bool],
        convert: Callable[[str], Any],
        cast: Callable[[Any], Any],
    ) -> None:
        self.expected = expected
        self.accepts = accepts
        self.convert = convert
        self.cast = cast

    def load(self, value: Any, path: str, reading: Reading) -> Any:
        if self.accepts(value):
            return self.cast(value)
        if reading.from_query and isinstance(value, str):
            if value == "":
                return None
            try:
                return self.convert(value)
            except ValueError:
                pass
        raise WireError(path, f"must be {self.expected}, got {_type_name(value)} {_shown(value)}")


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


def _same(value: Any) -> Any:
    return value


class _Text(Kind):
    """A string read into a richer value (timestamp, duration); the received text is kept."""

    keeps_text = True

    def __init__(
        self, expected: str, parse: Callable[[str], Any], write: Callable[[Any], str]
    ) -> None:
        self.expected = expected
        self.parse = parse
        self.write = write

    def load(self, value: Any, path: str, reading: Reading) -> Any:
        if not isinstance(value, str):
            raise WireError(path, f"must be {self.expected} string, got {_type_name(value)}")
        if value == "" and reading.from_query:
            return None
        parsed = self.parse(value)
        if parsed is None:
            raise WireError(path, f"is not {self.expected}: {_shown(value)}")
        return parsed

    def dump(self, value: Any) -> Any:
        return self.write(value)


def _from_query(value: Any, path: str, reading: Reading, opener: str) -> Any:
    """Decode a JSON-encoded structure that arrived as query text."""
    if reading.from_query and isinstance(value, str) and value.lstrip().startswith(opener):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            raise WireError(path, f"holds malformed JSON {_shown(value)}") from None
    return value


class _Strings(Kind):
    def load(self, value: Any, path: str, reading: Reading) -> Any:
        value = _from_query(value, path, reading, "[")
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise WireError(path, f"must be a list of strings, got {_shown(value)}")
        return tuple(value)

    def dump(self, value: Any) -> Any:
        return list(value)


class _StrMap(Kind):
    def load(self, value: Any, path: str, reading: Reading) -> Any:
        value = _from_query(value, path, reading, "{")
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise WireError(path, f"must be an object of strings, got {_shown(value)}")
        return dict(value)

    def dump(self, value: Any) -> Any:
        return dict(value)


class _Nested(Kind):
    def __init__(self, cls: type[_Loadable]) -> None:
        self.cls = cls

    def load(self, value: Any, path: str, reading: Reading) -> Any:
        value = _from_query(value, path, reading, "{")
        if not isinstance(value, Mapping):
            raise WireError(path, f"must be an object, got {_type_name(value)} {_shown(value)}")
        return self.cls._from_json(value, path + ".", reading)

    def dump(self, value: Any) -> Any:
        return value.to_dict()


_STR = _Str()
_DATETIME = _Text("an ISO 8601 date-time", parse_datetime, format_datetime)
_SIMPLE_KINDS: dict[object, Kind] = {
    str: _STR,
    int: _Scalar("an integer", _is_int, _to_int, _same),
    float: _Scalar("a number", _is_number, _to_float, float),
    bool: _Scalar("a boolean", lambda v: isinstance(v, bool), _to_bool, _same),
    datetime: _DATETIME,
    timedelta: _Text("an ISO 8601 duration (like PT4.98S)", parse_duration, format_duration),
}


def _kind_for(hint: object, where: str) -> Kind:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(members) != 1:
            raise TypeError(f"{where}: only 'X | None' unions are supported, not {hint}")
        hint = members[0]
    if hint in _SIMPLE_KINDS:
        return _SIMPLE_KINDS[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal and all(isinstance(arg, str) for arg in args):
        return _STR
    if origin is tuple and args == (str, ...):
        return _Strings()
    if origin in (dict, Mapping) and args == (str, str):
        return _StrMap()
    if isinstance(hint, type) and hasattr(hint, "_from_json"):
        return _Nested(hint)
    raise TypeError(f"{where}: no JSON conversion for type {hint}")


# -- field tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One JSON field of a record: attribute, JSON name, kind, and whether it is secret/required."""

    attr: str
    key: str
    kind: Kind
    secret: bool = False
    required: bool = False


_SPECS: dict[type, dict[str, FieldSpec]] = {}


def field_specs(cls: type) -> dict[str, FieldSpec]:
    """The JSON fields of a record class, keyed by JSON name, in declaration order."""
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
        key = camel_case(item.name)
        specs[key] = FieldSpec(
            attr=item.name,
            key=key,
            kind=_kind_for(hints[item.name], f"{cls.__name__}.{item.name}"),
            secret=bool(item.metadata.get("secret", False)),
            required=(
                item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
            ),
        )
    return specs


@dataclass(frozen=True)
class Wire:
    """How a record looked on the wire: its key order and the spelling of parsed texts."""

    order: tuple[str, ...]
    texts: Mapping[str, str]


# How load_fields reads a field: a str as it is, a timestamp through parse_datetime, or
# through its kind's load.
_AS_IS, _TIMESTAMP, _LOAD = "as is", "timestamp", "load"
_Plan = tuple[str, str, Kind]
_PLANS: dict[type, dict[str, _Plan]] = {}


def _plan(cls: type) -> dict[str, _Plan]:
    """Per JSON name: the attribute, the shortcut to read it by, and its kind."""
    plans = {}
    for key, spec in field_specs(cls).items():
        kind = spec.kind
        shortcut = _AS_IS if kind is _STR else _TIMESTAMP if kind is _DATETIME else _LOAD
        plans[key] = (spec.attr, shortcut, kind)
    _PLANS[cls] = plans
    return plans


def load_fields(
    cls: type, data: Mapping[str, Any], path: str, reading: Reading
) -> tuple[dict[str, Any], dict[str, Any], Wire]:
    """Split ``data`` into constructor values, unknown fields, and its :class:`Wire`.

    ``path`` is the JSON path of ``data`` with a trailing dot (``""`` at the root).
    """
    plans = _PLANS.get(cls) or _plan(cls)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for key, value in data.items():
        if type(key) is not str and not isinstance(key, str) and reading.on_error == "raise":
            raise WireError(path.rstrip(".") or "<root>", f"has a non-string key {_shown(key)}")
        plan = plans.get(key)
        if plan is None:
            extra[key] = value
            continue
        attr, shortcut, kind = plan
        # The shortcuts give what kind.load gives for the common values, without the call.
        if value is None:
            values[attr] = None
        elif shortcut is _AS_IS and type(value) is str:
            values[attr] = value
        elif (
            shortcut is _TIMESTAMP
            and type(value) is str
            and (parsed := parse_datetime(value)) is not None
        ):
            values[attr] = parsed
            texts[key] = value
        else:
            try:
                values[attr] = loaded = kind.load(value, path + key, reading)
            except WireError:
                if reading.on_error == "raise":
                    raise
                if reading.on_error == "keep":
                    extra[key] = value
                else:
                    values[attr] = value
                continue
            if kind.keeps_text and loaded is not None:
                texts[key] = value
    return values, extra, Wire(tuple(data), texts)


def dump_fields(record: object, wire: Wire | None, extra: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object for ``record``: None omitted, ``extra`` included.

    With a :class:`Wire`, the received keys come first in their received order (nulls
    included), and timestamps and durations keep their received spelling.
    """
    specs = field_specs(type(record))
    out: dict[str, Any] = {}
    if wire is not None:
        for key in wire.order:
            spec = specs.get(key)
            if spec is not None:
                value = getattr(record, spec.attr)
                text = wire.texts.get(key)
                out[key] = text if text is not None else _dump(spec, value)
            elif key in extra:
                out[key] = extra[key]
    for key, spec in specs.items():
        value = getattr(record, spec.attr)
        if value is not None and key not in out:
            out[key] = spec.kind.dump(value)
    for key, value in extra.items():
        out.setdefault(key, value)
    return out


def _dump(spec: FieldSpec, value: Any) -> Any:
    return None if value is None else spec.kind.dump(value)


class ComparedByFields:
    """``==`` and ``hash()`` by dataclass fields, for record classes declared with ``eq=False``.

    The same comparison a dataclass generates (the fields with ``compare``, the hash of those
    with ``hash``), written once: a generated ``__eq__`` and ``__hash__`` per class would be
    compiled at import, which for the many event classes costs more than all the rest.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        compared = _comparison(type(self))[0]
        return bool(compared(self) == compared(other))

    def __hash__(self) -> int:
        return hash(_comparison(type(self))[1](self))


_Getter = Callable[[Any], Any]
_COMPARISONS: dict[type, tuple[_Getter, _Getter]] = {}


def _comparison(cls: type) -> tuple[_Getter, _Getter]:
    """The getters of the compared and of the hashed field values of a record class."""
    found = _COMPARISONS.get(cls)
    if found is None:
        fields = dataclasses.fields(cls)
        compared = [f.name for f in fields if f.compare]
        hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
        found = _COMPARISONS[cls] = (_getter(compared), _getter(hashed))
    return found


def _getter(names: list[str]) -> _Getter:
    """A function giving the tuple of the named attributes."""
    if len(names) == 1:
        get_one = operator.attrgetter(names[0])
        return lambda record: (get_one(record),)
    return operator.attrgetter(*names) if names else lambda record: ()


def fields_repr(record: Any) -> str:
    """``Name(attr=value, ...)`` with the fields that are set; secrets shown as ``'***'``."""
    shown = []
    for spec in field_specs(type(record)).values():
        value = getattr(record, spec.attr)
        if value is not None:
            shown.append(f"{spec.attr}={'***'!r}" if spec.secret else f"{spec.attr}={value!r}")
    if record.extra:
        shown.append(f"extra={dict(record.extra)!r}")
    return f"{type(record).__name__}({', '.join(shown)})"
