"""Checking a body for PUT .../calls/{callId}/bxml before it is sent.

Used by :mod:`callcontrol`'s ``update_call_bxml``; importable as
``bxml.schema.check_bxml_body``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._sniff import declared_encoding
from ._tree import Source, line, parse_tree, read_source
from ._validation import schema_errors
from .document import MAX_DOCUMENT_BYTES
from .exceptions import Problem, ValidationError

if TYPE_CHECKING:
    from lxml import etree


def check_bxml_body(source: Source) -> bytes:
    """Check a body for PUT .../calls/{callId}/bxml and return it as UTF-8 bytes.

    The body must have a ``<Bxml>`` root (not ``<Response>``), be UTF-8 (an XML
    declaration, if any, must say so), fit in :data:`bxml.MAX_DOCUMENT_BYTES` bytes and
    pass the schema.

    :raises ValidationError: listing every problem found.
    """
    data, utf8 = read_source(source)
    root, problem = parse_tree(data, utf8)
    errors = [problem] if problem is not None else []
    if len(data) > MAX_DOCUMENT_BYTES:
        size, limit = len(data), MAX_DOCUMENT_BYTES
        message = f"the document is {size} bytes; Bandwidth accepts at most {limit} (64 KB)"
        errors.append(Problem("/", None, message, "BX110"))
    if root is not None:
        errors += _body_problems(root, data)
        errors += schema_errors(root, data, utf8)
    if errors:
        raise ValidationError(errors)
    return data


def _body_problems(root: etree._Element, data: bytes) -> list[Problem]:
    problems = []
    if root.tag == "Response":
        problems.append(
            Problem(
                "/Response",
                line(root),
                "a live-call update takes a <Bxml> root, not <Response> (<Response> is for "
                "webhook replies): build it with bxml.Bxml(...), which takes the same verbs",
                "BX004",
            )
        )
    declared = declared_encoding(data)
    encoding = declared.decode() if declared else root.getroottree().docinfo.encoding
    if (encoding or "UTF-8").replace("-", "").replace("_", "").upper() != "UTF8":
        message = f"the body must be UTF-8; this document declares or uses {encoding}"
        problems.append(Problem("/", 1, message, "BX004"))
    return problems
