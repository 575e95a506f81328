"""The fast path of :func:`bxml.parse`: libxml2 reads, a flat walk builds the objects.

The walk fills the objects directly (the constructors' per-argument work is skipped) but
runs the same per-attribute checks, text checks and rules; a property test holds it equal
to the reference reader for every generated document.

It handles valid, namespace-free documents in UTF-8 or another encoding that writes
ASCII as ASCII (so that a search of the bytes finds every ``<!DOCTYPE`` and ``xmlns``).
On anything unusual (another encoding, a DTD, a namespace, an unknown name in strict
mode, a value that fails its check, too deep a tree, too many attributes) it gives up
with :class:`Fallback`, and :mod:`bxml.parse` reads the document again with the expat
reader, which is the reference and reports errors with line and column.
"""

from __future__ import annotations

from typing import Any

from ._element import REGISTRY, Element, UnknownElement
from ._limits import MAX_ATTRIBUTES
from ._lxml import fromstring
from ._sniff import OWN_DECLARATION, searchable
from ._values import XML_SPACE, Attr
from .exceptions import BxmlError

_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_new = object.__new__


class Fallback(Exception):
    """The fast path cannot read this document; use the reference reader."""


def read(
    data: bytes, utf8: bool, roots: dict[str, type[Element]], strict: bool, max_depth: int
) -> Element:
    """Parse ``data`` with libxml2 and build its elements, or raise Fallback.

    ``utf8`` says the bytes come from a str (read as UTF-8 whatever they declare); a str
    with a lone surrogate arrives as invalid UTF-8, fails here, and goes to the reference.
    """
    utf8_only = utf8 or data.startswith(OWN_DECLARATION)
    if b"<!DOCTYPE" in data or b"xmlns" in data or not (utf8_only or searchable(data)):
        raise Fallback
    try:
        root = fromstring(data, utf8)
    except Exception:  # lxml's XMLSyntaxError; the reference reader explains it
        raise Fallback from None
    if not utf8_only:  # a second guard, should the byte search miss an encoding
        docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack DocInfo.doctype
        if docinfo.doctype:
            raise Fallback
    cls = roots.get(root.tag)
    if cls is None:
        raise Fallback
    if data.count(b"=") > MAX_ATTRIBUTES and _crowded(data, root):
        raise Fallback
    try:
        return _build(root, cls, strict, max_depth)
    except (BxmlError, TypeError, ValueError):
        raise Fallback from None


def forget() -> None:
    """Empty the memory of checked values (for measurements and tests)."""
    _SETS.clear()
    _TEXTS.clear()


def _crowded(data: bytes, root: Any) -> bool:
    """Tell whether an element has more attributes than any BXML element may have.

    Checked before ``items()``, which costs time quadratic in the number of attributes.
    """
    # Each attribute takes 5 bytes or more (' a=""') and a tag holds no "<": without a
    # stretch that long between two "<", no element can have too many.
    if max(map(len, data.split(b"<"))) <= 5 * MAX_ATTRIBUTES:
        return False
    return any(len(node.attrib) > MAX_ATTRIBUTES for node in root.iter())


# Content kinds, as small ints for the walk.
_EMPTY, _TEXT, _CHILDREN, _MIXED = range(4)
_KINDS = {"empty": _EMPTY, "text": _TEXT, "children": _CHILDREN, "mixed": _MIXED}
#: Per class: content kind, allowed child classes, fewest and most children, whether the
#: class has rules and a text check of its own, its required attributes and bare start tag.
_Plan = tuple[int, frozenset[type[Element]], int, int, bool, bool, tuple[str, ...], str]
_PLANS: dict[type[Element], _Plan] = {}


def _plan(cls: type[Element]) -> _Plan:
    high = cls.MAX_CHILDREN if cls.MAX_CHILDREN is not None else 1 << 62
    rules = cls._check_rules is not Element._check_rules
    plan = (
        _KINDS[cls.CONTENT],
        cls._CHILD_SET,
        cls.MIN_CHILDREN,
        high,
        rules,
        cls._CHECKS_TEXT,
        cls.REQUIRED,
        cls._HEAD,
    )
    _PLANS[cls] = plan
    return plan


def _build(node: Any, cls: type[Element], strict: bool, depth: int) -> Element:
    """Build ``cls`` from the lxml ``node`` and, recursively, what it holds."""
    if depth <= 0:
        raise Fallback
    kind, allowed, low, high, rules, checks_text, required, head = _PLANS.get(cls) or _plan(cls)
    element: Element = _new(cls)
    element._extra = None
    items = node.items()
    if items:
        known = _SETS.get((cls, *items))
        if known is None:
            _attributes(element, cls, items, strict)
        else:
            element._values = known[0].copy()  # the element may change its own
            element._head = known[1]
    elif required:
        raise Fallback
    else:
        element._values = {}
        element._head = head
    if kind == _TEXT:
        if len(node):
            raise Fallback
        text = node.text
        if text and text[0] not in XML_SPACE and text.isascii() and text.isprintable():
            # Plain, not blank: _set_text would only run the class's own text check.
            if checks_text and (cls, text) not in _TEXTS:
                _check_text(element, cls, text)
            element._content = [text]
        else:
            element._content = []
            element._set_text(text or "")
    elif kind == _EMPTY:
        if len(node) or (node.text is not None and node.text.strip(XML_SPACE)):
            raise Fallback
        element._content = []
    else:
        # lxml only hands out XML characters and never two adjacent texts, and every
        # child is checked against CHILD_TYPES: the content can be taken as it is.
        if len(node):
            content = _content(node, allowed, kind == _MIXED, strict, depth)
        else:  # text at most, as _content would read it
            text = node.text
            if text is None:
                content = []
            elif kind == _MIXED:
                content = [text]
            elif text.strip(XML_SPACE):
                raise Fallback
            else:
                content = []
        count = len(content)
        if count < low or count > high:
            raise Fallback
        element._content = content
    if rules:
        element._check_rules()
    return element


