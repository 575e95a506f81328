"""Whole calls, pinned exactly: the transcript and every request the app receives.

Each flow exercises one documented area end to end (the section is in the flow's name); its
golden file holds ``str(call)`` (the transcript: virtual times, legs, what happened) and each
callback as sent (method, path, query, credentials present or not, the JSON body with sorted
keys). A change to a timer, a payload field or a note shows as a diff. After an intended
change, rewrite the files with ``python -m tests.callcontrol.engine.test_golden_flows`` and
review the diff.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from callcontrol import MachineDetectionConfiguration
from callcontrol.engine import Destination, Step
from callcontrol.testing import (
    CallSimulator,
    SimulatedCall,
    answers,
    busy,
    hang_up,
    leave_message,
    machine,
    no_answer,
    press,
    silence,
    voicemail,
)

from .apps import Reply, RoutesApp, xml

GOLDEN = Path(__file__).parent / "golden"
BASE = "https://ivr.test"
AGENT, OTHER, CALLEE = "+15550001111", "+15550002222", "+15553334444"
PROMPT = "<SpeakSentence>Press a key now</SpeakSentence>"


def inbound(
    routes: Mapping[str, Reply],
    script: tuple[Step, ...] = (),
    destinations: dict[str, Destination] | None = None,
) -> tuple[SimulatedCall, RoutesApp]:
    app = RoutesApp(routes)
    sim = CallSimulator(app, base_url=BASE, username="ivr", password="hunter2")
    call = sim.inbound(
        "/answer",
        script=script,
        destinations=destinations or {},
        disconnect_url="/status",
    )
    return call, app


def outbound(
    routes: Mapping[str, Reply], dest: Destination | None, md: Any = None
) -> tuple[SimulatedCall, RoutesApp]:
    app = RoutesApp(routes)
    sim = CallSimulator(app, base_url=BASE)
    dests = {CALLEE: dest} if dest is not None else None
    call = sim.outbound(
        "/answer", to=CALLEE, destinations=dests, machine_detection=md, disconnect_url="/status"
    )
    return call, app


def render(call: SimulatedCall, app: RoutesApp) -> str:
    lines = [str(call), "", "-- requests"]
    for seen in app.seen:
        query = "&".join(f"{k}={v}" for k, v in sorted(seen.query.items()))
        auth = "auth" if seen.authorization else "no-auth"
        lines.append(f"{seen.method} {seen.path}?{query} {auth}")
        lines.append("  " + json.dumps(seen.event, sort_keys=True))
    lines.append(f"-- challenged {app.challenged}")
    lines.append(f"-- assumptions {sorted(set(call.assumptions))}")
    return "\n".join(lines) + "\n"


def gather_keys_bxml_4_6() -> str:
    # bxml-spec §4.6: maxDigits, terminatingDigits, a key barging into the prompt.
    doc = (
        f'<Gather gatherUrl="/g" maxDigits="3" terminatingDigits="#" interDigitTimeout="2">'
        f"{PROMPT}</Gather><SpeakSentence>after</SpeakSentence>"
    )
    again = f'<Gather gatherUrl="/h" maxDigits="2">{PROMPT}</Gather>'
    routes = {"/answer": xml(doc), "/g": xml(again), "/h": xml('<Pause duration="2"/>')}
    call, app = inbound(routes, (press("1#"), press("987", barge_in=0.5)))
    return render(call, app)


def gather_timeouts_bxml_4_6() -> str:
    # bxml-spec §4.6: repeatCount replays the prompt; firstDigitTimeout then interDigitTimeout.
    doc = (
        f'<Gather gatherUrl="/g" firstDigitTimeout="3" repeatCount="2">{PROMPT}</Gather>'
        f'<Gather gatherUrl="/h" interDigitTimeout="2" maxDigits="5">{PROMPT}</Gather>'
    )
    routes = {"/answer": xml(doc), "/g": xml(doc.split("</Gather>", 1)[1]), "/h": xml("")}
    call, app = inbound(routes, (silence(), press("12")))
    return render(call, app)


def record_bxml_4_12() -> str:
    # bxml-spec §4.12: maxDuration, silenceTimeout, terminatingDigits, recordingAvailable.
    doc = (
        '<Record recordCompleteUrl="/done" recordingAvailableUrl="/file" maxDuration="30" '
        'silenceTimeout="3" fileFormat="mp3" tag="rec"/>'
        '<Record recordCompleteUrl="/done2" terminatingDigits="*" transcribe="true" '
        'transcriptionAvailableUrl="/text"/>'
    )
    routes = {"/answer": xml(doc), "/done": xml(doc.split("/>", 1)[1]), "/done2": xml("")}
    call, app = inbound(routes, (leave_message(5, then="silence"), leave_message(4)))
    return render(call, app)


def background_bxml_4_9() -> str:
    # bxml-spec §4.9 (StartRecording, PauseRecording, ...), §3.2 StartGather, StartStream.
    doc = (
        '<StartGather dtmfUrl="/dtmf"/>'
        '<StartRecording recordingAvailableUrl="/file" multiChannel="true"/>'
        '<StartStream name="s" destination="wss://x.test" streamEventUrl="/stream" '
        'tracks="both"/>'
        f'<Pause duration="2"/><PauseRecording/><Pause duration="1"/><ResumeRecording/>'
        f'<Gather gatherUrl="/g" maxDigits="1">{PROMPT}</Gather>'
    )
    after = '<StopStream name="s"/><StopGather/><Pause duration="1"/><StopRecording/>'
    routes = {"/answer": xml(doc), "/g": xml(after)}
    call, app = inbound(routes, (press("5"),))
    return render(call, app)


def transfer_bxml_4_27() -> str:
    # bxml-spec §4.27 Transfer, §4.10 PhoneNumber: the first answer wins, the other is
    # cancelled; transferAnswerUrl runs on the B-leg; a busy and an unanswered transfer.
    inner = (
        f"<PhoneNumber transferAnswerUrl='/whisper' transferDisconnectUrl='/bdisc' tag='b'>"
        f"{AGENT}</PhoneNumber>"
        f"<PhoneNumber transferDisconnectUrl='/bdisc'>{OTHER}</PhoneNumber>"
    )
    doc = f'<Transfer transferCompleteUrl="/complete" callTimeout="15">{inner}</Transfer>'
    retry = (
        f'<Transfer transferCompleteUrl="/last" callTimeout="8">'
        f"<PhoneNumber>{OTHER}</PhoneNumber></Transfer>"
    )
    routes = {
        "/answer": xml(doc),
        "/whisper": xml("<SpeakSentence>customer calling</SpeakSentence>"),
        "/complete": xml(retry),
        "/last": xml("<SpeakSentence>goodbye</SpeakSentence>"),
    }
    dests: dict[str, Destination] = {
        AGENT: answers(after=3, hangs_up_after=20),
        OTHER: answers(after=5),
    }
    call, app = inbound(routes, (), dests)
    first = render(call, app)
    dests = {AGENT: busy(), OTHER: no_answer()}
    call, app = inbound(routes, (), dests)
    return first + "\n== busy, then no answer\n" + render(call, app)


def voicemail_and_forward_bxml_4_5() -> str:
    # bxml-spec §4.5 Forward; a transfer answered by voicemail (§4.27).
    doc = f'<Transfer transferCompleteUrl="/complete"><PhoneNumber>{AGENT}</PhoneNumber></Transfer>'
    routes = {"/answer": xml(doc), "/complete": xml(f"<Forward to='{OTHER}'/>")}
    call, app = inbound(routes, (), {AGENT: voicemail(2, after=1, message=5), OTHER: answers()})
    first = render(call, app)
    routes = {"/answer": xml(f"<Forward to='{OTHER}' callTimeout='9'/>")}
    call, app = inbound(routes, (), {OTHER: answers(after=2, hangs_up_after=10)})
    return first + "\n== forward\n" + render(call, app)


def machine_detection_voice_api() -> str:
    # voice-api: machineDetection on an outbound call, sync (answer held) and async modes.
    routes = {
        "/answer": xml('<SpeakSentence>hello</SpeakSentence><Pause duration="3"/>'),
        "/amd": xml(""),
    }
    sync = MachineDetectionConfiguration(mode="sync", detection_timeout=12)
    call, app = outbound(routes, machine(), sync)
    first = render(call, app)
    asynchronous = {"mode": "async", "callbackUrl": f"{BASE}/amd", "silenceTimeout": 4}
    routes = {"/answer": xml('<Pause duration="8"/>'), "/amd": xml("")}
    call, app = outbound(routes, machine("silence"), asynchronous)
    return first + "\n== async\n" + render(call, app)


def hangup_and_tag_bxml_4_7() -> str:
    # bxml-spec §4.7 Hangup, Tag, SendDtmf, Ring, Redirect; the caller hangs up mid-prompt.
    doc = (
        '<Tag>t1</Tag><SendDtmf toneDuration="100" toneInterval="50">12w3</SendDtmf>'
        '<Ring duration="2"/><PlayAudio>/a.wav</PlayAudio><Redirect redirectUrl="/next"/>'
    )
    nxt = "<SpeakSentence>one two three four five six seven eight</SpeakSentence><Hangup/>"
    call, app = inbound({"/answer": xml(doc), "/next": xml(nxt)}, (hang_up(after=6),))
    return render(call, app)


FLOWS: dict[str, Callable[[], str]] = {
    f.__name__: f
    for f in (
        gather_keys_bxml_4_6,
        gather_timeouts_bxml_4_6,
        record_bxml_4_12,
        background_bxml_4_9,
        transfer_bxml_4_27,
        voicemail_and_forward_bxml_4_5,
        machine_detection_voice_api,
        hangup_and_tag_bxml_4_7,
    )
}


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_flow_matches_its_golden_file(name: str) -> None:
    expected = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")
    assert FLOWS[name]() == expected


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name, flow in FLOWS.items():
        (GOLDEN / f"{name}.txt").write_text(flow(), encoding="utf-8")
