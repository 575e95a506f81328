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

import difflib
import os
import re
import threading
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._element import Element
from ._limits import MAX_ATTRIBUTES, MAX_BYTES
from ._lxml import fromstring, parser
from ._sniff import searchable
from .document import MAX_DOCUMENT_BYTES, Root
from .exceptions import Problem, ValidationError

if TYPE_CHECKING:
    from lxml import etree

#: The XML Schema shipped inside the package (``schemas/xml.xsd`` sits next to it).
SCHEMA_PATH: Path = Path(__file__).parent / "schemas" / "bxml.xsd"

#: What the validation functions accept.
Source = Element | str | bytes | bytearray | os.PathLike[str]

_ROOT_TAGS = ("Response", "Bxml")
_DECLARED_ENCODING = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)"""
)
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_XSD_NS = "{http://www.w3.org/2001/XMLSchema}"
#: Most problems listed for one document; a last problem (BX009) says there are more.
MAX_PROBLEMS = 100
# Larger documents are validated while parsed: validating a tree, libxml2 names the node
# of each failure, which costs time quadratic in the number of failing siblings.
_TREE_VALIDATION_BYTES = MAX_DOCUMENT_BYTES


# -- the fast path: lxml ---------------------------------------------------------------


class _Fast:
    """The lxml side, built on first use: the compiled schema and hardened parsers."""

    def __init__(self) -> None:
        from lxml import etree

        self.etree = etree
        self.schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser(False)))


_fast: _Fast | None = None
_explainer: _Explainer | None = None
_lock = threading.Lock()


def _get_fast() -> _Fast:
    global _fast
    if _fast is None:
        with _lock:
            if _fast is None:
                _fast = _Fast()
    return _fast


def _read(source: Source) -> tuple[bytes, bool]:
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
        return Path(source).read_bytes(), False
    raise TypeError(
        "expected a bxml document, XML text (str or bytes) or a file path, "
        f"not {type(source).__name__}"
    )


def _parse(data: bytes, utf8: bool) -> tuple[etree._Element | None, Problem | None]:
    """Parse safely; return the root, or the problem that stopped the parse."""
    if len(data) > MAX_BYTES:
        message = f"the document is {len(data)} bytes; at most {MAX_BYTES} are read"
        return None, Problem("/", None, message, "BX005")
    fast = _get_fast()
    try:
        root = fromstring(data, utf8)
    except fast.etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = str(exc.msg) if exc.msg else str(exc)
        return None, Problem("/", line, f"not well-formed XML: {message}", "BX001")
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
                f"<{_name(elem.tag)}> has {count} attributes; "
                f"a BXML element has at most {MAX_ATTRIBUTES}"
            )
            return Problem(element_path(elem), _line(elem), message, "BX005")
    return None


def is_valid(source: Source) -> bool:
    """Return True if the document is well-formed BXML that the schema accepts."""
    data, utf8 = _read(source)
    root, _ = _parse(data, utf8)
    if root is None:
        return False
    return _schema_log(root, data, utf8) is None


def _schema_log(root: etree._Element, data: bytes, utf8: bool) -> Any:
    """Return None when the document passes the schema, else libxml2's error log."""
    schema = _get_fast().schema
    if len(data) <= _TREE_VALIDATION_BYTES:
        return None if schema.validate(root) else schema.error_log
    try:
        fromstring(data, utf8, schema)
    except _get_fast().etree.XMLSyntaxError as exc:
        return exc.error_log
    return None


def iter_errors(source: Source) -> Iterator[Problem]:
    """Yield every problem the schema finds in the document (nothing when it is valid).

    At most :data:`MAX_PROBLEMS` are listed; a last problem (BX009) counts the others.
    """
    data, utf8 = _read(source)
    root, problem = _parse(data, utf8)
    if problem is not None:
        yield problem
    if root is not None:
        yield from _capped(_schema_errors(root, data, utf8))


def _capped(problems: Iterator[Problem]) -> Iterator[Problem]:
    """Yield the first MAX_PROBLEMS problems, then say whether there are more."""
    for count, problem in enumerate(problems, 1):
        if count > MAX_PROBLEMS:
            message = f"... and more problems: only the first {MAX_PROBLEMS} are listed"
            yield Problem("/", None, message, "BX009")
            return
        yield problem


def _schema_errors(root: etree._Element, data: bytes, utf8: bool) -> Iterator[Problem]:
    log = _schema_log(root, data, utf8)
    if log is not None:
        yield from _get_explainer().explain(root, log)


