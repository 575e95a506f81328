"""bxml.lint: one test per rule, plus what a clean document and each input kind give."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

import bxml
from bxml import strategies
from bxml.lint import CONFERENCE_VERBS, lint
from bxml.schema import Source

HERE = Path(__file__).parent
SPEC_EXAMPLES = sorted((HERE / "spec_examples").glob("*.xml"))


def codes(doc: Source, **kwargs: object) -> list[tuple[str, str | None]]:
    return [(p.path, p.code) for p in lint(doc, **kwargs)]  # type: ignore[arg-type]


def ivr() -> bxml.Response:
    return bxml.Response(
        bxml.SpeakSentence("Welcome"),
        bxml.Gather(bxml.SpeakSentence("Press 1"), gather_url="/menu", max_digits=1),
    )


def test_a_clean_document_has_no_problems() -> None:
    assert lint(ivr()) == []
    assert lint(ivr().to_xml()) == []


@pytest.mark.parametrize("path", SPEC_EXAMPLES, ids=lambda p: p.stem)
def test_the_spec_examples_are_clean(path: Path) -> None:
    context = "transfer_answer" if "answer_reply" in path.stem else "call"
    assert lint(path, context=context) == []  # type: ignore[arg-type]


# -- BX101 / BX102: verbs that never run --------------------------------------------------------


@pytest.mark.parametrize(
    "ender",
    [bxml.Redirect(redirect_url="/next"), bxml.Hangup(), bxml.Forward(to="+15554567892")],
    ids=lambda v: type(v).__name__,
)
def test_verbs_after_redirect_hangup_or_forward_never_run(ender: bxml.Verb) -> None:
    doc = bxml.Response(bxml.SpeakSentence("Hi"), ender, bxml.Pause(), bxml.Hangup())  # type: ignore[arg-type]
    (problem,) = lint(doc)
    assert (problem.path, problem.code, problem.line) == ("/Response/Pause[1]", "BX101", None)
    tag = type(ender).__name__
    assert problem.message.startswith(f"<Pause> and 1 later verb never run: <{tag}> at /Response/")


def test_a_final_redirect_is_fine() -> None:
    assert lint(bxml.Response(bxml.Pause(), bxml.Redirect(redirect_url="/next"))) == []


@pytest.mark.parametrize(
    ("verb", "url"),
    [
        (bxml.Gather(gather_url="/g"), "gatherUrl"),
        (bxml.Record(record_complete_url="/r"), "recordCompleteUrl"),
        (
            bxml.Transfer(bxml.PhoneNumber("+15554567892"), transfer_complete_url="/t"),
            "transferCompleteUrl",
        ),
        (bxml.Bridge("c-123", bridge_complete_url="/b"), "bridgeCompleteUrl"),
        (
            bxml.Refer(bxml.SipUri("sip:a@pbx.example.com"), refer_complete_url="/r"),
            "referCompleteUrl",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_verbs_after_a_callback_verb_never_run(verb: bxml.Verb, url: str) -> None:
    (problem,) = lint(bxml.Response(verb, bxml.Hangup()))  # type: ignore[arg-type]
    assert (problem.path, problem.code) == ("/Response/Hangup[1]", "BX102")
    assert problem.message == (
        f"<Hangup> never runs: <{type(verb).__name__}> at /Response/{type(verb).__name__}[1] "
        f"has {url}: the reply to that callback runs next"
    )


def test_verbs_after_a_record_without_callback_run() -> None:
    assert codes(bxml.Response(bxml.Record(), bxml.Hangup())) == []


# -- BX103 / BX104: Gather ------------------------------------------------------------------------


def test_gather_without_gather_url_drops_the_digits() -> None:
    doc = bxml.Response(bxml.Gather(bxml.SpeakSentence("Press 1")), bxml.Hangup())
    assert codes(doc) == [("/Response/Gather[1]", "BX103")]


def test_gather_prompts_times_repeat_count_over_20() -> None:
    prompts = "".join(f"<PlayAudio>/p{i}.wav</PlayAudio>" for i in range(7))
    text = f'<Response>\n<Gather gatherUrl="/g" repeatCount="3">{prompts}</Gather></Response>'
    (problem,) = lint(text)
    assert (problem.path, problem.code, problem.line) == ("/Response/Gather[1]", "BX104", 2)
    assert "7 prompts x repeatCount 3 = 21" in problem.message
    assert lint(text.replace('"3"', '"2"')) == []


# -- BX105 / BX106: what the schema cannot say about SSML ------------------------------------------


def test_speak_sentence_with_nothing_to_speak() -> None:
    text = "<Response><SpeakSentence>  </SpeakSentence><SpeakSentence><break/></SpeakSentence></Response>"
    assert codes(text) == [("/Response/SpeakSentence[1]", "BX105")]
    assert bxml.is_valid(text)  # the XSD cannot constrain mixed content


def test_say_as_format_goes_with_dates_only() -> None:
    text = (
        "<Response><SpeakSentence>"
        '<say-as interpret-as="cardinal" format="mdy">12</say-as>'
        '<say-as interpret-as="date" format="mdy">1/2/2024</say-as>'
        "</SpeakSentence></Response>"
    )
    assert codes(text) == [("/Response/SpeakSentence[1]/say-as[1]/@format", "BX106")]


# -- BX107: StartStream at the end -----------------------------------------------------------------


def test_a_document_ending_with_start_stream_ends_the_call() -> None:
    stream = bxml.StartStream(destination="wss://s.example.com", name="s")
    assert codes(bxml.Response(stream)) == [("/Response/StartStream[1]", "BX107")]
    kept = bxml.Response(stream, bxml.StopStream(name="s", wait=True))
    assert codes(kept) == []


# -- BX110: size -------------------------------------------------------------------------------------


def test_a_document_over_64_kb() -> None:
    doc = bxml.Response(*[bxml.SpeakSentence("x" * 1000) for _ in range(66)])
    assert len(doc.to_bytes()) > bxml.MAX_DOCUMENT_BYTES
    (problem,) = lint(doc)
    assert (problem.path, problem.code) == ("/Response", "BX110")
    assert str(bxml.MAX_DOCUMENT_BYTES) in problem.message
    assert codes(doc.to_bytes()) == [("/Response", "BX110")]


# -- BX120: credentials need https ---------------------------------------------------------------------


# The verb classes refuse these (bxml.verbs._HttpsWithCredentials), so lint sees them as text.
@pytest.mark.parametrize(
    ("verb", "attribute"),
    [
        ('<Record username="u" recordingAvailableUrl="http://a.example.com/r"/>', "recordingAvailableUrl"),
        ('<StartRecording password="p" transcriptionAvailableUrl="http://a/t"/>', "transcriptionAvailableUrl"),
        ('<StartStream destination="wss://s" username="u" streamEventUrl="http://a/e"/>', "streamEventUrl"),
        ('<StartTranscription username="u" transcriptionEventUrl="http://a/e"/>', "transcriptionEventUrl"),
        ('<Record fallbackUsername="u" recordCompleteFallbackUrl="http://a/f"/>', "recordCompleteFallbackUrl"),
    ],
    ids=lambda v: v if not v.startswith("<") else v[1:].split()[0],
)  # fmt: skip
def test_credentials_with_a_url_that_is_not_https(verb: str, attribute: str) -> None:
    found = [p for p in lint(f"<Response>{verb}<Hangup/></Response>") if p.code == "BX120"]
    (problem,) = found
    tag = verb[1:].split()[0]
    assert problem.path == f"/Response/{tag}[1]/@{attribute}"
    assert "https" in problem.message


def test_credentials_with_https_or_relative_urls_are_fine() -> None:
    doc = bxml.Response(
        bxml.Record(username="u", recording_available_url="https://a.example.com/r"),
        bxml.StartRecording(password="p", recording_available_url="/relative"),
        bxml.Record(recording_available_url="http://no-credentials.example.com"),
    )
    assert [p for p in lint(doc) if p.code == "BX120"] == []


# -- BX121 / BX122: which credentials each callback carries (bxml-spec §2, voice-api §9.2) ---------


def test_a_fallback_url_without_fallback_credentials_is_flagged() -> None:
    doc = bxml.Response(
        bxml.Gather(gather_url="/g", gather_fallback_url="/fb", username="u", password="p")
    )
    (problem,) = lint(doc)
    assert (problem.code, problem.path) == ("BX121", "/Response/Gather[1]/@gatherFallbackUrl")
    assert "fallbackUsername" in problem.message
    fixed = bxml.Response(
        bxml.Gather(
            gather_url="/g",
            gather_fallback_url="/fb",
            username="u",
            password="p",
            fallback_username="u",
            fallback_password="p",
        )
    )
    assert lint(fixed) == []
    assert lint(bxml.Response(bxml.Gather(gather_url="/g", gather_fallback_url="/fb"))) == []


def test_half_a_credential_pair_is_flagged() -> None:
    doc = bxml.Response(
        bxml.Redirect(redirect_url="/r", username="u"),
        bxml.Redirect(redirect_url="/r", fallback_password="p"),
    )
    assert codes(doc) == [
        ("/Response/Redirect[1]/@username", "BX122"),
        ("/Response/Redirect[2]", "BX101"),
        ("/Response/Redirect[2]/@fallbackPassword", "BX122"),
    ]
    assert "username without password" in lint(doc)[0].message


# -- BX130 / BX131: context ---------------------------------------------------------------------------


def test_conference_documents_allow_six_verbs() -> None:
    doc = bxml.Bxml(
        bxml.SpeakSentence("Welcome to the conference"),
        bxml.StartRecording(),
        bxml.Pause(),
        bxml.StopRecording(),
    )
    assert codes(doc, context="conference") == [("/Bxml/Pause[1]", "BX130")]
    assert codes(doc) == []
    assert len(CONFERENCE_VERBS) == 6


@pytest.mark.parametrize("tag", ["Bridge", "Conference", "Forward", "Refer", "Transfer"])
def test_transfer_answer_replies_refuse_five_verbs(tag: str) -> None:
    verbs = {
        "Bridge": bxml.Bridge("c-1"),
        "Conference": bxml.Conference("room"),
        "Forward": bxml.Forward(to="+15554567892"),
        "Refer": bxml.Refer(bxml.SipUri("sip:a@pbx.example.com")),
        "Transfer": bxml.Transfer(bxml.PhoneNumber("+15554567892")),
    }
    doc = bxml.Response(bxml.SpeakSentence("A customer is waiting"), verbs[tag])  # type: ignore[arg-type]
    assert codes(doc, context="transfer_answer") == [(f"/Response/{tag}[1]", "BX131")]


def test_an_unknown_context_is_refused() -> None:
    with pytest.raises(ValueError, match="conference"):
        lint(ivr(), context="meeting")  # type: ignore[arg-type]


# -- BX140 - BX143: background verbs ----------------------------------------------------------------


def test_start_gather_with_forward() -> None:
    doc = bxml.Response(bxml.StartGather(dtmf_url="/dtmf"), bxml.Forward(to="+15554567892"))
    assert codes(doc) == [("/Response/Forward[1]", "BX140")]


def test_duplicate_stream_and_transcription_names() -> None:
    doc = bxml.Response(
        bxml.StartStream(destination="wss://a", name="live"),
        bxml.StartTranscription(name="t"),
        bxml.StartStream(destination="wss://b", name="live"),
        bxml.StartTranscription(name="t"),
        bxml.Pause(),
    )
    assert codes(doc) == [
        ("/Response/StartStream[2]/@name", "BX141"),
        ("/Response/StartTranscription[2]/@name", "BX141"),
    ]


def test_a_name_may_be_reused_after_its_stream_stopped() -> None:
    doc = bxml.Response(
        bxml.StartStream(destination="wss://a", name="live"),
        bxml.StopStream(name="live"),
        bxml.StartStream(destination="wss://b", name="live"),
        bxml.Pause(),
    )
    assert codes(doc) == []


def test_more_than_four_tracks_at_once() -> None:
    doc = bxml.Response(
        bxml.StartStream(destination="wss://a", name="a", tracks="both"),
        bxml.StartStream(destination="wss://b", name="b", tracks="both"),
        bxml.StartStream(destination="wss://c", name="c"),
        bxml.Pause(),
    )
    (problem,) = lint(doc)
    assert (problem.path, problem.code) == ("/Response/StartStream[3]", "BX142")
    assert "5 stream tracks" in problem.message


def test_a_second_start_recording_is_ignored() -> None:
    doc = bxml.Response(bxml.StartRecording(), bxml.Pause(), bxml.StartRecording())
    assert codes(doc) == [("/Response/StartRecording[2]", "BX143")]
    again = bxml.Response(bxml.StartRecording(), bxml.StopRecording(), bxml.StartRecording())
    assert codes(again) == []


# -- inputs ------------------------------------------------------------------------------------------


def test_text_input_gives_lines(tmp_path: Path) -> None:
    text = '<Response>\n  <Hangup/>\n  <Pause duration="1"/>\n</Response>\n'
    (problem,) = lint(text)
    assert problem.line == 3
    file = tmp_path / "doc.xml"
    file.write_text(text, encoding="utf-8")
    assert lint(file) == lint(text.encode()) == [problem]


def test_unreadable_text_is_one_problem() -> None:
    (problem,) = lint("<Response><Hangup></Response>")
    assert problem.code == "BX001"


def test_problems_come_in_document_order() -> None:
    doc = bxml.Response(
        bxml.Gather(bxml.SpeakSentence("Press 1")),
        bxml.StartStream(destination="wss://a", name="s"),
        bxml.StartStream(destination="wss://b", name="s"),
    )
    assert codes(doc) == [  # by element, then by rule
        ("/Response/Gather[1]", "BX103"),
        ("/Response/StartStream[2]", "BX107"),
        ("/Response/StartStream[2]/@name", "BX141"),
    ]


@given(strategies.documents())
def test_objects_and_their_text_lint_the_same(doc: bxml.Root) -> None:
    from_objects = [(p.path, p.code, p.message) for p in lint(doc)]
    from_text = [(p.path, p.code, p.message) for p in lint(doc.to_bytes())]
    assert from_objects == from_text
    assert all(p.line is None for p in lint(doc))


# -- BX150: Refer ---------------------------------------------------------------------------------


def test_a_refer_without_complete_url_lets_later_verbs_run_on_failure() -> None:
    doc = bxml.Response(bxml.Refer(bxml.SipUri("sip:a@pbx.example.com")), bxml.Hangup())
    assert codes(doc) == []


def test_attributes_on_the_sipuri_of_a_refer() -> None:
    text = (
        '<Response><Refer referCompleteUrl="/r">\n'
        '<SipUri transferAnswerUrl="/a">sip:a@pbx.example.com</SipUri></Refer></Response>'
    )
    (problem,) = lint(text)
    assert (problem.path, problem.code, problem.line) == (
        "/Response/Refer[1]/SipUri[1]",
        "BX150",
        2,
    )
    assert "transferAnswerUrl" in problem.message
    assert bxml.is_valid(text)  # one element name has one type in the XSD
    assert lint(text.replace(' transferAnswerUrl="/a"', "")) == []
