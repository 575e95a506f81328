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
from ._sniff import searchable
from ._values import XML_SPACE, Attr
from .exceptions import BxmlError

_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


class Fallback(Exception):
    """The fast path cannot read this document; use the reference reader."""


def read(
    data: bytes, utf8: bool, roots: dict[str, type[Element]], strict: bool, max_depth: int
) -> Element:
    """Parse ``data`` with libxml2 and build its elements, or raise Fallback.

    ``utf8`` says the bytes come from a str (read as UTF-8 whatever they declare); a str
    with a lone surrogate arrives as invalid UTF-8, fails here, and goes to the reference.
    """
    if b"<!DOCTYPE" in data or b"xmlns" in data or not (utf8 or searchable(data)):
        raise Fallback
    try:
        root = fromstring(data, utf8)
    except Exception:  # lxml's XMLSyntaxError; the reference reader explains it
        raise Fallback from None
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack DocInfo.doctype
    if docinfo.doctype:  # a second guard, should the byte search miss an encoding
        raise Fallback
    cls = roots.get(root.tag)
    if cls is None:
        raise Fallback
    if data.count(b"=") > MAX_ATTRIBUTES and _crowded(root):
        raise Fallback
    try:
        return _build(root, cls, strict, max_depth)
    except (BxmlError, TypeError, ValueError):
        raise Fallback from None


def _crowded(root: Any) -> bool:
    """Tell whether an element has more attributes than any BXML element may have.

    Checked before ``items()``, which costs time quadratic in the number of attributes.
    """
    return any(len(node.attrib) > MAX_ATTRIBUTES for node in root.iter())


def _build(node: Any, cls: type[Element], strict: bool, depth: int) -> Element:
    """Build ``cls`` from the lxml ``node`` and, recursively, what it holds."""
    if depth <= 0:
        raise Fallback
    element: Element = cls.__new__(cls)
    element._extra = None
    items = node.items()
    if items:
        _attributes(element, cls, items, strict)
    elif cls.REQUIRED:
        raise Fallback
    else:
        element._values = {}
        element._head = cls._HEAD
    if cls.CONTENT == "text":
        if len(node):
            raise Fallback
        element._content = []
        element._set_text(node.text or "")
    else:
        # lxml only hands out XML characters and never two adjacent texts, and every
        # child was checked against CHILD_TYPES: the content can be taken as it is.
        content = _content(node, cls, strict, depth)
        limit = cls.MAX_CHILDREN
        if len(content) < cls.MIN_CHILDREN or (limit is not None and len(content) > limit):
            raise Fallback
        element._content = content
    if cls._check_rules is not Element._check_rules:
        element._check_rules()
    return element


def _content(node: Any, cls: type[Element], strict: bool, depth: int) -> list[Any]:
    """Return the text and built child elements of ``node``, as ``cls`` may hold them."""
    content: list[Any] = []
    mixed = cls.CONTENT == "mixed"
    text = node.text
    if text and (mixed or text.strip(XML_SPACE)):
        if not mixed:
            raise Fallback
        content.append(text)
    allowed = cls._CHILD_SET
    for child in node:
        child_cls = REGISTRY.get(child.tag)
        if child_cls in allowed or (child_cls is not None and cls is UnknownElement):
            content.append(_build(child, child_cls, strict, depth - 1))
        elif strict:
            raise Fallback
        else:
            content.append(_unknown(child, strict, depth - 1))
        tail = child.tail
        if tail and (mixed or tail.strip(XML_SPACE)):
            if not mixed:
                raise Fallback
            content.append(tail)
    if content and cls.CONTENT == "empty":
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


def _attributes(element: Element, cls: type[Element], items: Any, strict: bool) -> None:
    values: dict[str, Any] = {}
    head = cls._HEAD
    table = _TABLES.get(cls) or _table(cls)
    last = -1
    in_order = True
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
    unknown._add_all(_content(node, UnknownElement, strict, depth))
    return unknown


def _xml_name(key: str) -> str:
    if key.startswith(_XML_NS):
        return "xml:" + key[len(_XML_NS) :]
    raise Fallback
