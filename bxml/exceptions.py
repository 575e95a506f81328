"""Exceptions raised by :mod:`bxml`, and the :class:`Problem` record they carry.

The tree::

    BxmlError
    ├── InvalidValueError (also ValueError)   a value a verb cannot take
    ├── NestingError      (also TypeError)    a child a parent cannot hold
    ├── ParseError        (also ValueError)   a document that cannot be read
    └── ValidationError   (also ValueError)   a document the schema rejects

Catch :class:`BxmlError` to handle every failure of this package::

    try:
        doc = bxml.parse(text)
    except bxml.BxmlError as exc:
        print(exc)
"""

from __future__ import annotations


class Problem:
    """One finding about a document: where it is, and what is wrong.

    ``path`` is an XPath-like location such as ``/Response/Gather[1]/@maxDigits``;
    ``line`` is the 1-based source line when known; ``code`` names the lint rule
    or schema check that produced it. Problems are immutable and compare by value.
    """

    # A plain class rather than a dataclass: dataclasses (and the inspect module it
    # loads) would be a large part of the cost of ``import bxml``.
    __slots__ = ("path", "line", "message", "code")

    path: str
    line: int | None
    message: str
    code: str | None

    def __init__(self, path: str, line: int | None, message: str, code: str | None = None) -> None:
        for name, value in (("path", path), ("line", line), ("message", message), ("code", code)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Problem is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Problem is immutable; cannot delete {name!r}")

    def _key(self) -> tuple[str, int | None, str, str | None]:
        return (self.path, self.line, self.message, self.code)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Problem:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Problem(path={self.path!r}, line={self.line!r}, message={self.message!r}, "
            f"code={self.code!r})"
        )

    def __reduce__(self) -> tuple[type[Problem], tuple[str, int | None, str, str | None]]:
        return (Problem, self._key())

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line is not None else self.path
        tag = f" [{self.code}]" if self.code else ""
        return f"{where}: {self.message}{tag}"


class BxmlError(Exception):
    """Root of every exception raised by :mod:`bxml`."""


class InvalidValueError(BxmlError, ValueError):
    """A value is outside what the element accepts (enum, range, format, length)."""


class NestingError(BxmlError, TypeError):
    """An element was given a child it may not hold, or lacks one it needs."""


class ParseError(BxmlError, ValueError):
    """A document could not be read; ``line`` and ``column`` point at the cause."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.path = path
        where = ""
        if line is not None:
            where = f"line {line}, column {column}: " if column is not None else f"line {line}: "
        super().__init__(where + message)


class ValidationError(BxmlError, ValueError):
    """A document breaks the BXML schema; ``errors`` lists every problem found."""

    def __init__(self, errors: list[Problem]) -> None:
        self.errors = errors
        count = len(errors)
        head = f"{count} schema problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in errors))
