"""End to end: examples/contact_centre.py served over HTTP on 127.0.0.1, the local Voice API
emulator calling it back, the app placing the agent's call through the emulator's API.

The emulator starts no inbound calls, so the caller's call is created with the client (its
answer callback goes to ``/answer`` as an inbound call's initiate would). The clock is
manual: ``advance`` moves virtual time and waits until the calls have caught up.
``python -m pytest examples/test_contact_centre_emulator.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callcontrol import CallsClient, WebhookApp
from callcontrol.emulator import VoiceEmulator
from callcontrol.testing import hang_up, press
from examples.contact_centre import AGENTS, CENTRE, CONNECTED, WELCOME, WHISPER, install

CUSTOMER = "+15551230000"
AGENT = AGENTS[0]


@pytest.fixture
def emu() -> Iterator[VoiceEmulator]:
    app = WebhookApp(username="cc", password="pw", credentials_on_verbs=True)
    with VoiceEmulator(app=app, clock="manual") as emulator:
        assert emulator.app_url is not None
        install(
            app,
            emulator.client(),
            base_url=emulator.app_url,
            application_id="cc-app",
            username="cc",
            password="pw",
        )
        yield emulator


def ring_the_centre(emu: VoiceEmulator, client: CallsClient) -> str:
    """The caller's call, created with the client: it answers at once."""
    created = client.create_call(
        to=CUSTOMER,
        from_=CENTRE,
        answer_url=f"{emu.app_url}/answer",
        disconnect_url=f"{emu.app_url}/status",
        application_id="cc-app",
        username="cc",
        password="pw",
    )
    return created.call_id


def test_the_agent_accepts_and_hanging_up_ends_the_callers_call(emu: VoiceEmulator) -> None:
    emu.callee(AGENT, script=[press("1"), hang_up(after=60.0)])
    client = emu.client()
    caller = ring_the_centre(emu, client)
    emu.advance(1)
    # The app placed the agent's call while the conferenceCreated event was answered.
    [placed] = client.list_calls(to=AGENT)
    agent = placed.call_id
    assert agent is not None and placed.from_ == CENTRE
    emu.advance(10)
    assert client.get_call_state(caller).state == "answered"
    emu.timeline(agent).assert_heard(CONNECTED)  # accepted: in the caller's conference

    emu.advance(60)
    emu.wait_for(caller, state="disconnected")
    ended, gone = client.get_call_state(caller), client.get_call_state(agent)
    assert ended.disconnect_cause == gone.disconnect_cause == "hangup"
    assert ended.end_time == gone.end_time  # the app ended the caller at once

    caller_call, agent_call = emu.timeline(caller), emu.timeline(agent)
    assert caller_call.heard == [WELCOME, CONNECTED]
    assert agent_call.heard == [WHISPER, CONNECTED]
    assert agent_call.pressed == ["1"]
    assert agent_call.duration == 60.0  # hang_up(after=60) counts from the agent's start
    assert [c.event_type for c in agent_call.callbacks] == ["answer", "gather", "disconnect"]
    assert [c.url for c in agent_call.callbacks][-1] == f"{emu.app_url}/agent/status"
    # The queue's events went to the creator's (the caller's) conferenceEventUrl; the
    # emulator sends them at once, so they are listed in the order they were answered.
    conference = sorted(c.event_type for c in caller_call.callbacks if c.url.endswith("/queue"))
    assert conference == sorted(
        ["conferenceCreated"]
        + ["conferenceMemberJoin"] * 2
        + ["conferenceMemberExit"] * 2
        + ["conferenceCompleted"]
    )
    assert any(
        (e.kind, e.detail) == ("api", "updateCall state=completed") for e in caller_call.transcript
    )
