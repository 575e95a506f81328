"""Explaining why a document fails the schema, with xmlschema's view of bxml.xsd.

lxml's libxml2 validator says whether a document is valid; only for an invalid one is
``xmlschema`` loaded, to say for every element what was given, what is allowed, and
where (a path with 1-based positions among same-named siblings, numbered in one pass,
and the source line).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._tree import element_path, line, xml_name
from ._values import redact_url
from .exceptions import Problem

if TYPE_CHECKING:
    from lxml import etree

_ROOT_TAGS = ("Response", "Bxml")
_XSD_NS = "{http://www.w3.org/2001/XMLSchema}"


def _show(text: str, limit: int = 60) -> str:
    text = redact_url(text)  # credentials in a URL (user:password@) are never shown
    return repr(text if len(text) <= limit else text[:limit] + "...")


_INTEGER = re.compile(r"[ \t\n\r]*[+-]?[0-9]+[ \t\n\r]*")
_DECIMAL = re.compile(r"[ \t\n\r]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\n\r]*")


class Explainer:
    """Turns an invalid document into Problems, using xmlschema's view of the schema."""

    def __init__(self, schema_path: Path) -> None:
        import xmlschema

        self.schema = xmlschema.XMLSchema10(str(schema_path))

    # -- walking ------------------------------------------------------------------------

    def explain(self, root: etree._Element, libxml_log: Any) -> Iterator[Problem]:
        """Yield problems for every element of ``root`` that breaks the schema."""
        decl = self.schema.elements.get(root.tag) if isinstance(root.tag, str) else None
        if decl is None:
            allowed = " or ".join(f"<{tag}>" for tag in _ROOT_TAGS)
            yield Problem(
                element_path(root),
                line(root),
                f"the root element must be {allowed}, not <{xml_name(root.tag)}>",
                "BX003",
            )
            return
        found = False
        for problem in self._walk(root, decl, "/" + xml_name(root.tag)):
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

    def _attribute_problems(self, elem: etree._Element, decl: Any, base: str) -> Iterator[Problem]:
        tag = xml_name(elem.tag)
        known = decl.attributes
        for raw_key, raw_value in elem.attrib.items():
            key, value = str(raw_key), str(raw_value)
            name = xml_name(key)
            if key.startswith("{http://www.w3.org/2001/XMLSchema-instance}"):
                continue  # xsi:* attributes are always allowed by XML Schema
            attr = known.get(key)
            if attr is None:
                yield Problem(
                    f"{base}/@{name}", line(elem), _unknown_attribute(tag, name, known), "BX012"
                )
                continue
            problem = _value_problem(attr.type, value)
            if problem is not None:
                yield Problem(f"{base}/@{name}", line(elem), f"{tag}.{name}: {problem}", "BX010")
        for key, attr in known.items():
            if attr.use == "required" and key not in elem.attrib:
                name = xml_name(key)
                yield Problem(
                    f"{base}/@{name}",
                    line(elem),
                    f"{tag}: the required attribute {name} is missing",
                    "BX011",
                )

    # -- content ------------------------------------------------------------------------

    def _text_problems(self, elem: etree._Element, xsd_type: Any, path: str) -> Iterator[Problem]:
        tag = xml_name(elem.tag)
        children = _child_paths(elem, path)
        simple = xsd_type if xsd_type.is_simple() else xsd_type.content
        if getattr(simple, "name", None) == "blank":
            for child, child_path in children:
                yield _not_allowed(child, child_path, tag, "nothing")
            text = "".join(str(part) for part in elem.itertext()).strip()
            if text:
                yield Problem(
                    path,
                    line(elem),
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
            yield Problem(path, line(elem), f"{tag} text: {problem}", "BX030")

    def _children_problems(self, elem: etree._Element, group: Any, path: str) -> Iterator[Problem]:
        tag = xml_name(elem.tag)
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
                    line(child),
                    f"<{tag}> holds at most {high} {_names_or(allowed)}; "
                    f"this is number {count} of {_count_allowed(elem, allowed)}",
                    "BX021",
                )
            yield from self._walk(child, _child_decl(group, child.tag), child_path)
        if count < low:
            yield Problem(
                path,
                line(elem),
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
        name = xml_name(child.tag)
        counts[name] = counts.get(name, 0) + 1
        yield child, f"{path}/{name}[{counts[name]}]"


def _stray_text_problems(elem: etree._Element, group: Any, path: str) -> Iterator[Problem]:
    stray = _stray_text(elem)
    if stray:
        yield Problem(
            path,
            line(elem),
            f"<{xml_name(elem.tag)}> cannot hold text ({_show(stray)}); "
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
        line(child),
        f"<{xml_name(child.tag)}> is not allowed in <{parent}>; it holds {allowed}",
        "BX020",
    )


def _stray_text(elem: etree._Element) -> str:
    parts = [elem.text or ""]
    parts += [child.tail or "" for child in elem]
    return "".join(parts).strip(" \t\n\r")


def _unknown_attribute(tag: str, name: str, known: Any) -> str:
    names = [xml_name(key) for key in known]
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
