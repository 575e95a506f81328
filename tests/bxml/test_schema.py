"""bxml.schema: the shipped XSD agrees with the verb model, and validation explains failures.

Agreement is shown three ways: the XSD's elements, attributes and content models are walked
and compared with the model's REGISTRY / FIELDS / CHILD_TYPES; every value a patterned
attribute or text may take is accepted by the model exactly when both validators accept
it; and every document ``bxml.strategies`` generates is valid.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import assume, given
from hypothesis import strategies as st
from lxml import etree

import bxml
from bxml import _explain, schema, ssml, strategies
from bxml._element import REGISTRY, Element
from bxml._tree import element_path
from bxml._values import Attr, Choice, Custom, Flag, Integer, Number, Text, escape_text
from bxml.exceptions import BxmlError

HERE = Path(__file__).parent
INVALID = sorted((HERE / "invalid").glob("*.xml"))
SPEC_EXAMPLES = sorted((HERE / "spec_examples").glob("*.xml"))
XML_NS = "{http://www.w3.org/XML/1998/namespace}"

XSD = xmlschema.XMLSchema10(str(bxml.SCHEMA_PATH))


# -- walking the XSD ----------------------------------------------------------------------


def _xml_name(name: str) -> str:
    return "xml:" + name[len(XML_NS) :] if name.startswith(XML_NS) else name


def _walk(decl: Any, seen: dict[str, Any]) -> None:
    if decl.name in seen:
        assert seen[decl.name].type is decl.type, f"<{decl.name}> has two types in the XSD"
        return
    seen[decl.name] = decl
    if decl.type.is_complex() and not decl.type.has_simple_content():
        for child in decl.type.content.iter_elements():
            _walk(child, seen)


def _xsd_elements() -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for root in XSD.elements.values():
        _walk(root, seen)
    return seen


XSD_ELEMENTS = _xsd_elements()


def _content_kind(decl: Any) -> str:
    xsd_type = decl.type
    if xsd_type.is_simple():
        return "text"
    if xsd_type.has_simple_content():
        return "empty" if xsd_type.content.name == "blank" else "text"
    return "mixed" if xsd_type.mixed else "children"


def _model_kind(cls: type[Element]) -> str:
    if cls.CONTENT == "mixed" and not cls.CHILD_TYPES:
        return "text"  # say-as, sub, phoneme: text only
    return cls.CONTENT


def _occurs(decl: Any) -> tuple[int, int | None]:
    group = decl.type.content
    particles = list(group)
    if group.model == "sequence" and len(particles) == 1:
        return particles[0].min_occurs, particles[0].max_occurs
    return group.min_occurs, group.max_occurs


def _attr_type(tag: str, xml: str) -> Any:
    key = XML_NS + xml[4:] if xml.startswith("xml:") else xml
    return XSD_ELEMENTS[tag].attributes[key].type


def _all_attributes() -> list[tuple[str, Attr[Any]]]:
    return [(tag, attr) for tag, cls in sorted(REGISTRY.items()) for attr in cls.FIELDS]


# -- (d) the XSD compiles ---------------------------------------------------------------------


def test_the_xsd_compiles_with_lxml_and_xmlschema() -> None:
    etree.XMLSchema(etree.parse(str(bxml.SCHEMA_PATH)))
    xmlschema.XMLSchema10(str(bxml.SCHEMA_PATH))
    assert bxml.SCHEMA_PATH.name == "bxml.xsd" and bxml.SCHEMA_PATH.is_file()
    assert (bxml.SCHEMA_PATH.parent / "xml.xsd").is_file()


def test_the_xsd_imports_nothing_from_the_network() -> None:
    tree = etree.parse(str(bxml.SCHEMA_PATH))
    locations = tree.xpath("//@schemaLocation")
    assert locations == ["xml.xsd"]


def test_only_the_two_roots_are_global_elements() -> None:
    assert sorted(XSD.elements) == ["Bxml", "Response"]


# -- (a) the XSD and the model name the same things -----------------------------------------


def test_same_elements_in_the_xsd_and_the_model() -> None:
    assert set(XSD_ELEMENTS) == set(REGISTRY)


@pytest.mark.parametrize("tag", sorted(REGISTRY))
def test_same_attributes_and_required_ness(tag: str) -> None:
    cls = REGISTRY[tag]
    model = {attr.xml: attr.required for attr in cls.FIELDS}
    xsd = {
        _xml_name(name): attr.use == "required"
        for name, attr in XSD_ELEMENTS[tag].attributes.items()
    }
    assert xsd == model


@pytest.mark.parametrize("tag", sorted(REGISTRY))
def test_same_content_kind_children_and_counts(tag: str) -> None:
    cls, decl = REGISTRY[tag], XSD_ELEMENTS[tag]
    assert _content_kind(decl) == _model_kind(cls)
    if _content_kind(decl) in ("text", "empty"):
        assert not cls.CHILD_TYPES
        return
    assert [child.name for child in decl.type.content.iter_elements()] == [
        child.TAG for child in cls.CHILD_TYPES
    ]
    high = cls.MAX_CHILDREN if cls.MAX_CHILDREN is not None else getattr(cls, "MAX_PROMPTS", None)
    assert _occurs(decl) == (cls.MIN_CHILDREN, high)


@pytest.mark.parametrize(("tag", "attr"), _all_attributes(), ids=lambda v: getattr(v, "xml", v))
def test_attribute_types_agree(tag: str, attr: Attr[Any]) -> None:
    xsd_type = _attr_type(tag, attr.xml)
    if isinstance(attr, Choice):
        assert list(xsd_type.enumeration) == list(attr.values)
    elif isinstance(attr, Flag):
        assert xsd_type.name == "boolean"
        assert sorted(xsd_type.enumeration) == ["false", "true"]
    elif isinstance(attr, (Integer, Number)):
        builtin = "integer" if isinstance(attr, Integer) else "decimal"
        assert _explain._builtin_name(xsd_type) == builtin
        assert Decimal(str(xsd_type.min_value)) == Decimal(str(attr.low))
        assert Decimal(str(xsd_type.max_value)) == Decimal(str(attr.high))
    elif isinstance(attr, Text):
        assert (xsd_type.min_length or 0) == attr.min_length
        if attr.max_length is not None or attr.pattern is None:
            assert xsd_type.max_length == attr.max_length
        # else the model's pattern bounds the length ({0,256}): the value tests compare them
        assert bool(xsd_type.patterns) == (attr.pattern is not None)
        if attr.pattern is None:
            assert not xsd_type.enumeration
    else:
        assert isinstance(attr, Custom)
        assert xsd_type.patterns, f"{tag}.{attr.xml} has no pattern in the XSD"


# -- (a) values: the model accepts exactly what both validators accept ------------------------

# One lxml schema with a test element per named simple type of bxml.xsd.
_TYPE_NAMES = sorted(name for name, t in XSD.types.items() if t.is_simple() and "}" not in name)


def _probe_schema() -> etree.XMLSchema:
    elements = "".join(f'<xs:element name="T.{name}" type="{name}"/>' for name in _TYPE_NAMES)
    text = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        f'<xs:include schemaLocation="{bxml.SCHEMA_PATH.as_uri()}"/>{elements}</xs:schema>'
    )
    return etree.XMLSchema(etree.fromstring(text.encode()))


PROBE = _probe_schema()


def _xsd_accepts(type_name: str, value: str) -> bool:
    by_lxml = bool(PROBE.validate(etree.fromstring(_probe_document(type_name, value))))
    by_xmlschema = bool(XSD.types[type_name].is_valid(value))
    assert by_lxml == by_xmlschema, f"lxml and xmlschema disagree on {value!r} ({type_name})"
    return by_lxml


def _probe_document(type_name: str, value: str) -> bytes:
    return f"<T.{type_name}>{escape_text(value)}</T.{type_name}>".encode()


def _model_accepts(check: Any, value: str) -> bool:
    try:
        check(value)
    except BxmlError:
        return False
    return True


# Characters that matter to the patterns, plus Unicode whitespace and a few others.
_ALPHABET = st.sampled_from(
    list("0123456789+-.:;=@_*#,wWabcdABCDxXsS%") + ["ms", "dB", "sip:", ";encoding=", "jwt"]
    + [" ", "\t", "\n", "\r", "\xa0", "\u2003", "\x85", "\x7f", "é", "\U0001f600"]
)  # fmt: skip


# What generated matches are made of: printable ASCII and a few others.
_CHARACTERS = "".join(chr(c) for c in range(0x20, 0x7F)) + "\t\n\r\xa0\u2003\x85\x7f\xe9\U0001f600"


def _candidates(pattern: str | None) -> st.SearchStrategy[str]:
    free = st.lists(_ALPHABET, max_size=12).map("".join)
    if pattern is None:
        return free
    ascii_digits = re.sub(r"\\d", "[0-9]", pattern)
    matching = st.from_regex(ascii_digits, fullmatch=True, alphabet=_CHARACTERS)
    return st.one_of(free, matching, st.tuples(matching, free).map("".join))


def _patterned() -> list[tuple[str, Attr[Any]]]:
    return [
        (tag, attr)
        for tag, attr in _all_attributes()
        if isinstance(attr, Custom) or (isinstance(attr, Text) and attr.pattern is not None)
    ]


@pytest.mark.parametrize(("tag", "attr"), _patterned(), ids=lambda v: getattr(v, "xml", v))
@given(data=st.data())
def test_patterned_attributes_accept_what_the_xsd_accepts(
    tag: str, attr: Attr[Any], data: st.DataObject
) -> None:
    value = data.draw(_candidates(getattr(attr, "pattern", ssml.BREAK_TIME_PATTERN)))
    type_name = _attr_type(tag, attr.xml).name
    assert _model_accepts(lambda v: attr.check(tag, v), value) == _xsd_accepts(type_name, value)


_TEXT_ELEMENTS = {
    "Bridge": None,
    "Conference": bxml.verbs.CONFERENCE_NAME_PATTERN,
    "Endpoint": None,
    "PhoneNumber": bxml.verbs.E164_PATTERN,
    "PlayAudio": None,
    "SendDtmf": bxml.verbs.DTMF_PATTERN,
    "SipUri": bxml.verbs.SIP_URI_PATTERN,
    "Tag": None,
}


def test_every_text_element_is_probed() -> None:
    text_tags = {tag for tag, cls in REGISTRY.items() if cls.CONTENT == "text"}
    assert text_tags == set(_TEXT_ELEMENTS)


@pytest.mark.parametrize("tag", sorted(_TEXT_ELEMENTS))
@given(data=st.data())
def test_element_text_accepts_what_the_xsd_accepts(tag: str, data: st.DataObject) -> None:
    value = data.draw(_candidates(_TEXT_ELEMENTS[tag]))
    decl = XSD_ELEMENTS[tag]
    text_type = decl.type if decl.type.is_simple() else decl.type.content
    assert _model_accepts(REGISTRY[tag], value) == _xsd_accepts(text_type.name, value)


def test_ssml_numbers_are_ascii_in_the_model() -> None:
    assert not _model_accepts(lambda v: ssml.Prosody("x", pitch=v), "+\u0663%")
    assert not _model_accepts(lambda v: ssml.Break(time=v), "\u0663s")


# -- (c) every generated document is valid -------------------------------------------------


@given(strategies.documents())
def test_every_generated_document_is_valid(doc: bxml.Root) -> None:
    assert list(bxml.iter_errors(doc)) == []
    assert bxml.is_valid(doc.to_bytes())
    assert bxml.is_valid(doc.to_xml(pretty=True))
    bxml.validate(doc.to_xml(xml_declaration=False))


# -- the explanations agree with lxml's verdict ---------------------------------------------


@given(strategies.documents(), st.data())
def test_a_broken_attribute_is_explained_at_its_path(doc: bxml.Root, data: st.DataObject) -> None:
    root = etree.fromstring(doc.to_bytes())
    elements = [e for e in root.iter() if e.attrib]
    assume(elements)
    elem = data.draw(st.sampled_from(elements))
    name = data.draw(st.sampled_from(sorted(elem.attrib)))
    elem.set(name, data.draw(st.lists(_ALPHABET, max_size=6).map("".join)))
    text = etree.tostring(root)
    problems = list(bxml.iter_errors(text))
    assert bxml.is_valid(text) == (problems == [])
    assert all(p.code != "BX039" for p in problems)
    attribute = element_path(elem) + "/@" + _xml_name(str(name))
    assert {p.path for p in problems} <= {attribute}


@given(strategies.documents(), st.data())
def test_an_added_element_is_explained_at_its_path(doc: bxml.Root, data: st.DataObject) -> None:
    root = etree.fromstring(doc.to_bytes())
    parent = data.draw(st.sampled_from(list(root.iter())))
    tag = data.draw(st.sampled_from(sorted(REGISTRY)))
    etree.SubElement(parent, tag)
    text = etree.tostring(root)
    problems = list(bxml.iter_errors(text))
    assert bxml.is_valid(text) == (problems == [])
    assert all(p.code != "BX039" for p in problems)
    assert all(p.path.startswith(element_path(parent)) for p in problems)


# -- (b) hand-written invalid documents --------------------------------------------------------

_EXPECT = re.compile(r"<!-- expect: (\S+) (BX\d{3}) -->")


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_documents_are_rejected_with_every_problem_at_its_path(path: Path) -> None:
    expected = sorted(_EXPECT.findall(path.read_text(encoding="utf-8")))
    assert expected, f"{path.name} declares no expected problem"
    problems = list(bxml.iter_errors(path))
    assert sorted((p.path, p.code) for p in problems) == expected
    assert all(p.line is not None for p in problems)
    assert not bxml.is_valid(path)
    with pytest.raises(bxml.ValidationError) as info:
        bxml.validate(path.read_bytes())
    assert info.value.errors == problems


def test_the_corpus_covers_every_rule_kind() -> None:
    names = {path.stem for path in INVALID}
    for kind in (
        "bad_enum",
        "out_of_range",
        "missing_required_attribute",
        "missing_required_text",
        "wrong_child",
        "too_many_children",
        "wrong_root",
        "bad_boolean",
        "bad_e164",
        "bad_pattern",
    ):
        assert any(name.startswith(kind) for name in names), kind


def test_messages_say_what_was_given_and_what_is_allowed() -> None:
    by_path = {p.path: p for p in bxml.iter_errors(HERE / "invalid" / "many_errors.xml")}
    gather = "/Response/Gather[1]"
    assert by_path[gather + "/@maxDigits"].message == (
        "Gather.maxDigits: 0 is less than the minimum 1"
    )
    assert by_path[gather + "/@interDigitTimeout"].message == (
        "Gather.interDigitTimeout: 61 is greater than the maximum 60 seconds"
    )
    assert by_path[gather + "/SpeakSentence[1]/@gender"].message == (
        "SpeakSentence.gender: 'other' is not one of female, male"
    )
    assert by_path["/Response/Gather[2]/Pause[1]"].message == (
        "<Pause> is not allowed in <Gather>; it holds <SpeakSentence> or <PlayAudio>"
    )
    assert by_path["/Response/StartGather[1]/@dtmfUrl"].message == (
        "StartGather: the required attribute dtmfUrl is missing"
    )
    assert by_path[gather + "/@maxDigits"].line == 15


def test_message_for_a_bad_format_names_the_format() -> None:
    (problem,) = bxml.iter_errors(
        "<Response><Transfer><PhoneNumber>5551234</PhoneNumber></Transfer></Response>"
    )
    assert problem.message == (
        "PhoneNumber text: '5551234' is not an E.164 number like +15554567892"
    )
    assert str(problem).startswith("/Response/Transfer[1]/PhoneNumber[1] (line 1): ")


def test_a_misspelt_attribute_gets_a_suggestion() -> None:
    (problem,) = bxml.iter_errors('<Response><Gather maxDigit="1"/></Response>')
    assert problem.message == "<Gather> has no attribute 'maxDigit'; did you mean 'maxDigits'?"


def test_too_many_children_counts_them() -> None:
    (problem,) = bxml.iter_errors(HERE / "invalid" / "too_many_children.xml")
    assert problem.message == (
        "<Transfer> holds at most 8 <PhoneNumber> or <SipUri>; this is number 9 of 9"
    )


def test_positions_count_same_named_siblings_only() -> None:
    text = (
        "<Response><Pause/><SpeakSentence>a</SpeakSentence><Pause/>"
        '<SpeakSentence voice="x">b</SpeakSentence></Response>'
    )
    (problem,) = bxml.iter_errors(text)
    assert problem.path == "/Response/SpeakSentence[2]/@voice"


def test_xsi_attributes_are_allowed_as_by_any_xml_schema_validator() -> None:
    text = (
        '<Response xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:noNamespaceSchemaLocation="bxml.xsd"><Pause/></Response>'
    )
    assert bxml.is_valid(text)


# -- (e) Bandwidth's documented example documents -------------------------------------------------------


def test_the_spec_examples_are_all_here() -> None:
    assert len(SPEC_EXAMPLES) == 9


@pytest.mark.parametrize("path", SPEC_EXAMPLES, ids=lambda p: p.stem)
def test_spec_examples_are_valid(path: Path) -> None:
    assert list(bxml.iter_errors(path)) == []
    bxml.validate(path.read_bytes())
    bxml.validate(path.read_text(encoding="utf-8"))


# -- inputs ------------------------------------------------------------------------------------


def test_every_kind_of_input_is_accepted(tmp_path: Path) -> None:
    doc = bxml.Response(bxml.SpeakSentence("Hi"), bxml.Hangup())
    file = tmp_path / "doc.xml"
    file.write_bytes(doc.to_bytes())
    for source in (doc, doc.to_xml(), doc.to_bytes(), bytearray(doc.to_bytes()), file):
        assert bxml.is_valid(source)
        bxml.validate(source)
    assert bxml.is_valid(bxml.Bxml(bxml.Hangup()))


def test_a_str_is_text_never_a_path(tmp_path: Path) -> None:
    file = tmp_path / "doc.xml"
    file.write_text("<Response/>", encoding="utf-8")
    (problem,) = bxml.iter_errors(str(file))
    assert problem.code == "BX001"


def test_a_str_is_read_as_the_text_it_is_whatever_its_declaration_says() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><Response><Tag>caf\u00e9 \u20ac</Tag></Response>'
    assert bxml.is_valid(text)


def test_bytes_follow_their_declared_encoding() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><Response><Tag>caf\u00e9</Tag></Response>'
    assert bxml.is_valid(text.encode("latin-1"))


def test_other_types_are_refused() -> None:
    with pytest.raises(TypeError, match="not int"):
        bxml.validate(42)  # type: ignore[arg-type]


def test_a_verb_on_its_own_is_not_a_document() -> None:
    (problem,) = bxml.iter_errors(bxml.Hangup())
    assert (problem.path, problem.code) == ("/Hangup", "BX003")


def test_entities_are_not_expanded_and_nothing_is_fetched() -> None:
    text = (
        '<!DOCTYPE Response [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<Response><SpeakSentence>&e;</SpeakSentence></Response>"
    )
    (problem,) = bxml.iter_errors(text)
    assert problem.code == "BX002"
    assert not bxml.is_valid(text)


def test_malformed_text_is_one_problem_with_its_line() -> None:
    (problem,) = bxml.iter_errors("<Response>\n<Pause>\n</Response>")
    assert (problem.path, problem.code, problem.line) == ("/", "BX001", 3)
    assert not bxml.is_valid("<Response>")


def test_validation_error_lists_every_problem() -> None:
    with pytest.raises(bxml.ValidationError) as info:
        bxml.validate('<Response><Pause duration="0"/><Ring duration="-1"/></Response>')
    assert [p.path for p in info.value.errors] == [
        "/Response/Pause[1]/@duration",
        "/Response/Ring[1]/@duration",
    ]
    assert "2 schema problems" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_to_xml_validate_checks_the_output() -> None:
    doc = bxml.Response(bxml.Hangup())
    assert doc.to_xml(validate=True) == doc.to_xml()
    bad = bxml.Response(bxml.UnknownElement("Say", {}, "Hi"))  # type: ignore[arg-type]
    with pytest.raises(bxml.ValidationError, match=r"/Response/Say\[1\]"):
        bad.to_xml(validate=True)


# -- check_bxml_body ---------------------------------------------------------------------------


def test_check_bxml_body_returns_the_utf8_bytes() -> None:
    doc = bxml.Bxml(bxml.SpeakSentence("Caf\u00e9"), bxml.Redirect(redirect_url="/next"))
    assert schema.check_bxml_body(doc) == doc.to_bytes()
    assert schema.check_bxml_body(doc.to_xml()) == doc.to_bytes()
    assert schema.check_bxml_body(doc.to_bytes()) == doc.to_bytes()


def test_check_bxml_body_refuses_a_response_root_and_says_what_to_use() -> None:
    with pytest.raises(bxml.ValidationError) as info:
        schema.check_bxml_body(bxml.Response(bxml.Hangup()))
    (problem,) = info.value.errors
    assert problem.code == "BX004" and "bxml.Bxml(" in problem.message


def test_check_bxml_body_enforces_the_size_limit() -> None:
    texts = [bxml.SpeakSentence("x" * 1000) for _ in range(70)]
    with pytest.raises(bxml.ValidationError) as info:
        schema.check_bxml_body(bxml.Bxml(*texts))
    assert [p.code for p in info.value.errors] == ["BX110"]


def test_check_bxml_body_refuses_other_encodings_and_invalid_documents() -> None:
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><Bxml><Tag>caf\u00e9</Tag></Bxml>'
    with pytest.raises(bxml.ValidationError, match="UTF-8"):
        schema.check_bxml_body(latin.encode("latin-1"))
    with pytest.raises(bxml.ValidationError, match="UTF-8"):
        schema.check_bxml_body(latin)
    with pytest.raises(bxml.ValidationError) as info:
        schema.check_bxml_body("<Bxml><Pause duration='0'/></Bxml>")
    assert [p.code for p in info.value.errors] == ["BX010"]


# -- laziness ----------------------------------------------------------------------------------


def test_validating_a_valid_document_does_not_load_xmlschema() -> None:
    code = (
        "import sys, bxml; assert 'lxml.etree' not in sys.modules; "
        "bxml.validate(bxml.Response(bxml.Hangup())); "
        "assert 'xmlschema' not in sys.modules and 'requests' not in sys.modules; "
        "assert not bxml.is_valid('<Response><Pause duration=\"0\"/></Response>'); "
        "assert 'xmlschema' not in sys.modules; "
        "list(bxml.iter_errors('<Response><Pause duration=\"0\"/></Response>')); "
        "assert 'xmlschema' in sys.modules"
    )
    env = {**os.environ, "PYTHONPATH": str(HERE.parent.parent)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


@pytest.mark.parametrize("space", ["\xa0", "\u2003", "\x85"])
def test_only_xml_whitespace_may_stand_between_children(space: str) -> None:
    text = f"<Response>{space}<Hangup/></Response>"
    with pytest.raises(bxml.ParseError, match="cannot hold text"):
        bxml.parse(text)
    assert not bxml.is_valid(text)
    assert bxml.is_valid("<Response> \t\r\n<Hangup/></Response>")


# -- robustness ----------------------------------------------------------------------------------


def test_when_the_components_explain_nothing_the_validators_messages_are_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = '<Response><Pause duration="0"/></Response>'
    monkeypatch.setattr(_explain.Explainer, "_walk", lambda self, elem, decl, path: iter(()))
    (problem,) = bxml.iter_errors(text)
    assert (problem.path, problem.code) == ("/Response/Pause[1]", "BX039")
    assert "0.1" in problem.message
    monkeypatch.setattr(xmlschema.XMLSchema10, "iter_errors", lambda self, root: iter(()))
    (problem,) = bxml.iter_errors(text)
    assert problem.code == "BX039" and "duration" in problem.message


def test_validation_from_many_threads_at_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    good = bxml.Response(bxml.SpeakSentence("Hi"), bxml.Hangup()).to_bytes()
    bad = b'<Response><Gather maxDigits="99"/></Response>'
    with ThreadPoolExecutor(8) as pool:
        verdicts = list(pool.map(bxml.is_valid, [good, bad] * 200))
        problems = list(pool.map(lambda b: list(bxml.iter_errors(b)), [bad] * 50))
    assert verdicts == [True, False] * 200
    assert all([p.path for p in found] == ["/Response/Gather[1]/@maxDigits"] for found in problems)


# -- layout --------------------------------------------------------------------------------------

_CHECKERS = ("schema", "_tree", "_validation", "_explain", "_body", "lint", "parse", "_fast_parse")


@pytest.mark.parametrize("module", _CHECKERS)
def test_the_checking_modules_use_no_private_name_of_another(module: str) -> None:
    import ast

    tree = ast.parse((Path(bxml.__file__).parent / f"{module}.py").read_text(encoding="utf-8"))
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") and alias.name != "annotations"
    ]
    assert private == []


def test_check_bxml_body_keeps_its_import_path() -> None:
    from bxml.schema import check_bxml_body

    assert check_bxml_body is schema.check_bxml_body
