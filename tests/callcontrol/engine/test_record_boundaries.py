"""<Record> (bxml-spec §4.12) and the background recording verbs (§4.9, §3.2) at their edges:
caller steps other than a message, keys that do not end the recording, pauses repeated."""

from __future__ import annotations

from collections.abc import Mapping

from callcontrol.engine import Step
from callcontrol.testing import CallSimulator, SimulatedCall, hang_up, leave_message, press, silence

from .apps import Reply, RoutesApp, xml

BASE = "https://ivr.test"
REC = '<Record recordCompleteUrl="/done" recordingAvailableUrl="/file" {attrs}/>'


def run(
    routes: Mapping[str, Reply], script: tuple[Step, ...] = ()
) -> tuple[SimulatedCall, RoutesApp]:
    app = RoutesApp(routes)
    sim = CallSimulator(app, base_url=BASE)
    return sim.inbound("/answer", script=script, disconnect_url="/status"), app


def record(attrs: str) -> dict[str, Reply]:
    return {"/answer": xml(REC.format(attrs=attrs)), "/done": xml("<Hangup/>")}


def notes(call: SimulatedCall, kind: str) -> list[tuple[int, str]]:
    return [(e.ms, e.detail) for e in call.transcript if e.kind == kind]


def test_a_key_that_is_not_a_terminating_digit_is_recorded_and_silence_follows():
    # §4.12: only terminatingDigits (default "#") end the recording; after the key the
    # caller is silent, so silenceTimeout counts from the key.
    call, app = run(record('silenceTimeout="2" maxDuration="30"'), (press("5"),))
    assert notes(call, "pressed") == [(0, "5 (recorded, not a terminating digit)")]
    [complete] = app.events("recordComplete")
    assert complete["duration"] == "PT2S"
    assert notes(call, "recorded")[0][1].endswith("ends by silenceTimeout")


def test_a_terminating_key_ends_the_recording_when_pressed():
    routes = record('terminatingDigits="*"')
    routes["/answer"] = xml('<Pause duration="1"/>' + REC.format(attrs='terminatingDigits="*"'))
    call, app = run(routes, (press("*", barge_in=1.5),))
    assert notes(call, "pressed") == [(2500, "* ends the recording")]
    assert app.events("recordComplete")[0]["duration"] == "PT1.5S"


def test_a_caller_who_hangs_up_at_a_record_leaves_an_empty_recording():
    # voice-api §9.4 / bxml-spec §4.12: a hang-up during Record sends no recordComplete,
    # only recordingAvailable.
    call, app = run(record('maxDuration="30"'), (hang_up(),))
    assert app.events("recordComplete") == []
    [available] = app.events("recordingAvailable")
    assert available["duration"] == "PT0S"
    call.assert_ended("hangup")
    assert call.duration == 0


def test_a_second_start_recording_is_ignored_and_said_so():
    # §3.2: one background recording at a time.
    doc = xml(
        '<StartRecording recordingAvailableUrl="/file"/><StartRecording recordingAvailableUrl="/x"/>'
        '<Pause duration="1"/>'
    )
    call, app = run({"/answer": doc})
    assert notes(call, "ignored") == [(0, "StartRecording while one runs (bxml-spec §3.2)")]
    assert [s.path for s in app.seen if s.path in ("/file", "/x")] == ["/file"]


def test_pausing_a_paused_recording_changes_nothing():
    # §4.9: audio between PauseRecording and ResumeRecording is left out; a second pause
    # does not resume it.
    doc = xml(
        '<StartRecording recordingAvailableUrl="/file"/><Pause duration="2"/>'
        '<PauseRecording/><Pause duration="3"/><PauseRecording/><Pause duration="4"/>'
        "<StopRecording/>"
    )
    _, app = run({"/answer": doc})
    assert app.events("recordingAvailable")[0]["duration"] == "PT2S"


def test_resuming_a_recording_that_is_not_paused_changes_nothing():
    # §4.9: ResumeRecording resumes a paused recording and does nothing otherwise.
    doc = xml(
        '<StartRecording recordingAvailableUrl="/file"/><Pause duration="2"/>'
        '<ResumeRecording/><Pause duration="3"/><StopRecording/>'
    )
    _, app = run({"/answer": doc})
    assert app.events("recordingAvailable")[0]["duration"] == "PT5S"


