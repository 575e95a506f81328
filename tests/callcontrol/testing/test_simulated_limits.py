"""sim.client()'s createCall follows the account's limits as the emulator does (voice-api §3,
§8.3): calls wait in a queue and leave it at ``calls_per_second``, beyond ``max_concurrent``
calls up or a full queue the API answers 429, and a queued call reads, lists, counts and
cancels as the emulator's does (voice-api §4.1, §6, §9.3)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from bxml import Pause, Response, SpeakSentence
from callcontrol import CallsClient, WebhookApp
from callcontrol.emulator import VoiceEmulator
from callcontrol.exceptions import ApiError
from callcontrol.testing import CallSimulator, hang_up
from callcontrol.testing.voice_api import InProcessAdapter

BASE = "https://cc.test"
AGENT = "+15550002222"
QUEUE = "+15553334444"
#: Fields whose values differ between two runs by nature (ids, the clocks' epochs).
VARYING = ("callId", "enqueuedTime", "startTime", "endTime", "lastUpdate")


def agents_app(seconds: float = 30.0) -> WebhookApp:
    """Every placed call hears a greeting, then waits ``seconds``, then ends."""
    app = WebhookApp()

    @app.route("/agent")
    def agent(event: Any) -> Response:
        return Response(SpeakSentence("Hello agent."), Pause(duration=seconds))

    return app


def simulator(**limits: Any) -> tuple[CallSimulator, CallsClient]:
    sim = CallSimulator(agents_app(), base_url=BASE, **limits)
    return sim, sim.client()


def place(client: CallsClient, answer_url: str = f"{BASE}/agent", **extra: Any) -> str:
    created = client.create_call(
        to=AGENT, from_=QUEUE, application_id="app-1", answer_url=answer_url, **extra
    )
    assert created.call_id is not None
    return created.call_id


def started_ms(sim: CallSimulator) -> dict[str, int]:
    """Each placed call's virtual start (its first transcript line: the call is placed)."""
    return {call.call_id: call.transcript[0].ms for call in sim.calls}


def statistics(sim: CallSimulator) -> dict[str, Any]:
    """getStatistics over the simulated REST API (voice-api §8.3)."""
    client = sim.client()  # makes sure the API exists
    api = sim._api
    assert api is not None
    session = requests.Session()
    session.mount("https://", InProcessAdapter(api.api))
    url = f"{api.base_url}/accounts/{sim.account_id}/statistics"
    reply = session.get(url, auth=(api.username, api.password))
    assert reply.status_code == 200 and client is not None
    stats: dict[str, Any] = reply.json()
    assert stats == sim.statistics()
    return stats


def test_voice_api_8_3_queued_calls_leave_at_the_accounts_rate():
    sim, client = simulator(calls_per_second=2.0)
    ids = [place(client) for _ in range(3)]
    assert [c.call_id for c in sim.calls] == ids[:1]  # the first at once, the others wait
    assert [client.get_call_state(i).state for i in ids] == ["initiated", "queued", "queued"]
    sim.run()
    assert started_ms(sim) == {ids[0]: 0, ids[1]: 500, ids[2]: 1000}
    states = [client.get_call_state(i) for i in ids]
    assert [s.start_time and (s.start_time - sim.start_time).total_seconds() for s in states] == [
        0.0,
        0.5,
        1.0,
    ]
    assert all(s.enqueued_time == sim.start_time for s in states)


def test_voice_api_8_3_a_call_created_after_its_slot_starts_when_created():
    sim, client = simulator(calls_per_second=1.0)
    first = place(client)
    sim.run_until(seconds=5.0)
    late = place(client)  # its slot (1 s) is long past: placed at once, at 5 s
    sim.run_until(seconds=5.2)
    next_one = place(client)  # one interval after the previous placement: 6 s
    sim.run()
    assert started_ms(sim) == {first: 0, late: 5000, next_one: 6000}


def test_voice_api_3_the_queue_serves_the_highest_priority_first():
    sim, client = simulator(calls_per_second=2.0)
    first = place(client)
    low = place(client)  # priority 5 by default
    high = place(client, priority=1)
    sim.run()
    assert started_ms(sim) == {first: 0, high: 500, low: 1000}


