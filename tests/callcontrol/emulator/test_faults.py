"""Limits and faults: CPS queue, 429s, scripted and seeded faults, dropped connections."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from bxml import Pause, Response
from callcontrol import CallsClient, RateLimitError, ServerError, TransportError, WebhookApp
from callcontrol.emulator import Burst, Faults, LogNormal, VoiceEmulator
from callcontrol.emulator.faults import OPERATIONS
from callcontrol.retry import RetryPolicy

from .helpers import CALLEE, CALLER, call_body, calls_path, raw

NO_SLEEP = RetryPolicy(max_retries=3, sleep=lambda seconds: None)


def _create(client: CallsClient) -> str:
    return client.create_call(
        to=CALLEE, from_=CALLER, answer_url="http://127.0.0.1:9/a", application_id="a"
    ).call_id


def _listed(emu: VoiceEmulator) -> int:
    return len(list(emu.client().list_calls()))


def test_scripted_429_is_retried_and_the_call_created_once() -> None:
    with VoiceEmulator(clock="manual") as emu:
        emu.faults.next("createCall", status=429, times=2, retry_after=0)
        _create(emu.client(retry=NO_SLEEP))
        assert emu.created_calls == 1 and _listed(emu) == 1


def test_429_answer_carries_retry_after_and_the_documented_message() -> None:
    with VoiceEmulator(clock="manual") as emu:
        emu.faults.next("createCall", status=429, retry_after=3)
        reply = raw(emu, "POST", calls_path(emu), call_body(emu))
        assert reply.status_code == 429
        assert reply.headers["Retry-After"] == "3"
        assert reply.json()["description"] == "Account call creation rate limit exceeded"


def test_scripted_503_on_create_call_is_not_retried() -> None:
    with VoiceEmulator(clock="manual") as emu:
        emu.faults.next("createCall", status=503, times=1)
        with pytest.raises(ServerError):
            _create(emu.client(retry=NO_SLEEP))
        assert emu.created_calls == 0 and _listed(emu) == 0


def test_scripted_503_on_a_read_is_retried() -> None:
    with VoiceEmulator(clock="manual") as emu:
        client = emu.client(retry=NO_SLEEP)
        call_id = _create(client)
        emu.faults.next("getCallState", status=503, times=2)
        assert client.get_call_state(call_id).call_id == call_id


def test_drop_before_apply_creates_nothing() -> None:
    with VoiceEmulator(clock="manual") as emu:
        emu.faults.next("createCall", drop="before")
        with pytest.raises(TransportError) as caught:
            _create(emu.client(retry=NO_SLEEP))
        assert caught.value.maybe_sent
        assert emu.created_calls == 0 and _listed(emu) == 0
        assert [(e.operation, e.status, e.drop) for e in emu.exchanges if e.drop] == [
            ("createCall", 0, "before")
        ]


def test_drop_after_apply_creates_the_call_and_the_client_does_not_resend() -> None:
    with VoiceEmulator(clock="manual") as emu:
        emu.faults.next("createCall", drop="after")
        with pytest.raises(TransportError) as caught:
            _create(emu.client(retry=NO_SLEEP))
        assert caught.value.maybe_sent
        assert emu.created_calls == 1 and _listed(emu) == 1
        assert [(e.operation, e.status, e.drop) for e in emu.exchanges if e.drop] == [
            ("createCall", 0, "after")
        ]


def test_dropped_read_is_retried() -> None:
    with VoiceEmulator(clock="manual") as emu:
        client = emu.client(retry=NO_SLEEP)
        call_id = _create(client)
        emu.faults.next("getCallState", drop="after")
        assert client.get_call_state(call_id).call_id == call_id


def test_calls_beyond_the_rate_are_queued() -> None:
    with VoiceEmulator(clock="manual", calls_per_second=5.0) as emu:
        client = emu.client()
        ids = [_create(client) for _ in range(6)]
        emu.advance(0)
        states = [client.get_call_state(i).state for i in ids]
        assert states[0] != "queued" and states[1:] == ["queued"] * 5
        assert emu.statistics() == {"currentCallQueueSize": 5, "maxCallQueueSize": 1500}
        reply = raw(emu, "GET", f"/accounts/{emu.account_id}/statistics")
        assert reply.json() == {"currentCallQueueSize": 5, "maxCallQueueSize": 1500}
        emu.advance(1)
        assert all(client.get_call_state(i).state != "queued" for i in ids)


def test_a_call_cancelled_while_queued_leaves_the_queue_at_once() -> None:
    # voice-api §6: completed removes a queued call from the queue; §8.3 statistics.
    with VoiceEmulator(clock="manual", calls_per_second=0.01) as emu:
        client = emu.client(retry=None)
        ids = [_create(client) for _ in range(3)]
        client.update_call(ids[1], state="completed")
        assert emu.statistics()["currentCallQueueSize"] == 2
        _create(client)  # the cancelled call's place in a full queue is free again
        assert emu.statistics()["currentCallQueueSize"] == 3


def test_a_queued_call_keeps_its_slot_while_a_callback_is_out() -> None:
    # voice-api §8.3: at 2 calls per second the second call starts 0.5 s after the first,
    # though the first call's answer callback goes out on the way to that slot.
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(Pause(duration=30))

    with VoiceEmulator(app=app, clock="manual", calls_per_second=2.0) as emu:
        client = emu.client(retry=None)
        ids = [
            client.create_call(
                to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
            ).call_id
            for _ in range(3)
        ]
        emu.advance(2.0)
        starts = [client.get_call_state(i).start_time for i in ids]
        first = starts[0]
        assert first is not None
        offsets = [(s - first).total_seconds() for s in starts if s is not None]
        assert offsets == [0.0, 0.5, 1.0]


def test_full_queue_gets_429() -> None:
    with VoiceEmulator(clock="manual", calls_per_second=0.01) as emu:
        client = emu.client(retry=None)
        for _ in range(3):
            _create(client)
        with pytest.raises(RateLimitError) as caught:
            _create(client)
        assert "call creation rate limit" in str(caught.value)
        assert emu.created_calls == 3


def test_concurrent_call_limit_gets_429_with_its_own_message() -> None:
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(Pause(duration=300))

    with VoiceEmulator(app=app, clock="manual", max_concurrent=1) as emu:
        client = emu.client(retry=None)
        client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
        )
        emu.advance(0)
        reply = raw(emu, "POST", calls_path(emu), call_body(emu))
        assert reply.status_code == 429
        assert reply.json()["description"] == "Account concurrent call limit exceeded"
        assert reply.headers["Retry-After"]


def test_burst_rate_limit_pattern() -> None:
    faults = Faults(rate_limit=Burst(every=5, size=2, retry_after=2))
    statuses = [getattr(faults.decide("listCalls"), "status", None) for _ in range(10)]
    assert statuses == [None, None, None, 429, 429] * 2


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32), order=st.lists(st.sampled_from(OPERATIONS), max_size=60))
def test_seeded_decisions_depend_only_on_seed_operation_and_count(
    seed: int, order: list[str]
) -> None:
    def plan() -> Faults:
        return Faults(seed, error_rate=0.3, drop_rate=0.2, latency=LogNormal(0.01))

    interleaved, grouped = plan(), plan()
    first = {op: [interleaved.decide(op) for _ in range(order.count(op))] for op in OPERATIONS}
    seen: dict[str, list[Any]] = {op: [] for op in OPERATIONS}
    for op in order:
        seen[op].append(grouped.decide(op))
    assert seen == first


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"operation": "deleteCall", "status": 500}, "unknown operation"),
        ({"operation": "createCall"}, "exactly one of status= or drop="),
        ({"operation": "createCall", "status": 200}, "HTTP error 400-599"),
        ({"operation": "createCall", "drop": "sideways"}, "'before' or 'after'"),
        ({"operation": "createCall", "status": 503, "times": 0}, "times must be"),
        ({"operation": "createCall", "status": 400, "retry_after": 1}, "retry_after goes with"),
    ],
)
def test_bad_fault_scripts_are_refused(kwargs: dict[str, Any], message: str) -> None:
    faults = Faults()
    operation = kwargs.pop("operation")
    with pytest.raises(ValueError, match=message):
        faults.next(operation, **kwargs)


def test_probabilistic_errors_with_retries_never_duplicate_create_call() -> None:
    faults = Faults(seed=5, error_rate=0.3, drop_rate=0.1)
    with VoiceEmulator(clock="manual", faults=faults, calls_per_second=100.0) as emu:
        client = emu.client(retry=NO_SLEEP)
        outcomes = {"ok": 0, "failed": 0}
        for _ in range(40):
            try:
                _create(client)
                outcomes["ok"] += 1
            except (ServerError, TransportError, requests.RequestException):
                outcomes["failed"] += 1
        created = emu.created_calls
        assert outcomes["ok"] <= created <= 40
        assert _count_without_faults(emu) == created


def _count_without_faults(emu: VoiceEmulator) -> int:
    emu.faults.error_rate = 0.0
    emu.faults.drop_rate = 0.0
    return _listed(emu)


def test_a_queued_call_that_waited_for_a_session_says_so() -> None:
    """Register queue-session-wait: at max_concurrent a queued call waits for a session."""
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(Pause(duration=2))

    with VoiceEmulator(app=app, clock="manual", max_concurrent=1, calls_per_second=10) as emu:
        client = emu.client(retry=None)
        made = [
            client.create_call(
                to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
            ).call_id
            for _ in range(2)
        ]
        for _ in range(5):
            emu.advance(1.0)
        first, second = (emu.timeline(str(call_id)) for call_id in made)
        assert "queue-session-wait" not in first.assumptions
        assert "queue-session-wait" in second.assumptions
        assert second.transcript[0].ms >= first.transcript[-1].ms
