"""Build-time checks of bxml.verbs: values, formats, nesting, and the three ways to build."""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bxml
from bxml import (
    Bridge,
    Conference,
    Connect,
    CustomParam,
    Forward,
    Gather,
    Hangup,
    InvalidValueError,
    NestingError,
    Pause,
    PhoneNumber,
    PlayAudio,
    Record,
    Redirect,
    Refer,
    Response,
    Ring,
    SendDtmf,
    SipUri,
    SpeakSentence,
    StartStream,
    StartTranscription,
    StopStream,
    StreamParam,
    Tag,
    Transfer,
    UnknownElement,
)
from bxml._builder import Container
from bxml._element import REGISTRY

E164 = "+15551234567"


# -- values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Gather(max_digits=99), "Gather.max_digits: 99 is out of range 1..50"),
        (lambda: Gather(max_digits=0), "Gather.max_digits: 0 is out of range 1..50"),
        (
            lambda: Gather(inter_digit_timeout=0.5),
            "Gather.inter_digit_timeout: 0.5 is out of range 1..60 s",
        ),
        (lambda: Gather(first_digit_timeout=61), "out of range 0..60 s"),
        (lambda: Pause(duration=0.05), "Pause.duration: 0.05 is out of range 0.1..86400 s"),
        (lambda: Ring(duration=86401), "Ring.duration: 86401 is out of range"),
        (lambda: Transfer(PhoneNumber(E164), call_timeout=301), "Transfer.call_timeout: 301"),
        (lambda: Conference("a", callback_timeout=26), "Conference.callback_timeout: 26"),
        (
            lambda: SendDtmf("1", tone_duration=49),
            "SendDtmf.tone_duration: 49 is out of range 50..5000 ms",
        ),
        (lambda: Record(max_duration=10801), "Record.max_duration: 10801"),
        (lambda: Gather(repeat_count=21), "Gather.repeat_count: 21 is out of range 1..20"),
    ],
)
def test_numeric_ranges(build: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message.replace(".", r"\.")):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Gather(gather_method="DELETE"),  # type: ignore[arg-type]
            "Gather.gather_method: 'DELETE' is not one of GET, POST",
        ),
        (
            lambda: Gather(gather_method="get"),  # type: ignore[arg-type]
            "is not one of GET, POST",
        ),
        (
            lambda: SpeakSentence("x", voice="hal9000"),  # type: ignore[arg-type]
            "SpeakSentence.voice: 'hal9000' is not one of",
        ),
        (
            lambda: SpeakSentence("x", locale="xx"),  # type: ignore[arg-type]
            "SpeakSentence.locale",
        ),
        (
            lambda: StartStream(destination="wss://a", tracks="sideways"),  # type: ignore[arg-type]
            "StartStream.tracks",
        ),
        (
            lambda: Record(file_format="ogg"),  # type: ignore[arg-type]
            "Record.file_format: 'ogg' is not one of wav, mp3",
        ),
        (
            lambda: Forward(to=E164, diversion_reason="bored"),  # type: ignore[arg-type]
            "Forward.diversion_reason",
        ),
    ],
)
def test_enums(build: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        build()  # type: ignore[operator]


def test_types_are_checked() -> None:
    with pytest.raises(InvalidValueError, match="Gather.max_digits: '5' is not an int"):
        Gather(max_digits="5")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="Gather.max_digits: True is not an int"):
        Gather(max_digits=True)
    with pytest.raises(InvalidValueError, match=r"Ring\.answer_call: 'true' is not a bool"):
        Ring(answer_call="true")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="not a finite number"):
        Pause(duration=float("nan"))
    with pytest.raises(TypeError):
        Gather(bogus=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: PhoneNumber("5551234567"),
            "PhoneNumber.text: '5551234567' is not an E.164 number",
        ),
        (lambda: PhoneNumber("+0123"), "is not an E.164 number"),
        (lambda: SipUri("user@example.com"), "SipUri.text: 'user@example.com' is not a SIP URI"),
        (lambda: SendDtmf("12x"), "SendDtmf.text: '12x' is not 1 to 50 DTMF characters"),
        (lambda: SendDtmf("1" * 51), "is not 1 to 50 DTMF characters"),
        (lambda: Conference("bad name!"), "Conference.text: 'bad name!' is not a conference name"),
        (lambda: Conference("a" * 101), "is not a conference name"),
        (lambda: Tag("t" * 257), "Tag.text: .* is 257 characters long; at most 256"),
        (lambda: Gather(tag="t" * 257), "Gather.tag: .* is 257 characters long; at most 256"),
        (lambda: Gather(terminating_digits="#x"), "Gather.terminating_digits: '#x' is not made of"),
        (lambda: Forward(to="12345"), "Forward.to: '12345' is not an E.164 number or a SIP URI"),
        (
            lambda: Transfer(PhoneNumber(E164), transfer_caller_id="12"),
            "Transfer.transfer_caller_id",
        ),
        (
            lambda: SipUri("sip:a@b", uui="abc;encoding=hex"),
            "SipUri.uui: .* ;encoding=base64\\|jwt",
        ),
        (lambda: Transfer(PhoneNumber(E164), transfer_caller_display_name="a\x7fb"), "display"),
        (lambda: StreamParam(name="n", value="v" * 2049), "StreamParam.value: .* at most 2048"),
        (lambda: CustomParam(name="n" * 257, value="v"), "CustomParam.name: .* at most 256"),
        (lambda: bxml.ssml.Break(time="11s"), "longer than the 10s maximum"),
        (lambda: bxml.ssml.Prosody("x", rate="-5%"), "prosody.rate"),
        (lambda: bxml.ssml.SayAs("1", interpret_as="cardinal", format="ymd"), "only allowed"),
    ],
)
def test_formats(build: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        build()  # type: ignore[operator]


def test_formats_accept_valid_values() -> None:
    PhoneNumber(E164, uui="abc;encoding=hex")
    SipUri("sips:agent@pbx.example.com;transport=tls", uui="e30;encoding=jwt")
    SendDtmf("0123456789*#abcdABCD,wW")
    Conference("A-z_0.9")
    Forward(to="sip:a@b", from_="Anonymous")
    Transfer(PhoneNumber(E164), transfer_caller_id="")
    Tag("")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Redirect(redirect_url=None), "Redirect.redirect_url is required"),  # type: ignore[arg-type]
        (lambda: Redirect(redirect_url=""), "Redirect.redirect_url: '' is empty"),
        (lambda: SpeakSentence("   "), "SpeakSentence: text is required and may not be blank"),
        (lambda: SpeakSentence(), "text is required"),
        (lambda: PlayAudio(""), "PlayAudio: text is required"),
        (lambda: PhoneNumber(""), "PhoneNumber: text is required"),
        (lambda: StopStream(name=""), "StopStream.name: '' is empty"),
        (lambda: StreamParam(name="n", value=None), "StreamParam.value is required"),  # type: ignore[arg-type]
    ],
)
def test_required_values(build: object, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message.replace(".", r"\.")):
        build()  # type: ignore[operator]


