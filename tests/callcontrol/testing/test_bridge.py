"""<Bridge> between two calls of one simulation, end to end (bxml-spec §4.1).

The agent is an outbound call that answers and waits; the caller's reply bridges the
agent's callId. Each test follows one rule of §4.1.
"""

from __future__ import annotations

from typing import Any

from callcontrol.engine.observations import BridgeEnded, BridgeMade, VerbStarted
from callcontrol.testing import CallSimulator, LiveCall, hang_up, no_answer

from ..engine.apps import RoutesApp, xml

AGENT = "+15550002222"
WAIT = xml('<SpeakSentence>Agent line.</SpeakSentence><Pause duration="300"/>')


class Desk:
    """An app whose caller route bridges the call id in ``target`` (set once known)."""

    def __init__(self, bridge: str, **routes: Any) -> None:
        self.target = ""
        self.bridge = bridge
        self.app = RoutesApp({"/agent": WAIT, "/answer": self._caller, **routes})

    def _caller(self, event: dict[str, Any]) -> str:
        return self.bridge.replace("TARGET", self.target)


BOTH = xml(
    '<Bridge bridgeCompleteUrl="/caller-back" bridgeTargetCompleteUrl="/agent-back">'
    "TARGET</Bridge><SpeakSentence>never</SpeakSentence>"
)
ROUTES = {
    "/caller-back": xml("<SpeakSentence>The agent left.</SpeakSentence>"),
    "/agent-back": xml("<SpeakSentence>The caller left.</SpeakSentence>"),
}


def start(
    desk: Desk, *, agent_script: Any = (), caller_script: Any = ()
) -> tuple[CallSimulator, LiveCall, LiveCall]:
    sim = CallSimulator(desk.app, base_url="https://cc.test")
    sim.callee(AGENT, agent_script)
    agent = sim.start_outbound("/agent", to=AGENT)
    desk.target = agent.call_id
    sim.run_until(seconds=1.0)  # the agent answers at once; the caller calls 1 s later
    caller = sim.start_inbound("/answer", script=caller_script)
    return sim, agent, caller


def events(call: Any) -> list[str]:
    return [cb.event_type for cb in call.callbacks]


def test_the_target_leaving_first_sends_bridge_complete_to_this_call_only():
    """§4.1: if the target leaves first, bridgeComplete is sent, bridgeTargetComplete not."""
    desk = Desk(BOTH, **ROUTES)
    sim, agent, caller = start(desk, agent_script=[hang_up(after=30.0)])
    one, two = sim.run()
    assert one.call_id == agent.call_id and two.call_id == caller.call_id
    assert "bridgeComplete" in events(two) and "bridgeTargetComplete" not in events(one)
    assert two.heard == ["The agent left."]
    assert one.heard == ["Agent line."]  # its BXML was cancelled by the bridge (§4.1)
    (complete,) = [cb for cb in two.callbacks if cb.event_type == "bridgeComplete"]
    assert complete.ms == 30_000 and complete.payload["callId"] == caller.call_id
    made = [o for o in two.observations if isinstance(o, BridgeMade)]
    assert [(o.other, o.origin) for o in made] == [(agent.call_id, True)]
    made = [o for o in one.observations if isinstance(o, BridgeMade)]
    assert [(o.other, o.origin) for o in made] == [(caller.call_id, False)]
    ended = [o for o in one.observations if isinstance(o, BridgeEnded)]
    assert [(o.other, o.left) for o in ended] == [(caller.call_id, True)]


def test_this_call_leaving_first_sends_bridge_target_complete_to_the_target_only():
    """§4.1: if this call leaves first, bridgeTargetComplete is sent, bridgeComplete not;
    its reply runs on the target."""
    desk = Desk(BOTH, **ROUTES)
    sim, agent, caller = start(desk, caller_script=[hang_up(after=20.0)])
    one, two = sim.run()
    assert "bridgeTargetComplete" in events(one) and "bridgeComplete" not in events(two)
    assert one.heard == ["Agent line.", "The caller left."]
    (target_complete,) = [cb for cb in one.callbacks if cb.event_type == "bridgeTargetComplete"]
    assert target_complete.ms == 21_000 and target_complete.payload["callId"] == agent.call_id
    assert two.disconnect_cause == "hangup" and two.duration == 20.0


def test_without_bridge_target_complete_url_the_target_is_hung_up_when_the_bridge_ends():
    """§4.1: without bridgeTargetCompleteUrl, the target is hung up when the bridge ends."""
    desk = Desk(xml("<Bridge>TARGET</Bridge>"))
    sim, agent, caller = start(desk, caller_script=[hang_up(after=20.0)])
    one, two = sim.run()
    assert one.state == "disconnected" and one.disconnect_cause == "hangup"
    assert one.duration == 21.0 and two.duration == 20.0
    assert "bridgeTargetComplete" not in events(one)


def test_without_bridge_complete_url_this_call_goes_on_when_the_target_leaves():
    """§4.1: without bridgeCompleteUrl, execution continues with the next verb."""
    desk = Desk(xml("<Bridge>TARGET</Bridge><SpeakSentence>Still here.</SpeakSentence>"))
    sim, agent, caller = start(desk, agent_script=[hang_up(after=5.0)])
    one, two = sim.run()
    assert two.heard == ["Still here."] and one.duration == 5.0
    (said,) = [o for o in two.observations if isinstance(o, VerbStarted) and o.verb != "Bridge"]
    assert said.ms == 5000


