"""bxml.diff: what Bandwidth would run differently; formatting and defaults do not count."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from lxml import etree

import bxml
from bxml import Change, strategies
from bxml._element import Element
from bxml._values import Choice, Flag, Integer, Number
from bxml.cli import main

MENU = (
    "<Response><SpeakSentence>Welcome</SpeakSentence>"
    '<Gather gatherUrl="/menu" maxDigits="1"><SpeakSentence>Press 1</SpeakSentence></Gather>'
    "</Response>"
)


# -- what does not count ------------------------------------------------------------------


def test_prolog_attribute_order_and_indentation_do_not_count() -> None:
    other = """<?xml version="1.0" encoding="UTF-8"?>
    <Response>
      <SpeakSentence>Welcome</SpeakSentence>
      <Gather maxDigits="1" gatherUrl="/menu">
        <SpeakSentence>Press 1</SpeakSentence>
      </Gather>
    </Response>
    """
    assert bxml.diff(MENU, other) == []


def test_explicit_defaults_do_not_count_bxml_spec_4() -> None:
    explicit = MENU.replace(
        'maxDigits="1"',
        'maxDigits="1" gatherMethod="POST" repeatCount="1" interDigitTimeout="5.0" '
        'terminatingDigits=""',
    )
    assert bxml.diff(MENU, explicit) == []


def test_an_attribute_left_out_shows_as_its_default_or_none() -> None:
    changed = MENU.replace('maxDigits="1"', 'maxDigits="1" gatherMethod="GET"')
    assert bxml.diff(MENU, changed) == [
        Change("/Response/Gather[1]/@gatherMethod", "attribute", "POST", "GET")
    ]
    tagged = MENU.replace('maxDigits="1"', 'maxDigits="1" tag="x"')
    assert bxml.diff(MENU, tagged) == [Change("/Response/Gather[1]/@tag", "attribute", None, "x")]


def test_numbers_compare_by_value() -> None:
    a = '<Response><Pause duration="2"/></Response>'
    assert bxml.diff(a, '<Response><Pause duration="2.0"/></Response>') == []
    assert bxml.diff(a, '<Response><Pause duration="2.5"/></Response>') == [
        Change("/Response/Pause[1]/@duration", "attribute", "2", "2.5")
    ]


def test_ssml_formatting_does_not_count_bxml_spec_4_20() -> None:
    a = "<Response><SpeakSentence>Hello <emphasis>world</emphasis>. Bye</SpeakSentence></Response>"
    b = """<Response><SpeakSentence>
        Hello
           <emphasis>world</emphasis>.   Bye
    </SpeakSentence></Response>"""
    assert bxml.diff(a, b) == []
    s = "<Response><SpeakSentence><s>One.</s><s>Two.</s></SpeakSentence></Response>"
    assert bxml.diff(s, s.replace("</s><s>", "</s>\n  <s>")) == []


def test_gender_and_locale_do_not_count_beside_a_voice_bxml_spec_4_17() -> None:
    a = '<Response><SpeakSentence voice="julie">Hi</SpeakSentence></Response>'
    b = '<Response><SpeakSentence voice="julie" gender="male" locale="fr">Hi</SpeakSentence></Response>'
    assert bxml.diff(a, b) == []
    plain = "<Response><SpeakSentence>Hi</SpeakSentence></Response>"
    assert bxml.diff(plain, plain.replace("<SpeakSentence>", '<SpeakSentence gender="male">')) == [
        Change("/Response/SpeakSentence[1]/@gender", "attribute", "female", "male")
    ]


def test_text_whitespace_at_the_ends_does_not_count() -> None:
    a = "<Response><PlayAudio>https://a.test/x.wav</PlayAudio></Response>"
    assert bxml.diff(a, a.replace(">https", ">\n  https").replace("wav<", "wav\n<")) == []


# -- what counts ----------------------------------------------------------------------------


def test_text_change_names_the_element() -> None:
    changed = MENU.replace("Press 1", "Press 2")
    assert bxml.diff(MENU, changed) == [
        Change("/Response/Gather[1]/SpeakSentence[1]", "text", "Press 1", "Press 2")
    ]


def test_spoken_words_count() -> None:
    a = "<Response><SpeakSentence>Hello <emphasis>world</emphasis></SpeakSentence></Response>"
    b = "<Response><SpeakSentence>Hello<emphasis>world</emphasis></SpeakSentence></Response>"
    [change] = bxml.diff(a, b)
    assert change.kind == "text" and change.old == "Hello <emphasis/>"


def test_verb_order_counts_as_a_move() -> None:
    a = "<Response><Pause/><Ring/><Hangup/></Response>"
    b = "<Response><Ring/><Hangup/><Pause/></Response>"
    assert bxml.diff(a, b) == [Change("/Response/Pause[1]", "moved", "1", "3")]
    assert str(bxml.diff(a, b)[0]) == "/Response/Pause[1]: moved from position 1 to 3"


def test_added_and_removed_elements() -> None:
    a = "<Response><SpeakSentence>Hi</SpeakSentence><Hangup/></Response>"
    b = "<Response><SpeakSentence>Hi</SpeakSentence><Pause duration='3'/></Response>"
    assert bxml.diff(a, b) == [
        Change("/Response/Hangup[1]", "removed", old="<Hangup/>"),
        Change("/Response/Pause[1]", "added", new='<Pause duration="3"/>'),
    ]


def test_a_removed_verb_is_named_by_its_path_in_the_old_document() -> None:
    a = "<Response><Pause/><Pause duration='2'/><Pause duration='3'/></Response>"
    b = "<Response><Pause/><Pause duration='3'/></Response>"
    assert bxml.diff(a, b) == [Change("/Response/Pause[2]", "removed", old='<Pause duration="2"/>')]


def test_an_added_verb_among_equal_ones_is_one_addition() -> None:
    a = "<Response><Ring/><Ring/><Ring/></Response>"
    b = "<Response><Ring/><Pause/><Ring/><Ring/></Response>"
    assert bxml.diff(a, b) == [Change("/Response/Pause[1]", "added", new="<Pause/>")]


def test_different_roots() -> None:
    assert bxml.diff("<Response/>", "<Bxml/>") == [
        Change("/Response", "removed", old="<Response/>"),
        Change("/Bxml", "added", new="<Bxml/>"),
    ]


def test_secrets_are_never_shown() -> None:
    a = '<Response><Redirect redirectUrl="/x" username="u" password="hunter2"/></Response>'
    b = a.replace("hunter2", "swordfish")
    changes = bxml.diff(a, b)
    assert changes == [Change("/Response/Redirect[1]/@password", "attribute", "***", "***")]
    removed = bxml.diff(a, "<Response/>")
    assert "hunter2" not in repr(removed) and "***" in repr(removed)


def test_unknown_elements_and_attributes_are_compared() -> None:
    a = '<Response><Dial number="+1"/><Hangup/></Response>'
    assert bxml.diff(a, a) == []
    assert bxml.diff(a, a.replace("+1", "+2")) == [
        Change("/Response/Dial[1]/@number", "attribute", "+1", "+2")
    ]


def test_accepts_documents_and_bytes() -> None:
    doc = bxml.parse(MENU)
    assert bxml.diff(doc, MENU.encode()) == []


def test_a_document_that_cannot_be_read_raises_parse_error() -> None:
    with pytest.raises(bxml.ParseError):
        bxml.diff(MENU, "<Response>")


def test_change_str_and_json() -> None:
    change = Change("/Response/Gather[1]/@maxDigits", "attribute", None, "2")
    assert str(change) == "/Response/Gather[1]/@maxDigits: (absent) -> '2'"
    assert change.to_dict() == {
        "path": "/Response/Gather[1]/@maxDigits",
        "kind": "attribute",
        "old": None,
        "new": "2",
    }


def test_importing_the_module_keeps_bxml_diff_callable() -> None:
    import bxml.diff as module

    assert module("<Response/>", "<Response/>") == []  # type: ignore[operator]
    assert bxml.diff("<Response/>", "<Response/>") == []


# -- properties -----------------------------------------------------------------------------


@given(strategies.documents())
def test_a_document_equals_itself(doc: bxml.Root) -> None:
    assert bxml.diff(doc, doc) == []
    assert bxml.diff(doc.to_xml(), doc.to_xml(pretty=True, xml_declaration=False)) == []


@given(strategies.documents())
def test_reordered_attributes_are_equal(doc: bxml.Root) -> None:
    tree = etree.fromstring(doc.to_bytes())
    for element in tree.iter():
        items = list(element.attrib.items())
        element.attrib.clear()
        for key, value in reversed(items):
            element.set(key, value)
    assert bxml.diff(doc, etree.tostring(tree)) == []


@given(strategies.documents())
def test_explicit_defaults_are_equal(doc: bxml.Root) -> None:
    explicit = bxml.parse(doc.to_xml())
    for element in explicit.iter():
        for attr in type(element).FIELDS:
            if attr.default is not None and attr.name not in element.attributes:
                try:
                    setattr(element, attr.name, attr.default)
                    bxml.parse(explicit.to_xml())
                except bxml.InvalidValueError:  # a rule across attributes refuses it
                    pass
                except bxml.ParseError:  # the parent refuses it (a Refer's SipUri)
                    setattr(element, attr.name, None)
    assert bxml.diff(doc, explicit.to_xml()) == []


def _paths(element: Element, path: str) -> list[tuple[str, Element]]:
    found = [(path, element)]
    counts: dict[str, int] = {}
    for child in element.children:
        tag = child.element_name
        counts[tag] = counts.get(tag, 0) + 1
        found += _paths(child, f"{path}/{tag}[{counts[tag]}]")
    return found


def _ignored(element: Element, name: str) -> bool:
    """bxml-spec.md §4.17: beside a voice, a SpeakSentence's gender and locale do nothing."""
    voiced = isinstance(element, bxml.SpeakSentence) and element.voice is not None
    return voiced and name in ("gender", "locale")


