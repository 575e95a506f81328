"""bxml.parse: the documented examples, strict and lenient modes, errors and hostile XML."""

from __future__ import annotations

import copy
import importlib
from pathlib import Path
from xml.etree.ElementTree import canonicalize

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import bxml
from bxml import (
    Bxml,
    Gather,
    ParseError,
    Response,
    SpeakSentence,
    UnknownElement,
    parse,
    strategies,
)
from bxml._element import REGISTRY

EXAMPLES = sorted((Path(__file__).parent / "spec_examples").glob("*.xml"))


def _canonical(text: str) -> str:
    body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
    return canonicalize(body.strip(), strip_text=False)


def test_there_are_spec_examples() -> None:
    assert len(EXAMPLES) == 9


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_spec_examples_parse_and_reserialize_canonically_equal(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    doc = parse(text)
    out = doc.to_xml()
    # Whitespace between verbs is layout, not content: compare without it.
    assert canonicalize(out, strip_text=True) == canonicalize(_strip_decl(text), strip_text=True)
    assert parse(out) == doc
    assert parse(text.encode("utf-8")) == doc


def _strip_decl(text: str) -> str:
    return text.split("?>", 1)[1] if text.lstrip().startswith("<?xml") else text


def test_ssml_example_keeps_text_exactly() -> None:
    doc = parse((Path(__file__).parent / "spec_examples" / "9_6_ssml.xml").read_text())
    sentence = doc[0]
    assert isinstance(sentence, SpeakSentence)
    assert sentence.voice == "jorge"
    assert sentence.content[0] == "\n        Hello, you have reached the home of "
    assert isinstance(sentence.content[1], bxml.ssml.Lang)
    assert (
        sentence.text.split()
        == "Hello, you have reached the home of Antonio Mendoza. Please leave a message.".split()
    )


def test_bxml_root() -> None:
    doc = parse('<Bxml><Redirect redirectUrl="https://test.example" redirectMethod="GET"/></Bxml>')
    assert isinstance(doc, Bxml)
    assert doc == Bxml(bxml.Redirect(redirect_url="https://test.example", redirect_method="GET"))


def test_values_are_typed() -> None:
    doc = parse(
        '<Response><Gather maxDigits="3" interDigitTimeout="2.5" firstDigitTimeout="0"/>'
        '<Ring answerCall="false" duration="10"/></Response>'
    )
    gather, ring = doc.children
    assert isinstance(gather, Gather)
    assert gather.max_digits == 3 and gather.inter_digit_timeout == 2.5
    assert gather.first_digit_timeout == 0
    assert isinstance(ring, bxml.Ring) and ring.answer_call is False and ring.duration == 10


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        (
            "<Response>\n  <Gather maxDigits='99'/>\n</Response>",
            2,
            3,
            "/Response/Gather[1]/@maxDigits: Gather.max_digits: 99 is out of range 1..50",
        ),
        (
            "<Response>\n<Pause/><Pause duration='x'/></Response>",
            2,
            9,
            "/Response/Pause[2]/@duration: Pause.duration: 'x' is not a decimal number",
        ),
        (
            "<Response><Ring answerCall='True'/></Response>",
            1,
            11,
            "'True' is not a BXML boolean (true or false)",
        ),
        ("<Response><Ring answerCall='1'/></Response>", 1, 11, "'1' is not a BXML boolean"),
        (
            "<Response>\n\n    <Foo/></Response>",
            3,
            5,
            "unknown element <Foo> is not allowed in <Response>",
        ),
        (
            "<Response><Gather><Hangup/></Gather></Response>",
            1,
            19,
            "element <Hangup> is not allowed in <Gather>; allowed: SpeakSentence, PlayAudio",
        ),
        (
            "<Response><Hangup bogus='1'/></Response>",
            1,
            11,
            "unknown attribute 'bogus' on <Hangup>",
        ),
        ("<Response><SpeakSentence>hi</Speak></Response>", 1, 30, "mismatched tag"),
        ("<Nope/>", 1, 1, "the root element must be <Response> or <Bxml>, not <Nope>"),
        (
            "<Response><PhoneNumber>+1</PhoneNumber></Response>",
            1,
            11,
            "<PhoneNumber> is not allowed in <Response>",
        ),
        (
            "<Response><Transfer><PhoneNumber>123</PhoneNumber></Transfer></Response>",
            1,
            21,
            "PhoneNumber.text: '123' is not an E.164 number",
        ),
        ("<Response>text</Response>", 1, 1, "<Response> cannot hold text ('text')"),
        ("<Response><Hangup>x</Hangup></Response>", 1, 11, "<Hangup> cannot hold text"),
        (
            "<Response><PlayAudio>a<b/></PlayAudio></Response>",
            1,
            23,
            "<b> is not allowed in <PlayAudio>",
        ),
        ("<Response><Redirect/></Response>", 1, 11, "required attribute 'redirectUrl' is missing"),
        ("", 1, 1, "no element found"),
        ("<Response>&bogus;</Response>", 1, 11, "undefined entity"),
    ],
)
def test_errors_have_line_column_and_message(
    text: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    error = info.value
    assert message in str(error)
    assert (error.line, error.column) == (line, column)
    assert isinstance(error, ValueError) and isinstance(error, bxml.BxmlError)


def test_error_carries_path() -> None:
    with pytest.raises(ParseError) as info:
        parse(
            "<Response><Pause/><Gather><SpeakSentence voice='x'>a</SpeakSentence></Gather></Response>"
        )
    assert info.value.path == "/Response/Gather[1]/SpeakSentence[1]/@voice"


def test_parse_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="file path .* not int"):
        parse(42)  # type: ignore[arg-type]


