"""What differs between two BXML documents, as Bandwidth sees them.

::

    for change in bxml.diff(old_reply, new_reply):
        print(change)   # /Response/Gather[1]/@maxDigits: 1 -> 2

Two documents are equal when Bandwidth would run them the same way. These do not count:
attribute order, the ``<?xml?>`` prolog, indentation and whitespace between elements, an
attribute written with its default value (``gatherMethod="POST"``: the defaults are the
``default`` of each attribute declaration, bxml-spec.md §4), ``30`` against ``30.0``,
leading and trailing whitespace of a text (a URL, a number, a tag: bxml-spec.md §4.26 trims
a Tag), the ``gender`` and ``locale`` of a ``<SpeakSentence>`` that names a ``voice``
(ignored then, §4.17), and how the speech of a ``<SpeakSentence>`` is laid out (runs of
whitespace read as one space; whitespace at the start or end of the speech and around
``<p>``, ``<s>`` and ``<break>`` is not spoken). Verb order, text and values do count.

A change names an element by its path in the documents (``/Response/Gather[1]``, numbered
per element name as in :class:`bxml.Problem`), in the new document except for a removed
element. Values of secret attributes (``password``, ...) are never shown, only ``***``.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ._element import Element, UnknownElement
from ._values import escape_attr, escape_text
from .document import Root
from .parse import Source, parse

__all__ = ["Change", "ChangeKind", "diff"]

ChangeKind = Literal["attribute", "text", "added", "removed", "moved"]

_MASK = "***"
_SPACE = re.compile(r"[ \t\r\n]+")
# SSML elements that are a pause of their own: the whitespace around them is not spoken.
_BREAKS = frozenset({"p", "s", "break"})
# Unknown attributes that hold a secret (a known one says so in its declaration).
_SECRET_NAME = re.compile(r"(?i).*(password|secret|token)\Z")


@dataclass(frozen=True)
class Change:
    """One difference between two documents.

    ``kind`` is ``attribute`` (``path`` ends in ``/@name``; ``old``/``new`` are the values
    as written, or the default when left out, None when absent with no default), ``text``
    (the text of the element at ``path``),
    ``added`` / ``removed`` (``new`` / ``old`` is the element as XML), or ``moved`` (the same
    element at another place among its siblings: ``old`` and ``new`` are its 1-based
    positions among them).
    """

    path: str
    kind: ChangeKind
    old: str | None = None
    new: str | None = None

    def __str__(self) -> str:
        if self.kind == "added":
            return f"{self.path}: added {self.new}"
        if self.kind == "removed":
            return f"{self.path}: removed {self.old}"
        if self.kind == "moved":
            return f"{self.path}: moved from position {self.old} to {self.new}"
        return f"{self.path}: {_shown(self.old)} -> {_shown(self.new)}"

    def to_dict(self) -> dict[str, str | None]:
        """The change as a JSON object."""
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new}


def _shown(value: str | None) -> str:
    return "(absent)" if value is None else repr(value)


def diff(a: Root | Source, b: Root | Source) -> list[Change]:
    """Return what changed from document ``a`` to document ``b``; ``[]`` when equal.

    Each side is a document object or what :func:`bxml.parse` reads (XML text, bytes, a
    file path or an open file); unknown elements and attributes are compared too.

    :raises ParseError: when a side cannot be read.
    """
    left, right = _node(_document(a)), _node(_document(b))
    root_a, root_b = "/" + left.tag, "/" + right.tag
    if left.tag != right.tag:
        return [Change(root_a, "removed", old=left.xml()), Change(root_b, "added", new=right.xml())]
    return list(_compare(left, right, root_a, root_b))


def _document(source: Root | Source) -> Element:
    if isinstance(source, Element):
        return source
    return parse(source, strict=False)


# -- the normalized tree ------------------------------------------------------------------


class _Node:
    """An element reduced to what Bandwidth acts on: name, attributes, content.

    ``attrs`` maps the XML name of each attribute written to a (value to compare, text to
    show) pair, ``defaults`` the same for the attributes that have a default; ``content``
    holds normalized text and nodes. ``key`` is equal for elements Bandwidth runs alike.
    """

    __slots__ = ("tag", "attrs", "defaults", "content", "key")

    def __init__(
        self,
        tag: str,
        attrs: dict[str, tuple[Any, str]],
        defaults: dict[str, tuple[Any, str]],
        content: list[str | _Node],
    ) -> None:
        self.tag = tag
        self.attrs = attrs
        self.defaults = defaults
        self.content = content
        effective = (
            (name, value)
            for name, (value, _) in attrs.items()
            if name not in defaults or defaults[name][0] != value
        )
        self.key: tuple[Any, ...] = (
            tag,
            tuple(sorted(effective)),
            tuple(item if isinstance(item, str) else item.key for item in content),
        )

    def effective(self, name: str) -> tuple[Any, str] | None:
        """The attribute's (value, text) as written, else its default, else None."""
        return self.attrs.get(name) or self.defaults.get(name)

    @property
    def children(self) -> list[_Node]:
        return [item for item in self.content if isinstance(item, _Node)]

    def own_text(self) -> str:
        """The element's own text; each child element shows as an empty tag."""
        return "".join(item if isinstance(item, str) else f"<{item.tag}/>" for item in self.content)

    def xml(self) -> str:
        """The element as compact XML (secrets masked), for added and removed changes."""
        attrs = "".join(
            f' {name}="{escape_attr(shown)}"' for name, (_, shown) in self.attrs.items()
        )
        if not self.content:
            return f"<{self.tag}{attrs}/>"
        inner = "".join(
            escape_text(item) if isinstance(item, str) else item.xml() for item in self.content
        )
        return f"<{self.tag}{attrs}>{inner}</{self.tag}>"


