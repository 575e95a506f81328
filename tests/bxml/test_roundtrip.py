"""Properties: build -> to_xml -> parse is the identity, for every generated document."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import bxml
from bxml import strategies
from bxml._element import REGISTRY


@given(strategies.documents())
def test_parse_of_to_xml_is_identity(doc: bxml.Root) -> None:
    assert bxml.parse(doc.to_xml()) == doc
    assert bxml.parse(doc.to_bytes()) == doc


@given(strategies.documents())
def test_pretty_and_compact_parse_to_equal_objects(doc: bxml.Root) -> None:
    assert bxml.parse(doc.to_xml(pretty=True)) == bxml.parse(doc.to_xml(pretty=False))


@given(strategies.documents())
def test_serialization_is_deterministic(doc: bxml.Root) -> None:
    again = bxml.parse(doc.to_xml())
    assert again.to_xml() == doc.to_xml()


@given(strategies.xml_text(min_size=1, max_size=200).filter(lambda s: s.strip() != ""))
def test_any_xml_text_survives_exactly(text: str) -> None:
    doc = bxml.Response(bxml.SpeakSentence(text), bxml.Tag(text[:256]))
    back = bxml.parse(doc.to_xml())
    assert back[0].text == text  # type: ignore[attr-defined]
    assert back[1].text == text[:256]  # type: ignore[attr-defined]


@given(strategies.xml_text(max_size=200))
def test_any_xml_text_survives_in_attributes(text: str) -> None:
    doc = bxml.Response(bxml.Redirect(redirect_url="/x", username=text, tag=text[:256]))
    redirect = bxml.parse(doc.to_xml())[0]
    assert isinstance(redirect, bxml.Redirect)
    assert redirect.username == text and redirect.tag == text[:256]


@given(st.sampled_from(sorted(REGISTRY)), st.data())
def test_every_element_round_trips_in_a_document(tag: str, data: st.DataObject) -> None:
    cls = REGISTRY[tag]
    if cls in bxml.verbs.TOP_LEVEL or issubclass(cls, bxml.Root):
        element = data.draw(strategies.elements(cls))
        doc = element if isinstance(element, bxml.Root) else bxml.Bxml(element)  # type: ignore[arg-type]
        assert bxml.parse(doc.to_xml()) == doc


@given(strategies.documents())
def test_fast_reader_agrees_with_reference_reader(doc: bxml.Root) -> None:
    from bxml.parse import _ROOTS, _Reader

    for text in (doc.to_xml(), doc.to_xml(pretty=True)):
        reference = _Reader(True, 64, _ROOTS, "UTF-8").feed(text)
        assert bxml.parse(text) == reference
        assert reference.to_xml() == bxml.parse(text).to_xml()


def _rebuild(element: bxml.Element) -> bxml.Element:
    """Build ``element`` again through the hand-written __init__ (the generic _setup)."""
    cls = type(element)
    content = [item if isinstance(item, str) else _rebuild(item) for item in element.content]
    copy = cls.__new__(cls)
    cls.__init__.__wrapped__(copy, *content, **element.attributes)  # type: ignore[attr-defined]
    return copy


@given(strategies.documents())
def test_compiled_constructors_agree_with_reference_setup(doc: bxml.Root) -> None:
    rebuilt = _rebuild(doc)
    assert rebuilt == doc
    assert rebuilt.to_xml() == doc.to_xml()