# -- hostile documents --------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Response><SpeakSentence>&lol3;</SpeakSentence></Response>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Response><SpeakSentence>&xxe;</SpeakSentence></Response>"""


@pytest.mark.parametrize(
    "text",
    [BILLION_LAUGHS, EXTERNAL, '<!DOCTYPE Response SYSTEM "http://127.0.0.1/x.dtd"><Response/>'],
)
def test_dtds_and_entities_are_refused(text: str) -> None:
    with pytest.raises(ParseError, match="DTDs"):
        parse(text)


def test_size_limit() -> None:
    big = "<Response>" + "<Hangup/>" * 200_000 + "</Response>"
    with pytest.raises(ParseError, match="at most 1048576 are read"):
        parse(big)
    with pytest.raises(ParseError, match="at most 100 are read"):
        parse("<Response>" + " " * 100 + "</Response>", max_bytes=100)


def test_depth_limit() -> None:
    deep = "<Response><SpeakSentence>" + "<emphasis>" * 100 + "x" + "</emphasis>" * 100
    deep += "</SpeakSentence></Response>"
    with pytest.raises(ParseError, match="nested deeper than 64 levels"):
        parse(deep)
    with pytest.raises(ParseError, match="nested deeper than 2 levels"):
        parse("<Response><Gather><SpeakSentence>x</SpeakSentence></Gather></Response>", max_depth=2)


def test_str_input_ignores_declared_encoding() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><Response><SpeakSentence>Grüße €</SpeakSentence></Response>'
    assert parse(text) == Response(SpeakSentence("Grüße €"))
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><Response><SpeakSentence>Gr\xfc\xdfe</SpeakSentence></Response>'
    assert parse(latin.encode("latin-1")) == Response(SpeakSentence("Grüße"))


def test_lone_surrogate_in_str_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="U\\+D800"):
        parse("<Response><SpeakSentence>\ud800</SpeakSentence></Response>")


def test_comments_and_processing_instructions_are_not_content() -> None:
    doc = parse("<Response><!-- note --><?app x?><Hangup/></Response>")
    assert doc == Response(bxml.Hangup())


# -- lenient mode -------------------------------------------------------------------------


def test_lenient_mode_keeps_unknown_elements_and_attributes() -> None:
    text = (
        '<Response><Dial number="sip:a@b" x="1">text<Inner a="b"/>tail</Dial>'
        '<Gather maxDigits="2" futureAttr="yes"><SpeakSentence newVoiceOpt="on">hi '
        '<amazon:effect name="whispered">there</amazon:effect></SpeakSentence></Gather></Response>'
    )
    with pytest.raises(ParseError, match="unknown element <Dial>"):
        parse(text)
    doc = parse(text, strict=False)
    dial = doc[0]
    assert isinstance(dial, UnknownElement)
    assert dial.element_name == "Dial" and dial.extra_attributes == {"number": "sip:a@b", "x": "1"}
    gather = doc[1]
    assert isinstance(gather, Gather)
    assert gather.max_digits == 2 and gather.extra_attributes == {"futureAttr": "yes"}
    assert doc.to_xml(xml_declaration=False) == text
    assert parse(doc.to_xml(), strict=False) == doc


def test_lenient_mode_still_checks_known_values() -> None:
    with pytest.raises(ParseError, match="Gather.max_digits"):
        parse('<Response><Gather maxDigits="99"/></Response>', strict=False)


