"""Read BXML text back into the objects that build it, safely.

The reader refuses DTDs, entity declarations and external references (in every
encoding), limits size, depth and attributes per element (:mod:`bxml._limits`), and
reports every failure as a :class:`bxml.ParseError` with line, column and path.
Values go through the same checks as when a verb is built, so a parsed document is as
correct as a built one and ``parse(doc.to_xml()) == doc``.
"""

from __future__ import annotations

import os
from typing import IO, Any, NoReturn
from xml.parsers import expat

from ._element import REGISTRY, Element, UnknownElement
from ._fast_parse import Fallback, read
from ._limits import MAX_ATTRIBUTES, MAX_BYTES, MAX_DEPTH
from ._sniff import wide_codec
from ._values import XML_SPACE
from .document import Bxml, Response
from .exceptions import BxmlError, ParseError
from .ssml import NODE_TYPES

#: Largest document read by default (Bandwidth itself stops at 64 KB).
DEFAULT_MAX_BYTES = MAX_BYTES
#: Deepest nesting read by default; real BXML is rarely deeper than 6.
DEFAULT_MAX_DEPTH = MAX_DEPTH

_ROOTS: dict[str, type[Element]] = {"Response": Response, "Bxml": Bxml}

#: What :func:`parse` reads: XML text, its bytes, a file path or an open file.
Source = str | bytes | bytearray | os.PathLike[str] | IO[bytes] | IO[str]


class _Frame:
    """One open element: what it will become, where it starts, what it holds so far."""

    __slots__ = ("cls", "tag", "attrs", "line", "column", "path", "content", "seen")

    def __init__(
        self,
        cls: type[Element] | None,  # None: an element kept verbatim (non-strict mode)
        tag: str,
        attrs: dict[str, str],
        line: int,
        column: int,
        path: str,
    ) -> None:
        self.cls = cls
        self.tag = tag
        self.attrs = attrs
        self.line = line
        self.column = column
        self.path = path
        self.content: list[Any] = []
        self.seen: dict[str, int] = {}


