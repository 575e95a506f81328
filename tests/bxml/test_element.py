"""The shortcuts of construction and serialization give what the plain paths give."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bxml
from bxml import (
    Gather,
    PhoneNumber,
    PlayAudio,
    Response,
    SpeakSentence,
    Tag,
    Transfer,
    UnknownElement,
    strategies,
)
from bxml._element import REGISTRY, Element
from bxml._values import Text, escape_attr, escape_text
from bxml.exceptions import InvalidValueError


def _written(element: Element) -> str:
    """Write ``element`` one node at a time, with no inlined children."""
    name = element.element_name
    head = "<" + name if isinstance(element, UnknownElement) else element._head
    head += "".join(
        f' {key}="{escape_attr(text)}"' for key, text in element.extra_attributes.items()
    )
    if not element.content:
        return head + "/>"
    inner = "".join(
        escape_text(item) if isinstance(item, str) else _written(item) for item in element.content
    )
    return f"{head}>{inner}</{name}>"


@settings(max_examples=60)
@given(strategies.documents())
def test_documents_are_written_as_one_node_at_a_time(doc: bxml.Root) -> None:
    assert doc.to_xml(xml_declaration=False) == _written(doc)


@pytest.mark.parametrize("text", ["plain", "a&b<c>", "a\rb", "é"])
def test_a_child_holding_one_text_is_written_whatever_its_kind(text: str) -> None:
    children: list[Any] = [
        UnknownElement("Say", None, text),
        UnknownElement("a:Say", {"n": "1"}, text),
        SpeakSentence(text),
        Tag(text),
    ]
    doc = Response(*children)
    assert doc.to_xml(xml_declaration=False) == _written(doc)
    escaped = escape_text(text)
    assert f"<Say>{escaped}</Say>" in doc.to_xml()
    assert f'<a:Say n="1">{escaped}</a:Say>' in doc.to_xml()
    gather = Gather(SpeakSentence(text), PlayAudio("a.wav"))
    assert gather.to_xml() == _written(gather)


def test_required_children_are_still_checked_when_written_by_the_parent() -> None:
    transfer = Transfer(PhoneNumber("+15555550100"))
    transfer._content.clear()  # as a lenient build could leave it
    with pytest.raises(bxml.NestingError, match="Transfer needs at least 1 child"):
        Response(transfer).to_xml()


_PLAIN_TEXTS = sorted(
    (
        (tag, attr)
        for tag, cls in REGISTRY.items()
        for attr in cls.FIELDS
        if isinstance(attr, Text) and attr._regex is None and attr.max_length is None
    ),
    key=lambda pair: (pair[0], pair[1].name),
)
_VALUES = st.one_of(
    strategies.xml_text(),
    st.text(),
    st.sampled_from(["", " ", "a", 'q"', "a&b", "<", ">", "\t", "\n", "\r", "\x00", "\x7f"]),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.text(), max_size=2),
)


@pytest.mark.parametrize(("tag", "attr"), _PLAIN_TEXTS, ids=lambda x: getattr(x, "name", x))
@settings(max_examples=25)
@given(value=_VALUES)
def test_text_fragments_agree_with_the_full_check(tag: str, attr: Text, value: Any) -> None:
    fragment = REGISTRY[tag].FRAGMENTS[attr.name]
    try:
        expected = f' {attr.xml}="{escape_attr(attr.check(tag, value))}"'
    except InvalidValueError as error:
        with pytest.raises(InvalidValueError) as raised:
            fragment(value)
        assert str(raised.value) == str(error)
    else:
        assert fragment(value) == expected


def test_plain_text_fragments_cover_urls_and_plain_texts() -> None:
    kinds = {(attr.min_length, attr.secret) for _, attr in _PLAIN_TEXTS}
    assert (1, False) in kinds and (0, False) in kinds and (0, True) in kinds