def _other_value(attr: Any, value: Any) -> Any:
    if isinstance(attr, Flag):
        return not value
    if isinstance(attr, Choice):
        others = [v for v in attr.values if v != value]
        return others[0] if others else None
    if isinstance(attr, (Integer, Number)):
        return attr.low if value != attr.low else attr.high
    return None


@given(strategies.documents(), st.data())
def test_a_changed_attribute_is_reported_at_its_path(doc: bxml.Root, data: st.DataObject) -> None:
    mutated = bxml.parse(doc.to_xml())
    candidates = [
        (path, element, attr)
        for path, element in _paths(mutated, "/" + mutated.element_name)
        for attr in type(element).FIELDS
        if attr.name in element.attributes
        and isinstance(attr, (Flag, Choice, Integer, Number))
        and not _ignored(element, attr.name)
    ]
    assume(candidates)
    path, element, attr = data.draw(st.sampled_from(candidates))
    old = element.attributes[attr.name]
    new = _other_value(attr, old)
    assume(new is not None)
    try:
        setattr(element, attr.name, new)
    except bxml.InvalidValueError:
        assume(False)
    expected = Change(f"{path}/@{attr.xml}", "attribute", attr.to_text(old), attr.to_text(new))
    assert bxml.diff(doc, mutated) == [expected]


