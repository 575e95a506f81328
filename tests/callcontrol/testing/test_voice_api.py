"""sim.client(): a CallsClient answered in process by the simulated Voice API, in virtual
time, with the emulator's REST semantics (voice-api §3-§8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from bxml import Bridge, Gather, Hangup, PlayAudio, Redirect, Response, SpeakSentence
from callcontrol import CallsClient, WebhookApp
from callcontrol.emulator import VoiceEmulator
from callcontrol.exceptions import ApiError
from callcontrol.testing import CallSimulator, SimulatedCall, answers, busy, hang_up, press
from callcontrol.testing.voice_api import InProcessAdapter, SimulatedApi

BASE = "https://cc.test"
AGENT = "+15550002222"
QUEUE = "+15553334444"


@dataclass
class Deps:
    """What the contact-centre app is built with (given after the simulator exists)."""

    calls: CallsClient | None = None
    placed: list[str] = field(default_factory=list)

    def client(self) -> CallsClient:
        assert self.calls is not None
        return self.calls


def contact_centre(deps: Deps) -> WebhookApp:
    """An inbound caller hears hold music while an agent is called; the agent presses 1
    to accept and the agent's call bridges the caller (tag: the caller's callId)."""
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        created = deps.client().create_call(
            to=AGENT,
            from_=QUEUE,
            application_id="app-1",
            answer_url=f"{BASE}/agent",
            tag=event.call_id,
        )
        deps.placed.append(created.call_id)
        return hold()

    @app.route("/hold")
    def hold_again(event: Any) -> Response:
        return hold()

    @app.route("/agent")
    def agent(event: Any) -> Response:
        whisper = SpeakSentence("A caller is waiting: press 1 to accept.")
        return Response(Gather(whisper, gather_url="/agent-choice", max_digits=1))

    @app.route("/agent-choice")
    def choice(event: Any) -> Response:
        if event.digits != "1":
            return Response(Hangup())
        return Response(
            Bridge(
                event.tag,
                bridge_complete_url="/agent-after",
                bridge_target_complete_url="/caller-after",
            )
        )

    @app.route("/agent-after")
    def agent_after(event: Any) -> Response:
        return Response(SpeakSentence("The caller hung up."), Hangup())

    @app.route("/caller-after")
    def caller_after(event: Any) -> Response:
        return Response(SpeakSentence("Thank you for calling."), Hangup())

    return app


def hold() -> Response:
    return Response(PlayAudio("https://cc.test/hold.wav"), Redirect(redirect_url="/hold"))


def centre(agent_script: list[Any]) -> tuple[CallSimulator, Deps]:
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    deps.calls = sim.client()
    sim.callee(AGENT, agent_script)
    return sim, deps


def callbacks(call: SimulatedCall) -> list[str]:
    return [cb.event_type for cb in call.callbacks]


def test_the_caller_hangs_up_first_and_the_agent_hears_bridge_complete():
    sim, deps = centre([press("1")])
    sim.start_inbound("/answer", from_="+15551230000", to=QUEUE, script=[hang_up(after=60.0)])
    caller, agent = sim.run()
    assert deps.placed == [agent.call_id]
    assert (agent.direction, agent.from_, agent.to) == ("outbound", QUEUE, AGENT)
    assert caller.heard[0] == "[audio https://cc.test/hold.wav]"
    assert agent.heard == ["A caller is waiting: press 1 to accept.", "The caller hung up."]
    assert agent.pressed == ["1"]
    assert "bridgeComplete" in callbacks(agent)
    assert "bridgeTargetComplete" not in callbacks(caller)
    assert caller.duration == 60.0 and caller.disconnect_cause == "hangup"
    agent.assert_callback("bridgeComplete", call_id=agent.call_id, tag=caller.call_id)


def test_the_agent_hangs_up_first_and_the_caller_hears_bridge_target_complete():
    sim, deps = centre([press("1"), hang_up(after=40.0)])
    sim.start_inbound("/answer", from_="+15551230000", to=QUEUE)
    caller, agent = sim.run()
    assert "bridgeTargetComplete" in callbacks(caller)
    assert "bridgeComplete" not in callbacks(agent)
    assert caller.heard[-1] == "Thank you for calling."
    assert agent.duration == 40.0  # hang_up(after=) counts from the agent call's own start
    (after,) = [cb for cb in caller.callbacks if cb.event_type == "bridgeTargetComplete"]
    assert after.ms == 40_000


def test_the_placed_call_starts_when_the_handler_has_returned_in_virtual_time():
    sim, deps = centre([press("1")])
    sim.run_until(seconds=5.0)
    caller = sim.start_inbound("/answer", script=[hang_up(after=30.0)])
    caller.run()
    agent = sim.calls[1]
    assert agent.transcript[0].ms == 5000  # created in the initiate handler, at 5 s
    first = [cb for cb in sim.calls[1].callbacks][0]
    assert first.event_type == "answer" and first.ms == 5000


def test_create_call_refused_gives_the_emulators_error():
    """A malformed number: the client refuses it before sending, as against the emulator;
    sent anyway, the simulated API answers what the emulator answers (voice-api §3)."""
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    client = sim.client()
    with pytest.raises(ValueError, match="to"):
        client.create_call(to="5553334444", from_=QUEUE, application_id="a", answer_url=BASE)
    body = {"to": "5553334444", "from": QUEUE, "applicationId": "a", "answerUrl": BASE}
    api = SimulatedApi(sim, "u", "p")
    session = requests.Session()
    session.mount("https://", InProcessAdapter(api.api))
    simulated = session.post(
        f"{api.base_url}/accounts/{sim.account_id}/calls", json=body, auth=("u", "p")
    )
    with VoiceEmulator(clock="manual") as emulator:
        url = f"{emulator.base_url}/accounts/{emulator.account_id}/calls"
        auth = (emulator.username, emulator.password)
        emulated = requests.post(url, json=body, auth=auth, timeout=10)
    assert simulated.status_code == emulated.status_code == 400
    assert simulated.json() == emulated.json()
    assert "Invalid to: must be an E164 telephone number" in simulated.json()["description"]
    assert sim.calls == []


def test_get_call_state_of_a_placed_call_follows_virtual_time():
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    client = sim.client()
    sim.destination(AGENT, busy())
    created = client.create_call(
        to=AGENT, from_=QUEUE, application_id="a", answer_url=f"{BASE}/agent"
    )
    state = client.get_call_state(created.call_id)
    assert state.state == "initiated" and state.end_time is None
    sim.run()
    ended = client.get_call_state(created.call_id)
    assert ended.state == "disconnected" and ended.disconnect_cause == "busy"
    assert ended.end_time is not None and ended.start_time is not None
    assert (ended.end_time - ended.start_time).total_seconds() == 1.0


def test_update_call_redirects_another_call_from_inside_a_callback():
    deps = Deps()
    app = WebhookApp()

    @app.route("/first")
    def first(event: Any) -> Response:
        return Response(SpeakSentence("Waiting."), PlayAudio("https://cc.test/long.wav"))

    @app.route("/second")
    def second(event: Any) -> Response:
        (waiting,) = [c for c in deps.client().list_calls() if c.call_id != event.call_id]
        assert waiting.call_id is not None
        deps.client().update_call(waiting.call_id, redirect_url=f"{BASE}/moved")
        return Response(SpeakSentence("Moved the other call."))

    @app.route("/moved")
    def moved(event: Any) -> Response:
        return Response(SpeakSentence("You were moved."))

    sim = CallSimulator(app, base_url=BASE)
    deps.calls = sim.client()
    sim.start_inbound("/first")
    sim.run_until(seconds=2.0)
    sim.start_inbound("/second", from_="+15550001111")
    one, two = sim.run()
    assert one.heard == ["Waiting.", "[audio https://cc.test/long.wav]", "You were moved."]
    (redirect,) = [cb for cb in one.callbacks if cb.event_type == "redirect"]
    assert redirect.ms == 2000 and two.heard == ["Moved the other call."]


def test_list_calls_pages_with_link_headers():
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    client = sim.client()
    for n in range(5):
        sim.start_inbound("/hold", from_=f"+1555000000{n}")
    page = client.list_calls_page(page_size=2)
    assert [c.from_ for c in page] == ["+15550000000", "+15550000001"]
    assert page.next_url is not None
    listed = list(client.list_calls(page_size=2))
    assert [c.from_ for c in listed] == [f"+1555000000{n}" for n in range(5)]
    assert [c.from_ for c in client.list_calls(from_="+15550000003")] == ["+15550000003"]


def test_the_client_sends_nothing_over_the_network_and_errors_match_the_emulator():
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    client = sim.client()
    with pytest.raises(ApiError) as missing:
        client.get_call_state("c-nobody")
    assert missing.value.status == 404 and "Call [c-nobody] not found" in str(missing.value)
    sim.api_faults.next("createCall", status=503)
    with pytest.raises(ApiError) as overloaded:
        client.create_call(to=AGENT, from_=QUEUE, application_id="a", answer_url=f"{BASE}/a")
    assert overloaded.value.status == 503


def test_update_of_an_ended_call_is_a_409():
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    client = sim.client()
    call = sim.start_inbound("/hold", script=[hang_up(after=1.0)]).run()
    with pytest.raises(ApiError) as conflict:
        client.update_call(call.call_id, state="completed")
    assert conflict.value.status == 409


def test_update_call_bxml_from_the_test_takes_effect_at_that_instant():
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    client = sim.client()
    live = sim.start_inbound("/hold")
    sim.run_until(seconds=3.0)
    client.update_call_bxml(
        live.call_id, "<Bxml><SpeakSentence>An announcement.</SpeakSentence></Bxml>"
    )
    call = live.run()
    assert call.heard[-1] == "An announcement." and call.duration < 5.0
    (said,) = [e for e in call.transcript if "An announcement." in e.detail and e.kind == "verb"]
    assert said.ms == 3000


def test_update_call_from_the_test_sends_the_redirect_at_once():
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    client = sim.client()
    live = sim.start_inbound("/hold")
    sim.run_until(seconds=3.0)
    client.update_call(live.call_id, redirect_url=f"{BASE}/caller-after")
    (now,) = sim.calls
    last = now.callbacks[-1]
    assert (last.event_type, last.url, last.ms) == ("redirect", f"{BASE}/caller-after", 3000)
    assert live.run().heard[-1] == "Thank you for calling."


def test_list_calls_shows_a_transfer_leg_with_its_parent():
    app = WebhookApp()

    @app.route("/transfer")
    def transfer(event: Any) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?><Response><Transfer>'
            f"<PhoneNumber>{AGENT}</PhoneNumber></Transfer></Response>"
        )

    sim = CallSimulator(app, base_url=BASE)
    client = sim.client()
    sim.destination(AGENT, answers(after=1.0, hangs_up_after=5.0))
    live = sim.start_inbound("/transfer")
    sim.run_until(seconds=3.0)
    a_leg, b_leg = client.list_calls()
    assert (a_leg.call_id, a_leg.parent_call_id) == (live.call_id, None)
    assert b_leg.parent_call_id == live.call_id and b_leg.to == AGENT
    assert b_leg.state == "answered" and client.get_call_state(b_leg.call_id or "").direction
    sim.run()
    assert client.get_call_state(b_leg.call_id or "").state == "disconnected"


def test_a_created_call_carries_the_create_calls_application_id_voice_api_3():
    # createCall's applicationId names the application of the call it creates: its
    # callbacks and its state carry it (voice-api §3, §4.1), not the simulator's own.
    sim, deps = centre([press("1")])
    caller, agent = sim.start_inbound("/answer", from_="+15551230000", to=QUEUE).run(), sim.calls[1]
    answer = agent.callbacks[0]
    assert answer.event_type == "answer" and answer.payload["applicationId"] == "app-1"
    assert sim.client().get_call_state(agent.call_id).application_id == "app-1"
    assert caller.callbacks[0].payload["applicationId"] != "app-1"  # the inbound call's own


def test_create_call_methods_fallback_and_machine_detection_reach_the_call():
    # voice-api §3: answerMethod, answerFallbackUrl/Method, disconnectMethod and
    # machineDetection of createCall shape the callbacks of the call it places.
    from callcontrol.models import MachineDetectionConfiguration

    from ..engine.apps import RoutesApp, xml

    app = RoutesApp({"/fallback": xml("<SpeakSentence>Hello.</SpeakSentence>"), "/gone": ""})
    sim = CallSimulator(app, base_url=BASE)
    sim.faults.fail("/agent", status=503)
    sim.client().create_call(
        to=AGENT,
        from_=QUEUE,
        application_id="a",
        answer_url=f"{BASE}/agent",
        answer_method="GET",
        answer_fallback_url=f"{BASE}/fallback",
        answer_fallback_method="GET",
        disconnect_url=f"{BASE}/gone",
        disconnect_method="GET",
        machine_detection=MachineDetectionConfiguration(mode="sync"),
    )
    (call,) = sim.run()
    sent = [(cb.event_type, cb.method, cb.url.split("?")[0]) for cb in call.callbacks]
    assert sent == [
        ("answer", "GET", f"{BASE}/agent"),
        ("answer", "GET", f"{BASE}/fallback"),
        ("disconnect", "GET", f"{BASE}/gone"),
    ]
    assert call.callbacks[1].payload["machineDetectionResult"]["value"] == "human"


def test_a_call_can_be_read_for_7_days_after_it_ended_then_it_is_gone():
    # voice-api §4: getCallState answers for 7 days after the call ended, then 404.
    deps = Deps()
    sim = CallSimulator(contact_centre(deps), base_url=BASE)
    client = sim.client()
    call = sim.start_inbound("/hold", script=[hang_up(after=1.0)]).run()
    week = 7 * 24 * 3600
    sim.run_until(seconds=1.0 + week)
    assert client.get_call_state(call.call_id).state == "disconnected"
    sim.run_until(seconds=1.001 + week)
    with pytest.raises(ApiError) as gone:
        client.get_call_state(call.call_id)
    assert gone.value.status == 404


def test_a_dropped_connection_reaches_the_client_as_a_transport_error():
    from callcontrol.exceptions import TransportError

    sim = CallSimulator(contact_centre(Deps()), base_url=BASE)
    client = sim.client()
    sim.api_faults.next("getCallState", drop="before")
    with pytest.raises(TransportError) as dropped:
        client.get_call_state("c-x")
    assert "(connection dropped before the request was handled (api_faults))" in str(dropped.value)