class _Reader:
    """One parse: expat callbacks that build elements bottom-up."""

    def __init__(
        self,
        strict: bool,
        max_depth: int,
        roots: dict[str, type[Element]],
        encoding: str | None,
    ) -> None:
        self.strict = strict
        self.max_depth = max_depth
        self.roots = roots
        self.stack: list[_Frame] = []
        self.result: Element | None = None
        self.column_shift = 0
        # A str input is read as the text it is, whatever encoding its declaration names.
        parser = expat.ParserCreate(encoding)
        parser.buffer_text = True
        parser.ordered_attributes = False
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.ExternalEntityRefHandler = self._external
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        self.parser = parser

    # -- errors -------------------------------------------------------------------------

    def _where(self) -> tuple[int, int]:
        line = self.parser.CurrentLineNumber
        column = self.parser.CurrentColumnNumber + 1
        return line, column - self.column_shift if line == 1 else column

    def _fail(self, message: str, frame: _Frame | None = None) -> NoReturn:
        if frame is None:
            line, column = self._where()
            raise ParseError(message, line, column)
        raise ParseError(f"{frame.path}: {message}", frame.line, frame.column, frame.path)

    def _doctype(self, *args: object) -> None:
        self._fail("DTDs (<!DOCTYPE ...>) are not allowed in BXML")

    def _entity(self, *args: object) -> None:
        self._fail("entity declarations are not allowed in BXML")

    def _external(self, *args: object) -> int:
        self._fail("external entity references are not allowed in BXML")

    # -- callbacks ----------------------------------------------------------------------

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        line, column = self._where()
        stack = self.stack
        if len(stack) >= self.max_depth:
            self._fail(f"elements are nested deeper than {self.max_depth} levels")
        if len(attrs) > MAX_ATTRIBUTES:
            self._fail(
                f"<{tag}> has {len(attrs)} attributes; a BXML element has at most {MAX_ATTRIBUTES}"
            )
        if stack:
            parent = stack[-1]
            count = parent.seen[tag] = parent.seen.get(tag, 0) + 1
            path = f"{parent.path}/{tag}[{count}]"
            cls = self._child_class(parent, tag, path, line, column)
        else:
            path = "/" + tag
            cls = self.roots.get(tag)
            if cls is None:
                expected = " or ".join(f"<{name}>" for name in self.roots)
                raise ParseError(f"the root element must be {expected}, not <{tag}>", line, column)
        stack.append(_Frame(cls, tag, attrs, line, column, path))

    def _child_class(
        self, parent: _Frame, tag: str, path: str, line: int, column: int
    ) -> type[Element] | None:
        cls = REGISTRY.get(tag)
        if parent.cls is None:
            return cls if cls is not None and not self.strict else None
        allowed = parent.cls.CHILD_TYPES
        if cls is not None and cls in allowed:
            return cls
        if not self.strict:
            return None
        names = ", ".join(klass.TAG for klass in allowed) or "no child elements"
        what = "unknown element" if cls is None else "element"
        raise ParseError(
            f"{path}: {what} <{tag}> is not allowed in <{parent.tag}>; allowed: {names}",
            line,
            column,
            path,
        )

    def _text(self, data: str) -> None:
        if self.stack:
            self.stack[-1].content.append(data)

    def _end(self, tag: str) -> None:
        frame = self.stack.pop()
        element = self._build(frame)
        if self.stack:
            self.stack[-1].content.append(element)
        else:
            self.result = element

    # -- building -----------------------------------------------------------------------

    def _build(self, frame: _Frame) -> Element:
        cls = frame.cls
        if cls is None:
            return UnknownElement(frame.tag, frame.attrs, *frame.content)
        try:
            kwargs, extra = self._attributes(cls, frame)
            element = cls(*self._content(cls, frame), **kwargs)
        except ParseError:
            raise
        except BxmlError as exc:
            self._fail(str(exc), frame)
        if extra:
            element._extra = extra
        return element

    def _attributes(
        self, cls: type[Element], frame: _Frame
    ) -> tuple[dict[str, Any], dict[str, str]]:
        fields = cls.XML_FIELDS
        kwargs: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for key, text in frame.attrs.items():
            attr = fields.get(key)
            if attr is not None:
                try:
                    kwargs[attr.name] = attr.from_text(cls.TAG, text)
                except BxmlError as exc:
                    path = f"{frame.path}/@{key}"
                    raise ParseError(f"{path}: {exc}", frame.line, frame.column, path) from None
            elif self.strict and not (len(self.stack) == 0 and _is_schema_hint(key)):
                known = ", ".join(fields) or "none"
                self._fail(f"unknown attribute {key!r} on <{frame.tag}>; known: {known}", frame)
            else:
                extra[key] = text
        for attr in cls.FIELDS:
            if attr.required and attr.name not in kwargs:
                self._fail(f"required attribute {attr.xml!r} is missing", frame)
        return kwargs, extra

    def _content(self, cls: type[Element], frame: _Frame) -> list[Any]:
        kind = cls.CONTENT
        content = frame.content
        if kind == "mixed":
            return content
        texts = [item for item in content if isinstance(item, str)]
        elements = [item for item in content if not isinstance(item, str)]
        if kind == "text":
            if elements:
                held = elements[0].element_name
                self._fail(f"<{frame.tag}> holds text only, not <{held}>", frame)
            return ["".join(texts)]
        stray = "".join(texts).strip(XML_SPACE)
        if stray:
            self._fail(f"<{frame.tag}> cannot hold text ({stray[:40]!r})", frame)
        if kind == "empty" and elements:
            self._fail(f"<{frame.tag}> cannot hold child elements", frame)
        if len(elements) < cls.MIN_CHILDREN:
            names = ", ".join(klass.TAG for klass in cls.CHILD_TYPES)
            self._fail(
                f"<{frame.tag}> needs at least {cls.MIN_CHILDREN} child ({names}); "
                f"it has {len(elements)}",
                frame,
            )
        return elements

    def feed(self, data: str | bytes) -> Element:
        try:
            self.parser.Parse(data, True)
        except UnicodeEncodeError as exc:
            raise ParseError(
                f"the text holds a character XML cannot carry (U+{ord(exc.object[exc.start]):04X})"
            ) from None
        except expat.ExpatError as exc:
            line = exc.lineno
            column = exc.offset + 1 - (self.column_shift if line == 1 else 0)
            raise ParseError(expat.ErrorString(exc.code), line, column) from None
        except ParseError:
            raise
        except ValueError as exc:  # a declared encoding that expat cannot read
            raise ParseError(
                f"cannot read the document's declared encoding ({exc}); "
                "UTF-8, UTF-16, UTF-32, ISO-8859-1 and US-ASCII are read"
            ) from None
        if self.result is None:  # pragma: no cover - expat reports empty input itself
            raise ParseError("no root element found", 1, 1)
        return self.result


