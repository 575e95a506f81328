"""Golden files: every element with every attribute set, compared after canonicalization.

Run with ``BXML_UPDATE_GOLDEN=1`` to rewrite the files after an intended output change
(then review the diff).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import canonicalize

import pytest

import bxml
from bxml import ssml
from bxml._element import REGISTRY

GOLDEN = Path(__file__).parent / "golden"

CREDS = {
    "username": "user",
    "password": "secret",
    "fallback_username": "fbuser",
    "fallback_password": "fbsecret",
}


def _phone() -> bxml.PhoneNumber:
    return bxml.PhoneNumber(
        "+15554567892",
        transfer_answer_url="/answer",
        transfer_answer_method="GET",
        transfer_answer_fallback_url="https://fb.example.com/answer",
        transfer_answer_fallback_method="POST",
        transfer_disconnect_url="/disconnect",
        transfer_disconnect_method="GET",
        tag="leg-b",
        uui="bXl1dWk=;encoding=base64",
        **CREDS,
    )


def _sip() -> bxml.SipUri:
    return bxml.SipUri(
        "sip:agent@pbx.example.com",
        transfer_answer_url="/answer",
        transfer_answer_method="POST",
        transfer_answer_fallback_url="/fb",
        transfer_answer_fallback_method="GET",
        transfer_disconnect_url="/disconnect",
        transfer_disconnect_method="POST",
        tag="sip-leg",
        uui="eyJhbGciOi;encoding=jwt",
        **CREDS,
    )


BUILDERS: dict[str, Callable[[], bxml.Element]] = {
    "Bridge": lambda: bxml.Bridge(
        "c-95ac8d6e-1a31c52e-b38f-4198-93c1-51633ec68f8d",
        bridge_complete_url="/bridge-complete",
        bridge_complete_method="GET",
        bridge_complete_fallback_url="https://fb.example.com/bc",
        bridge_complete_fallback_method="POST",
        bridge_target_complete_url="/target-complete",
        bridge_target_complete_method="POST",
        bridge_target_complete_fallback_url="https://fb.example.com/tc",
        bridge_target_complete_fallback_method="GET",
        tag="bridge",
        **CREDS,
    ),
    "Conference": lambda: bxml.Conference(
        "support-room_1.a",
        mute=False,
        hold=True,
        call_ids_to_coach="c-1,c-2",
        conference_event_url="/conference",
        conference_event_method="POST",
        conference_event_fallback_url="https://fb.example.com/conf",
        conference_event_fallback_method="GET",
        tag="conf",
        callback_timeout=12.5,
        **CREDS,
    ),
    "Connect": lambda: bxml.Connect(
        bxml.Endpoint("e-123"),
        bxml.Endpoint("e-456"),
        event_callback_url="https://example.com/callback",
        event_fallback_url="https://example.com/fallback",
    ),
    "CustomParam": lambda: bxml.CustomParam(name="customer", value="42 & <more>"),
    "Endpoint": lambda: bxml.Endpoint("endpoint-abc123"),
    "Forward": lambda: bxml.Forward(
        to="+15551112222",
        from_="+15553334444",
        privacy=True,
        caller_display_name="Anonymous",
        call_timeout=45,
        diversion_treatment="stack",
        diversion_reason="user-busy",
        uui="abc;encoding=base64",
    ),
    "Gather": lambda: bxml.Gather(
        bxml.SpeakSentence("Press 1 for sales.", voice="julie"),
        bxml.PlayAudio("https://example.com/menu.wav"),
        gather_url="/gather",
        gather_method="POST",
        gather_fallback_url="https://fb.example.com/gather",
        gather_fallback_method="GET",
        tag="menu",
        terminating_digits="#*",
        max_digits=3,
        inter_digit_timeout=2.5,
        first_digit_timeout=0,
        repeat_count=3,
        **CREDS,
    ),
    "Hangup": bxml.Hangup,
    "Pause": lambda: bxml.Pause(duration=1.5),
    "PauseRecording": bxml.PauseRecording,
    "PhoneNumber": _phone,
    "PlayAudio": lambda: bxml.PlayAudio(
        "https://example.com/a.wav?x=1&y=2", username="user", password="secret"
    ),
    "Record": lambda: bxml.Record(
        record_complete_url="https://example.com/record-complete",
        record_complete_method="POST",
        record_complete_fallback_url="https://fb.example.com/rc",
        record_complete_fallback_method="GET",
        recording_available_url="https://example.com/recording",
        recording_available_method="GET",
        transcribe=True,
        detect_language=False,
        transcription_available_url="https://example.com/transcription",
        transcription_available_method="POST",
        tag="voicemail",
        terminating_digits="#",
        max_duration=120,
        silence_timeout=3.5,
        file_format="mp3",
        **CREDS,
    ),
    "Redirect": lambda: bxml.Redirect(
        redirect_url="/next",
        redirect_method="GET",
        redirect_fallback_url="https://fb.example.com/next",
        redirect_fallback_method="POST",
        tag="next",
        **CREDS,
    ),
    "Refer": lambda: bxml.Refer(
        bxml.SipUri("sip:alice@atlanta.example.com"),
        refer_complete_url="/refer-complete",
        refer_complete_method="GET",
        tag="refer",
    ),
    "ResumeRecording": bxml.ResumeRecording,
    "Ring": lambda: bxml.Ring(duration=10, answer_call=False),
    "SendDtmf": lambda: bxml.SendDtmf("12w3W#", tone_duration=150, tone_interval=75.5),
    "SipUri": _sip,
    "SpeakSentence": lambda: bxml.SpeakSentence(
        "Hello, ",
        ssml.Emphasis("world", level="strong"),
        " & <friends> ",
        ssml.Break(strength="weak", time="300ms"),
        ssml.Lang("Antonio Mendoza", xml_lang="es-MX"),
        ssml.P(ssml.S("One."), ssml.S("Two.")),
        ssml.Phoneme("tomato", ph="təˈmeɪtoʊ"),
        ssml.Prosody("slowly", pitch="+5%", rate="80%", volume="-3dB"),
        ssml.SayAs("2026-11-26", interpret_as="date", format="ymd"),
        ssml.Sub("W3C", alias="World Wide Web Consortium"),
        voice="bridget",
        gender="female",
        locale="en_UK",
    ),
    "StartGather": lambda: bxml.StartGather(
        dtmf_url="/dtmf", dtmf_method="GET", tag="bg", username="user", password="secret"
    ),
    "StartRecording": lambda: bxml.StartRecording(
        recording_available_url="https://example.com/recording",
        recording_available_method="POST",
        transcribe=True,
        detect_language=True,
        transcription_available_url="https://example.com/transcription",
        transcription_available_method="GET",
        tag="rec",
        file_format="wav",
        multi_channel=True,
        username="user",
        password="secret",
    ),
    "StartStream": lambda: bxml.StartStream(
        bxml.StreamParam(name="internal_id", value="call_ABC"),
        bxml.StreamParam(name="mode", value="live"),
        destination="wss://stream.example.com/live",
        name="live_audience",
        mode="bidirectional",
        tracks="both",
        destination_username="wsuser",
        destination_password="wssecret",
        stream_event_url="https://example.com/stream",
        stream_event_method="POST",
        username="user",
        password="secret",
    ),
    "StartTranscription": lambda: bxml.StartTranscription(
        bxml.CustomParam(name="ticket", value="T-1"),
        name="live_transcript",
        tracks="inbound",
        transcription_event_url="https://example.com/transcription",
        transcription_event_method="GET",
        username="user",
        password="secret",
        destination="wss://transcripts.example.com",
        stabilized=False,
    ),
    "StopGather": bxml.StopGather,
    "StopRecording": bxml.StopRecording,
    "StopStream": lambda: bxml.StopStream(name="live_audience", wait=True),
    "StopTranscription": lambda: bxml.StopTranscription(name="live_transcript"),
    "StreamParam": lambda: bxml.StreamParam(name="internal_id", value="call_ABC"),
    "Tag": lambda: bxml.Tag("customer-42"),
    "Transfer": lambda: bxml.Transfer(
        _phone(),
        _sip(),
        transfer_caller_id="+11234567891",
        privacy=False,
        transfer_caller_display_name="Support",
        call_timeout=30,
        transfer_complete_url="/transfer-complete",
        transfer_complete_method="POST",
        transfer_complete_fallback_url="https://fb.example.com/tc",
        transfer_complete_fallback_method="GET",
        tag="transfer",
        diversion_treatment="propagate",
        diversion_reason="no-answer",
        **CREDS,
    ),
}

VERB_NAMES = sorted(name for name, cls in REGISTRY.items() if issubclass(cls, bxml.Verb))


def test_every_verb_has_a_golden_builder() -> None:
    assert sorted(BUILDERS) == VERB_NAMES
    assert len(VERB_NAMES) == 31


def _every_attribute_set(element: bxml.Element) -> bool:
    return len(element.attributes) == len(type(element).FIELDS)


@pytest.mark.parametrize("name", VERB_NAMES)
def test_golden(name: str) -> None:
    element = BUILDERS[name]()
    assert _every_attribute_set(element), "a golden element sets every attribute"
    root = bxml.Response(element) if isinstance(element, bxml.verbs.TOP_LEVEL) else None
    text = root.to_xml(pretty=True) if root is not None else element.to_xml(pretty=True)
    path = GOLDEN / f"{name}.xml"
    if os.environ.get("BXML_UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert canonicalize(text, strip_text=True) == canonicalize(expected, strip_text=True)
    if root is not None:
        assert bxml.parse(expected) == root