def test_voice_api_8_3_429_at_the_concurrent_call_limit():
    sim, client = simulator(calls_per_second=10.0, max_concurrent=2)
    place(client)
    place(client)
    sim.run_until(seconds=1.0)  # both placed, both up (30 s of pause)
    with pytest.raises(ApiError) as refused:
        place(client)
    assert refused.value.status == 429
    assert refused.value.description == "Account concurrent call limit exceeded"
    assert refused.value.headers.get("Retry-After") == "1"
    assert len(sim.calls) == 2 and statistics(sim)["currentCallQueueSize"] == 0
    sim.run()  # both end: sessions are free again
    place(client)
    assert len(sim.run()) == 3


def test_voice_api_8_3_a_queued_call_waits_for_a_free_session():
    app = agents_app(seconds=2.0)
    sim = CallSimulator(app, base_url=BASE, calls_per_second=1.0, max_concurrent=2)
    client = sim.client()
    ids = [place(client) for _ in range(3)]  # queued while fewer than 2 are up
    sim.run()
    # The third's slot (2 s) finds two calls up; the first ends at 2 s (after its greeting
    # and pause), so the next look, one slot later, places it.
    starts = started_ms(sim)
    assert (starts[ids[0]], starts[ids[1]]) == (0, 1000)
    first_end = sim.calls[0].transcript[-1].ms
    assert first_end < 3000 <= starts[ids[2]] < 4000
    assert starts[ids[2]] == 3000
    # Register queue-session-wait: only the call that waited for a session says so.
    waited = {c.call_id for c in sim.calls if "queue-session-wait" in c.assumptions}
    assert waited == {ids[2]}
    notes = [e.detail for e in sim.calls[2].transcript if e.kind == "assume"]
    assert notes[0] == "[queue-session-wait] queued 3 s"


def test_voice_api_8_3_429_when_the_queue_is_full():
    sim, client = simulator(calls_per_second=0.01)  # 300 s of calls at 0.01/s: 3 calls
    place(client)  # placed at once
    queued = [place(client) for _ in range(3)]
    assert statistics(sim) == {"currentCallQueueSize": 3, "maxCallQueueSize": 3}
    with pytest.raises(ApiError) as refused:
        place(client)
    assert refused.value.status == 429
    assert refused.value.description == "Account call creation rate limit exceeded"
    assert [client.get_call_state(i).state for i in queued] == ["queued"] * 3


def test_voice_api_8_3_get_statistics_counts_the_queued_calls():
    sim, client = simulator(calls_per_second=2.0)
    assert statistics(sim) == {"currentCallQueueSize": 0, "maxCallQueueSize": 600}
    for _ in range(4):
        place(client)
    assert statistics(sim)["currentCallQueueSize"] == 3
    sim.run_until(seconds=0.5)
    assert statistics(sim)["currentCallQueueSize"] == 2
    sim.run()
    assert statistics(sim)["currentCallQueueSize"] == 0


def test_voice_api_6_completed_removes_a_queued_call_from_the_queue():
    sim, client = simulator(calls_per_second=1.0)
    # The agents act; the cancelled call never reaches its agent, so its script is not left
    # unused (no UnusedStepsError).
    sim.callee(AGENT, [hang_up(after=10.0)])
    first = place(client)
    cancelled = place(client)
    third = place(client)
    with pytest.raises(ApiError) as redirected:
        client.update_call(cancelled, redirect_url=f"{BASE}/agent")
    with pytest.raises(ApiError) as replaced:
        client.update_call_bxml(cancelled, "<Bxml><Hangup/></Bxml>")
    # A queued call cannot be modified until it is placed (voice-api §3).
    assert redirected.value.status == replaced.value.status == 409
    assert f"Call [{cancelled}] cannot be modified" in str(replaced.value.description)
    client.update_call(cancelled, state="completed")
    state = client.get_call_state(cancelled)
    assert (state.state, state.disconnect_cause) == ("disconnected", "cancel")
    assert state.start_time is None and state.end_time == sim.start_time
    assert statistics(sim)["currentCallQueueSize"] == 1
    calls = sim.run()
    # The cancelled call never took a slot: the third has the second's.
    assert started_ms(sim)[third] == 1000 and started_ms(sim)[first] == 0
    assert {c.call_id: c.disconnect_cause for c in calls}[cancelled] == "cancel"