def validate(source: Source) -> None:
    """Check the document against the schema.

    :raises ValidationError: listing every problem found (``.errors``), not only the first.
    """
    errors = list(iter_errors(source))
    if errors:
        raise ValidationError(errors)


def check_bxml_body(source: Source) -> bytes:
    """Check a body for PUT .../calls/{callId}/bxml and return it as UTF-8 bytes.

    The body must have a ``<Bxml>`` root (not ``<Response>``), be UTF-8 (an XML
    declaration, if any, must say so), fit in :data:`bxml.MAX_DOCUMENT_BYTES` bytes and
    pass the schema.

    :raises ValidationError: listing every problem found.
    """
    data, utf8 = _read(source)
    root, problem = _parse(data, utf8)
    errors = [problem] if problem is not None else []
    if len(data) > MAX_DOCUMENT_BYTES:
        size, limit = len(data), MAX_DOCUMENT_BYTES
        message = f"the document is {size} bytes; Bandwidth accepts at most {limit} (64 KB)"
        errors.append(Problem("/", None, message, "BX110"))
    if root is not None:
        errors += _body_problems(root, data)
        errors += _capped(_schema_errors(root, data, utf8))
    if errors:
        raise ValidationError(errors)
    return data


def _body_problems(root: etree._Element, data: bytes) -> list[Problem]:
    problems = []
    if root.tag == "Response":
        problems.append(
            Problem(
                "/Response",
                _line(root),
                "a live-call update takes a <Bxml> root, not <Response> (<Response> is for "
                "webhook replies): build it with bxml.Bxml(...), which takes the same verbs",
                "BX004",
            )
        )
    declared = _DECLARED_ENCODING.match(data)
    encoding = declared.group(1).decode() if declared else root.getroottree().docinfo.encoding
    if (encoding or "UTF-8").replace("-", "").replace("_", "").upper() != "UTF8":
        message = f"the body must be UTF-8; this document declares or uses {encoding}"
        problems.append(Problem("/", 1, message, "BX004"))
    return problems


# -- the slow path: explanations with xmlschema -----------------------------------------


def _get_explainer() -> _Explainer:
    global _explainer
    if _explainer is None:
        with _lock:
            if _explainer is None:
                _explainer = _Explainer()
    return _explainer


def element_path(elem: etree._Element) -> str:
    """Return ``/Response/Gather[1]/SpeakSentence[2]``-style path of an lxml element."""
    steps = []
    node: etree._Element | None = elem
    while node is not None:
        parent = node.getparent()
        name = _name(node.tag)
        if parent is None:
            steps.append(name)
        else:
            index = 1 + sum(1 for sib in node.itersiblings(preceding=True) if sib.tag == node.tag)
            steps.append(f"{name}[{index}]")
        node = parent
    return "/" + "/".join(reversed(steps))


def _line(elem: etree._Element) -> int | None:
    line = elem.sourceline
    return line if isinstance(line, int) else None


def _name(tag: Any) -> str:
    text = str(tag)
    if text.startswith(_XML_NS):
        return "xml:" + text[len(_XML_NS) :]
    return text


