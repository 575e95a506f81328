"""Calls that meet: all emulator calls run in one engine, so one can <Bridge> another
(bxml-spec §4.1), and an app may place a call from inside a webhook."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bxml import Bridge, Hangup, Pause, Response, SpeakSentence
from callcontrol import CallsClient, WebhookApp
from callcontrol.emulator import VoiceEmulator
from callcontrol.testing import hang_up
from tests.wsgi_server import serve_wsgi

CALLER = "+15551230000"
CUSTOMER = "+15553330001"
AGENT = "+15553330002"


def bridge_app(holder: dict[str, Any]) -> WebhookApp:
    """/wait holds a call; /bridge bridges the call named by the tag; /customer places a
    call to an agent from inside its webhook (the agent's /bridge joins the two)."""
    app = WebhookApp()

    @app.route("/wait")
    def wait(event: Any) -> Response:
        return Response(Pause(duration=3600))

    @app.route("/bridge")
    def bridge(event: Any) -> Response:
        return Response(
            Bridge(
                event.tag,
                bridge_complete_url="/bridge-complete",
                bridge_target_complete_url="/target-complete",
            )
        )

    @app.route("/bridge-complete")
    def bridge_complete(event: Any) -> Response:
        return Response(SpeakSentence("The other side left."), Hangup())

    @app.route("/target-complete")
    def target_complete(event: Any) -> Response:
        return Response(SpeakSentence("The bridge is over."), Hangup())

    @app.route("/customer")
    def customer(event: Any) -> Response:
        base = holder["app_url"]
        created = holder["client"].create_call(
            to=AGENT,
            from_=CALLER,
            answer_url=f"{base}/bridge",
            application_id="app-1",
            tag=event.call_id,
        )
        holder["agent"] = created.call_id
        holder["placed"].set()
        return Response(SpeakSentence("An agent is on the way."), Pause(duration=3600))

    @app.route("/disconnect")
    def disconnect(event: Any) -> None:
        return None

    return app


@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, Any]]]:
    holder: dict[str, Any] = {"placed": threading.Event()}
    with serve_wsgi(bridge_app(holder), threads=8) as url:
        holder["app_url"] = url
        yield url, holder


def place(client: CallsClient, url: str, path: str, to: str, tag: str | None = None) -> str:
    created = client.create_call(
        to=to,
        from_=CALLER,
        answer_url=f"{url}{path}",
        disconnect_url=f"{url}/disconnect",
        application_id="app-1",
        tag=tag,
    )
    return created.call_id


def events(emu: VoiceEmulator, call_id: str) -> list[str]:
    return [c.event_type for c in emu.timeline(call_id).callbacks]


def bridged_pair(emu: VoiceEmulator, url: str) -> tuple[str, str]:
    """A first call that waits, and a second whose answer bridges it."""
    client = emu.client()
    first = place(client, url, "/wait", CUSTOMER)
    second = place(client, url, "/bridge", AGENT, tag=first)
    emu.advance(1)
    assert events(emu, first) == ["answer"] and events(emu, second) == ["answer"]
    heard = [e for e in emu.timeline(second).transcript if e.kind == "bridge"]
    assert heard, emu.timeline(second)
    return first, second


def test_bridge_origin_leaves_first_then_bridge_target_complete(
    served: tuple[str, dict[str, Any]],
) -> None:
    """§4.1: this call leaves first: bridgeTargetComplete to the target, no bridgeComplete."""
    url, _ = served
    with VoiceEmulator(app=url, clock="manual") as emu:
        first, second = bridged_pair(emu, url)
        emu.client().hangup(second)
        emu.advance(30)
        assert events(emu, second) == ["answer", "disconnect"]
        assert events(emu, first) == ["answer", "bridgeTargetComplete", "disconnect"]
        target = emu.timeline(first)
        target.assert_heard("The bridge is over.")
        done = [c for c in target.callbacks if c.event_type == "bridgeTargetComplete"][0]
        assert done.payload["callId"] == first
        assert done.url == f"{url}/target-complete"


def test_bridge_target_leaves_first_then_bridge_complete(
    served: tuple[str, dict[str, Any]],
) -> None:
    """§4.1: the target leaves first: bridgeComplete to this call, no bridgeTargetComplete."""
    url, _ = served
    with VoiceEmulator(app=url, clock="manual") as emu:
        first, second = bridged_pair(emu, url)
        emu.client().hangup(first)
        emu.advance(30)
        assert events(emu, first) == ["answer", "disconnect"]
        assert events(emu, second) == ["answer", "bridgeComplete", "disconnect"]
        origin = emu.timeline(second)
        origin.assert_heard("The other side left.")
        done = [c for c in origin.callbacks if c.event_type == "bridgeComplete"][0]
        assert done.payload["callId"] == second and done.url == f"{url}/bridge-complete"


def test_a_callee_hang_up_after_counts_from_the_start_of_its_call(
    served: tuple[str, dict[str, Any]],
) -> None:
    """The first call's callee hangs up 10 s after that call started, not after the
    emulator's start: it is placed 0.2 s after an earlier call (5 calls/s)."""
    url, _ = served
    with VoiceEmulator(app=url, clock="manual") as emu:
        emu.callee(CUSTOMER, script=[hang_up(after=10.0)])
        client = emu.client()
        place(client, url, "/wait", AGENT)
        first = place(client, url, "/wait", CUSTOMER)
        second = place(client, url, "/bridge", AGENT, tag=first)
        emu.advance(9)
        assert client.get_call_state(first).state == "answered"
        emu.advance(2)
        state = client.get_call_state(first)
        assert state.state == "disconnected" and state.disconnect_cause == "hangup"
        assert state.start_time is not None and state.end_time is not None
        assert (state.end_time - state.start_time).total_seconds() == 10.0
        assert events(emu, second) == ["answer", "bridgeComplete"]
        emu.advance(30)
        assert events(emu, second) == ["answer", "bridgeComplete", "disconnect"]


def test_an_app_places_a_call_from_its_webhook_and_bridges_it(
    served: tuple[str, dict[str, Any]],
) -> None:
    """createCall from inside a callback: no deadlock; the agent's call bridges the
    customer's; the customer hanging up sends bridgeComplete to the agent's call."""
    url, holder = served
    with VoiceEmulator(app=url, speed=50.0) as emu, emu.client() as client:
        holder["client"] = emu.client()
        customer = place(client, url, "/customer", CUSTOMER)
        # The agent's call is created while the customer's answer webhook runs; it may
        # bridge the customer before that webhook's reply is in (the reply is then ignored).
        assert holder["placed"].wait(10)
        agent = holder["agent"]
        assert [c.call_id for c in client.list_calls(to=AGENT)] == [agent]
        emu.wait_for(agent, verb="Bridge")
        client.hangup(customer)
        emu.wait_for(agent, state="disconnected")
        emu.wait_for(customer, state="disconnected")
        assert events(emu, agent) == ["answer", "bridgeComplete"]
        emu.timeline(agent).assert_heard("The other side left.")
        assert events(emu, customer) == ["answer", "disconnect"]