def _is_schema_hint(name: str) -> bool:
    """Tell whether a root attribute only points validators at a schema (kept as is)."""
    return name == "xmlns:xsi" or name.startswith("xsi:")


def _contents(source: Source, max_bytes: int) -> str | bytes:
    """Return the document as text or bytes: as given, or read from the file (up to the limit)."""
    if isinstance(source, (str, bytes)):
        return source
    if isinstance(source, bytearray):
        return bytes(source)
    if isinstance(source, os.PathLike):
        with open(source, "rb") as file:
            return file.read(max_bytes + 1)
    read = getattr(source, "read", None)
    contents = read(max_bytes + 1) if callable(read) else None
    if isinstance(contents, (str, bytes)):
        return contents
    raise TypeError(
        "parse() takes XML text (str or bytes), a file path (os.PathLike) or an open file, "
        f"not {type(source).__name__}"
    )


def _check_not_a_path(text: str) -> None:
    """Refuse, with a hint, a str that cannot be XML and may well be a file name."""
    from ._tree import looks_like_a_path

    hint = looks_like_a_path(text)
    if hint is not None:
        raise ParseError(hint, 1, 1)


def _as_bytes(text: str | bytes, max_bytes: int) -> bytes:
    """Return the document's bytes (a str as UTF-8), refusing more than ``max_bytes``."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise ParseError(f"the document is {len(data)} bytes; at most {max_bytes} are read")
    return data


def _decoded(data: bytes) -> str | None:
    """Return UTF-32 or BOM-less UTF-16 bytes (which expat cannot read) as text, else None."""
    codec = wide_codec(data)
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ParseError(f"the document is not valid {codec.upper()}: {exc.reason}") from None


def parse(
    text: Source,
    *,
    strict: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Response | Bxml:
    """Parse a BXML document into a :class:`Response` or :class:`Bxml`.

    :param text: XML text (a ``str`` is always text, never a file name), its bytes, a
        file path (:class:`os.PathLike`) or an open file (binary, or text).
    :param strict: reject unknown elements and attributes (naming them); with False they
        are kept (:class:`UnknownElement`, ``extra_attributes``) and written back unchanged.
    :raises ParseError: for anything that cannot be read, with line and column.
    """
    document = _contents(text, max_bytes)
    if isinstance(document, str):
        _check_not_a_path(document)
    data = _as_bytes(document, max_bytes)
    try:
        root = read(data, isinstance(document, str), _ROOTS, strict, max_depth)
    except Fallback:
        document = _decoded(data) or document
        utf8 = isinstance(document, str)
        reader = _Reader(strict, max_depth, _ROOTS, "UTF-8" if utf8 else None)
        root = reader.feed(document)
    assert isinstance(root, (Response, Bxml))
    return root


class _SsmlHolder(Element):
    """The stand-in parent of an SSML fragment read by :func:`parse_ssml`."""

    __slots__ = ()

    TAG = "SpeakSentence"
    CONTENT = "mixed"
    CHILD_TYPES = NODE_TYPES

    def __init__(self, *content: Any) -> None:
        self._setup(content, {})


def parse_ssml(markup: str, *, strict: bool = True) -> list[str | Element]:
    """Parse a fragment of SSML (text and SSML tags) into text and :mod:`bxml.ssml` nodes."""
    opening = "<SpeakSentence>"
    wrapped = f"{opening}{markup}</SpeakSentence>"
    _as_bytes(wrapped, DEFAULT_MAX_BYTES)
    reader = _Reader(strict, DEFAULT_MAX_DEPTH, {"SpeakSentence": _SsmlHolder}, "UTF-8")
    reader.column_shift = len(opening)
    return reader.feed(wrapped).content