def _show(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


_INTEGER = re.compile(r"[ \t\n\r]*[+-]?[0-9]+[ \t\n\r]*")
_DECIMAL = re.compile(r"[ \t\n\r]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*")


class _Explainer:
    """Turns an invalid document into Problems, using xmlschema's view of the schema."""

    def __init__(self) -> None:
        import xmlschema

        self.schema = xmlschema.XMLSchema10(str(SCHEMA_PATH))

    # -- walking ------------------------------------------------------------------------

    def explain(self, root: etree._Element, libxml_log: Any) -> Iterator[Problem]:
        """Yield problems for every element of ``root`` that breaks the schema."""
        decl = self.schema.elements.get(root.tag) if isinstance(root.tag, str) else None
        if decl is None:
            allowed = " or ".join(f"<{tag}>" for tag in _ROOT_TAGS)
            yield Problem(
                element_path(root),
                _line(root),
                f"the root element must be {allowed}, not <{_name(root.tag)}>",
                "BX003",
            )
            return
        found = False
        for problem in self._walk(root, decl, "/" + _name(root.tag)):
            found = True
            yield problem
        if not found:  # the schema's components explain nothing: fall back on the validators
            yield from self._fallback(root, libxml_log)

    def _walk(self, elem: etree._Element, decl: Any, path: str) -> Iterator[Problem]:
        yield from self._attribute_problems(elem, decl, path)
        xsd_type = decl.type
        if xsd_type.is_simple() or xsd_type.has_simple_content():
            yield from self._text_problems(elem, xsd_type, path)
        else:
            yield from self._children_problems(elem, xsd_type.content, path)
            if not xsd_type.mixed:
                yield from _stray_text_problems(elem, xsd_type.content, path)

    def _fallback(self, root: etree._Element, libxml_log: Any) -> Iterator[Problem]:
        seen = False
        for error in self.schema.iter_errors(root):
            seen = True
            elem = getattr(error, "elem", None)
            path = element_path(elem) if elem is not None else "/"
            line = getattr(elem, "sourceline", None)
            yield Problem(path, line, str(error.reason or error.message), "BX039")
        if not seen:
            for entry in libxml_log:
                yield Problem(entry.path or "/", entry.line or None, entry.message, "BX039")

    # -- attributes ---------------------------------------------------------------------

    def _attribute_problems(
        self, elem: etree._Element, decl: Any, base: str
    ) -> Iterator[Problem]:
        tag = _name(elem.tag)
        known = decl.attributes
        for raw_key, raw_value in elem.attrib.items():
            key, value = str(raw_key), str(raw_value)
            name = _name(key)
            if key.startswith("{http://www.w3.org/2001/XMLSchema-instance}"):
                continue  # xsi:* attributes are always allowed by XML Schema
            attr = known.get(key)
            if attr is None:
                yield Problem(
                    f"{base}/@{name}", _line(elem), _unknown_attribute(tag, name, known), "BX012"
                )
                continue
            problem = _value_problem(attr.type, value)
            if problem is not None:
                yield Problem(f"{base}/@{name}", _line(elem), f"{tag}.{name}: {problem}", "BX010")
        for key, attr in known.items():
            if attr.use == "required" and key not in elem.attrib:
                name = _name(key)
                yield Problem(
                    f"{base}/@{name}",
                    _line(elem),
                    f"{tag}: the required attribute {name} is missing",
                    "BX011",
                )

    # -- content ------------------------------------------------------------------------

    def _text_problems(
        self, elem: etree._Element, xsd_type: Any, path: str
    ) -> Iterator[Problem]:
        tag = _name(elem.tag)
        children = _child_paths(elem, path)
        simple = xsd_type if xsd_type.is_simple() else xsd_type.content
        if getattr(simple, "name", None) == "blank":
            for child, child_path in children:
                yield _not_allowed(child, child_path, tag, "nothing")
            text = "".join(str(part) for part in elem.itertext()).strip()
            if text:
                yield Problem(
                    path,
                    _line(elem),
                    f"<{tag}> cannot hold text ({_show(text)})",
                    "BX031",
                )
            return
        for child, child_path in children:
            yield _not_allowed(child, child_path, tag, "text only")
        text = elem.text or ""
        problem = _value_problem(simple, text)
        if problem is not None and simple.name == "nonBlankText":
            problem = "it is required and may not be blank"
        if problem is not None:
            yield Problem(path, _line(elem), f"{tag} text: {problem}", "BX030")

    def _children_problems(
        self, elem: etree._Element, group: Any, path: str
    ) -> Iterator[Problem]:
        tag = _name(elem.tag)
        allowed = _allowed(group)
        low, high = _occurs(group)
        count = 0
        for child, child_path in _child_paths(elem, path):
            if child.tag not in allowed:
                yield _not_allowed(child, child_path, tag, _names_or(allowed))
                continue
            count += 1
            if high is not None and count == high + 1:
                yield Problem(
                    child_path,
                    _line(child),
                    f"<{tag}> holds at most {high} {_names_or(allowed)}; "
                    f"this is number {count} of {_count_allowed(elem, allowed)}",
                    "BX021",
                )
            yield from self._walk(child, _child_decl(group, child.tag), child_path)
        if count < low:
            yield Problem(
                path,
                _line(elem),
                f"<{tag}> needs at least {low} {_names_or(allowed)}; it has {count}",
                "BX022",
            )


def _child_decl(group: Any, tag: str) -> Any:
    for child in group.iter_elements():
        if child.name == tag:
            return child
    raise LookupError(tag)  # pragma: no cover - callers pass only allowed tags


def _child_paths(elem: etree._Element, path: str) -> Iterator[tuple[etree._Element, str]]:
    """Yield the child elements of ``elem`` with their paths, numbered in one pass."""
    counts: dict[str, int] = {}
    for child in elem:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions
        name = _name(child.tag)
        counts[name] = counts.get(name, 0) + 1
        yield child, f"{path}/{name}[{counts[name]}]"


def _stray_text_problems(elem: etree._Element, group: Any, path: str) -> Iterator[Problem]:
    stray = _stray_text(elem)
    if stray:
        yield Problem(
            path,
            _line(elem),
            f"<{_name(elem.tag)}> cannot hold text ({_show(stray)}); "
            f"it holds only {_names_or(_allowed(group))}",
            "BX031",
        )


def _allowed(group: Any) -> list[str]:
    return [child.name for child in group.iter_elements()]


def _occurs(group: Any) -> tuple[int, int | None]:
    """How many allowed children a content model takes (the models of bxml.xsd are flat)."""
    particles = list(group)
    if group.model == "sequence" and len(particles) == 1:
        particle = particles[0]
        return particle.min_occurs, particle.max_occurs
    return group.min_occurs, group.max_occurs


def _count_allowed(elem: etree._Element, allowed: list[str]) -> int:
    return sum(1 for child in elem if child.tag in allowed)


def _names_or(names: list[str]) -> str:
    if not names:
        return "nothing"
    if len(names) == 1:
        return f"<{names[0]}>"
    return ", ".join(f"<{name}>" for name in names[:-1]) + f" or <{names[-1]}>"


def _not_allowed(child: etree._Element, path: str, parent: str, allowed: str) -> Problem:
    return Problem(
        path,
        _line(child),
        f"<{_name(child.tag)}> is not allowed in <{parent}>; it holds {allowed}",
        "BX020",
    )


def _stray_text(elem: etree._Element) -> str:
    parts = [elem.text or ""]
    parts += [child.tail or "" for child in elem]
    return "".join(parts).strip(" \t\n\r")


def _unknown_attribute(tag: str, name: str, known: Any) -> str:
    names = [_name(key) for key in known]
    message = f"<{tag}> has no attribute {name!r}"
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    return f"{message}; it has {', '.join(names) if names else 'no attributes'}"


# -- describing a value that a simple type refuses --------------------------------------


def _value_problem(xsd_type: Any, value: str) -> str | None:
    """Return what is wrong with ``value`` for ``xsd_type`` (an xmlschema simple type)."""
    if xsd_type.is_valid(value):
        return None
    enumeration = xsd_type.enumeration
    if enumeration:
        shown = ", ".join(str(item) for item in enumeration)
        return f"{_show(value)} is not one of {shown}"
    builtin = _builtin_name(xsd_type)
    if builtin in ("integer", "decimal"):
        return _number_problem(xsd_type, value, builtin)
    length = len(value)
    if xsd_type.min_length and length < xsd_type.min_length:
        if xsd_type.min_length == 1:
            return f"{_show(value)} is empty; it may not be"
        return f"{_show(value)} is {length} characters long; at least {xsd_type.min_length}"
    if xsd_type.max_length is not None and length > xsd_type.max_length:
        return f"{_show(value)} is {length} characters long; at most {xsd_type.max_length}"
    return f"{_show(value)} is not {_describe(xsd_type)}"


def _number_problem(xsd_type: Any, value: str, builtin: str) -> str:
    lexical = _INTEGER if builtin == "integer" else _DECIMAL
    if lexical.fullmatch(value) is None:
        kind = "an integer" if builtin == "integer" else "a decimal number"
        return f"{_show(value)} is not {kind}"
    try:
        number = Decimal(value.strip(" \t\n\r"))
    except InvalidOperation:  # pragma: no cover - the pattern above admits only decimals
        return f"{_show(value)} is not a number"
    unit = _describe(xsd_type, default="")
    unit = f" {unit}" if unit else ""
    low, high = xsd_type.min_value, xsd_type.max_value
    if low is not None and number < Decimal(str(low)):
        return f"{value.strip()} is less than the minimum {low}{unit}"
    if high is not None and number > Decimal(str(high)):
        return f"{value.strip()} is greater than the maximum {high}{unit}"
    return f"{_show(value)} is not allowed"  # pragma: no cover - no other numeric facets


def _builtin_name(xsd_type: Any) -> str:
    node = xsd_type
    while node is not None:
        name = node.name or ""
        if name.startswith(_XSD_NS) and name[len(_XSD_NS) :] in ("integer", "decimal"):
            return name[len(_XSD_NS) :]
        node = getattr(node, "base_type", None)
    return ""


def _describe(xsd_type: Any, default: str = "allowed") -> str:
    annotation = xsd_type.annotation
    if annotation is not None and annotation.documentation:
        text = annotation.documentation[0].text
        if text:
            return " ".join(text.split())
    return default
