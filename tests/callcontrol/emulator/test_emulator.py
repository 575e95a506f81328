"""The Python side of VoiceEmulator: arguments, wait_for, close, threads and invariants."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bxml import Hangup, Response, SpeakSentence
from callcontrol import WebhookApp
from callcontrol.emulator import EmulatorError, VoiceEmulator
from callcontrol.testing import press

from .helpers import CALLEE, CALLER, auth, call_body, calls_path


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"app": 42}, TypeError, "WSGI or ASGI app, a base URL or None"),
        ({"clock": "fast"}, ValueError, "clock must be 'real' or 'manual'"),
        ({"speed": 0}, ValueError, "speed must be a number above 0"),
        ({"speed": float("inf")}, ValueError, "speed must be at most 10000"),
        ({"speed": 10_000.5}, ValueError, "speed must be at most 10000"),
        ({"calls_per_second": 0}, ValueError, "calls_per_second must be above 0"),
        ({"max_concurrent": 0}, ValueError, "max_concurrent must be a whole number"),
        ({"account_id": "99/00"}, ValueError, "account_id must be a non-empty string"),
        ({"username": ""}, ValueError, "username must be a non-empty string"),
        ({"password": ""}, ValueError, "password must be a non-empty string"),
    ],
)
def test_bad_arguments_are_refused(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        VoiceEmulator(**kwargs)


def test_binds_loopback_and_reports_its_urls() -> None:
    app = WebhookApp()
    with VoiceEmulator(app=app, clock="manual") as emu:
        assert emu.base_url.startswith("http://127.0.0.1:") and emu.base_url.endswith("/api/v2")
        assert emu.app_url is not None and emu.app_url.startswith("http://127.0.0.1:")
        assert emu.password not in repr(emu)
    with VoiceEmulator(app="http://127.0.0.1:8000/", clock="manual") as emu:
        assert emu.app_url == "http://127.0.0.1:8000"


def test_close_joins_every_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    emu = VoiceEmulator(app=WebhookApp(), clock="manual")
    emu.close()
    emu.close()  # a second close does nothing
    left = [
        t for t in threading.enumerate() if t.ident not in before and t.name.startswith("emulator")
    ]
    assert [t for t in left if t.is_alive()] == []


def test_errors_of_the_emulators_threads_are_raised_on_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu = VoiceEmulator(speed=100.0)

    def broken(request: Any, timeout: float) -> Any:
        raise RuntimeError("sender broke")

    monkeypatch.setattr(emu, "_send", broken)
    emu._driver._send = broken
    client = emu.client()
    call_id = client.create_call(
        to=CALLEE, from_=CALLER, answer_url="http://127.0.0.1:9/a", application_id="a"
    ).call_id
    state = emu.wait_for(call_id, state="disconnected")
    assert state.disconnect_cause == "callback-error"
    with pytest.raises(EmulatorError, match="sender broke"):
        emu.close()


def test_a_webhook_app_handler_failure_is_raised_on_close_despite_the_fallback() -> None:
    # The caller hears the fallback apology, as on Bandwidth; the test hears of the bug.
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        raise KeyError("digits")

    emu = VoiceEmulator(app=app, speed=100.0)
    client = emu.client()
    call_id = client.create_call(
        to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
    ).call_id
    emu.wait_for(call_id, state="disconnected")
    assert "We are sorry" in " ".join(emu.timeline(call_id).heard)
    with pytest.raises(EmulatorError, match=r"the app's handler raised on POST /answer"):
        emu.close()


def test_an_in_process_apps_5xx_is_raised_on_close() -> None:
    # A 500 is a 500: how a framework answers the exception it caught.
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"oops"]

    emu = VoiceEmulator(app=app, speed=100.0)
    call_id = (
        emu.client()
        .create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
        )
        .call_id
    )
    assert emu.wait_for(call_id, state="disconnected").disconnect_cause == "callback-error"
    with pytest.raises(EmulatorError, match=r"the app failed on POST /answer: answered 500"):
        emu.close()


def test_wait_for_needs_one_condition_and_a_known_call() -> None:
    with VoiceEmulator(clock="manual") as emu:
        with pytest.raises(ValueError, match="exactly one of verb= or state="):
            emu.wait_for("c-1")
        with pytest.raises(KeyError, match="no call 'c-1'"):
            emu.wait_for("c-1", state="answered")
        with pytest.raises(KeyError):
            emu.timeline("c-1")


def test_wait_for_a_verb_the_call_never_reaches() -> None:
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(SpeakSentence("bye"), Hangup())

    with VoiceEmulator(app=app, speed=100.0) as emu:
        client = emu.client()
        call_id = client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
        ).call_id
        with pytest.raises(AssertionError, match=r"ended \(hangup\) before a <Gather> started"):
            emu.wait_for(call_id, verb="Gather")


def test_registering_a_callee_again_replaces_its_script() -> None:
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        from bxml import Gather

        return Response(Gather(SpeakSentence("key?"), gather_url="/done", max_digits=1))

    @app.route("/done")
    def done(event: Any) -> Response:
        return Response(Hangup())

    with VoiceEmulator(app=app, speed=200.0) as emu:
        client = emu.client()
        pressed = []
        for digit in "12":
            emu.callee(CALLEE, script=[press(digit)])
            call_id = client.create_call(
                to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
            ).call_id
            emu.wait_for(call_id, state="disconnected")
            pressed.append(emu.timeline(call_id).pressed)
    assert pressed == [["1"], ["2"]]


@settings(max_examples=15, deadline=None)
@given(
    count=st.integers(0, 40), page_size=st.integers(1, 12), cancelled=st.sets(st.integers(0, 39))
)
def test_pages_cover_every_matching_call_once_in_creation_order(
    count: int, page_size: int, cancelled: set[int]
) -> None:
    """Invariant: following Link headers yields each matching call once, oldest first."""
    with VoiceEmulator(clock="manual", calls_per_second=1000.0) as emu:
        headers = {"authorization": auth(), "content-type": "application/json"}
        path = "/api/v2" + calls_path(emu)
        body = json.dumps(call_body(emu)).encode()
        ids = [
            json.loads(emu.api.handle("POST", path, "", headers, body).body)["callId"]
            for _ in range(count)
        ]
        for index in sorted(cancelled):
            if index < count:
                done = json.dumps({"state": "completed"}).encode()
                assert (
                    emu.api.handle("POST", f"{path}/{ids[index]}", "", headers, done).status == 200
                )
        for cause in (None, "cancel"):
            query = f"pageSize={page_size}" + (f"&disconnectCause={cause}" if cause else "")
            seen: list[str] = []
            reply = emu.api.handle("GET", path, query, {"authorization": auth()}, b"")
            while True:
                seen += [c["callId"] for c in json.loads(reply.body)]
                links = [v for k, v in reply.headers if k == "Link"]
                if not links:
                    break
                url = links[0][1 : links[0].index(">")]
                next_path, _, next_query = url[len(emu.base_url) - len("/api/v2") :].partition("?")
                reply = emu.api.handle(
                    "GET",
                    next_path.replace(emu.base_url, ""),
                    next_query,
                    {"authorization": auth()},
                    b"",
                )
            expected = [c for i, c in enumerate(ids) if cause is None or i in cancelled]
            assert seen == expected


def test_waiting_twice_on_a_call_with_a_timer_pending() -> None:
    """Two wake-ups of one call at the same instant are ordered without comparing calls."""
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        from bxml import Pause

        return Response(Pause(duration=60), Hangup())

    with VoiceEmulator(app=app, clock="manual") as emu:
        client = emu.client()
        call_id = client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
        ).call_id
        emu.advance(1)
        for _ in range(2):
            with pytest.raises(TimeoutError):
                emu.wait_for(call_id, state="disconnected", timeout=0.2)
        emu.advance(60)
        assert emu.wait_for(call_id, state="disconnected").disconnect_cause == "hangup"


def test_listing_stops_at_the_apis_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    from callcontrol.emulator import api

    monkeypatch.setattr(api, "MAX_LISTED", 5)
    with VoiceEmulator(clock="manual") as emu:
        headers = {"authorization": auth(), "content-type": "application/json"}
        path = "/api/v2" + calls_path(emu)
        body = json.dumps(call_body(emu)).encode()
        for _ in range(8):
            emu.api.handle("POST", path, "", headers, body)
        listed = list(emu.client().list_calls(page_size=2))
    assert len(listed) == 5


@pytest.mark.parametrize(("clock", "assumed"), [("real", False), ("manual", True)])
def test_replies_take_no_time_only_where_the_clock_stands_still(clock: str, assumed: bool) -> None:
    # Register fetch-latency: on the manual clock the calls wait for a reply without time
    # passing; on the real clock a reply's wall latency passes on the call's clock.
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(SpeakSentence("bye"))

    options: dict[str, Any] = {"speed": 100.0} if clock == "real" else {"clock": "manual"}
    with VoiceEmulator(app=app, **options) as emu:
        call_id = (
            emu.client()
            .create_call(
                to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
            )
            .call_id
        )
        if clock == "manual":
            emu.advance(60.0)
        emu.wait_for(call_id, state="disconnected")
        assert ("fetch-latency" in emu.timeline(call_id).assumptions) is assumed
