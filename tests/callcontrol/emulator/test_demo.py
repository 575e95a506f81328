"""The demo runs in-process and prints the story of its call."""

from __future__ import annotations

import io
import re

from callcontrol.emulator import demo


def test_demo_prints_the_timeline_the_intervention_and_the_calls() -> None:
    out = io.StringIO()
    assert demo.run(out) == 0
    text = out.getvalue()
    assert re.search(r"Voice API emulator: http://127\.0\.0\.1:\d+/api/v2", text)
    assert "createCall -> 201" in text
    assert "updateCallBxml -> 204" in text
    assert "api       updateCallBxml 1 verbs" in text  # the intervention in the timeline
    assert re.search(r"gather +POST http://127\.0\.0\.1:\d+/menu -> 200", text)
    assert re.search(r"disconnect +POST http://127\.0\.0\.1:\d+/disconnect -> 204", text)
    assert '"Good news: an agent can call you back. Press 1 to accept."' in text
    assert "The customer pressed: 1, 1" in text
    assert "The customer heard:" in text and "caller" not in text  # the callee is no caller
    assert "Legend: A = the call placed (B = a leg a <Transfer> dials)" in text
    assert "gather_url" not in text and 'gatherUrl="/menu"' in text  # XML spellings
    assert "§" not in text
    assert "The call ended: disconnected, cause hangup" in text
    assert re.search(
        r"listCalls:\n  c-\S+  \+15551230000 -> \+15553334444  disconnected  hangup", text
    )


def test_demo_main_takes_a_speed() -> None:
    assert demo.main(["--speed", "400"]) == 0