def test_voice_api_8_3_an_app_placing_100_agent_calls_at_once_is_paced():
    placed: list[str] = []
    app = agents_app(seconds=1.0)
    sim = CallSimulator(app, base_url=BASE)  # 5 calls per second, as on Bandwidth
    client = sim.client()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        for n in range(100):
            placed.append(place(client, tag=str(n)))
        return Response(SpeakSentence("Calling every agent."))

    sim.start_inbound("/answer", script=[hang_up(after=1.0)])
    sim.run()
    starts = started_ms(sim)
    assert [starts[i] for i in placed] == [200 * n for n in range(100)]


def test_the_queue_keeps_call_ids_deterministic_with_the_seed():
    def ids(seed: int) -> list[str]:
        sim = CallSimulator(agents_app(), base_url=BASE, seed=seed, calls_per_second=2.0)
        client = sim.client()
        made = [place(client) for _ in range(3)]
        sim.run()
        assert [c.call_id for c in sim.calls] == made
        return made

    assert ids(4) == ids(4) and ids(4) != ids(5)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"calls_per_second": 0}, "calls_per_second must be above 0 (a finite number), not 0"),
        (
            {"calls_per_second": -1.5},
            "calls_per_second must be above 0 (a finite number), not -1.5",
        ),
        ({"calls_per_second": float("inf")}, "above 0 (a finite number), not inf"),
        ({"calls_per_second": float("nan")}, "above 0 (a finite number), not nan"),
        ({"calls_per_second": "5"}, "above 0 (a finite number), not '5'"),
        ({"calls_per_second": True}, "above 0 (a finite number), not True"),
        ({"max_concurrent": 0}, "max_concurrent must be a whole number, 1 or more, not 0"),
        ({"max_concurrent": 2.5}, "max_concurrent must be a whole number, 1 or more, not 2.5"),
        ({"max_concurrent": True}, "max_concurrent must be a whole number, 1 or more, not True"),
    ],
)
def test_the_limits_are_checked_as_the_emulator_checks_them(limits: Any, message: str):
    with pytest.raises(ValueError) as simulated:
        CallSimulator(agents_app(), **limits)
    with pytest.raises(ValueError) as emulated:
        VoiceEmulator(**limits)
    assert str(simulated.value) == str(emulated.value)
    assert str(simulated.value).endswith(message)