def test_text_xml_cannot_carry_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="U\\+0001 at index 2 cannot be carried by XML 1.0"):
        SpeakSentence("ab\x01c")
    with pytest.raises(InvalidValueError, match="U\\+D800"):
        SpeakSentence("lone \ud800 surrogate")
    with pytest.raises(InvalidValueError, match="Gather.tag: character U\\+001B"):
        Gather(tag="\x1b")


def test_secrets_are_masked_in_errors_and_repr() -> None:
    record = Record(password="hunter2", username="me")
    assert "hunter2" not in repr(record)
    assert "password='***'" in repr(record)
    with pytest.raises(InvalidValueError) as info:
        Record(password="\x00hunter2")
    assert "hunter2" not in str(info.value)


def test_assignment_is_checked_and_rolled_back() -> None:
    gather = Gather(SpeakSentence("a"), SpeakSentence("b"), max_digits=5)
    gather.max_digits = 7
    assert gather.max_digits == 7
    with pytest.raises(InvalidValueError):
        gather.max_digits = 51
    assert gather.max_digits == 7
    with pytest.raises(InvalidValueError, match="2 prompts x repeat_count 11 = 22"):
        gather.repeat_count = 11
    assert gather.repeat_count is None
    gather.max_digits = None
    assert "maxDigits" not in gather.to_xml()
    redirect = Redirect(redirect_url="/a")
    with pytest.raises(InvalidValueError, match="required"):
        redirect.redirect_url = None


# -- nesting ----------------------------------------------------------------------------


def test_nesting_errors_name_parent_child_and_allowed() -> None:
    with pytest.raises(
        NestingError, match="<Gather> cannot hold <Hangup>; allowed: SpeakSentence, PlayAudio"
    ):
        Gather(Hangup())  # type: ignore[arg-type]
    with pytest.raises(NestingError, match="<Response> cannot hold <PhoneNumber>; allowed: Bridge"):
        Response(PhoneNumber(E164))  # type: ignore[arg-type]
    with pytest.raises(
        NestingError, match="<Transfer> cannot hold <SpeakSentence>; allowed: PhoneNumber, SipUri"
    ):
        Transfer(SpeakSentence("x"))  # type: ignore[arg-type]
    with pytest.raises(NestingError, match="<Response> cannot hold text 'hello'"):
        Response("hello")  # type: ignore[arg-type]
    with pytest.raises(NestingError, match="<StartStream> cannot hold <CustomParam>"):
        StartStream(CustomParam(name="a", value="b"), destination="wss://x")  # type: ignore[arg-type]
    with pytest.raises(NestingError, match="<SpeakSentence> cannot hold <Pause>"):
        SpeakSentence("a", Pause())  # type: ignore[arg-type]
    with pytest.raises(NestingError, match="<emphasis> cannot hold <p>"):
        bxml.ssml.Emphasis(bxml.ssml.P("x"))  # type: ignore[arg-type]


def test_child_counts() -> None:
    with pytest.raises(NestingError, match="<Transfer> holds at most 8 children"):
        Transfer(*(PhoneNumber(E164) for _ in range(9)))
    transfer = Transfer(*(PhoneNumber(E164) for _ in range(8)))
    with pytest.raises(NestingError):
        transfer.phone_number(E164)
    assert len(transfer) == 8
    with pytest.raises(NestingError, match="<StartStream> holds at most 12"):
        StartStream(
            *(StreamParam(name=str(i), value="v") for i in range(13)), destination="wss://x"
        )
    with pytest.raises(NestingError, match="<StartTranscription> holds at most 12"):
        StartTranscription(*(CustomParam(name=str(i), value="v") for i in range(13)))
    with pytest.raises(InvalidValueError, match="21 prompts x repeat_count 1 = 21"):
        Gather(*(SpeakSentence("x") for _ in range(21)))
    with pytest.raises(InvalidValueError, match="5 prompts x repeat_count 5 = 25"):
        Gather(*(SpeakSentence("x") for _ in range(5)), repeat_count=5)
    gather = Gather(repeat_count=10)
    gather.speak_sentence("a").speak_sentence("b")
    with pytest.raises(InvalidValueError):
        gather.speak_sentence("c")
    assert len(gather) == 2


def test_required_children_are_checked_on_output() -> None:
    doc = Response()
    doc.transfer(transfer_caller_id=E164)
    with pytest.raises(NestingError, match="Transfer needs at least 1 child"):
        doc.to_xml()
    with pytest.raises(NestingError, match="Connect needs at least 1 child"):
        Response(Connect()).to_xml()


