"""<Bridge> between two calls of one engine (bxml-spec §4.1)."""

from __future__ import annotations

from typing import Any

import pytest

from callcontrol.engine.observations import BridgeEnded, BridgeMade

from .apps import Replies

APP = "https://app.test"


class World(Replies):
    """Two inbound calls: the target waits in a long Pause; the origin runs ``origin``."""

    def __init__(self, origin: str, replies: dict[str, str] | None = None) -> None:
        super().__init__({"/target": '<Response><Pause duration="600"/><Hangup/></Response>'})
        self.replies.update(replies or {})
        self.target = self.start("/target")
        self.drive(until_ms=0)  # the target answers and starts its long Pause
        self.replies["/origin"] = origin.replace("TARGET", self.target.id)
        self.origin = self.start("/origin")

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [r.payload for r in self.sent if r.event_type == event_type]


BRIDGE = (
    '<Response><Bridge bridgeCompleteUrl="/complete" bridgeTargetCompleteUrl="/target-complete">'
    "TARGET</Bridge><SpeakSentence>never</SpeakSentence></Response>"
)


def test_the_target_leaving_first_sends_bridge_complete_to_this_call():
    world = World(
        BRIDGE, {"/complete": "<Response><SpeakSentence>Back.</SpeakSentence></Response>"}
    )
    world.drive(until_ms=5_000)
    assert any(isinstance(o, BridgeMade) for o in world.engine.observations)
    world.engine.hang_up(world.target)
    world.drive()
    (complete,) = world.events("bridgeComplete")
    assert complete["callId"] == world.origin.id and "cause" not in complete
    assert world.events("bridgeTargetComplete") == []
    assert world.origin.heard == ["Back."]  # the reply ran on this call, not "never"
    ended = [o for o in world.engine.observations if isinstance(o, BridgeEnded)]
    assert {(o.call_id, o.left) for o in ended} == {
        (world.target.id, True),
        (world.origin.id, False),
    }


def test_this_call_leaving_first_sends_bridge_target_complete_to_the_target():
    world = World(
        BRIDGE, {"/target-complete": "<Response><SpeakSentence>Alone.</SpeakSentence></Response>"}
    )
    world.drive(until_ms=5_000)
    world.engine.hang_up(world.origin)
    world.drive()
    (target_complete,) = world.events("bridgeTargetComplete")
    assert target_complete["callId"] == world.target.id  # §4.1: callId is the target
    assert world.events("bridgeComplete") == []
    assert world.target.heard == ["Alone."]
    assert world.target.end_ms is not None and world.target.end_ms < 600_000  # BXML cancelled


def test_without_bridge_target_complete_url_the_target_is_hung_up():
    world = World("<Response><Bridge>TARGET</Bridge></Response>")
    world.drive(until_ms=5_000)
    world.engine.hang_up(world.origin)
    world.drive()
    assert (world.target.cause, world.target.end_ms) == ("hangup", 5_000)


def test_without_bridge_complete_url_this_call_goes_on():
    world = World(
        "<Response><Bridge>TARGET</Bridge><SpeakSentence>Next.</SpeakSentence></Response>"
    )
    world.drive(until_ms=5_000)
    world.engine.update_call(world.target, redirect_url=APP + "/elsewhere")  # leaving by redirect
    world.drive()
    assert world.origin.heard == ["Next."]
    assert [r.event_type for r in world.sent if r.leg_id == world.target.id][-1] == "redirect"


@pytest.mark.parametrize("why", ["gone", "unknown", "itself"])
def test_a_bridge_that_cannot_be_made_sends_bridge_complete_with_a_cause(why: str):
    origin = '<Response><Bridge bridgeCompleteUrl="/complete">TARGET</Bridge></Response>'
    world = World(origin)
    if why == "gone":
        world.engine.hang_up(world.target)
    target_id = {"gone": world.target.id, "unknown": "c-nobody", "itself": world.origin.id}[why]
    world.replies["/origin"] = origin.replace("TARGET", target_id)
    world.drive()
    (complete,) = world.events("bridgeComplete")
    assert complete["cause"] == "unknown" and complete["errorMessage"]
    expected = "no-bridge-target" if why == "unknown" else "bridge-failure-cause"
    assert expected in world.origin.assumptions
