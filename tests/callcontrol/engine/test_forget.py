"""Engine.forget_calls: a long-running driver drops ended calls, and only those.

The engine keeps no engine-wide record of its calls: everything it holds about a call is
in the call's legs or names the call (observations, holds, scheduled work, callbacks,
conferences), so forgetting a call leaves no trace of it in any container of the engine.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterator
from types import FunctionType, MethodType, ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bxml import Element
from callcontrol.engine import (
    Answers,
    Busy,
    CallbackRequest,
    Destination,
    Engine,
    FetchResult,
    HangUp,
    LeaveMessage,
    Leg,
    Observation,
    Press,
    Step,
)

from .apps import xml
from .world import BASE, World

REPLY = b"<Response><SpeakSentence>Hi.</SpeakSentence></Response>"
AGENT = "+15550001111"


def start(engine: Engine) -> Leg:
    return engine.start_call(
        "inbound", "https://app.test/a", from_="+15551230000", to="+15553334444"
    )


def drive(engine: Engine, until: int | None = None) -> None:
    while True:
        engine.run(until)
        requests = engine.take()
        if not requests:
            return
        for request in requests:
            engine.fetch_done(request, FetchResult(200, REPLY))


def test_forget_drops_an_ended_call_its_legs_and_observations() -> None:
    engine = Engine()
    first, second = start(engine), start(engine)
    drive(engine)
    kept = engine.observations_of(second.id)
    engine.forget_calls([first.id, "c-unknown"])
    assert engine.call_ids == [second.id]
    assert all(seen.call_id != first.id for seen in engine.observations)
    assert engine.observations_of(second.id) == kept
    with pytest.raises(KeyError):
        engine.leg(first.id)


def test_a_call_still_up_cannot_be_forgotten() -> None:
    engine = Engine()
    first = start(engine)
    with pytest.raises(ValueError, match="has not ended"):
        engine.forget_calls([first.id])
    assert engine.call_ids == [first.id]


# -- no trace of a forgotten call in any container of the engine --------------------------


def remnants(engine: Engine, ids: set[str]) -> list[str]:
    """Where the engine still holds something of the calls ``ids`` (their legs, call ids,
    observations or callbacks), as paths from the engine: a walk through every list, dict,
    set, deque and tuple it keeps, and every object of the engine's own reachable from it."""
    found: list[str] = []
    seen: set[int] = set()
    todo: list[tuple[Any, str]] = [(engine, "engine")]
    while todo:
        value, path = todo.pop()
        if id(value) in seen or isinstance(value, _OPAQUE):
            continue
        seen.add(id(value))
        if _names(value, ids):
            found.append(path)
            continue
        todo.extend(_children(value, path))
    return sorted(found)


_OPAQUE = (int, float, bool, bytes, type(None), Element, FunctionType, MethodType, ModuleType, type)


def _names(value: Any, ids: set[str]) -> bool:
    if isinstance(value, str):
        return value in ids
    if isinstance(value, Leg):
        return value.id in ids
    if isinstance(value, Observation):
        return value.call_id in ids
    if isinstance(value, CallbackRequest):
        return value.leg_id in ids
    return False


