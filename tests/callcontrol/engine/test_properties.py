"""Invariants of the engine over generated documents and scripts (engine-design §d)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urljoin, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from bxml import PlayAudio, Response
from bxml.strategies import documents
from callcontrol import parse_event
from callcontrol.engine import Destination, Step
from callcontrol.testing import (
    CallSimulator,
    SimulatedCall,
    UnusedStepsError,
    answers,
    busy,
    hang_up,
    leave_message,
    press,
    silence,
)

from .apps import Reply, RoutesApp

BASE = "https://ivr.test"
ENDS_DOCUMENT = {"Redirect", "Hangup", "Forward", "Conference", "Connect"}
URL_THAT_REPLACES = {
    "Gather": "gather_url",
    "Record": "record_complete_url",
    "Transfer": "transfer_complete_url",
    "Bridge": "bridge_complete_url",
    "Refer": "refer_complete_url",
}

steps = st.one_of(
    st.builds(
        press, st.from_regex(r"[0-9*#]{1,4}", fullmatch=True), barge_in=st.none() | st.floats(0, 3)
    ),
    st.builds(silence),
    st.builds(leave_message, st.floats(0.5, 20), st.sampled_from(["press", "silence", "hang_up"])),
    st.builds(hang_up),
    st.builds(hang_up, after=st.floats(0, 600)),
)
destinations = st.dictionaries(
    st.sampled_from(["+15550001111", "+15550002222"]),
    st.one_of(
        st.builds(busy),
        st.builds(answers, after=st.floats(0, 40), hangs_up_after=st.floats(0.1, 100)),
    ),
)


def simulate(
    doc: Response,
    script: Iterable[Step] = (),
    dests: dict[str, Destination] | None = None,
) -> SimulatedCall:
    """Serve ``doc`` for the first callback and an empty reply (a hangup) for every other."""
    return simulate_sequence([doc], script, dests)


def simulate_sequence(
    docs: Sequence[Reply],
    script: Iterable[Step] = (),
    dests: dict[str, Destination] | None = None,
) -> SimulatedCall:
    """Serve ``docs`` in turn to the callbacks (async ones included), then empty replies."""
    served = []

    def first_only(event: dict[str, Any]) -> Reply:
        served.append(event)
        return docs[len(served) - 1] if len(served) <= len(docs) else (200, b"")

    app = RoutesApp({}, default=first_only)
    sim = CallSimulator(app, base_url=BASE, username="u", password="p")
    try:
        return sim.inbound(
            "/answer", script=script, destinations=dests or {}, disconnect_url="/status"
        )
    except UnusedStepsError as exc:
        return exc.call


def expected_verbs(doc: Response) -> list[str]:
    """bxml-spec §3.1: the document's prefix up to the first verb that ends or replaces it."""
    names = []
    for verb in doc.children:
        names.append(verb.TAG)
        url = URL_THAT_REPLACES.get(verb.TAG)
        if verb.TAG in ENDS_DOCUMENT or (url and verb.attributes.get(url)):
            break
        if isinstance(verb, PlayAudio) and urlsplit(urljoin(BASE, verb.text.strip())).path.endswith(
            ".ogg"
        ):
            break
    return names


@settings(max_examples=40)
@given(documents(root=Response))
def test_sequential_execution_and_termination(doc):
    with (
        mock.patch.object(time, "time", side_effect=AssertionError("wall clock read")),
        mock.patch.object(time, "time_ns", side_effect=AssertionError("wall clock read")),
    ):
        call = simulate(doc)
    assert call.state == "disconnected"
    ran = [e.detail.split(" ")[0] for e in call.transcript if e.kind == "verb" and e.leg == "A"]
    want = expected_verbs(doc)
    if call.disconnect_cause in ("error", "callback-error"):  # time limit or unreachable URL
        assert ran == want[: len(ran)]
    else:
        assert ran == want


@settings(max_examples=25)
@given(documents(root=Response, max_verbs=4), st.lists(steps, max_size=4), destinations)
def test_same_inputs_same_transcript_and_callbacks(doc, script, dests):
    first = simulate(doc, script, dests)
    second = simulate(doc, script, dests)
    assert str(first) == str(second)
    assert [cb.payload for cb in first.callbacks] == [cb.payload for cb in second.callbacks]


@settings(max_examples=25)
@given(documents(root=Response, max_verbs=4), st.lists(steps, max_size=4), destinations)
def test_time_is_monotonic_and_the_call_ends_once(doc, script, dests):
    call = simulate(doc, script, dests)
    assert call.state == "disconnected"
    stamps = [e.ms for e in call.transcript]
    assert stamps == sorted(stamps)
    per_leg: dict[str, list[str]] = {}
    for cb in call.callbacks:
        # conference events (voice-api §9.4) are about the conference: conferenceCreated
        # and conferenceCompleted have no callId
        about = cb.payload.get("conferenceId") or cb.payload["callId"]
        per_leg.setdefault(about, []).append(cb.payload["eventTime"])
    assert all(times == sorted(times) for times in per_leg.values())
    assert [cb.event_type for cb in call.callbacks].count("disconnect") == 1
    for cb in call.callbacks:
        if cb.event_type == "gather":
            # A terminating key ends the Gather the moment it is pressed (bxml-spec §4.6), so
            # the one that ended it is never among the digits collected before it. ("#" is
            # a terminator only where terminatingDigits says so.)
            terminator = cb.payload["terminatingDigit"]
            assert terminator == "" or terminator not in cb.payload["digits"]
        if cb.event_type == "transferDisconnect":
            assert cb.payload["parentCallId"] == call.call_id


def test_engine_source_never_reads_the_wall_clock():
    root = Path(__file__).resolve().parents[3] / "callcontrol" / "engine"
    pattern = re.compile(r"\btime\.time|\.now\(|utcnow|date\.today|perf_counter|monotonic")
    offenders = [p.name for p in root.glob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


@settings(max_examples=25)
@given(documents(root=Response, max_verbs=5), st.lists(steps, max_size=4), destinations)
def test_wire_urls_and_leg_invariants(doc, script, dests):
    """engine-design §d 9-12: absolute URLs, one transferDisconnect per B-leg, one
    recordingAvailable per recording, payloads that parse back unchanged."""
    call = simulate(doc, script, dests)
    per_b_leg: dict[str, int] = {}
    per_recording: dict[str, int] = {}
    sent: list[tuple[str, dict[str, Any]]] = []
    for cb in call.callbacks:
        assert cb.url.lower().startswith(("https://", "http://")), cb.url  # RFC 3986 §3.1
        event = parse_event(cb.payload)
        assert event.to_dict() == cb.payload and not event.extra
        if (cb.event_type, cb.payload) in sent:
            continue  # an asynchronous callback sent once more after a connection error
        sent.append((cb.event_type, cb.payload))
        if cb.event_type == "transferDisconnect":
            per_b_leg[cb.payload["callId"]] = per_b_leg.get(cb.payload["callId"], 0) + 1
        if cb.event_type == "recordingAvailable":
            rid = cb.payload["recordingId"]
            per_recording[rid] = per_recording.get(rid, 0) + 1
    assert set(per_b_leg.values()) <= {1}
    assert set(per_recording.values()) <= {1}


@settings(max_examples=20)
@given(
    st.lists(documents(root=Response, max_verbs=3), min_size=1, max_size=4),
    st.lists(steps, max_size=4),
    destinations,
)
def test_multi_document_flows_end_and_repeat(docs, script, dests):
    first = simulate_sequence(docs, script, dests)
    again = simulate_sequence(docs, script, dests)
    assert first.state == "disconnected"
    assert str(first) == str(again)