class Rest:
    """Raw JSON requests to one Voice API (simulated in process, or the emulator's)."""

    def __init__(self, session: requests.Session, base: str, account: str, auth: Any) -> None:
        self.session, self.auth = session, auth
        self.calls = f"{base}/accounts/{account}/calls"

    def get(self, path: str = "") -> Any:
        reply = self.session.get(self.calls + path, auth=self.auth, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def create(self, answer_url: str) -> dict[str, Any]:
        body = {"to": AGENT, "from": QUEUE, "applicationId": "app-1", "answerUrl": answer_url}
        reply = self.session.post(self.calls, json=body, auth=self.auth, timeout=10)
        assert reply.status_code == 201, reply.text
        created: dict[str, Any] = reply.json()
        return created


def simulated_rest(sim: CallSimulator) -> Rest:
    sim.client()
    api = sim._api
    assert api is not None
    session = requests.Session()
    session.mount("https://", InProcessAdapter(api.api))
    return Rest(session, api.base_url, sim.account_id, (api.username, api.password))


def _same_sequence(
    client: CallsClient, rest: Rest, answer_url: str, cancel: bool, settle: Any = None
) -> list[dict[str, Any]]:
    """Two calls at once at 2 calls per second: the second waits; optionally cancelled.
    Returns its create response, CallState and listCalls entry, as raw JSON. ``settle``
    lets the emulator's manual clock place the first call (the simulator does at once)."""
    rest.create(answer_url)
    if settle is not None:
        settle()
    created = rest.create(answer_url)
    queued = created["callId"]
    if cancel:
        client.update_call(queued, state="completed")
    listed = rest.get()
    return [created, rest.get(f"/{queued}"), listed[1]]


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    return {k: (v is None if k in VARYING else v) for k, v in state.items() if k != "callUrl"}


@pytest.mark.parametrize("cancel", [False, True], ids=["queued", "cancelled-while-queued"])
def test_voice_api_4_1_a_queued_call_reads_as_the_emulators(cancel: bool):
    sim, client = simulator(calls_per_second=2.0)
    simulated = _same_sequence(client, simulated_rest(sim), f"{BASE}/agent", cancel)
    with VoiceEmulator(agents_app(), clock="manual", calls_per_second=2.0) as emulator:
        auth = (emulator.username, emulator.password)
        rest = Rest(requests.Session(), emulator.base_url, emulator.account_id, auth)
        answer_url = f"{emulator.app_url}/agent"
        emulated = _same_sequence(emulator.client(), rest, answer_url, cancel, emulator.advance)
        emulator_stats = emulator.statistics()
    for mine, theirs in zip(simulated, emulated, strict=True):
        mine["answerUrl"] = theirs["answerUrl"] = mine.get("answerUrl") and "<app>/agent"
        assert _comparable(mine) == _comparable(theirs)
    assert sim.statistics()["currentCallQueueSize"] == emulator_stats["currentCallQueueSize"]
    state = simulated[1]
    assert state["state"] == ("disconnected" if cancel else "queued")
    assert state["enqueuedTime"] is not None and state["startTime"] is None


def _offsets(client: CallsClient, ids: list[str]) -> list[float]:
    """Each call's startTime, in seconds after its enqueuedTime."""
    offsets = []
    for call_id in ids:
        state = client.get_call_state(call_id)
        assert state.start_time is not None and state.enqueued_time is not None
        offsets.append((state.start_time - state.enqueued_time).total_seconds())
    return offsets


def test_voice_api_8_3_the_pace_is_the_emulators():
    sim, client = simulator(calls_per_second=2.0)
    simulated = [place(client) for _ in range(3)]
    sim.run_until(seconds=2.0)
    with VoiceEmulator(agents_app(), clock="manual", calls_per_second=2.0) as emulator:
        emulated_client = emulator.client()
        answer_url = f"{emulator.app_url}/agent"
        emulated = [place(emulated_client, answer_url) for _ in range(3)]
        emulator.advance(2.0)
        theirs = _offsets(emulated_client, emulated)
    assert _offsets(client, simulated) == theirs == [0.0, 0.5, 1.0]


@settings(max_examples=60, deadline=None)
@given(
    calls_per_second=st.sampled_from([0.5, 1.0, 3.0, 7.0, 40.0]),
    gaps=st.lists(
        st.one_of(st.just(0), st.integers(0, 300), st.integers(0, 2500)), min_size=1, max_size=8
    ),
)
def test_voice_api_8_3_each_call_is_placed_at_its_slot_or_its_creation(
    calls_per_second: float, gaps: list[int]
) -> None:
    """Placement k is max(placement k-1 + one interval (whole ms), createCall k): never
    sooner than the rate allows, never before the call was created, never later."""
    sim, client = simulator(calls_per_second=calls_per_second)
    created, ids, now = [], [], 0
    for gap in gaps:
        now += gap
        sim.run_until(seconds=now / 1000)
        created.append(now)
        ids.append(place(client))
    sim.run()
    starts = started_ms(sim)
    interval = 1000.0 / calls_per_second
    expected: list[int] = []
    for made in created:
        expected.append(made if not expected else max(int(expected[-1] + interval), made))
    assert [starts[i] for i in ids] == expected


def test_voice_api_6_update_call_sends_its_method_and_fallback_credentials():
    app = agents_app()

    @app.route("/moved")
    def moved(event: Any) -> Response:
        return Response(SpeakSentence("Moved."))

    sim = CallSimulator(app, base_url=BASE)
    client = sim.client()
    call_id = place(client)
    sim.run_until(seconds=3.0)
    sim.faults.fail("/gone")
    client.update_call(
        call_id,
        redirect_url=f"{BASE}/gone",
        redirect_method="GET",
        redirect_fallback_url=f"{BASE}/moved",
        fallback_username="fu",
        fallback_password="fp",
    )
    [placed] = sim.run()
    redirects = [
        (cb.method, cb.url.split("?")[0]) for cb in placed.callbacks if cb.event_type == "redirect"
    ]
    assert redirects == [("GET", f"{BASE}/gone"), ("POST", f"{BASE}/moved")]
    assert placed.heard[-1] == "Moved."


def test_voice_api_5_list_calls_pages_over_queued_calls_once_each():
    sim, client = simulator(calls_per_second=1.0)
    ids = [place(client) for _ in range(3)]  # the first placed, two queued
    listed = [state.call_id for state in client.list_calls(page_size=1)]
    assert listed == ids
    assert [state.state for state in client.list_calls(page_size=2)] == [
        "initiated",
        "queued",
        "queued",
    ]