def _children(value: Any, path: str) -> Iterator[tuple[Any, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, f"{path} key {key!r}"
            yield item, f"{path}[{key!r}]"
    elif isinstance(value, (list, tuple, deque, set, frozenset)):
        for index, item in enumerate(value):
            yield item, f"{path}[{index}]"
    elif dataclasses.is_dataclass(value) or type(value).__module__.startswith("callcontrol."):
        names = list(getattr(value, "__dict__", {}))
        for cls in type(value).__mro__:
            names += [n for n in getattr(cls, "__slots__", ()) if isinstance(n, str)]
        for name in names:
            if hasattr(value, name):
                yield getattr(value, name), f"{path}.{name}"


# Flows a call may take, each a way for the engine to keep something: a Gather with a key,
# a Transfer (answered or busy), a Record, a recording of the call, a conference, a bridge.
ROUTES: dict[str, Any] = {
    "/speak": xml("<SpeakSentence>Hello.</SpeakSentence>"),
    "/gather": xml(
        '<Gather gatherUrl="/gathered" maxDigits="1"><SpeakSentence>Menu.</SpeakSentence></Gather>'
    ),
    "/gathered": xml("<SpeakSentence>Thanks.</SpeakSentence>"),
    "/transfer": xml(
        f'<Transfer transferCompleteUrl="/done">'
        f'<PhoneNumber transferAnswerUrl="/whisper">{AGENT}</PhoneNumber></Transfer>'
    ),
    "/whisper": xml("<SpeakSentence>A caller.</SpeakSentence>"),
    "/done": xml("<SpeakSentence>Bye.</SpeakSentence>"),
    "/record": xml('<Record recordCompleteUrl="/recorded" recordingAvailableUrl="/status"/>'),
    "/recorded": xml("<Hangup/>"),
    "/recording": xml('<StartRecording recordingAvailableUrl="/status"/><Pause duration="5"/>'),
    "/conf-a": xml('<Conference conferenceEventUrl="/conf">a</Conference>'),
    "/conf-b": xml('<Conference conferenceEventUrl="/conf">b</Conference>'),
    "/conf": xml("<SpeakSentence>Joined.</SpeakSentence>"),
    "/held": xml('<SpeakSentence>Hold on.</SpeakSentence><Pause duration="30"/>'),
}
FLOWS = ("speak", "gather", "transfer", "busy", "record", "recording", "conf-a", "conf-b", "bridge")


def run_calls(flows: list[str]) -> tuple[Engine, dict[str, set[str]]]:
    """Run one call per flow to its end; the calls' ids by group (calls that share a
    conference or a bridge are one group)."""
    bridges: dict[str, str] = {}
    world = World(
        {
            **ROUTES,
            "/bridge": lambda event: xml(
                f'<Bridge bridgeCompleteUrl="/done">{bridges[event["from"]]}</Bridge>'
            ),
        }
    )
    engine = world.engine
    groups: dict[str, set[str]] = {}
    for index, flow in enumerate(flows):
        caller = f"+1555123{index:04d}"
        script: list[Step] = [HangUp(after=20.0 + index)]
        path, group = f"/{flow}", f"call {index}"
        destinations: dict[str, Destination] = {}
        if flow == "gather":
            script.insert(0, Press("1"))
        elif flow == "record":
            script.insert(0, LeaveMessage(3.0))
        elif flow in ("transfer", "busy"):
            path = "/transfer"
            destinations = {AGENT: Answers(hangs_up_after=4.0) if flow == "transfer" else Busy()}
        elif flow.startswith("conf"):
            group = flow
        elif flow == "bridge":
            target = engine.start_call(
                "inbound", BASE + "/held", from_="+15559990000", to="+1555", script=script
            )
            bridges[caller] = target.id
            groups[group] = {target.id}
        leg = engine.start_call(
            "inbound",
            BASE + path,
            from_=caller,
            to="+15553334444",
            script=script,
            destinations=destinations,
        )
        groups.setdefault(group, set()).add(leg.id)
        world.run(until=index + 1.0)  # the calls overlap: each starts a second after the last
    world.run()
    assert engine.finished
    assert {leg.cause for leg in engine.legs.values()} <= {"hangup", "busy", "cancel"}
    return engine, groups


@settings(max_examples=40, deadline=None)
@given(
    flows=st.lists(st.sampled_from(FLOWS), min_size=1, max_size=8),
    forget=st.sets(st.integers(0, 7)),
)
def test_a_forgotten_call_leaves_nothing_in_the_engine(flows: list[str], forget: set[int]) -> None:
    engine, groups = run_calls(flows)
    names = sorted(groups)
    chosen = [names[i] for i in sorted(forget) if i < len(names)]
    roots = set().union(*(groups[name] for name in chosen))
    legs = {leg.id for leg in engine.legs.values() if leg.root.id in roots}
    kept = {call_id: engine.observations_of(call_id) for call_id in set().union(*groups.values())}
    engine.forget_calls(roots)
    assert remnants(engine, legs) == []
    for call_id, observations in kept.items():
        if call_id not in roots:  # the other calls keep all they had
            assert engine.observations_of(call_id) == observations


def test_forgetting_every_call_empties_the_engine() -> None:
    engine, groups = run_calls(list(FLOWS))
    conferences = {room.conference_id for room in engine.rooms.all}
    engine.forget_calls(set().union(*groups.values()))
    assert remnants(engine, conferences) == []
    assert (engine.legs, engine.observations, engine.conferences) == ({}, [], [])
    assert not engine.sched._heap and not engine.outbox


def test_a_conference_is_kept_while_one_of_its_members_is() -> None:
    engine, groups = run_calls(["conf-a", "conf-a"])
    first, second = sorted(groups["conf-a"], key=lambda call_id: engine.leg(call_id).start_ms)
    engine.forget_calls([first])
    assert [record.members for record in engine.conferences] == [(first, second)]
    engine.forget_calls([second])
    assert engine.conferences == []


def test_forgetting_drops_the_calls_pending_work_and_callbacks() -> None:
    engine = Engine()
    leg = engine.start_call(
        "outbound",
        "https://app.test/answer",
        from_="+15551230000",
        to="+15553334444",
        disconnect_url="https://app.test/status",
    )
    drive(engine, until=100)  # in the middle of its SpeakSentence
    engine.hold_call(leg.id)
    engine.hang_up(leg)
    engine.run()
    assert engine.outbox and engine.is_held(leg.id)  # the disconnect, the held 4-hour limit
    engine.forget_calls([leg.id])
    assert remnants(engine, {leg.id}) == []
    assert not engine.outbox and not engine.sched._heap


def test_forgetting_drops_the_conference_events_never_answered() -> None:
    engine = Engine()
    leg = start(engine)
    engine.run()
    (initiate,) = engine.take()
    conference = xml('<Conference conferenceEventUrl="/conf">a</Conference>').encode()
    engine.fetch_done(initiate, FetchResult(200, conference))
    engine.run()
    assert [r.event_type for r in engine.take()] == ["conferenceCreated", "conferenceMemberJoin"]
    engine.hold_call_at(leg.id, "Pause")
    engine.hang_up(leg)  # the app never answered the conference's events
    engine.forget_calls([leg.id])
    assert remnants(engine, {leg.id}) == []


def test_forgetting_drops_a_reply_still_on_its_way() -> None:
    # A conference event's reply answered with latency waits in the scheduler, holding the
    # request (not the leg): forgetting the call drops it too.
    engine = Engine()
    leg = start(engine)
    engine.run()
    (initiate,) = engine.take()
    conference = xml('<Conference conferenceEventUrl="/conf">a</Conference>').encode()
    engine.fetch_done(initiate, FetchResult(200, conference))
    engine.run()
    created, joined = engine.take()
    engine.fetch_done(joined, FetchResult(204), latency=5.0)
    engine.hang_up(leg)
    engine.run(until_ms=1000)
    engine.forget_calls([leg.id])
    assert remnants(engine, {leg.id}) == []
    assert not any(created in entry[4] or joined in entry[4] for entry in engine.sched._heap)
