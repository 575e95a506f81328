"""Validate BXML against the shipped XML Schema (``bxml.SCHEMA_PATH``).

::

    import bxml

    bxml.validate(doc)            # raises bxml.ValidationError listing every problem
    bxml.is_valid(b"<Response/>") # True
    for problem in bxml.iter_errors(path_to_file):
        print(problem)            # /Response/Gather[1]/@maxDigits (line 3): Gather.maxDigits: ...

Every function takes a document object (:class:`bxml.Response`, :class:`bxml.Bxml`, any
element), XML text as ``str`` or ``bytes``, or a file path (:class:`os.PathLike`; a plain
``str`` is always XML text, never a path).

Validation is fast: lxml's libxml2 validator, with the schema compiled once. Only when a
document is invalid is the ``xmlschema`` package loaded to explain each failure: what was
given, what is allowed, and where (an XPath-like path with 1-based positions among
same-named siblings, and the source line).

Problem codes:

=======  ==================================================================
BX001    the text is not well-formed XML
BX002    a DTD (``<!DOCTYPE ...>``) is present; BXML refuses DTDs
BX003    the root element is not <Response> or <Bxml>
BX004    (``check_bxml_body``) the root is <Response>, or the body is not UTF-8
BX005    a reading limit is exceeded: the document is larger than 1 MB, or an
         element has more than 64 attributes (no BXML element has so many)
BX009    not a problem itself: how many more problems were found than are listed
BX010    an attribute value is not allowed (enum, range, format, length)
BX011    a required attribute is missing
BX012    an attribute the element does not have
BX020    a child element the parent may not hold
BX021    more children than the parent may hold
BX022    fewer children than the parent needs
BX030    the text of an element is not allowed (format, blank, length)
BX031    text where only child elements (or nothing) may appear
BX039    any other schema failure (message from the validator)
BX110    (``check_bxml_body``) the document is larger than Bandwidth accepts
=======  ==================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._body import check_bxml_body
from ._tree import Source, parse_tree, read_source
from ._validation import MAX_PROBLEMS, schema_errors, schema_log
from .exceptions import Problem, ValidationError

if TYPE_CHECKING:
    from ._validation import SCHEMA_PATH

__all__ = [
    "MAX_PROBLEMS",
    "SCHEMA_PATH",
    "Source",
    "check_bxml_body",
    "is_valid",
    "iter_errors",
    "validate",
]


def __getattr__(name: str) -> Any:
    if name != "SCHEMA_PATH":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from ._validation import SCHEMA_PATH  # made on first use: pathlib is slow to import

    globals()["SCHEMA_PATH"] = SCHEMA_PATH
    return SCHEMA_PATH


def is_valid(source: Source) -> bool:
    """Return True if the document is well-formed BXML that the schema accepts."""
    data, utf8 = read_source(source)
    root, _ = parse_tree(data, utf8)
    return root is not None and schema_log(root, data, utf8) is None


def iter_errors(source: Source) -> Iterator[Problem]:
    """Yield every problem the schema finds in the document (nothing when it is valid).

    At most :data:`MAX_PROBLEMS` are listed; a last problem (BX009) says there are more.
    """
    data, utf8 = read_source(source)
    root, problem = parse_tree(data, utf8)
    if problem is not None:
        yield problem
    if root is not None:
        yield from schema_errors(root, data, utf8)


def validate(source: Source) -> None:
    """Check the document against the schema.

    :raises ValidationError: listing every problem found (``.errors``), not only the first.
    """
    errors = list(iter_errors(source))
    if errors:
        raise ValidationError(errors)