@given(
    strategies.documents(),
    st.one_of(strategies.elements(bxml.Tag), strategies.elements(bxml.SpeakSentence)),
    st.data(),
)
def test_a_changed_text_is_reported_at_its_path(
    doc: bxml.Root, verb: Element, data: st.DataObject
) -> None:
    assume(len(verb.content) == 1 and isinstance(verb.content[0], str))
    verbs = list(doc.children)
    verbs.insert(data.draw(st.integers(0, len(verbs))), verb)
    before = type(doc)(*verbs)  # type: ignore[arg-type]
    mutated = bxml.parse(before.to_xml())
    [(path, element)] = [
        (p, e)
        for p, e in _paths(mutated, "/" + mutated.element_name)
        if e is not mutated and e.element_name == verb.element_name and e == verb
    ][:1]
    text = str(element.content[0])
    # A Tag's text is trimmed; speech also has its runs of whitespace read as one space.
    spaced = text if isinstance(element, bxml.Tag) else re.sub(r"[ \t\r\n]+", " ", text)
    old = spaced.strip(" \t\r\n")
    assume(old and old != "mutated")
    element._content[:] = ["mutated"]
    assert bxml.diff(before, mutated) == [Change(path, "text", old, "mutated")]


@given(strategies.documents(), st.data())
def test_a_removed_verb_is_reported_at_its_path(doc: bxml.Root, data: st.DataObject) -> None:
    assume(len(doc.children) > 0)
    index = data.draw(st.integers(0, len(doc.children) - 1))
    kept = [v for i, v in enumerate(doc.children) if i != index]
    changes = bxml.diff(doc, type(doc)(*kept))  # type: ignore[arg-type]
    assert [c.kind for c in changes] == ["removed"]
    # Among equal siblings, any one of them is the right answer.
    removed = doc.children[index]
    equal = {p for p, e in _paths(doc, "/" + doc.element_name) if e == removed}
    assert changes[0].path in equal