def test_every_pause_is_left_out_of_the_duration():
    # §4.9: each stretch between PauseRecording and ResumeRecording is left out.
    doc = xml(
        '<StartRecording recordingAvailableUrl="/file"/><Pause duration="1"/>'
        '<PauseRecording/><Pause duration="2"/><ResumeRecording/><Pause duration="3"/>'
        '<PauseRecording/><Pause duration="4"/><ResumeRecording/><Pause duration="5"/>'
        "<StopRecording/>"
    )
    _, app = run({"/answer": doc})
    assert app.events("recordingAvailable")[0]["duration"] == "PT9S"


def test_silence_timeout_counts_from_the_end_of_the_message_not_the_call_start():
    # §4.12 silenceTimeout: the recording ends after that much silence; here the Record
    # starts 2 s into the call and the caller speaks for 3 s.
    doc = '<Pause duration="2"/>' + REC.format(attrs='silenceTimeout="4" maxDuration="30"')
    routes = {"/answer": xml(doc), "/done": xml("<Hangup/>")}
    call, app = run(routes, (leave_message(3, then="silence"),))
    assert app.events("recordComplete")[0]["duration"] == "PT7S"
    assert notes(call, "recorded")[0][0] == 9000


def test_a_silent_caller_is_recorded_until_the_silence_timeout():
    # §4.12 silenceTimeout: silence from the start ends the recording after that long.
    call, app = run(record('silenceTimeout="2" maxDuration="30"'), (silence(),))
    assert app.events("recordComplete")[0]["duration"] == "PT2S"
    assert notes(call, "recorded")[0][1].endswith("ends by silenceTimeout")


def test_transcription_needs_more_than_half_a_second_of_recording():
    # bxml-spec §4.12 (transcribe): a recording of 0.5 s or less is too small to transcribe.
    attrs = 'transcribe="true" transcriptionAvailableUrl="/text" maxDuration="10"'
    statuses = {}
    for seconds in (0.5, 0.501):
        _, app = run(record(attrs), (leave_message(seconds),))
        [event] = app.events("transcriptionAvailable")
        statuses[seconds] = event["transcription"]["status"]
        assert event["duration"] == f"PT{seconds:g}S"
    assert statuses == {0.5: "file-size-too-small", 0.501: "available"}


def test_a_paused_background_recording_leaves_the_pause_out_of_both_events():
    # bxml-spec §4.19-§4.21: StartRecording, PauseRecording, ResumeRecording; the file is
    # wav unless fileFormat says otherwise; a transcription covers what was recorded.
    doc = (
        '<StartRecording recordingAvailableUrl="/file" transcribe="true" '
        'transcriptionAvailableUrl="/text"/>'
        "<SpeakSentence>one two three</SpeakSentence><PauseRecording/>"
        "<SpeakSentence>four five</SpeakSentence><ResumeRecording/>"
        '<Pause duration="1"/><StopRecording/>'
    )
    _, app = run({"/answer": xml(doc)})
    [available] = app.events("recordingAvailable")
    [text] = app.events("transcriptionAvailable")
    assert (available["duration"], available["fileFormat"]) == ("PT2.2S", "wav")
    assert (text["duration"], text["transcription"]["status"]) == ("PT2.2S", "available")


def test_the_paused_time_does_not_count_toward_a_transcription():
    # 0.5 s recorded around a 0.8 s pause: too small to transcribe (bxml-spec §4.12).
    doc = (
        '<StartRecording transcribe="true" transcriptionAvailableUrl="/text"/>'
        "<SpeakSentence>one</SpeakSentence><PauseRecording/>"
        "<SpeakSentence>four five</SpeakSentence><ResumeRecording/><StopRecording/>"
    )
    _, app = run({"/answer": xml(doc)})
    [text] = app.events("transcriptionAvailable")
    assert (text["duration"], text["transcription"]["status"]) == ("PT0.5S", "file-size-too-small")