def _content(
    node: Any, allowed: frozenset[type[Element]], mixed: bool, strict: bool, depth: int
) -> list[Any]:
    """Return the text and built child elements of ``node``, checked against ``allowed``."""
    content: list[Any] = []
    text = node.text
    if text is not None:
        if mixed:
            content.append(text)
        elif text.strip(XML_SPACE):
            raise Fallback
    for child in node[:]:  # a slice: lxml's child iterator costs more
        child_cls = REGISTRY.get(child.tag)
        if child_cls in allowed:
            content.append(_build(child, child_cls, strict, depth - 1))
        elif strict:
            raise Fallback
        else:
            content.append(_unknown(child, strict, depth - 1))
        tail = child.tail
        if tail is not None:
            if mixed:
                content.append(tail)
            elif tail.strip(XML_SPACE):
                raise Fallback
    return content


_AttrSpec = tuple[str, Any, Any, int]
_TABLES: dict[type[Element], dict[str, _AttrSpec]] = {}


def _table(cls: type[Element]) -> dict[str, _AttrSpec]:
    """Per XML attribute name: Python name, text converter (None: the text itself),
    fragment maker and declaration index."""
    table = _TABLES.get(cls)
    if table is None:
        table = {}
        for index, attr in enumerate(cls.FIELDS):
            convert = attr.convert if type(attr).convert is not Attr.convert else None
            table[attr.xml] = (attr.name, convert, cls.FRAGMENTS[attr.name], index)
        _TABLES[cls] = table
    return table


# What was read before, so that a document read again (by a server, or a simulator) is
# checked once: the attribute lists by (class, *items) when every attribute is known,
# with their checked values (immutable: str, int, float, bool) and start tag; and the
# texts that passed their class's own check. Bounded in entries and in text length.
_SETS: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}
_TEXTS: dict[tuple[type[Element], str], None] = {}
_MEMORY_MAX = 1024
_MEMORY_MAX_TEXT = 200


def _attributes(element: Element, cls: type[Element], items: Any, strict: bool) -> None:
    values: dict[str, Any] = {}
    head = cls._HEAD
    table = _TABLES.get(cls) or _table(cls)
    last = -1
    in_order = True
    size = 0
    for key, text in items:
        spec = table.get(key)
        if spec is None:
            if key[0] == "{":
                spec = table.get(_xml_name(key))
            if spec is None:
                if strict or key[0] == "{":
                    raise Fallback
                if element._extra is None:
                    element._extra = {}
                element._extra[key] = text
                continue
        name, convert, fragment, position = spec
        value = text if convert is None else convert(cls.TAG, text)
        head += fragment(value)
        values[name] = value
        size += len(text)
        if position < last:
            in_order = False
        last = position
    for name in cls.REQUIRED:
        if name not in values:
            raise Fallback
    element._values = values
    element._head = head
    if not in_order:  # written in another order than declared: write it canonically
        element._head = element._make_head()
    if element._extra is None and size <= _MEMORY_MAX_TEXT:
        if len(_SETS) >= _MEMORY_MAX:
            _SETS.clear()
        key = (cls, *items)
        _SETS[key] = (values.copy(), element._head)


def _check_text(element: Element, cls: type[Element], text: str) -> None:
    """Run the class's own check of a plain text; remember the texts that pass."""
    if element._text_problem(text) is not None:
        raise Fallback
    if len(text) <= _MEMORY_MAX_TEXT:
        if len(_TEXTS) >= _MEMORY_MAX:
            _TEXTS.clear()
        _TEXTS[cls, text] = None


def _unknown(node: Any, strict: bool, depth: int) -> Element:
    if depth <= 0:
        raise Fallback
    attributes = dict(node.items())
    if any(key[0] == "{" for key in attributes):
        raise Fallback
    tag = node.tag
    if type(tag) is not str or tag[0] == "{":
        raise Fallback
    unknown = UnknownElement(tag, attributes)
    unknown._add_all(_content(node, _ANY_ELEMENT, True, strict, depth))
    return unknown


class _AnyElement(frozenset[type[Element]]):
    """What an unknown element may hold: every known element."""

    def __contains__(self, item: object) -> bool:
        return item is not None


_ANY_ELEMENT = _AnyElement()


def _xml_name(key: str) -> str:
    if key.startswith(_XML_NS):
        return "xml:" + key[len(_XML_NS) :]
    raise Fallback