# -- building ---------------------------------------------------------------------------

EXPECTED = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><SpeakSentence>Hi</SpeakSentence>'
    '<Gather gatherUrl="/menu" maxDigits="1"><PlayAudio>https://a/b.wav</PlayAudio>'
    "</Gather><Hangup/></Response>"
)


def test_three_ways_to_build_are_equal() -> None:
    nested = Response(
        SpeakSentence("Hi"),
        Gather(PlayAudio("https://a/b.wav"), gather_url="/menu", max_digits=1),
        Hangup(),
    )
    chained = Response().speak_sentence("Hi")
    chained.gather(gather_url="/menu", max_digits=1).play_audio("https://a/b.wav")
    chained.hangup()
    with_block = Response()
    with_block.speak_sentence("Hi")
    with with_block.gather(gather_url="/menu", max_digits=1) as g:
        g.play_audio("https://a/b.wav")
    with_block.hangup()
    assert nested == chained == with_block
    assert nested.to_xml() == chained.to_xml() == with_block.to_xml() == EXPECTED


def test_leaf_methods_return_container_and_nest_methods_return_child() -> None:
    doc = Response()
    assert doc.speak_sentence("x") is doc
    gather = doc.gather()
    assert isinstance(gather, Gather)
    assert gather.speak_sentence("y") is gather
    transfer = doc.transfer()
    assert transfer.phone_number(E164).sip_uri("sip:a@b") is transfer
    stream = doc.start_stream(destination="wss://a")
    assert stream.stream_param(name="a", value="b") is stream
    transcription = doc.start_transcription()
    assert transcription.custom_param(name="a", value="b") is transcription
    connect = doc.connect()
    assert connect.endpoint("e-1") is connect
    assert [type(c).__name__ for c in doc] == [
        "SpeakSentence", "Gather", "Transfer", "StartStream", "StartTranscription", "Connect",
    ]  # fmt: skip


def test_every_container_has_one_method_per_child() -> None:
    from bxml.document import Root

    def method_name(tag: str) -> str:
        return "".join("_" + c.lower() if c.isupper() else c for c in tag).lstrip("_")

    for container in (Root, Gather, Transfer, StartStream, StartTranscription, Connect, Refer):
        for child in container.CHILD_TYPES:
            assert callable(getattr(container, method_name(child.TAG))), (container, child)


def test_failed_append_leaves_container_unchanged() -> None:
    doc = Response(Hangup())
    with pytest.raises(NestingError):
        doc.append(Pause(), PhoneNumber(E164))  # type: ignore[arg-type]
    assert doc == Response(Hangup())


# -- serialization ----------------------------------------------------------------------


def test_values_are_written_as_bxml_expects() -> None:
    doc = Response(
        Ring(duration=5.0, answer_call=False),
        Pause(duration=0.00001 + 0.1),
        Gather(inter_digit_timeout=2.50, first_digit_timeout=0),
    )
    xml = doc.to_xml(xml_declaration=False)
    assert '<Ring duration="5" answerCall="false"/>' in xml
    assert 'duration="0.10001"' in xml
    assert 'interDigitTimeout="2.5" firstDigitTimeout="0"' in xml
    assert bxml.Record().to_xml() == "<Record/>", "no defaults are emitted"


def test_text_and_attributes_are_escaped() -> None:
    doc = Response(
        SpeakSentence('if x <b> y, 3 < 4 > 2 & "q"'),
        Redirect(redirect_url='/next?a=1&b="2"<'),
    )
    xml = doc.to_xml(xml_declaration=False)
    assert '<SpeakSentence>if x &lt;b&gt; y, 3 &lt; 4 &gt; 2 &amp; "q"</SpeakSentence>' in xml
    assert 'redirectUrl="/next?a=1&amp;b=&quot;2&quot;&lt;"' in xml
    assert bxml.parse(xml) == doc


def test_str_and_bytes() -> None:
    doc = Response(SpeakSentence("héllo"))
    assert str(doc) == doc.to_xml()
    assert doc.to_bytes() == doc.to_xml().encode("utf-8")
    assert (
        doc.to_xml(xml_declaration=False)
        == "<Response><SpeakSentence>héllo</SpeakSentence></Response>"
    )
    assert str(SpeakSentence("a")) == "<SpeakSentence>a</SpeakSentence>"
    assert Response().to_xml(xml_declaration=False) == "<Response/>"


def test_pretty_output_indents_only_element_content() -> None:
    doc = Response(Gather(SpeakSentence("Hi ", bxml.ssml.Emphasis("there")), max_digits=1))
    assert doc.to_xml(pretty=True) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Response>\n"
        '  <Gather maxDigits="1">\n'
        "    <SpeakSentence>Hi <emphasis>there</emphasis></SpeakSentence>\n"
        "  </Gather>\n"
        "</Response>"
    )


def test_equality_and_repr() -> None:
    assert Pause(duration=1) == Pause(duration=1.0)
    assert Pause(duration=1) != Pause(duration=2)
    assert Pause() != Ring()
    assert SpeakSentence("a", "b") == SpeakSentence("ab")
    assert (
        repr(Gather(SpeakSentence("x"), max_digits=2)) == "Gather(SpeakSentence('x'), max_digits=2)"
    )
    with pytest.raises(TypeError):
        hash(Pause())


def test_reading_values_and_content() -> None:
    gather = Gather(SpeakSentence("x", bxml.ssml.Break(time="1s")), gather_url="/g")
    assert gather.gather_url == "/g"
    assert gather.max_digits is None
    assert gather.attributes == {"gather_url": "/g"}
    assert gather[0].text == "x"  # type: ignore[attr-defined]
    assert [e.TAG for e in gather.iter()] == ["Gather", "SpeakSentence", "break"]
    assert PhoneNumber(E164).text == E164
    assert Bridge("c-1").text == "c-1"