def test_schema_location_hints_on_the_root_are_kept() -> None:
    text = (
        '<Response xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:noNamespaceSchemaLocation="bxml.xsd"><Hangup/></Response>'
    )
    doc = parse(text)
    assert doc.extra_attributes["xsi:noNamespaceSchemaLocation"] == "bxml.xsd"
    assert doc.to_xml(xml_declaration=False) == text
    assert bxml.is_valid(text)
    with pytest.raises(ParseError, match="unknown attribute 'xsi:type' on <Hangup>"):
        parse('<Response><Hangup xsi:type="x"/></Response>')


@pytest.mark.parametrize("space", ["\xa0", "\u3000"])
def test_only_xml_whitespace_surrounds_a_phone_number(space: str) -> None:
    text = "\n +15551234567\t"
    doc = parse(f"<Response><Transfer><PhoneNumber>{text}</PhoneNumber></Transfer></Response>")
    assert doc == Response(bxml.Transfer(bxml.PhoneNumber(text)))
    with pytest.raises(ParseError, match="is not an E.164 number"):
        parse(
            f"<Response><Transfer><PhoneNumber>{space}+15551234567</PhoneNumber></Transfer></Response>"
        )


# -- parse checks what building checks ------------------------------------------------------


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            "<Response>\n  <Transfer/></Response>",
            "/Response/Transfer[1]",
            "<Transfer> needs at least 1 child (PhoneNumber, SipUri); it has 0",
        ),
        (
            "<Bxml>\n  <Connect></Connect></Bxml>",
            "/Bxml/Connect[1]",
            "<Connect> needs at least 1 child (Endpoint); it has 0",
        ),
    ],
)
def test_required_children_are_checked_when_parsing(
    text: str, path: str, message: str, strict: bool
) -> None:
    with pytest.raises(ParseError) as info:
        parse(text, strict=strict)
    assert message in str(info.value)
    assert (info.value.line, info.value.column, info.value.path) == (2, 3, path)
    with pytest.raises(ParseError, match="needs at least 1 child"):
        parse(text.encode("utf-16"), strict=strict)  # the reference reader


# Edits that turn a valid document into one that may break a rule of the model or the XSD.
_EDITS = ("drop children", "drop a child", "drop an attribute", "copy a child", "add an element")


def _edit(root: etree._Element, data: st.DataObject) -> None:
    elem = data.draw(st.sampled_from(list(root.iter())))
    edit = data.draw(st.sampled_from(_EDITS))
    children = list(elem)
    if edit == "drop children":
        for child in children:
            elem.remove(child)
    elif edit == "drop a child" and children:
        elem.remove(data.draw(st.sampled_from(children)))
    elif edit == "drop an attribute" and elem.attrib:
        del elem.attrib[data.draw(st.sampled_from(sorted(elem.attrib)))]
    elif edit == "copy a child" and children:
        elem.append(copy.deepcopy(data.draw(st.sampled_from(children))))
    else:
        etree.SubElement(elem, data.draw(st.sampled_from(sorted(REGISTRY))))


