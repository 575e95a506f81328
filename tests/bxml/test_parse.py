"""bxml.parse: the documented examples, strict and lenient modes, errors and hostile XML."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import canonicalize

import pytest

import bxml
from bxml import Bxml, Gather, ParseError, Response, SpeakSentence, UnknownElement, parse

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
    with pytest.raises(TypeError):
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