def test_speak_sentence_from_ssml() -> None:
    sentence = SpeakSentence.from_ssml(
        'Hello <emphasis level="strong">world</emphasis> &amp; more', voice="kate"
    )
    assert sentence == SpeakSentence(
        "Hello ", bxml.ssml.Emphasis("world", level="strong"), " & more", voice="kate"
    )
    with pytest.raises(bxml.ParseError, match="unknown element <blink>"):
        SpeakSentence.from_ssml("<blink>x</blink>")
    with pytest.raises(bxml.ParseError, match="emphasis.level"):
        SpeakSentence.from_ssml('<emphasis level="loud">x</emphasis>')


# -- Refer ------------------------------------------------------------------------------

SIP = "sip:alice@atlanta.example.com"


def test_refer_holds_exactly_one_sip_uri() -> None:
    refer = Refer(SipUri(SIP), refer_complete_url="/done", refer_complete_method="GET", tag="r")
    assert refer.to_xml() == (
        '<Refer referCompleteUrl="/done" referCompleteMethod="GET" tag="r">'
        f"<SipUri>{SIP}</SipUri></Refer>"
    )
    with pytest.raises(NestingError, match=r"<Refer> holds at most 1 child \(SipUri\)"):
        Refer(SipUri(SIP), SipUri(SIP))
    with pytest.raises(NestingError, match="<Refer> cannot hold <PhoneNumber>; allowed: SipUri"):
        Refer(PhoneNumber(E164))  # type: ignore[arg-type]
    with pytest.raises(NestingError, match="Refer needs at least 1 child"):
        Response(Refer()).to_xml()
    with pytest.raises(InvalidValueError, match="Refer.refer_complete_method: 'PUT'"):
        Refer(SipUri(SIP), refer_complete_method="PUT")  # type: ignore[arg-type]


def test_the_sip_uri_of_a_refer_carries_the_uri_only() -> None:
    with pytest.raises(
        InvalidValueError, match="Refer: its SipUri takes the SIP URI only, not tag"
    ):
        Refer(SipUri(SIP, tag="x"))
    refer = Refer()
    with pytest.raises(InvalidValueError, match="not transfer_answer_url"):
        refer.append(SipUri(SIP, transfer_answer_url="/a"))
    assert len(refer) == 0
    with pytest.raises(bxml.ParseError, match="its SipUri takes the SIP URI only"):
        bxml.parse(f'<Response><Refer><SipUri tag="x">{SIP}</SipUri></Refer></Response>')


def test_refer_is_built_three_ways_and_read_back() -> None:
    nested = Response(Refer(SipUri(SIP), refer_complete_url="/done"))
    chained = Response()
    assert chained.refer(refer_complete_url="/done").sip_uri(SIP) is chained[0]
    assert nested == chained
    assert bxml.parse(nested.to_xml()) == nested
    assert (
        bxml.Bxml(Refer(SipUri(SIP)))
        .to_xml()
        .endswith(f"<Refer><SipUri>{SIP}</SipUri></Refer></Bxml>")
    )


def test_top_level_verbs_come_from_one_union() -> None:
    from typing import get_args

    from bxml.document import Root

    assert bxml.verbs.TOP_LEVEL == get_args(bxml.verbs.TopLevelVerb)
    assert Root.CHILD_TYPES == bxml.verbs.TOP_LEVEL
    assert Refer in bxml.verbs.TOP_LEVEL
    names = [cls.__name__ for cls in bxml.verbs.TOP_LEVEL]
    assert names == sorted(names)


# -- UnknownElement names ---------------------------------------------------------------

INJECTION = 'Pause/><Redirect redirectUrl="https://evil.example/x"/><Pause'


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: UnknownElement(""), "UnknownElement: element name '' is not an XML name"),
        (lambda: UnknownElement(INJECTION), "element name 'Pause/><Redirect"),
        (lambda: UnknownElement("1st"), "'1st' is not an XML name"),
        (lambda: UnknownElement("a b"), "'a b' is not an XML name"),
        (lambda: UnknownElement(7), "element name 7 is not an XML name"),  # type: ignore[arg-type]
        (lambda: UnknownElement("Dial", {"": "v"}), "Dial: attribute name '' is not an XML name"),
        (lambda: UnknownElement("Dial", {'a="1" b': "v"}), "attribute name 'a=\"1\" b'"),
        (lambda: UnknownElement("Dial", {"n": 1}), "Dial.n: 1 is a int; a str is required"),  # type: ignore[dict-item]
        # Namespace-aware readers refuse these, so they could not be read back.
        (lambda: UnknownElement(":"), "element name ':' is not an XML name"),
        (lambda: UnknownElement(":a"), "element name ':a' is not an XML name"),
        (lambda: UnknownElement("a:"), "element name 'a:' is not an XML name"),
        (lambda: UnknownElement("a:b:c"), "element name 'a:b:c' is not an XML name"),
        (lambda: UnknownElement("a:-b"), "element name 'a:-b' is not an XML name"),
        (lambda: UnknownElement("Dial", {":\u0346": "v"}), "attribute name ':\u0346'"),
    ],
)
def test_unknown_element_names_must_be_xml_names(build: Any, message: str) -> None:
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        build()


def test_unknown_element_accepts_xml_names_with_prefixes_and_letters() -> None:
    element = UnknownElement("amazon:effect", {"xml:lang": "x", "a-b.c_d": "1"}, "hi")
    assert element.to_xml() == '<amazon:effect xml:lang="x" a-b.c_d="1">hi</amazon:effect>'
    assert UnknownElement("ÉtapeŒ").to_xml() == "<ÉtapeŒ/>"


