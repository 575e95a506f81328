"""Reading what the checkers take into a hardened lxml tree, and naming its nodes.

:func:`bxml.validate` (and its siblings), ``check_bxml_body`` and :func:`bxml.lint` all
start here: a document object, XML text, bytes or a file path becomes bytes, then a
tree, refused (as a :class:`Problem`) when it is not well-formed, carries a DTD or
breaks a reading limit (:mod:`bxml._limits`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._element import Element
from ._limits import MAX_ATTRIBUTES, MAX_BYTES
from ._lxml import fromstring
from ._sniff import searchable
from .document import Root
from .exceptions import Problem

if TYPE_CHECKING:
    from lxml import etree

#: What the checkers accept.
Source = Element | str | bytes | bytearray | os.PathLike[str]

_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def read_source(source: Source) -> tuple[bytes, bool]:
    """Return the document's bytes, and whether they must be read as UTF-8."""
    if isinstance(source, bytes):
        return source, False
    if isinstance(source, str):
        return source.encode("utf-8", "surrogatepass"), True
    if isinstance(source, Root):
        return source.to_bytes(), False
    if isinstance(source, Element):
        return source.to_xml().encode("utf-8"), True
    if isinstance(source, (bytearray, memoryview)):
        return bytes(source), False
    if isinstance(source, os.PathLike):
        with open(source, "rb") as file:  # one byte more than is read: the limit says so
            return file.read(MAX_BYTES + 1), False
    raise TypeError(
        "expected a bxml document, XML text (str or bytes) or a file path, "
        f"not {type(source).__name__}"
    )


def looks_like_a_path(text: str) -> str | None:
    """The hint for a str that cannot be XML and may well be a file name (None if XML-like).

    :func:`bxml.parse`, :func:`bxml.validate` and :func:`bxml.lint` all treat a str as XML
    text, never as a file name, and all give this hint.
    """
    start = text.lstrip(" \t\r\n\ufeff")
    if not start or start.startswith("<"):
        return None
    shown = text if len(text) <= 240 else text[:240] + "..."
    return (
        f"XML text starts with '<', and {shown!r} does not: it looks like a file path. "
        "A str is always XML text; to read a file, pass a pathlib.Path "
        "(pathlib.Path(name)) or a file opened with 'rb'"
    )


def parse_tree(data: bytes, utf8: bool) -> tuple[etree._Element | None, Problem | None]:
    """Parse safely; return the root, or the problem that stopped the parse."""
    if utf8 and len(data) <= 4096 and not data.lstrip().startswith(b"<"):
        hint = looks_like_a_path(data.decode("utf-8", "replace"))
        if hint is not None:
            return None, Problem("/", 1, hint, "BX001")
    if len(data) > MAX_BYTES:
        message = f"the document is {len(data)} bytes; at most {MAX_BYTES} are read"
        return None, Problem("/", None, message, "BX005")
    try:
        root = fromstring(data, utf8)
    except SyntaxError as exc:  # lxml's XMLSyntaxError
        where = exc.lineno if exc.lineno else None
        message = str(exc.msg) if exc.msg else str(exc)
        return None, Problem("/", where, f"not well-formed XML: {message}", "BX001")
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lack DocInfo.doctype
    if docinfo.doctype:
        return None, Problem("/", 1, "DTDs (<!DOCTYPE ...>) are not allowed in BXML", "BX002")
    if data.count(b"=") > MAX_ATTRIBUTES or not searchable(data):
        crowded = _crowded(root)
        if crowded is not None:
            return None, crowded
    return root, None


def _crowded(root: etree._Element) -> Problem | None:
    """Find an element with more attributes than any BXML element may have.

    Such a document is refused before validation, which (like lxml's ``items()``) takes
    time quadratic in the number of attributes of an element.
    """
    for elem in root.iter():
        count = len(elem.attrib)
        if count > MAX_ATTRIBUTES:
            message = (
                f"<{xml_name(elem.tag)}> has {count} attributes; "
                f"a BXML element has at most {MAX_ATTRIBUTES}"
            )
            return Problem(element_path(elem), line(elem), message, "BX005")
    return None


def element_path(elem: etree._Element) -> str:
    """Return ``/Response/Gather[1]/SpeakSentence[2]``-style path of an lxml element."""
    steps = []
    node: etree._Element | None = elem
    while node is not None:
        parent = node.getparent()
        name = xml_name(node.tag)
        if parent is None:
            steps.append(name)
        else:
            index = 1 + sum(1 for sib in node.itersiblings(preceding=True) if sib.tag == node.tag)
            steps.append(f"{name}[{index}]")
        node = parent
    return "/" + "/".join(reversed(steps))


def line(elem: etree._Element) -> int | None:
    """Return the source line of ``elem``, when lxml knows it."""
    line = elem.sourceline
    return line if isinstance(line, int) else None


def xml_name(tag: Any) -> str:
    """Return an lxml tag or attribute name as written in BXML (``xml:lang``)."""
    text = str(tag)
    if text.startswith(_XML_NS):
        return "xml:" + text[len(_XML_NS) :]
    return text