def _node(element: Element) -> _Node:
    tag = element.element_name
    attrs: dict[str, tuple[Any, str]] = {}
    defaults: dict[str, tuple[Any, str]] = {}
    if not isinstance(element, UnknownElement):
        values = element._values
        for attr in type(element).FIELDS:
            if attr.default is not None:
                defaults[attr.xml] = (attr.default, attr.to_text(attr.default))
            value = values.get(attr.name)
            if value is not None:
                attrs[attr.xml] = (value, _MASK if attr.secret else attr.to_text(value))
    if tag == "SpeakSentence" and "voice" in attrs:  # bxml-spec.md §4.17: a voice wins
        for ignored in ("gender", "locale"):
            attrs.pop(ignored, None)
            defaults.pop(ignored, None)
    for name, text in (element._extra or {}).items():
        if name.startswith(("xmlns", "xsi:")):  # schema hints: no meaning to Bandwidth
            continue
        attrs[name] = (text, _MASK if _SECRET_NAME.match(name) else text)
    kind = element.CONTENT
    content: list[str | _Node]
    if kind == "text":
        text = element._content[0].strip(" \t\r\n") if element._content else ""
        content = [text] if text else []
    else:
        items = [item if isinstance(item, str) else _node(item) for item in element._content]
        content = _speech(items) if kind == "mixed" else [i for i in items if isinstance(i, _Node)]
    return _Node(tag, attrs, defaults, content)


def _speech(items: list[str | _Node]) -> list[str | _Node]:
    """Normalize mixed content: whitespace as it is spoken (see the module docstring)."""
    out: list[str | _Node] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            out.append(item)
            continue
        text = _SPACE.sub(" ", item)
        before = items[index - 1] if index else None
        after = items[index + 1] if index + 1 < len(items) else None
        if before is None or (isinstance(before, _Node) and before.tag in _BREAKS):
            text = text.lstrip(" ")
        if after is None or (isinstance(after, _Node) and after.tag in _BREAKS):
            text = text.rstrip(" ")
        if text:
            out.append(text)
    return out


# -- comparing ----------------------------------------------------------------------------


def _compare(a: _Node, b: _Node, path_a: str, path_b: str) -> Iterator[Change]:
    """The changes between two elements of the same name at ``path_a`` / ``path_b``."""
    for name in [*a.attrs, *(n for n in b.attrs if n not in a.attrs)]:
        old, new = a.effective(name), b.effective(name)
        if old is None or new is None or old[0] != new[0]:
            yield Change(
                f"{path_b}/@{name}",
                "attribute",
                None if old is None else old[1],
                None if new is None else new[1],
            )
    if _texts(a) != _texts(b):
        yield Change(path_b, "text", a.own_text() or None, b.own_text() or None)
    yield from _children(a.children, b.children, path_a, path_b)