@settings(max_examples=60)
@given(st.text(max_size=12), st.text(max_size=8))
def test_an_accepted_unknown_name_writes_exactly_one_element(name: str, key: str) -> None:
    try:
        element = UnknownElement(name, {key: "v"})
    except InvalidValueError:
        return
    if name in REGISTRY:  # read back as the class of that name
        return
    doc = bxml.parse(Response(element).to_xml(), strict=False)  # type: ignore[arg-type]
    assert doc.content == [element]


@pytest.mark.parametrize(
    ("build", "parent", "child"),
    [
        (lambda: Response(Hangup), "<Response>", "Hangup"),  # type: ignore[arg-type]
        (lambda: Response().append(Pause), "<Response>", "Pause"),  # type: ignore[arg-type]
        (lambda: Gather(SpeakSentence), "<Gather>", "SpeakSentence"),  # type: ignore[arg-type]
        (lambda: Transfer(PhoneNumber), "<Transfer>", "PhoneNumber"),  # type: ignore[arg-type]
        (lambda: Refer(SipUri), "<Refer>", "SipUri"),  # type: ignore[arg-type]
        (lambda: Connect(bxml.Endpoint), "<Connect>", "Endpoint"),  # type: ignore[arg-type]
        (lambda: SpeakSentence("a", bxml.ssml.Break), "<SpeakSentence>", "Break"),  # type: ignore[arg-type]
        (lambda: bxml.ssml.P(bxml.ssml.S), "<p>", "S"),  # type: ignore[arg-type]
        (lambda: UnknownElement("Dial", None, Hangup), "Dial", "Hangup"),  # type: ignore[arg-type]
    ],
)
def test_a_class_instead_of_an_instance_is_named_as_such(
    build: Any, parent: str, child: str
) -> None:
    expected = f"{parent} cannot hold the class {child} (pass {child}(), an instance, not the class {child})"
    with pytest.raises(NestingError, match=re.escape(expected)):
        build()


# -- the compiled constructors ------------------------------------------------------------


def test_an_init_body_beyond_the_setup_call_is_refused_at_class_creation() -> None:
    from bxml._values import Number

    with pytest.raises(
        TypeError, match=r"Seven.__init__ may only call self._setup\(..., locals\(\)\)"
    ):

        class Seven(bxml.Verb, tag="Seven"):
            __slots__ = ()
            duration = Number(1, 10)

            def __init__(self, *, duration: float | None = None) -> None:
                if duration == 7:
                    raise ValueError("no sevens")
                self._setup((), locals())

    assert "Seven" not in REGISTRY
    with pytest.raises(
        TypeError, match="checks that involve several attributes or children in _check_rules"
    ):

        class Logged(bxml.Verb):
            __slots__ = ()

            def __init__(self, *children: bxml.Verb) -> None:
                self._setup(children, locals())
                print("built")


def test_a_docstring_and_the_setup_call_are_all_an_init_may_hold() -> None:
    from bxml._values import Number

    class Documented(bxml.Verb):
        __slots__ = ()
        duration = Number(1, 10)

        def __init__(self, *, duration: float | None = None) -> None:
            """Build it."""
            self._setup((), locals())

    assert Documented.__init__.__doc__ == "Build it."
    assert Documented(duration=3).attributes == {"duration": 3}


# -- names and annotations ----------------------------------------------------------------


def test_every_element_names_its_xml_element_one_way() -> None:
    assert Gather().element_name == "Gather"
    assert bxml.ssml.SayAs("1", interpret_as="cardinal").element_name == "say-as"
    dial = UnknownElement("Dial", {"number": "sip:a@b"})
    assert dial.element_name == "Dial"
    assert not hasattr(dial, "tag")  # .tag is the sticky-tag attribute of verbs only
    assert Bridge("c-1", tag="t").tag == "t"
    with pytest.raises(TypeError):
        UnknownElement(element_name="Dial")  # type: ignore[call-arg]


def test_no_dead_class_machinery_is_left() -> None:
    from bxml._element import Element
    from bxml._values import Attr, Text

    assert not hasattr(Element, "ORDER")
    assert not hasattr(Attr, "kind") and not hasattr(Text(), "doc")


def test_version_comes_from_the_distribution_when_asked_for() -> None:
    import subprocess
    import sys
    from importlib.metadata import version

    assert bxml.__version__ == version("bxml-callcontrol")
    code = "import bxml; print('__version__' in vars(bxml)); print(bxml.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", version("bxml-callcontrol")]


def _expected_annotation(attr: Any) -> Any:
    from typing import Literal

    from bxml._values import Choice, Custom, Flag, Integer, Number, Text

    if isinstance(attr, Choice):
        kind: Any = Literal[attr.values]
    elif isinstance(attr, Flag):
        kind = bool
    elif isinstance(attr, Integer):
        kind = int
    elif isinstance(attr, Number):
        kind = float
    else:
        assert isinstance(attr, (Text, Custom))
        kind = str
    return kind if attr.required else kind | None


@pytest.mark.parametrize("tag", sorted(REGISTRY))
def test_every_annotation_agrees_with_its_descriptor(tag: str) -> None:
    from typing import get_type_hints

    cls = REGISTRY[tag]
    init = getattr(cls.__init__, "__wrapped__", cls.__init__)
    hints = get_type_hints(init)
    for attr in cls.FIELDS:
        assert hints[attr.name] == _expected_annotation(attr), f"{tag}.{attr.name}"


def _builder_methods() -> list[tuple[type[Any], type[Any]]]:
    from bxml.document import Root

    containers = (Root, Gather, Transfer, StartStream, StartTranscription, Connect)
    return [(container, child) for container in containers for child in container.CHILD_TYPES]


def _method_name(tag: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in tag).lstrip("_")