@given(strategies.documents(), st.data())
def test_what_strict_parse_accepts_serializes_and_is_valid(
    doc: bxml.Root, data: st.DataObject
) -> None:
    root = etree.fromstring(doc.to_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        _edit(root, data)
    text = etree.tostring(root)
    try:
        parsed = parse(text)
    except ParseError:
        return
    out = parsed.to_xml()
    assert bxml.is_valid(text), list(bxml.iter_errors(text))
    assert bxml.is_valid(out), list(bxml.iter_errors(out))


# -- files -----------------------------------------------------------------------------------


def test_a_path_or_an_open_file_is_read(tmp_path: Path) -> None:
    doc = Response(SpeakSentence("Gr\u00fc\u00dfe"), bxml.Hangup())
    file = tmp_path / "menu.xml"
    file.write_bytes(doc.to_bytes())
    assert parse(file) == doc
    with file.open("rb") as binary:
        assert parse(binary) == doc
    with file.open(encoding="utf-8") as text:
        assert parse(text) == doc
    assert parse(bytearray(doc.to_bytes())) == doc
    # Files the reference reader reads: UTF-16 bytes, and text with a prefixed name.
    wide = tmp_path / "wide.xml"
    wide.write_bytes(doc.to_xml(xml_declaration=False).encode("utf-16"))
    assert parse(wide) == doc
    prefixed = tmp_path / "prefixed.xml"
    prefixed.write_text("<Response><a:b/></Response>", encoding="utf-8")
    with prefixed.open(encoding="utf-8") as text:
        assert parse(text, strict=False)[0] == UnknownElement("a:b")


def test_a_str_that_is_a_path_gets_a_hint(tmp_path: Path) -> None:
    file = tmp_path / "menu.xml"
    file.write_text("<Response/>", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        parse(str(file))
    message = str(info.value)
    assert "looks like a file path" in message and "pathlib.Path" in message
    assert str(file) in message
    assert (info.value.line, info.value.column) == (1, 1)
    assert parse("  \n<Response/>") == Response()


def test_a_file_is_read_up_to_the_size_limit(tmp_path: Path) -> None:
    file = tmp_path / "big.xml"
    file.write_bytes(b"<Response>" + b" " * 200 + b"</Response>")
    with pytest.raises(ParseError, match="at most 100 are read"):
        parse(file, max_bytes=100)
    with file.open("rb") as binary, pytest.raises(ParseError, match="at most 100 are read"):
        parse(binary, max_bytes=100)


# -- each reader, on purpose -------------------------------------------------------------------

LENIENT_TEXT = (
    '<Response><Dial referTo="sip:a@b" x="1">text<Inner a="b"/>tail</Dial>'
    '<Gather maxDigits="2" futureAttr="yes"><SpeakSentence newVoiceOpt="on">hi '
    '<effect name="whispered">there</effect></SpeakSentence></Gather>'
    '<Hangup reason="done"/></Response>'
)


PARSE_MODULE = importlib.import_module("bxml.parse")  # bxml.parse is the function


class _CountingReader(PARSE_MODULE._Reader):  # type: ignore[name-defined,misc]
    made = 0

    def __init__(self, *args: object) -> None:
        type(self).made += 1
        super().__init__(*args)


@pytest.fixture
def reference_reads(monkeypatch: pytest.MonkeyPatch) -> type[_CountingReader]:
    """Count how often parse falls back to the reference (expat) reader."""
    _CountingReader.made = 0
    monkeypatch.setattr(PARSE_MODULE, "_Reader", _CountingReader)
    return _CountingReader


def _read(text: str, strict: bool, reader: str) -> bxml.Root:
    """Parse ``text`` on the chosen reader: UTF-16 bytes go to the reference reader."""
    data = text.encode("utf-8") if reader == "fast" else text.encode("utf-16")
    return parse(data, strict=strict)


@pytest.mark.parametrize("reader", ["fast", "reference"])
def test_lenient_parse_keeps_everything_on_each_reader(
    reader: str, reference_reads: type[_CountingReader]
) -> None:
    doc = _read(LENIENT_TEXT, False, reader)
    assert reference_reads.made == (reader == "reference")
    dial, gather, hangup = doc.content
    assert isinstance(dial, UnknownElement)
    assert dial.extra_attributes == {"referTo": "sip:a@b", "x": "1"}
    assert dial.content[0] == "text" and dial.content[-1] == "tail"
    assert isinstance(gather, Gather) and gather.extra_attributes == {"futureAttr": "yes"}
    sentence = gather.children[0]
    assert sentence.extra_attributes == {"newVoiceOpt": "on"}
    assert isinstance(sentence.content[1], UnknownElement)
    assert isinstance(hangup, bxml.Element) and hangup.extra_attributes == {"reason": "done"}
    assert doc.to_xml(xml_declaration=False) == LENIENT_TEXT


@pytest.mark.parametrize("reader", ["fast", "reference"])
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_each_reader_builds_the_same_checked_objects(
    reader: str, strict: bool, reference_reads: type[_CountingReader]
) -> None:
    xml = bxml.Response(
        bxml.Gather(bxml.PlayAudio("https://a.example/x.wav"), gather_url="/g", max_digits=3),
        bxml.Transfer(bxml.PhoneNumber("+15555550100"), transfer_caller_id="+15555550101"),
        bxml.Pause(duration=1.5),
        bxml.Ring(answer_call=False),
    )
    doc = _read(xml.to_xml(xml_declaration=False), strict, reader)
    assert reference_reads.made == (reader == "reference")
    assert doc == xml
    gather = doc.children[0]
    assert isinstance(gather, Gather) and gather.max_digits == 3


@pytest.mark.parametrize("reader", ["fast", "reference"])
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
def test_each_reader_refuses_a_bad_value_with_its_place(reader: str, strict: bool) -> None:
    text = '<Response>\n  <Gather maxDigits="99"/></Response>'
    with pytest.raises(ParseError, match="Gather.max_digits: 99 is out of range") as info:
        _read(text, strict, reader)
    assert info.value.path == "/Response/Gather[1]/@maxDigits"
    assert info.value.line == 2


def test_strict_parse_refuses_unknown_names_on_each_reader() -> None:
    for reader in ("fast", "reference"):
        with pytest.raises(ParseError, match="unknown attribute 'futureAttr' on <Gather>"):
            _read('<Response><Gather futureAttr="yes"/></Response>', True, reader)
        with pytest.raises(ParseError, match="unknown element <Dial>"):
            _read("<Response><Dial/></Response>", True, reader)


def test_ordinary_documents_take_the_fast_path(reference_reads: type[_CountingReader]) -> None:
    from bench.documents import SIZES, document_bytes

    for size in SIZES:
        data = document_bytes(size)
        for source in (data, data.decode("utf-8")):
            parse(source)
            parse(source, strict=False)
    for path in EXAMPLES:
        parse(path.read_bytes())
    assert reference_reads.made == 0


@given(strategies.documents())
def test_generated_documents_take_the_fast_path(doc: bxml.Root) -> None:
    original = PARSE_MODULE._Reader
    try:
        PARSE_MODULE._Reader = None  # type: ignore[attr-defined]  # any use of it fails
        assert parse(doc.to_xml()) == doc
        assert parse(doc.to_bytes(), strict=False) == doc
    finally:
        PARSE_MODULE._Reader = original  # type: ignore[attr-defined]


# -- the fast reader's memory of checked values ------------------------------------------------

FAST_MODULE = importlib.import_module("bxml._fast_parse")


def _outcome(data: bytes, strict: bool) -> tuple[str, str]:
    try:
        doc = parse(data, strict=strict)
    except ParseError as exc:
        return "error", str(exc)
    return repr(doc), doc.to_xml()


@given(strategies.documents(), st.data(), st.booleans(), st.booleans())
def test_remembered_values_read_as_fresh_ones_and_as_the_reference_reader_reads(
    doc: bxml.Root, data: st.DataObject, strict: bool, forget: bool
) -> None:
    root = etree.fromstring(doc.to_bytes())
    for _ in range(data.draw(st.integers(0, 2))):
        _edit(root, data)
    text = etree.tostring(root, encoding="unicode")
    if forget:
        FAST_MODULE.forget()
    first = _outcome(text.encode("utf-8"), strict)
    again = _outcome(text.encode("utf-8"), strict)  # now from what was remembered
    reference = _outcome(text.encode("utf-16"), strict)
    assert first == again
    assert first[0] == reference[0]
    if first[0] != "error":
        assert first == reference


def test_the_memory_of_checked_values_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FAST_MODULE, "_MEMORY_MAX", 8)
    FAST_MODULE.forget()
    for number in range(1, 40):
        parse(
            f'<Response><Pause duration="{number}"/><Transfer><PhoneNumber>+1555555{number:04d}'
            "</PhoneNumber></Transfer></Response>"
        )
        assert 0 < len(FAST_MODULE._SETS) <= 8 and 0 < len(FAST_MODULE._TEXTS) <= 8
    long_url = "https://a.example/" + "x" * FAST_MODULE._MEMORY_MAX_TEXT
    FAST_MODULE.forget()
    doc = parse(f'<Response><Redirect redirectUrl="{long_url}"/></Response>')
    redirect = doc.children[0]
    assert isinstance(redirect, bxml.Redirect) and redirect.redirect_url == long_url
    assert FAST_MODULE._SETS == {}


def test_an_element_read_from_memory_has_values_of_its_own() -> None:
    text = '<Response><Gather gatherUrl="/g" maxDigits="5"/></Response>'
    first, second, third = (parse(text).children[0] for _ in range(3))
    assert isinstance(first, Gather) and isinstance(second, Gather) and isinstance(third, Gather)
    first.max_digits = 7
    assert second.max_digits == 5
    assert third.max_digits == 5
    assert second.to_xml() == parse(text).children[0].to_xml()


def test_a_remembered_value_is_still_checked_for_its_own_class() -> None:
    parse('<Response><Gather maxDigits="5"/></Response>')
    with pytest.raises(ParseError, match="out of range"):
        parse('<Response><Gather maxDigits="99"/></Response>')
    with pytest.raises(ParseError, match="out of range"):
        parse('<Response><Gather maxDigits="99"/></Response>')