@given(strategies.documents(), st.data())
def test_an_added_verb_is_reported_at_its_path(doc: bxml.Root, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(doc.children)))
    new = bxml.Pause(duration=data.draw(st.sampled_from([2, 3.5, 7])))
    verbs = list(doc.children)
    verbs.insert(index, new)
    grown = type(doc)(*verbs)  # type: ignore[arg-type]
    changes = bxml.diff(doc, grown)
    assert [c.kind for c in changes] == ["added"]
    equal = {p for p, e in _paths(grown, "/" + grown.element_name) if e == new}
    assert changes[0].path in equal


# -- the command ------------------------------------------------------------------------------


def _run(tmp_path: Any, a: str, b: str, *options: str) -> tuple[int, str, str]:
    (tmp_path / "a.xml").write_text(a)
    (tmp_path / "b.xml").write_text(b)
    out, err = io.StringIO(), io.StringIO()
    import sys

    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(["diff", str(tmp_path / "a.xml"), str(tmp_path / "b.xml"), *options])
    finally:
        sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def test_cli_equal_documents_exit_0(tmp_path: Any) -> None:
    assert _run(tmp_path, MENU, MENU.replace('maxDigits="1"', 'maxDigits="1" gatherMethod="POST"'))[
        :2
    ] == (0, "")


def test_cli_different_documents_exit_1_with_one_line_per_change(tmp_path: Any) -> None:
    code, out, _ = _run(tmp_path, MENU, MENU.replace("Press 1", "Press 2"))
    assert code == 1
    assert out == "/Response/Gather[1]/SpeakSentence[1]: 'Press 1' -> 'Press 2'\n"


def test_cli_json(tmp_path: Any) -> None:
    code, out, _ = _run(tmp_path, MENU, MENU.replace('"1"', '"2"'), "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "equal": False,
        "changes": [
            {"path": "/Response/Gather[1]/@maxDigits", "kind": "attribute", "old": "1", "new": "2"}
        ],
    }


def test_cli_unreadable_or_invalid_input_is_exit_2(tmp_path: Any) -> None:
    code, _, err = _run(tmp_path, MENU, "<Response>")
    assert code == 2 and "b.xml:1" in err
    assert main(["diff", str(tmp_path / "missing.xml"), str(tmp_path / "a.xml")]) == 2
    assert main(["diff", "-", "-"]) == 2
    assert main(["diff", str(tmp_path / "a.xml")]) == 2


def test_cli_reads_one_side_from_stdin(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    (tmp_path / "a.xml").write_text(MENU)
    stdin = io.TextIOWrapper(io.BytesIO(MENU.replace("Press 1", "Press 2").encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["diff", str(tmp_path / "a.xml"), "-"]) == 1
    assert out.getvalue() == "/Response/Gather[1]/SpeakSentence[1]: 'Press 1' -> 'Press 2'\n"