@pytest.mark.parametrize(
    ("container", "child"), _builder_methods(), ids=lambda v: getattr(v, "__name__", v)
)
def test_builder_methods_show_the_verbs_real_signature(
    container: type[Any], child: type[Any]
) -> None:
    import inspect

    name = _method_name(child.TAG)
    method = getattr(container, name)
    assert (method.__name__, method.__qualname__) == (name, f"{container.__qualname__}.{name}")
    assert method.__module__ == container.__module__
    verb = inspect.signature(child.__init__.__wrapped__)
    shown = inspect.signature(method)
    assert list(shown.parameters.values()) == list(verb.parameters.values())
    returns = child.__name__ if issubclass(child, Container) else container.__name__
    assert shown.return_annotation == returns
    assert child.__name__ in method.__doc__ and child.__doc__ in method.__doc__


def _declared_children(cls: type[Any]) -> set[type[Any]]:
    """The classes named in ``Container[...]`` among the bases of ``cls`` (for mypy)."""
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if get_origin(base) is Container:
                (kind,) = get_args(base)
                return set(get_args(kind) or (kind,))
    raise AssertionError(f"{cls.__name__} names no Container[...] base")


@pytest.mark.parametrize(
    "cls", [c for c in REGISTRY.values() if issubclass(c, Container)], ids=lambda c: c.__name__
)
def test_container_type_parameter_matches_child_types(cls: type[Any]) -> None:
    assert _declared_children(cls) == set(cls.CHILD_TYPES)


def test_builder_methods_check_their_arguments_as_the_verb_does() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'gather_uri'"):
        Response().gather(gather_uri="/g")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Response().hangup("now")  # type: ignore[call-arg]
    assert Response().tag() == Response(Tag())


# -- fixed edges: every fast path escapes, the model and the XSD agree at every boundary --------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('say "hi"', "say &quot;hi&quot;"),  # ASCII, printable, no &<>: the plain fast path
        ("a&b", "a&amp;b"),
        ("a<b", "a&lt;b"),
        ("a>b", "a&gt;b"),
        ("a\tb", "a&#9;b"),
        ("a\nb", "a&#10;b"),
        ("a\rb", "a&#13;b"),
        ('é "q" &', "é &quot;q&quot; &amp;"),  # not ASCII: the full path
    ],
)
def test_attribute_values_are_escaped_on_every_path(value: str, written: str) -> None:
    expected = f' tag="{written}"'
    assert expected in Bridge("c-1", tag=value).to_xml()  # compiled constructor
    bridge = Bridge("c-1")
    bridge.tag = value  # assignment
    assert expected in bridge.to_xml()
    assert f' n="{written}"' in UnknownElement("Dial", {"n": value}).to_xml()
    lenient = bxml.parse(f'<Response><Hangup n="{written}"/></Response>', strict=False).to_xml(
        xml_declaration=False
    )
    assert lenient == f'<Response><Hangup n="{written}"/></Response>'
    assert bxml.parse(Response(Bridge("c-1", tag=value)).to_xml())[0] == Bridge("c-1", tag=value)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('say "hi"', 'say "hi"'),  # quotes need no escaping in text
        ("a&b", "a&amp;b"),
        ("a<b>c", "a&lt;b&gt;c"),
        ("a\rb", "a&#13;b"),
        ("é<", "é&lt;"),
    ],
)
def test_text_is_escaped_on_every_path(value: str, written: str) -> None:
    assert Tag(value).to_xml() == f"<Tag>{written}</Tag>"  # a leaf on its own
    for pretty in (False, True):  # a leaf inside a container, written inline
        assert f"<Tag>{written}</Tag>" in Response(Tag(value)).to_xml(pretty=pretty)
    speak = SpeakSentence(value, bxml.ssml.Break(), value)  # mixed content
    assert speak.to_xml() == f"<SpeakSentence>{written}<break/>{written}</SpeakSentence>"
    assert SpeakSentence(value).to_xml() == f"<SpeakSentence>{written}</SpeakSentence>"
    assert UnknownElement("Dial", None, value).to_xml() == f"<Dial>{written}</Dial>"


# Documents that hold one value, and how the model builds the same value.
_CONTEXTS: dict[str, tuple[str, Any]] = {
    "PhoneNumber": ("<Transfer><PhoneNumber>{}</PhoneNumber></Transfer>", PhoneNumber),
    "SipUri": ("<Transfer><SipUri>{}</SipUri></Transfer>", SipUri),
    "SendDtmf": ("<SendDtmf>{}</SendDtmf>", SendDtmf),
    "Conference": ("<Conference>{}</Conference>", Conference),
    "Tag": ("<Tag>{}</Tag>", Tag),
    "Forward.to": ('<Forward to="{}"/>', lambda v: Forward(to=v)),
    "Forward.from": ('<Forward to="+15551234567" from="{}"/>', lambda v: Forward(to=E164, from_=v)),
    "Forward.uui": ('<Forward to="sip:a@b" uui="{}"/>', lambda v: Forward(to="sip:a@b", uui=v)),
    "Transfer.transferCallerDisplayName": (
        '<Transfer transferCallerDisplayName="{}"><PhoneNumber>+15551234567</PhoneNumber></Transfer>',
        lambda v: Transfer(PhoneNumber(E164), transfer_caller_display_name=v),
    ),
    "PhoneNumber.uui": (
        '<Transfer><PhoneNumber uui="{}">+15551234567</PhoneNumber></Transfer>',
        lambda v: PhoneNumber(E164, uui=v),
    ),
    "SipUri.uui": (
        '<Transfer><SipUri uui="{}">sip:a@b</SipUri></Transfer>',
        lambda v: SipUri("sip:a@b", uui=v),
    ),
    "Gather.terminatingDigits": (
        '<Gather terminatingDigits="{}"/>',
        lambda v: Gather(terminating_digits=v),
    ),
    "Gather.tag": ('<Gather tag="{}"/>', lambda v: Gather(tag=v)),
    "StreamParam.name": (
        '<StartStream destination="wss://x"><StreamParam name="{}" value="v"/></StartStream>',
        lambda v: StreamParam(name=v, value="v"),
    ),
    "StreamParam.value": (
        '<StartStream destination="wss://x"><StreamParam name="n" value="{}"/></StartStream>',
        lambda v: StreamParam(name="n", value=v),
    ),
    "break.time": (
        '<SpeakSentence>a<break time="{}"/></SpeakSentence>',
        lambda v: bxml.ssml.Break(time=v),
    ),
    "prosody.pitch": (
        '<SpeakSentence><prosody pitch="{}">a</prosody></SpeakSentence>',
        lambda v: bxml.ssml.Prosody("a", pitch=v),
    ),
    "prosody.rate": (
        '<SpeakSentence><prosody rate="{}">a</prosody></SpeakSentence>',
        lambda v: bxml.ssml.Prosody("a", rate=v),
    ),
    "prosody.volume": (
        '<SpeakSentence><prosody volume="{}">a</prosody></SpeakSentence>',
        lambda v: bxml.ssml.Prosody("a", volume=v),
    ),
}