def _texts(node: _Node) -> list[tuple[int, str]]:
    """The texts of an element, each with the number of child elements before it."""
    texts, seen = [], 0
    for item in node.content:
        if isinstance(item, str):
            texts.append((seen, item))
        else:
            seen += 1
    return texts


def _paths(parent: str, nodes: list[_Node]) -> list[str]:
    counts: dict[str, int] = {}
    paths = []
    for node in nodes:
        counts[node.tag] = counts.get(node.tag, 0) + 1
        paths.append(f"{parent}/{node.tag}[{counts[node.tag]}]")
    return paths


def _children(
    left: list[_Node], right: list[_Node], parent_a: str, parent_b: str
) -> Iterator[Change]:
    """Align two lists of sibling elements; report moved, changed, removed and added ones."""
    if [n.key for n in left] == [n.key for n in right]:
        return
    paths_a, paths_b = _paths(parent_a, left), _paths(parent_b, right)
    if [n.tag for n in left] == [n.tag for n in right]:  # same verbs: changed in place
        for i, (old, new) in enumerate(zip(left, right, strict=True)):
            yield from _compare(old, new, paths_a[i], paths_b[i])
        return
    ids: dict[tuple[Any, ...], int] = {}  # equal elements get equal small numbers
    keys_a = [ids.setdefault(n.key, len(ids)) for n in left]
    keys_b = [ids.setdefault(n.key, len(ids)) for n in right]
    matched = _common(keys_a, keys_b)
    matched_a, matched_b = {i for i, _ in matched}, {j for _, j in matched}
    removed = [i for i in range(len(left)) if i not in matched_a]
    added = [j for j in range(len(right)) if j not in matched_b]
    moved: dict[int, int] = {}  # an index of left -> the index of the same element in right
    for j in added:
        for i in removed:
            if i not in moved and keys_a[i] == keys_b[j]:
                moved[i] = j
                break
    taken = set(moved.values())
    olds = [i for i in removed if i not in moved]
    news = [j for j in added if j not in taken]
    # What is left pairs up by element name, in order: those are changed in place.
    pairs = _common([left[i].tag for i in olds], [right[j].tag for j in news])
    found: list[tuple[int, Change]] = []
    for a, b in pairs:
        i, j = olds[a], news[b]
        found.extend((j, c) for c in _compare(left[i], right[j], paths_a[i], paths_b[j]))
    paired_a, paired_b = {olds[a] for a, _ in pairs}, {news[b] for _, b in pairs}
    found.extend(
        (i, Change(paths_a[i], "removed", old=left[i].xml())) for i in olds if i not in paired_a
    )
    found.extend(
        (j, Change(paths_b[j], "added", new=right[j].xml())) for j in news if j not in paired_b
    )
    found.extend((j, Change(paths_b[j], "moved", str(i + 1), str(j + 1))) for i, j in moved.items())
    # In document order of the new document (removed elements where they were).
    found.sort(key=lambda item: item[0])
    for _, change in found:
        yield change


def _common(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]]:
    """A longest common subsequence of ``a`` and ``b``, as (index in a, index in b) pairs.

    Sibling lists are short (a document is at most 64 KB), so the quadratic table is cheap;
    unlike difflib's matcher it never leaves an equal element unmatched for another.
    """
    rows, cols = len(a), len(b)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        row, below = table[i], table[i + 1]
        for j in range(cols - 1, -1, -1):
            row[j] = below[j + 1] + 1 if a[i] == b[j] else max(below[j], row[j + 1])
    pairs, i, j = [], 0, 0
    while i < rows and j < cols:
        if a[i] == b[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`diff`.

    Importing ``bxml.diff`` (the module) makes the attribute ``bxml.diff`` the module
    rather than the function; being callable, ``bxml.diff(a, b)`` works either way.
    """

    def __call__(self, a: Root | Source, b: Root | Source) -> list[Change]:
        return diff(a, b)


sys.modules[__name__].__class__ = _CallableModule
