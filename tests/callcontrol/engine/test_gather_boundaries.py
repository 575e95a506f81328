"""<Gather> (bxml-spec §4.6) at its edges: several prompts, audio prompts, repeats, ties, and
caller steps that are not keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callcontrol.engine import Durations, Step
from callcontrol.testing import CallSimulator, SimulatedCall, hang_up, leave_message, press

from .apps import Reply, RoutesApp, xml

BASE = "https://ivr.test"
SPEAK = "<SpeakSentence>Press a key now</SpeakSentence>"  # 4 words: 1.6 s
AUDIO = "<PlayAudio>/menu.wav</PlayAudio>"


def run(
    routes: Mapping[str, Reply], script: tuple[Step, ...], **kwargs: Any
) -> tuple[SimulatedCall, RoutesApp]:
    app = RoutesApp(routes)
    sim = CallSimulator(app, base_url=BASE, **kwargs)
    return sim.inbound("/answer", script=script, disconnect_url="/status"), app


def gather(attrs: str, prompts: str = SPEAK) -> dict[str, Reply]:
    doc = f'<Gather gatherUrl="/g" {attrs}>{prompts}</Gather><SpeakSentence>after</SpeakSentence>'
    return {"/answer": xml(doc), "/g": xml("<Hangup/>")}


def lines(call: SimulatedCall, kind: str) -> list[tuple[int, str]]:
    return [(e.ms, e.detail) for e in call.transcript if e.kind == kind]


def test_every_prompt_plays_in_order_then_first_digit_timeout_runs():
    # §4.6: the nested SpeakSentence and PlayAudio play in order; firstDigitTimeout is counted
    # after the nested audio finishes. The audio's length comes from the durations model.
    durations = Durations(audio={f"{BASE}/menu.wav": 2.5})
    call, app = run(gather('firstDigitTimeout="2"', SPEAK + AUDIO), (), durations=durations)
    assert lines(call, "prompt") == [(0, "Press a key now"), (1600, f"[audio {BASE}/menu.wav]")]
    call.assert_heard(f"[audio {BASE}/menu.wav]")
    [event] = app.events("gather")
    assert event["digits"] == ""
    assert lines(call, "gathered")[0][0] == 1600 + 2500 + 2000


def test_a_key_during_a_repeated_prompt_interrupts_it():
    # §4.6: repeatCount replays the prompt after firstDigitTimeout; the prompt (each play of
    # it) is interrupted on the first key press.
    call, app = run(
        gather('firstDigitTimeout="1" repeatCount="2" maxDigits="1"'), (press("4", barge_in=3),)
    )
    assert lines(call, "repeat") == [(2600, "prompt 2 of 2")]
    assert lines(call, "barge-in") == [(3000, "first key interrupts the prompt")]
    assert app.events("gather")[0]["digits"] == "4"


def test_a_key_exactly_at_the_inter_digit_timeout_counts():
    # §4.6 ends the gather "more than interDigitTimeout after" a key; register: digit-tie.
    durations = Durations(key_gap=1.0)
    call, app = run(gather('interDigitTimeout="1"'), (press("12"),), durations=durations)
    assert app.events("gather")[0]["digits"] == "12"
    assert "digit-tie" in call.assumptions
    assert ("assume", "[digit-tie] key 2 at the timeout counts") in [
        (e.kind, e.detail) for e in call.transcript
    ]


def test_a_caller_who_hangs_up_in_a_gather_does_so_after_the_prompt():
    call, app = run(gather(""), (hang_up(),))
    assert lines(call, "hangs-up")[0][0] == 1600
    assert app.events("gather") == []
    call.assert_ended("hangup")


def test_a_message_spoken_into_a_gather_presses_no_key_and_may_hang_up_after_it():
    call, app = run(gather('firstDigitTimeout="5"'), (leave_message(3, then="hang_up"),))
    assert lines(call, "speaks") == [(0, "3 s into a Gather (no keys)")]
    assert lines(call, "hangs-up")[0][0] == 1600 + 3000
    assert app.events("gather") == []
    # Speaking for longer than the prompt and the timeout: the gather times out first.
    call, app = run(gather('firstDigitTimeout="1"'), (leave_message(3, then="silence"),))
    assert app.events("gather")[0]["digits"] == ""
    assert lines(call, "gathered")[0][0] == 2600


def test_the_plan_cache_stays_bounded():
    # Plans are cached per parsed verb; a long run of distinct documents must not grow the
    # cache without limit (it is emptied once it holds 1024 plans).
    from callcontrol.engine import gather as gather_module

    saved = dict(gather_module._PLANS)
    try:
        gather_module._PLANS.clear()
        gather_module._PLANS.update(
            {(i, "", 0): (None, None, ([], "", ("", 0, 0, 0, 0))) for i in range(1024)}
        )
        run(gather(""), ())
        assert len(gather_module._PLANS) == 1
    finally:
        gather_module._PLANS.clear()
        gather_module._PLANS.update(saved)