_E164_EDGES = [
    ("+12", True), ("+123456789012345", True), ("+1", False), ("+1234567890123456", False),
    ("+0123456789", False), ("+01", False), ("15551234567", False), ("+1 555", False),
    ("++15551234567", False), ("+1555123456a", False),
]  # fmt: skip
_UUI_EDGES = [
    ("abc;encoding=base64", True), ("abc;encoding=jwt", True), ("a;x=1;encoding=jwt;y=2", True),
    ("abc", False), (";encoding=jwt", False), ("abc;encoding=b64", False),
    ("abc;encoding=BASE64", False), ("a" * 240 + ";encoding=base64", True),
    ("a" * 241 + ";encoding=base64", False),
]  # fmt: skip

EDGES: list[tuple[str, str, bool]] = [
    *(("PhoneNumber", value, ok) for value, ok in _E164_EDGES),
    ("PhoneNumber", " +15551234567\n", True),
    *(("Forward.to", value, ok) for value, ok in _E164_EDGES),
    *(("Forward.from", value, ok) for value, ok in _E164_EDGES),
    ("Forward.from", "", True), ("Forward.from", "Restricted", True),
    ("Forward.from", "Anonymous", True), ("Forward.from", "restricted", False),
    ("Forward.from", "Restricted ", False), ("Forward.from", "Withheld", False),
    ("SipUri", "sip:a", True), ("SipUri", "sips:a@b.c", True), ("SipUri", "sip:", False),
    ("SipUri", "sipx:a", False), ("SipUri", "SIP:a", False), ("SipUri", "sip:a b", False),
    ("SipUri", "tel:+15551234567", False),
    ("Forward.to", "sip:a", True), ("Forward.to", "sip:", False), ("Forward.to", "sip:a b", False),
    ("SendDtmf", "0123456789*#abcdABCD,wW", True), ("SendDtmf", "1" * 50, True),
    ("SendDtmf", "1" * 51, False), ("SendDtmf", "e", False), ("SendDtmf", "1 2", False),
    ("SendDtmf", "", False), ("SendDtmf", " 12 ", True),
    ("Conference", "a" * 100, True), ("Conference", "a" * 101, False),
    ("Conference", "A-z_0.9", True), ("Conference", "a b", False), ("Conference", "é", False),
    ("Conference", "", False), ("Conference", "a/b", False),
    ("Tag", "x" * 256, True), ("Tag", "x" * 257, False), ("Tag", "", True),
    ("Gather.tag", "x" * 256, True), ("Gather.tag", "x" * 257, False), ("Gather.tag", "", True),
    ("Gather.terminatingDigits", "", True), ("Gather.terminatingDigits", "#*0123456789", True),
    ("Gather.terminatingDigits", "a", False), ("Gather.terminatingDigits", "1 ", False),
    ("Transfer.transferCallerDisplayName", "x" * 256, True),
    ("Transfer.transferCallerDisplayName", "x" * 257, False),
    ("Transfer.transferCallerDisplayName", "", True),
    ("Transfer.transferCallerDisplayName", "a\tb", False),
    ("Transfer.transferCallerDisplayName", "a\x7fb", False),
    ("Transfer.transferCallerDisplayName", "Zoë Ünal", True),
    *(("Forward.uui", value, ok) for value, ok in _UUI_EDGES),
    ("Forward.uui", "abc;encoding=hex", False),
    *(("SipUri.uui", value, ok) for value, ok in _UUI_EDGES),
    ("SipUri.uui", "abc;encoding=hex", False),
    *(("PhoneNumber.uui", value, ok) for value, ok in _UUI_EDGES),
    ("PhoneNumber.uui", "abc;encoding=hex", True),
    ("StreamParam.name", "n" * 256, True), ("StreamParam.name", "n" * 257, False),
    ("StreamParam.name", "", False),
    ("StreamParam.value", "v" * 2048, True), ("StreamParam.value", "v" * 2049, False),
    ("StreamParam.value", "", True),
    ("break.time", "10s", True), ("break.time", "10.0s", True), ("break.time", "10.01s", False),
    ("break.time", "11s", False), ("break.time", "10000ms", True), ("break.time", "10001ms", False),
    ("break.time", "9999.9ms", True), ("break.time", "0ms", True), ("break.time", "1.5s", True),
    ("break.time", "s", False), ("break.time", "1.s", False), ("break.time", "1 s", False),
    ("break.time", "1S", False), ("break.time", "-1s", False),
    ("prosody.pitch", "+10%", True), ("prosody.pitch", "-1.5%", True),
    ("prosody.pitch", "10%", False), ("prosody.pitch", "x-high", True),
    ("prosody.pitch", "+10", False), ("prosody.pitch", "X-HIGH", False),
    ("prosody.rate", "80%", True), ("prosody.rate", "80.5%", True), ("prosody.rate", "+80%", False),
    ("prosody.rate", "x-fast", True), ("prosody.rate", "80", False),
    ("prosody.volume", "-6dB", True), ("prosody.volume", "+6.5dB", True),
    ("prosody.volume", "6dB", False), ("prosody.volume", "+6db", False),
    ("prosody.volume", "silent", True),
]  # fmt: skip