def test_a_target_not_answered_yet_makes_bridge_complete_carry_a_cause():
    """§4.1: the bridge cannot be made if the target is an outbound call not yet answered;
    bridgeComplete is sent with a cause and an errorMessage."""
    desk = Desk(BOTH, **ROUTES)
    sim = CallSimulator(desk.app, base_url="https://cc.test")
    sim.destination(AGENT, no_answer())
    agent = sim.start_outbound("/agent", to=AGENT)
    desk.target = agent.call_id
    caller = sim.start_inbound("/answer")
    result = caller.run()
    (complete,) = [cb for cb in result.callbacks if cb.event_type == "bridgeComplete"]
    assert complete.payload["cause"] in ("busy", "rejected", "unknown")
    message = f"call {agent.call_id} is an outbound call not answered yet"
    assert complete.payload["errorMessage"] == message
    assert result.heard == ["The agent left."]
    assert sim.run()[0].disconnect_cause == "timeout"  # the agent's call rang out alone


def test_a_target_that_has_hung_up_makes_bridge_complete_carry_a_cause():
    """§4.1: the bridge cannot be made if the target has already hung up."""
    desk = Desk(
        xml('<Pause duration="5"/><Bridge bridgeCompleteUrl="/caller-back">TARGET</Bridge>'),
        **ROUTES,
    )
    sim, agent, caller = start(desk, agent_script=[hang_up(after=1.0)])
    one, two = sim.run()
    (complete,) = [cb for cb in two.callbacks if cb.event_type == "bridgeComplete"]
    assert complete.payload["errorMessage"] == f"call {agent.call_id} has already ended"
    assert complete.ms == 6000 and one.duration == 1.0


def test_a_target_running_forward_cannot_be_bridged():
    """§4.1: the bridge cannot be made if the target is executing <Forward>."""
    desk = Desk(
        xml('<Pause duration="1"/><Bridge bridgeCompleteUrl="/caller-back">TARGET</Bridge>'),
        **ROUTES,
        **{"/forward": xml('<Forward to="+15550009999" callTimeout="30"/>')},
    )
    sim = CallSimulator(desk.app, base_url="https://cc.test")
    sim.destination("+15550009999", no_answer())
    forwarded = sim.start_inbound("/forward", from_="+15550001111")
    desk.target = forwarded.call_id
    caller = sim.start_inbound("/answer")
    result = caller.run()
    (complete,) = [cb for cb in result.callbacks if cb.event_type == "bridgeComplete"]
    message = f"call {forwarded.call_id} is running <Forward>"
    assert complete.payload["errorMessage"] == message


def test_an_unknown_call_id_fails_the_bridge_naming_the_id():
    desk = Desk(xml('<Bridge bridgeCompleteUrl="/caller-back">c-nobody</Bridge>'), **ROUTES)
    sim = CallSimulator(desk.app, base_url="https://cc.test")
    result = sim.inbound("/answer")
    (complete,) = [cb for cb in result.callbacks if cb.event_type == "bridgeComplete"]
    assert complete.payload["errorMessage"] == "no call c-nobody is known here to bridge with"
    assert "no-bridge-target" in result.assumptions


def test_running_one_call_runs_the_other_only_as_far_as_that_call_lasts():
    desk = Desk(BOTH, **ROUTES)
    sim, agent, caller = start(desk, caller_script=[hang_up(after=20.0)])
    assert caller.run().duration == 20.0
    assert sim.now == 21.0
    assert sim.calls[0].state == "answered"  # the agent hears the bridgeTargetComplete reply
    later = agent.run()
    assert later.heard == ["Agent line.", "The caller left."] and later.duration > 21.0


def test_a_call_cannot_be_bridged_with_itself():
    """§4.1 names the target as *another* call: bridging one's own callId fails."""

    def own(event: dict[str, Any]) -> str:
        return xml(f'<Bridge bridgeCompleteUrl="/caller-back">{event["callId"]}</Bridge>')

    sim = CallSimulator(RoutesApp({"/answer": own, **ROUTES}), base_url="https://cc.test")
    result = sim.inbound("/answer")
    (complete,) = [cb for cb in result.callbacks if cb.event_type == "bridgeComplete"]
    message = "a call cannot be bridged with itself or its own Transfer leg"
    assert (complete.payload["cause"], complete.payload["errorMessage"]) == ("unknown", message)
    assert "bridge-failure-cause" in result.assumptions


def test_a_target_already_in_a_bridge_cannot_be_bridged_again():
    desk = Desk(BOTH, **ROUTES)
    sim, agent, first = start(desk, agent_script=[hang_up(after=30.0)])
    sim.run_until(seconds=2.0)
    second = sim.start_inbound("/answer", from_="+15550007777").run()
    (complete,) = [cb for cb in second.callbacks if cb.event_type == "bridgeComplete"]
    assert complete.payload["errorMessage"] == f"call {agent.call_id} is in another bridge"
    assert second.heard == ["The agent left."]


def test_an_inbound_target_not_answered_yet_is_answered_by_the_bridge():
    """§4.1 forbids only an outbound target not answered yet (register:
    bridge-answers-inbound): an inbound call still ringing is answered when bridged."""
    desk = Desk(
        xml('<Pause duration="2"/><Bridge bridgeCompleteUrl="/caller-back">TARGET</Bridge>'),
        **ROUTES,
        **{"/ringing": xml('<Ring duration="60" answerCall="false"/>')},
    )
    sim = CallSimulator(desk.app, base_url="https://cc.test")
    ringing = sim.start_inbound("/ringing", from_="+15550001111")
    desk.target = ringing.call_id
    sim.start_inbound("/answer", script=[hang_up(after=10.0)])
    target = sim.run()[0]
    assert "bridge-answers-inbound" in target.assumptions
    assert [e.ms for e in target.transcript if e.kind == "answered"] == [2000]
    assert (target.heard, target.disconnect_cause, target.duration) == ([], "hangup", 10.0)
