"""More invariants of engine-design §d: single end, sticky tag, Gather bounds, interrupts,
transfers, and the URL and credentials of every request."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from bxml import (
    Gather,
    Pause,
    PhoneNumber,
    Redirect,
    Response,
    SpeakSentence,
    StartGather,
    Tag,
    Transfer,
)
from bxml.strategies import documents
from callcontrol.testing import (
    CallSimulator,
    SimulatedCall,
    UnusedStepsError,
    answers,
    busy,
    hang_up,
    no_answer,
    press,
    rejects,
)

from .apps import Reply, RoutesApp
from .test_properties import destinations, simulate, steps

BASE = "https://ivr.test"
LATE = {"recordingAvailable", "transcriptionAvailable", "realTimeTranscriptionAvailable"}


def sequence_app(docs: Sequence[Reply]) -> RoutesApp:
    """An app that answers the n-th callback it receives with ``docs[n]`` (then empty)."""
    served = []

    def next_doc(event: dict[str, Any]) -> Reply:
        served.append(event)
        return docs[len(served) - 1] if len(served) <= len(docs) else (200, b"")

    return RoutesApp({}, default=next_doc)


def finish(sim: CallSimulator, url: str = "/answer", **kwargs: Any) -> SimulatedCall:
    try:
        return sim.inbound(url, disconnect_url="/status", **kwargs)
    except UnusedStepsError as exc:
        return exc.call


# -- 1. single end ----------------------------------------------------------------------------


@settings(max_examples=25)
@given(documents(root=Response, max_verbs=5), st.lists(steps, max_size=4), destinations)
def test_each_leg_ends_once_and_nothing_of_it_follows_its_end(doc, script, dests):
    call = simulate(doc, script, dests)
    ends = {"disconnect", "transferDisconnect"}
    seen_end: dict[str, str] = {}
    sent: list[tuple[str, dict[str, Any]]] = []
    for cb in call.callbacks:
        if "conferenceId" in cb.payload:
            continue  # about the conference, not a leg (voice-api §9.4; test_conference.py)
        leg = cb.payload["callId"]
        # An asynchronous callback that met a connection error is sent once more, and that
        # second try may come after the end; it carries the same payload as the first.
        retry = (cb.event_type, cb.payload) in sent
        if leg in seen_end and not retry:
            assert cb.event_type in LATE, f"{cb.event_type} after the {seen_end[leg]} of {leg}"
        sent.append((cb.event_type, cb.payload))
        if cb.event_type in ends:
            seen_end[leg] = cb.event_type
        stamps: list[Any] = [cb.payload.get(k) for k in ("startTime", "answerTime", "endTime")]
        if cb.event_type not in ("recordComplete", "recordingAvailable"):  # recording times
            stamps = [t for t in stamps if t is not None]
            assert stamps == sorted(stamps), cb.payload
    assert [cb.event_type for cb in call.callbacks].count("disconnect") == 1


# -- 6. sticky tag ------------------------------------------------------------------------------

tag_text = st.text(alphabet="ab ", max_size=4)
setter = st.one_of(st.builds(Tag, tag_text), st.builds(lambda: Pause(duration=0.1)))
hop = st.tuples(st.lists(setter, max_size=3), st.none() | tag_text)


@settings(max_examples=40)
@given(st.lists(hop, min_size=1, max_size=4))
def test_every_callback_carries_the_last_tag_set_before_it(hops):
    docs = [
        Response(*setters, Redirect(redirect_url=f"/hop{i}", tag=redirect_tag))
        for i, (setters, redirect_tag) in enumerate(hops)
    ]
    app = sequence_app(docs)
    call = finish(CallSimulator(app, base_url=BASE))
    tag = None
    expected = []
    for setters, redirect_tag in hops:
        for item in setters:
            if isinstance(item, Tag):
                tag = item.text.strip() or None
        if redirect_tag is not None:
            tag = redirect_tag.strip() or None
        expected.append(tag)
    expected.append(tag)  # the disconnect
    sent = [cb.payload.get("tag") for cb in call.callbacks if cb.event_type != "initiate"]
    assert sent == expected
    assert "tag" not in call.callbacks[0].payload


# -- 7. Gather bounds ---------------------------------------------------------------------------


@settings(max_examples=40)
@given(
    max_digits=st.integers(1, 6),
    terminating=st.none() | st.sampled_from(["#", "*", "#*", "0"]),
    keys=st.lists(st.from_regex(r"[0-9*#]{1,6}", fullmatch=True), min_size=1, max_size=2),
    background=st.booleans(),
)
def test_gather_digits_stay_within_their_bounds(max_digits, terminating, keys, background):
    gather = Gather(
        SpeakSentence("Enter the code"),
        gather_url="/g",
        max_digits=max_digits,
        terminating_digits=terminating,
        inter_digit_timeout=1,
        repeat_count=2,
    )
    first = Response(*(([_start_gather()]) if background else []), gather)
    app = RoutesApp({"/answer": first, "/g": Response(Gather(gather_url="/g2", max_digits=1))})
    call = finish(CallSimulator(app, base_url=BASE), script=[press(k) for k in keys])
    gathers = [cb.payload for cb in call.callbacks if cb.event_type == "gather"]
    assert gathers
    for payload in gathers[:1]:
        digits, end = payload["digits"], payload["terminatingDigit"]
        assert len(digits) <= max_digits
        assert end == "" or end in (terminating or "")
        assert not set(digits) & set(terminating or "")
    # the Gather lasts no longer than its prompts and timers allow: two rounds of the
    # 1.2 s prompt and the 5 s first-digit timeout, the keys 0.3 s apart, one inter-digit
    # timeout (1 s)
    started = next(e.ms for e in call.transcript if e.kind == "verb" and "Gather" in e.detail)
    ended = next(e.ms for e in call.transcript if e.kind == "gathered")
    assert ended - started <= 2 * (1200 + 5000) + 300 * (len(keys[0]) + 1) + 1000
    # keys pressed during a Gather are never reported as dtmf events
    assert not [cb for cb in call.callbacks if cb.event_type == "dtmf"]


def _start_gather() -> StartGather:
    return StartGather(dtmf_url="/dtmf")


# -- 8. interrupts ------------------------------------------------------------------------------


@settings(max_examples=40)
@given(
    documents(root=Response, max_verbs=4),
    st.lists(steps, max_size=3),
    destinations,
    st.integers(0, 12_000),
)
def test_after_an_interrupt_only_the_new_document_runs(doc, script, dests, at_ms):
    routes = {"/answer": doc, "/new": Response(SpeakSentence("new document"))}
    app = RoutesApp(routes, default=Response())
    sim = CallSimulator(app, base_url=BASE)
    live = sim.start_inbound("/answer", script=script, destinations=dests)
    live.run_until(seconds=at_ms / 1000)
    if not live.leg.up or live.leg.answer_ms is None:
        return
    sent_before = len(live.result.callbacks)
    notes_before = len(live.engine.notes)
    live.redirect("/new")
    try:
        call = live.run()
    except UnusedStepsError as exc:
        call = exc.call
    after = call.callbacks[sent_before:]
    # a conference member's leaving sends conferenceMemberExit (about the conference,
    # not this call's document, voice-api §9.4)
    sync = [cb for cb in after if cb.synchronous and "conferenceId" not in cb.payload]
    assert sync and sync[0].event_type == "redirect" and sync[0].url == f"{BASE}/new"
    assert all(cb.ms >= at_ms for cb in after)
    later = call.transcript[notes_before:]
    fetched = next(i for i, e in enumerate(later) if e.kind == "fetch" and "/new" in e.detail)
    assert not [e for e in later[:fetched] if e.kind in ("verb", "prompt", "gathered")]
    verbs = [e.detail for e in later[fetched:] if e.kind == "verb" and e.leg == "A"]
    assert verbs[:1] == ['SpeakSentence "new document"']


# -- 9. transfers -------------------------------------------------------------------------------

NUMBERS = ["+15550000001", "+15550000002", "+15550000003"]
outcome = st.one_of(
    st.builds(answers, after=st.floats(0, 20), hangs_up_after=st.floats(0.5, 30)),
    st.builds(busy),
    st.builds(no_answer),
    st.builds(rejects),
)


@settings(max_examples=40)
@given(
    count=st.integers(1, 3),
    complete=st.booleans(),
    whisper=st.booleans(),
    outcomes=st.lists(outcome, min_size=3, max_size=3),
    caller=st.lists(st.builds(hang_up, after=st.floats(0, 60)), max_size=1),
)
def test_transfer_invariants(count, complete, whisper, outcomes, caller):
    transfer = Transfer(
        *[
            PhoneNumber(
                number,
                transfer_disconnect_url="/bd",
                transfer_answer_url="/whisper" if whisper else None,
            )
            for number in NUMBERS[:count]
        ],
        transfer_complete_url="/complete" if complete else None,
        call_timeout=15,
    )
    routes = {
        "/answer": Response(transfer),
        "/whisper": Response(SpeakSentence("a call for you")),
        "/complete": Response(SpeakSentence("after the transfer")),
    }
    sim = CallSimulator(RoutesApp(routes), base_url=BASE)
    call = finish(sim, script=caller, destinations=dict(zip(NUMBERS, outcomes, strict=False)))
    a_leg = call.call_id
    bridged = [e for e in call.transcript if e.kind == "bridged"]
    assert len(bridged) <= 1
    b_legs = {cb.payload["callId"] for cb in call.callbacks if cb.payload["callId"] != a_leg}
    per_leg = [
        [
            cb
            for cb in call.callbacks
            if cb.payload["callId"] == b and cb.event_type == "transferDisconnect"
        ]
        for b in b_legs
    ]
    assert all(len(ends) == 1 for ends in per_leg)
    assert len(b_legs) == count
    for cb in call.callbacks:
        if cb.payload["callId"] != a_leg:
            assert cb.payload["parentCallId"] == a_leg
    kinds = [cb.event_type for cb in call.callbacks if cb.payload["callId"] == a_leg]
    if "transferComplete" in kinds:
        assert complete and kinds.index("transferComplete") < kinds.index("disconnect")
    assert kinds.count("transferComplete") <= 1


# -- 11. URLs and credentials ---------------------------------------------------------------------

relative = st.sampled_from(["next", "a/b", "../up", "/root", "?q=1", "./here", f"{BASE}/abs"])
creds = st.none() | st.tuples(st.sampled_from(["u1", "u2"]), st.sampled_from(["p1", "p:2"]))
link = st.tuples(relative, creds, st.booleans(), st.booleans(), creds)


@settings(max_examples=40)
@given(st.lists(link, min_size=1, max_size=4), st.sampled_from(["GET", "POST"]))
def test_every_request_goes_where_the_document_says_with_its_credentials(links, method):
    docs: list[Reply] = []
    expected: list[tuple[str, str | None, str]] = []
    app = sequence_app(docs)
    # URLs always given credentials answer 401 to a request without them (voice-api §9.2).
    given: dict[str, set[bool]] = {"/start/here": {True}, "/status": {True}}
    sim = CallSimulator(app, base_url=BASE, username="call", password="pw")
    serving = f"{BASE}/start/here"
    for index, (url, user, fails, with_fallback, fallback_user) in enumerate(links):
        written = f"{url}{index}"
        primary, fallback = urljoin(serving, written), urljoin(serving, f"fb{index}")
        docs.append(
            Response(
                Redirect(
                    redirect_url=written,
                    redirect_method=method,
                    redirect_fallback_url=f"fb{index}" if with_fallback else None,
                    username=user[0] if user else None,
                    password=user[1] if user else None,
                    fallback_username=fallback_user[0] if fallback_user else None,
                    fallback_password=fallback_user[1] if fallback_user else None,
                )
            )
        )
        expected.append((primary, None if fails else _auth(user), method))
        if not fails:
            given.setdefault(urlsplit(primary).path, set()).add(user is not None)
        serving = primary
        if fails:
            sim.faults.fail(primary)
            if not with_fallback:
                break
            # redirectFallbackMethod is not set, so the fallback is a POST
            expected.append((fallback, _auth(fallback_user), "POST"))
            given.setdefault(urlsplit(fallback).path, set()).add(fallback_user is not None)
            serving = fallback
    app.protected = {path for path, with_credentials in given.items() if with_credentials == {True}}
    call = finish(sim, url="/start/here")
    sent = [cb.url for cb in call.callbacks if cb.event_type == "redirect"]
    # a GET sends the event's fields as query parameters after the URL
    wanted = [
        url + ("&" if "?" in url else "?") if how == "GET" else url for url, _, how in expected
    ]
    sent = [url[: len(want)] for url, want in zip(sent, wanted, strict=False)]
    assert sent == wanted
    reached = [
        (path, auth if auth is None or path in app.protected else None)
        for path, auth in [(urlsplit(u).path, a) for u, a, _ in expected if not _failed(sim, u)]
    ]
    seen = [(s.path, s.authorization) for s in app.seen]
    # the call's credentials go after a challenge, which a path also reached without any
    # credentials cannot make
    first = _auth(("call", "pw")) if "/start/here" in app.protected else None
    assert seen[0] == ("/start/here", first)
    assert seen[1 : 1 + len(reached)] == reached
    assert seen[-1] == ("/status", _auth(("call", "pw")) if "/status" in app.protected else None)


def _auth(pair: tuple[str, str] | None) -> str | None:
    if pair is None:
        return None
    return "Basic " + base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode()


def _failed(sim: CallSimulator, url: str) -> bool:
    return any(fault.matches(url) for fault, _ in sim.faults.applied)
