"""How long verbs take: speech, SSML breaks, audio, SendDtmf (bxml-spec §4.15)."""

from __future__ import annotations

import pytest

from bxml import PlayAudio, SendDtmf, SpeakSentence
from bxml.ssml import Break, Emphasis
from callcontrol.engine.durations import Durations, dtmf_ms


def test_speech_is_per_word_with_a_minimum_plus_breaks():
    d = Durations()
    assert d.speech(SpeakSentence("one  two\nthree")) == ("one two three", 1200)
    assert d.speech_ms(SpeakSentence("Hi")) == 500
    assert d.speech_ms(SpeakSentence("Hi", Break(time="2s"), "there")) == 800 + 2000
    assert d.speech_ms(SpeakSentence("Hi", Break(time="250ms"))) == 500 + 250


def test_ssml_tags_other_than_break_add_no_time_and_a_break_without_time_adds_none():
    d = Durations()
    plain = d.speech_ms(SpeakSentence("one two three"))
    assert d.speech_ms(SpeakSentence("one ", Emphasis("two"), " three")) == plain
    assert d.speech_ms(SpeakSentence("one two", Break(), " three")) == plain
    assert d.speech_ms(SpeakSentence("Hi", Break(time="10s"))) == 500 + 10_000


def test_speech_rate_is_configurable():
    assert Durations(per_word=1.0).speech_ms(SpeakSentence("a b c")) == 3000


def test_audio_length_comes_from_the_map_else_the_default():
    d = Durations(audio={"https://cdn.test/beep.wav": 0.25})
    assert d.audio_ms(PlayAudio("/beep.wav"), "https://cdn.test/beep.wav") == 250
    assert d.audio_ms(PlayAudio("/other.wav"), "https://cdn.test/other.wav") == 3000


@pytest.mark.parametrize(
    ("digits", "kwargs", "ms"),
    [
        ("1", {}, 600),
        ("12", {}, 1200),
        ("1w2", {}, 200 + 500 + 200 + 400),
        ("1W2", {}, 200 + 1000 + 200 + 400),
        ("1,2", {}, 200 + 500 + 200 + 400),
        ("12", {"tone_duration": 100, "tone_interval": 50}, 300),
        # Not the default tone and interval: with them a pause character read as a tone
        # would add 200 + 400 and match the 1 s of "W" by chance.
        ("1W2", {"tone_duration": 100, "tone_interval": 50}, 100 + 1000 + 100 + 50),
        ("1w2", {"tone_duration": 100, "tone_interval": 50}, 100 + 500 + 100 + 50),
    ],
)
def test_send_dtmf_timing(digits, kwargs, ms):
    assert dtmf_ms(SendDtmf(digits, **kwargs)) == ms


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"per_word": -1}, r"Durations.per_word must be 0 seconds or more, not -1"),
        ({"key_gap": "fast"}, r"Durations.key_gap must be 0 seconds or more, not 'fast'"),
        ({"audio": {"/a.wav": -2}}, r"Durations.audio\['/a.wav'\] must be 0 seconds or more"),
    ],
)
def test_bad_durations_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Durations(**kwargs)