def _model_accepts(build: Any, value: Any) -> bool:
    try:
        build(value)
    except InvalidValueError:
        return False
    return True


@pytest.mark.parametrize(("where", "value", "ok"), EDGES, ids=lambda v: repr(v)[:40])
def test_patterns_agree_at_their_edges_in_the_model_and_the_xsd(
    where: str, value: str, ok: bool
) -> None:
    template, build = _CONTEXTS[where]
    escaped = value.replace("&", "&amp;").replace("\t", "&#9;").replace("\n", "&#10;")
    document = f"<Response>{template.format(escaped)}</Response>"
    assert _model_accepts(build, value) is ok, f"model, {where} = {value!r}"
    assert bxml.is_valid(document) is ok, f"XSD, {where} = {value!r}"


# A document that holds each element with ranged attributes, around {}.
_RANGED_CONTEXTS = {
    "Conference": "<Conference {}>room</Conference>",
    "Forward": '<Forward to="+15551234567" {}/>',
    "Gather": "<Gather {}/>",
    "Pause": "<Pause {}/>",
    "Record": "<Record {}/>",
    "Ring": "<Ring {}/>",
    "SendDtmf": "<SendDtmf {}>1</SendDtmf>",
    "Transfer": "<Transfer {}><PhoneNumber>+15551234567</PhoneNumber></Transfer>",
}


def _ranged() -> list[tuple[str, Any]]:
    from bxml._values import Integer, Number

    return [
        (tag, attr)
        for tag, cls in sorted(REGISTRY.items())
        for attr in cls.FIELDS
        if isinstance(attr, (Integer, Number))
    ]


def _edges(attr: Any) -> list[tuple[Any, bool]]:
    from decimal import Decimal

    from bxml._values import Integer

    if isinstance(attr, Integer):
        return [(attr.low, True), (attr.high, True), (attr.low - 1, False), (attr.high + 1, False)]
    step = Decimal("0.001")
    low, high = Decimal(str(attr.low)), Decimal(str(attr.high))
    near = [(float(low - step), False), (float(high + step), False)]
    whole = [(int(high), True), (int(high) + 1, False)] if high == int(high) else []
    return [(attr.low, True), (attr.high, True), (float(high), True), *near, *whole]


def test_every_ranged_attribute_has_a_context() -> None:
    assert {tag for tag, _ in _ranged()} == set(_RANGED_CONTEXTS)


@pytest.mark.parametrize(("tag", "attr"), _ranged(), ids=lambda v: getattr(v, "xml", v))
def test_ranges_agree_at_both_ends_in_the_model_and_the_xsd(tag: str, attr: Any) -> None:
    from bxml._values import format_number

    cls = REGISTRY[tag]
    for value, ok in _edges(attr):
        text = format_number(value)
        assert _model_accepts(lambda v: attr.check(tag, v), value) is ok, (tag, attr.name, value)
        assert _model_accepts(cls.FRAGMENTS[attr.name], value) is ok, (tag, attr.name, value)
        assert _model_accepts(lambda t: attr.from_text(tag, t), text) is ok, (tag, text)
        attribute = f'{attr.xml}="{text}"'
        document = f"<Response>{_RANGED_CONTEXTS[tag].format(attribute)}</Response>"
        assert bxml.is_valid(document) is ok, (document, ok)


# -- unknown keywords: did you mean ----------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: bxml.Gather(max_digit=1), "Gather() got an unexpected keyword argument 'max_digit'; did you mean 'max_digits'?"),  # type: ignore[call-arg]
        (lambda: bxml.Gather(gatherUrl="/x"), "Gather() got an unexpected keyword argument 'gatherUrl'; keywords are snake_case: did you mean 'gather_url'?"),  # type: ignore[call-arg]
        (lambda: bxml.Gather(maxdigits=1), "Gather() got an unexpected keyword argument 'maxdigits'; did you mean 'max_digits'?"),  # type: ignore[call-arg]
        (lambda: bxml.SpeakSentence("Hi", voic="julie"), "SpeakSentence() got an unexpected keyword argument 'voic'; did you mean 'voice'?"),  # type: ignore[call-arg]
        (lambda: bxml.Response().gather(gatherUrl="/x"), "Gather() got an unexpected keyword argument 'gatherUrl'; keywords are snake_case: did you mean 'gather_url'?"),  # type: ignore[call-arg]
        (lambda: bxml.Hangup(reason="x"), "Hangup() got an unexpected keyword argument 'reason' (Hangup takes no keywords)"),  # type: ignore[call-arg]
        (lambda: bxml.Pause(wait=1), "Pause() got an unexpected keyword argument 'wait' (Pause takes duration)"),  # type: ignore[call-arg]
    ],
)  # fmt: skip
def test_an_unknown_keyword_suggests_the_nearest_attribute(build, expected) -> None:
    with pytest.raises(TypeError) as caught:
        build()
    assert str(caught.value) == expected


def test_the_compiled_and_the_declared_init_take_the_same_keywords() -> None:
    import inspect

    for cls in (bxml.Gather, bxml.Transfer, bxml.SpeakSentence, bxml.Hangup):
        shown = inspect.signature(cls)
        assert not any(p.kind is p.VAR_KEYWORD for p in shown.parameters.values())
