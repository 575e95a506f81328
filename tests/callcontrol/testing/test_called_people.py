"""People who act: the person who answers a Transfer follows a script in the
transferAnswer reply (bxml-spec §4.27 transferAnswerUrl, §6)."""

from __future__ import annotations

import pytest

from callcontrol.engine import Destination
from callcontrol.testing import CallSimulator, SimulatedCall, answers, hang_up, press
from tests.callcontrol.testing.explore_apps import by_digits, say, table_app

AGENT = "+15550002222"
APP = table_app(
    {
        "/answer": '<Response><Transfer transferCompleteUrl="/after">'
        f'<PhoneNumber transferAnswerUrl="/whisper">{AGENT}</PhoneNumber></Transfer></Response>',
        "/whisper": '<Response><Gather gatherUrl="/accept" maxDigits="1" firstDigitTimeout="5">'
        "<SpeakSentence>A caller waits. Press 1 to accept.</SpeakSentence></Gather>"
        "<Hangup/></Response>",
        "/accept": by_digits(
            {"1": say("Connecting.", "")}, default="<Response><Hangup/></Response>"
        ),
        "/after": say("The agent is not available. Goodbye."),
    }
)


def _call(agent: Destination) -> SimulatedCall:
    sim = CallSimulator(APP)
    return sim.inbound("/answer", destinations={AGENT: agent})


def test_an_agent_who_presses_1_takes_the_call():
    call = _call(answers(after=1.0, hangs_up_after=30.0, script=[press("1")]))
    text = str(call)
    assert "press('1') at /whisper Gather[1]" in text
    assert "Connecting." not in call.heard  # the agent hears it
    assert "bridged" in text
    assert call.transfers == [(AGENT, "answered")]


def test_an_agent_who_declines_sends_the_caller_on():
    call = _call(answers(after=1.0, script=[press("2")]))
    assert "The agent is not available. Goodbye." in call.heard
    assert "bridged" not in str(call)


def test_an_agent_who_stays_silent_times_out_like_a_decline():
    call = _call(answers(after=1.0))
    assert "The agent is not available. Goodbye." in call.heard


def test_an_agents_hang_up_after_counts_from_the_agents_leg():
    call = _call(answers(after=1.0, script=[press("1"), hang_up(after=10.0)]))
    ends = [line for line in str(call).splitlines() if "hangs-up" in line]
    assert ends and ends[0].split()[0] == "10.000"


def test_an_agent_script_is_checked():
    with pytest.raises(TypeError, match=r"script\[0\]"):
        answers(script=["1"])  # type: ignore[list-item]
