"""The element base class shared by roots, verbs and SSML nodes.

An element holds checked attribute values, optional unknown attributes kept by a lenient
parse, and its content: text, child elements, or both (mixed content). Subclasses declare
their attributes as :mod:`bxml._values` descriptors and their content model as class
variables; everything else (checking, equality, repr, serialization) lives here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, Literal

from ._compile import lazy_init
from ._values import (
    XML_SPACE,
    Attr,
    Fragment,
    check_xml_chars,
    check_xml_name,
    escape_attr,
    escape_text,
)
from .exceptions import InvalidValueError, NestingError

ContentKind = Literal["empty", "text", "children", "mixed"]

# Every element class by XML tag, for the parser.
REGISTRY: dict[str, type[Element]] = {}

_INDENT = "  "


class Element:
    """Base of every BXML element: attributes, content, equality and serialization."""

    __slots__ = ("_values", "_head", "_extra", "_content")

    TAG: ClassVar[str] = ""
    #: What the element holds: nothing, one text, child elements, or text mixed with nodes.
    CONTENT: ClassVar[ContentKind] = "empty"
    #: For CONTENT == "text": whether the text is required (a non-blank string).
    TEXT_REQUIRED: ClassVar[bool] = True
    #: Allowed child classes (for "children" and "mixed").
    CHILD_TYPES: ClassVar[tuple[type[Element], ...]] = ()
    MIN_CHILDREN: ClassVar[int] = 0
    MAX_CHILDREN: ClassVar[int | None] = None
    #: All attribute descriptors in declaration order: the class's own, then its bases'.
    FIELDS: ClassVar[tuple[Attr[Any], ...]] = ()
    #: Attribute descriptors by XML name (for parsing).
    XML_FIELDS: ClassVar[dict[str, Attr[Any]]] = {}
    #: Per attribute (by Python name): check a value and return its serialized form.
    FRAGMENTS: ClassVar[dict[str, Fragment]] = {}
    #: Python names of the required attributes.
    REQUIRED: ClassVar[tuple[str, ...]] = ()
    _BY_NAME: ClassVar[dict[str, Attr[Any]]] = {}
    _HEAD: ClassVar[str] = "<"
    _CHILD_SET: ClassVar[frozenset[type[Element]]] = frozenset()
    _CHECKS_TEXT: ClassVar[bool] = False
    _CLOSE: ClassVar[str] = ""
    #: Whether a parent must call this class's _write (required children, its own _write).
    _SELF_WRITTEN: ClassVar[bool] = False
    #: Whether the class's own ``__init__`` is replaced by a compiled one (bxml._compile).
    COMPILE_INIT: ClassVar[bool] = True

    _values: dict[str, Any]
    _head: str
    _extra: dict[str, str] | None
    _content: list[Any]

    def __init_subclass__(cls, tag: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if tag:
            cls.TAG = tag
        fields: dict[str, Attr[Any]] = {}
        for klass in cls.__mro__:  # own attributes first, then those of mixins
            for name, value in vars(klass).items():
                if isinstance(value, Attr) and name not in fields:
                    fields[name] = value
        owner = cls.TAG or cls.__name__
        cls.FIELDS = tuple(fields.values())
        cls._BY_NAME = dict(fields)
        cls.XML_FIELDS = {attr.xml: attr for attr in fields.values()}
        cls.REQUIRED = tuple(name for name, attr in fields.items() if attr.required)
        cls.FRAGMENTS = {name: attr.fragment(owner) for name, attr in fields.items()}
        cls._HEAD = "<" + owner
        cls._CHILD_SET = frozenset(cls.CHILD_TYPES)
        cls._CHECKS_TEXT = cls._text_problem is not Element._text_problem
        cls._CLOSE = "</" + owner + ">"
        cls._SELF_WRITTEN = cls.MIN_CHILDREN > 0 or cls._write is not Element._write
        # Each concrete class gets its own compiled __init__, also when it inherits the
        # declaring one (which then must name exactly this class's attributes).
        init = vars(cls).get("__init__")
        if init is None and tag:
            init = getattr(cls.__init__, "__wrapped__", None)
        if init is not None and cls.COMPILE_INIT:
            cls.__init__ = lazy_init(cls, init)  # type: ignore[method-assign]
        if tag:  # only a class that was created without error is known to the parser
            REGISTRY[tag] = cls

    # -- construction -------------------------------------------------------------------

    def _setup(self, content: Iterable[Any], values: Mapping[str, Any]) -> None:
        """Check and store attributes from ``values`` (an __init__'s locals) and content.

        This is the readable reference; classes run the compiled equivalent
        (:mod:`bxml._compile`).
        """
        owner = self.TAG
        fragments = self.FRAGMENTS
        checked: dict[str, Any] = {}
        head = "<" + owner
        for attr in self.FIELDS:
            value = values[attr.name]
            if value is not None:
                head += fragments[attr.name](value)
                checked[attr.name] = value
            elif attr.required:
                raise InvalidValueError(f"{owner}.{attr.name} is required")
        self._values = checked
        self._head = head
        self._extra = None
        self._content = []
        if self.CONTENT == "text":
            self._set_text(*content)
        else:
            self._add_all(content)
        self._check_rules()

    def _set_text(self, text: Any) -> None:
        if type(text) is not str or not (text.isascii() and text.isprintable()):
            if not isinstance(text, str):
                raise InvalidValueError(
                    f"{self.TAG}: text must be a str, got {type(text).__name__} {text!r}"
                )
            text = str(text)
            check_xml_chars(self.TAG, text, "text")
        if not text or (text[0] in XML_SPACE and not text.strip(XML_SPACE)):
            if self.TEXT_REQUIRED:
                raise InvalidValueError(f"{self.TAG}: text is required and may not be blank")
            if not text:
                return
        if self._CHECKS_TEXT:
            problem = self._text_problem(text)
            if problem is not None:
                raise InvalidValueError(f"{self.TAG}.text: {text!r} {problem}")
        self._content.append(text)

    def _text_problem(self, text: str) -> str | None:
        """Return why ``text`` is not acceptable as this element's text, or None."""
        return None

    def _add_all(self, items: Iterable[Any]) -> None:
        """Append content items, checking that this element may hold them."""
        content = self._content
        exact = self._CHILD_SET
        mixed = self.CONTENT == "mixed"
        for item in items:
            if type(item) in exact:
                content.append(item)
            elif type(item) is str:
                if mixed and item and item.isascii() and item.isprintable():
                    if not content or type(content[-1]) is not str:
                        content.append(item)
                        continue
                self._add(item)
            else:
                self._add(item)
        limit = self.MAX_CHILDREN
        if limit is not None and len(content) > limit:
            raise NestingError(
                f"<{self.TAG}> holds at most {limit} {'child' if limit == 1 else 'children'} "
                f"({self._allowed()}); "
                f"it would hold {len(content)}"
            )

    def _add(self, item: Any) -> None:
        """Append one item that is text or an element outside CHILD_TYPES."""
        content = self._content
        if isinstance(item, str):
            if self.CONTENT != "mixed":
                raise NestingError(
                    f"<{self.TAG}> cannot hold text {item!r}; allowed: {self._allowed()}"
                )
            check_xml_chars(self.TAG, item, "text")
            if not item:
                return
            if content and isinstance(content[-1], str):
                content[-1] += item
            else:
                content.append(str(item))
            return
        if not isinstance(item, (self.CHILD_TYPES, UnknownElement)):
            raise NestingError(
                f"<{self.TAG}> cannot hold {_shown(item)}; allowed: {self._allowed()}"
            )
        content.append(item)

    def _allowed(self) -> str:
        names = [klass.TAG for klass in self.CHILD_TYPES]
        if self.CONTENT == "mixed":
            names.insert(0, "text")
        return ", ".join(names) if names else "nothing"

    def _check_rules(self) -> None:
        """Check rules that involve several attributes or children (overridden)."""

    def _set_attr(self, attr: Attr[Any], value: Any) -> None:
        values = self._values
        old = values.get(attr.name)
        if value is None:
            if attr.required:
                raise InvalidValueError(f"{self.TAG}.{attr.name} is required")
            values.pop(attr.name, None)
        else:
            self.FRAGMENTS[attr.name](value)
            values[attr.name] = value
        try:
            self._check_rules()
        except InvalidValueError:
            if old is None:
                values.pop(attr.name, None)
            else:
                values[attr.name] = old
            raise
        self._head = self._make_head()

    def _make_head(self) -> str:
        values = self._values
        fragments = self.FRAGMENTS
        parts = ["<" + self.TAG]
        for attr in self.FIELDS:
            value = values.get(attr.name)
            if value is not None:
                parts.append(fragments[attr.name](value))
        return "".join(parts)

    # -- reading ------------------------------------------------------------------------

    @property
    def element_name(self) -> str:
        """The XML element name, such as ``"Gather"``."""
        return self.TAG

    @property
    def attributes(self) -> dict[str, Any]:
        """The attributes that are set, by Python name, in declaration order."""
        return dict(self._values)

    @property
    def extra_attributes(self) -> dict[str, str]:
        """Unknown attributes kept by ``parse(strict=False)``, by XML name."""
        return dict(self._extra or {})

    @property
    def children(self) -> list[Element]:
        """The child elements, in document order."""
        return [item for item in self._content if isinstance(item, Element)]

    @property
    def content(self) -> list[str | Element]:
        """Text and child elements in document order (mixed content)."""
        return list(self._content)

    def iter(self) -> Iterator[Element]:
        """Yield this element and every element below it, in document order."""
        yield self
        for item in self._content:
            if isinstance(item, Element):
                yield from item.iter()

    # -- equality and repr --------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Element)
        return (
            self._values == other._values
            and self._content == other._content
            and (self._extra or {}) == (other._extra or {})
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: built incrementally

    def __repr__(self) -> str:
        parts = [repr(item) for item in self._content]
        for name, value in self._values.items():
            parts.append(f"{name}={self._BY_NAME[name].shown(value)}")
        if self._extra:
            parts.append(f"extra_attributes={self._extra!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- serialization ------------------------------------------------------------------

    def to_xml(self, *, pretty: bool = False) -> str:
        """Return this element (and what it holds) as an XML fragment."""
        out: list[str] = []
        self._write(out, pretty, 0)
        return "".join(out)

    def __str__(self) -> str:
        return self.to_xml()

    def _open(self) -> str:
        """Return the start tag without its closing ``>``, checking required children."""
        content = self._content
        if len(content) < self.MIN_CHILDREN:
            raise NestingError(
                f"{self.TAG} needs at least {self.MIN_CHILDREN} child "
                f"({self._allowed()}); it has {len(content)}"
            )
        if self._extra:
            extra = "".join(f' {key}="{escape_attr(text)}"' for key, text in self._extra.items())
            return self._head + extra
        return self._head

    def _write(self, out: list[str], pretty: bool, depth: int) -> None:
        content = self._content
        head = self._open() if (self._extra or len(content) < self.MIN_CHILDREN) else self._head
        kind = self.CONTENT
        if not content:
            out.append(head + "/>")
        elif kind == "text":
            out.append(f"{head}>{escape_text(content[0])}{self._CLOSE}")
        elif pretty and kind == "children":
            inner = "\n" + _INDENT * (depth + 1)
            out.append(head + ">")
            for item in content:
                out.append(inner)
                item._write(out, True, depth + 1)
            out.append("\n" + _INDENT * depth + self._CLOSE)
        else:
            out.append(head + ">")
            for item in content:
                if type(item) is str:
                    out.append(escape_text(item))
                    continue
                # Leaves (no content, or one text) are written here: a call saved per leaf.
                # A lone text (of a text or mixed element) is written the same way.
                inner = item._content
                if item._extra or item._SELF_WRITTEN:
                    item._write(out, False, 0)
                elif not inner:
                    out.append(item._head + "/>")
                elif len(inner) == 1 and type(text := inner[0]) is str:
                    if "&" in text or "<" in text or ">" in text or "\r" in text:
                        text = escape_text(text)
                    out.append(f"{item._head}>{text}{item._CLOSE}")
                else:
                    item._write(out, False, 0)
            out.append(self._CLOSE)


def _shown(item: object) -> str:
    """Name a content item that was refused, for a message."""
    if isinstance(item, Element):
        return f"<{item.TAG}>"
    if isinstance(item, type) and issubclass(item, Element):
        name = item.__name__
        return f"the class {name} (pass {name}(), an instance, not the class {name})"
    return repr(item)


def allow_children(cls: type[Element], *types: type[Element]) -> None:
    """Set the child classes of ``cls`` after creation (for mutually nested classes)."""
    cls.CHILD_TYPES = types
    cls._CHILD_SET = frozenset(types)


class UnknownElement(Element):
    """An element this library does not model, kept verbatim by ``parse(strict=False)``.

    It may also be built by hand as an escape hatch for elements newer than this
    library: ``UnknownElement("Dial", {"number": "sip:a@b"})``.
    """

    __slots__ = ("_name",)

    CONTENT = "mixed"
    COMPILE_INIT = False

    def __init__(
        self,
        element_name: str,
        attributes: Mapping[str, str] | None = None,
        /,
        *content: str | Element,
    ) -> None:
        tag = check_xml_name("UnknownElement", element_name, "element name")
        self._name = tag
        self._values = {}
        self._head = "<" + tag
        self._extra = dict(attributes) if attributes else None
        for key, value in (attributes or {}).items():
            check_xml_name(tag, key, "attribute name")
            if not isinstance(value, str):
                raise InvalidValueError(
                    f"{tag}.{key}: {value!r} is a {type(value).__name__}; a str is required"
                )
            check_xml_chars(tag, value, key)
        self._content = []
        for item in content:
            self._add(item)

    @property
    def element_name(self) -> str:
        """The element's XML name, as given."""
        return self._name

    def _add(self, item: Any) -> None:
        if isinstance(item, (str, Element)):
            if isinstance(item, str):
                check_xml_chars(self._name, item, "text")
                if not item:
                    return
                if self._content and isinstance(self._content[-1], str):
                    self._content[-1] += item
                    return
            self._content.append(item)
            return
        raise NestingError(f"{self._name} cannot hold {_shown(item)}; allowed: text and elements")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnknownElement):
            return NotImplemented
        return self._name == other._name and super().__eq__(other)

    def __repr__(self) -> str:
        parts = [repr(self._name), repr(self._extra or {})]
        parts += [repr(item) for item in self._content]
        return f"UnknownElement({', '.join(parts)})"

    def _write(self, out: list[str], pretty: bool, depth: int) -> None:
        out.append("<" + self._name)
        for key, text in (self._extra or {}).items():
            out.append(f' {key}="{escape_attr(text)}"')
        if not self._content:
            out.append("/>")
            return
        out.append(">")
        for item in self._content:
            if isinstance(item, str):
                out.append(escape_text(item))
            else:
                item._write(out, False, 0)
        out.append("</" + self._name + ">")
