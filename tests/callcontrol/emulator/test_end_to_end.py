"""Whole calls over real HTTP: client -> emulator -> WebhookApp under waitress -> callbacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bxml import Bxml, Gather, Hangup, Pause, PhoneNumber, Response, SpeakSentence, Transfer
from callcontrol import CallsClient, MachineDetectionConfiguration, WebhookApp
from callcontrol.emulator import VoiceEmulator
from callcontrol.testing import answers, busy, hang_up, machine, press
from tests.wsgi_server import serve_wsgi

from .helpers import CALLEE, CALLER, auth, call_body, calls_path, ivr_app


@pytest.fixture
def app_url() -> Iterator[str]:
    with serve_wsgi(ivr_app(), threads=8) as url:
        yield url


def _place(client: CallsClient, app_url: str, to: str = CALLEE, **extra: Any) -> str:
    created = client.create_call(
        to=to,
        from_=CALLER,
        answer_url=f"{app_url}/answer",
        disconnect_url=f"{app_url}/disconnect",
        application_id="app-1",
        **extra,
    )
    return created.call_id


def test_callee_presses_and_the_app_answers(app_url: str) -> None:
    with VoiceEmulator(app=app_url, speed=100.0) as emu, emu.client() as client:
        emu.callee(CALLEE, script=[press("1")])
        call_id = _place(client, app_url)
        state = emu.wait_for(call_id, state="disconnected")
        call = emu.timeline(call_id)
    assert state.disconnect_cause == "hangup"
    call.assert_heard("You pressed 1.")
    assert call.pressed == ["1"]
    assert [c.event_type for c in call.callbacks] == ["answer", "gather", "disconnect"]
    assert all(c.status in (200, 204) for c in call.callbacks)
    assert call.callbacks[1].url == f"{app_url}/menu"
    assert call.callbacks[1].payload["digits"] == "1"
    assert (
        call.callbacks[0].payload["callUrl"] == f"{emu.base_url}/accounts/9900000/calls/{call_id}"
    )


def test_replace_bxml_while_a_gather_waits(app_url: str) -> None:
    with VoiceEmulator(app=app_url, speed=100.0) as emu, emu.client() as client:
        call_id = _place(client, app_url)
        emu.wait_for(call_id, verb="Gather")
        client.update_call_bxml(call_id, Bxml(SpeakSentence("Hello from the API"), Hangup()))
        emu.wait_for(call_id, state="disconnected")
        call = emu.timeline(call_id)
    call.assert_heard("Hello from the API")
    assert "gather" not in [c.event_type for c in call.callbacks]
    api = [e for e in call.transcript if e.kind == "api"]
    assert api and api[0].detail == "updateCallBxml 2 verbs"


def test_redirect_while_a_gather_waits(app_url: str) -> None:
    with VoiceEmulator(app=app_url, speed=100.0) as emu, emu.client() as client:
        call_id = _place(client, app_url)
        emu.wait_for(call_id, verb="Gather")
        client.redirect(call_id, f"{app_url}/redirected", tag="moved")
        emu.wait_for(call_id, state="disconnected")
        call = emu.timeline(call_id)
    call.assert_heard("You were redirected.")
    redirect = [c for c in call.callbacks if c.event_type == "redirect"]
    assert len(redirect) == 1 and redirect[0].payload["tag"] == "moved"
    assert redirect[0].status == 200


def test_hold_keeps_the_gather_from_timing_out() -> None:
    """At speed 1000 the Gather's timeout is a few wall milliseconds; the hold stops time."""
    with serve_wsgi(ivr_app()) as url, VoiceEmulator(app=url, speed=1000.0) as emu:
        client = emu.client()
        call_id = _place(client, url)
        emu.wait_for(call_id, verb="Gather")
        before = emu.timeline(call_id).transcript[-1].ms
        import time

        time.sleep(0.05)  # 50 virtual seconds if the call were not held
        assert emu.timeline(call_id).transcript[-1].ms == before
        client.update_call_bxml(call_id, Bxml(Hangup()))
        state = emu.wait_for(call_id, state="disconnected")
    assert state.disconnect_cause == "hangup"


def test_busy_destination_ends_the_call_busy(app_url: str) -> None:
    with VoiceEmulator(app=app_url, speed=100.0) as emu, emu.client() as client:
        emu.destination("+15550001111", busy())
        call_id = _place(client, app_url, to="+15550001111")
        state = emu.wait_for(call_id, state="disconnected")
    assert state.disconnect_cause == "busy" and state.answer_time is None


def test_callee_that_hangs_up(app_url: str) -> None:
    with VoiceEmulator(app=app_url, speed=100.0) as emu, emu.client() as client:
        emu.callee(CALLEE, script=[hang_up()])
        state = emu.wait_for(_place(client, app_url), state="disconnected")
    assert state.disconnect_cause == "hangup"


def test_an_app_may_call_the_api_from_inside_its_webhook() -> None:
    """The answer handler reads the call's state through the API before it replies."""
    seen: list[str | None] = []
    app = WebhookApp()
    holder: dict[str, VoiceEmulator] = {}

    @app.route("/answer")
    def answer(event: Any) -> Response:
        with holder["emu"].client() as inner:
            seen.append(inner.get_call_state(event.call_id).state)
        return Response(SpeakSentence("checked"), Hangup())

    with VoiceEmulator(app=app, speed=100.0) as emu, emu.client() as client:
        holder["emu"] = emu
        call_id = _place(client, emu.app_url or "")
        state = emu.wait_for(call_id, state="disconnected")
    assert seen == ["answered"]
    assert state.disconnect_cause == "hangup"


def test_a_slow_webhook_does_not_stall_other_calls() -> None:
    import threading

    release = threading.Event()
    app = WebhookApp()

    @app.route("/slow")
    def slow(event: Any) -> Response:
        release.wait(5)
        return Response(Hangup())

    @app.route("/fast")
    def fast(event: Any) -> Response:
        return Response(SpeakSentence("quick"), Hangup())

    with VoiceEmulator(app=app, speed=100.0, calls_per_second=100.0) as emu, emu.client() as client:
        url = emu.app_url or ""
        slow_id = client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{url}/slow", application_id="a"
        ).call_id
        fast_id = client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{url}/fast", application_id="a"
        ).call_id
        assert emu.wait_for(fast_id, state="disconnected").disconnect_cause == "hangup"
        assert client.get_call_state(slow_id).state == "answered"
        release.set()
        emu.wait_for(slow_id, state="disconnected")


def test_app_errors_are_raised_on_close() -> None:
    app = WebhookApp()

    def broken(environ: Any, start_response: Any) -> Any:
        raise RuntimeError("boom in the app")

    from callcontrol.emulator import EmulatorError

    with pytest.raises(EmulatorError, match="boom in the app"):
        with VoiceEmulator(app=broken, speed=100.0) as emu:
            client = emu.client()
            call_id = client.create_call(
                to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
            ).call_id
            state = emu.wait_for(call_id, state="disconnected")
            assert state.disconnect_cause == "callback-error"
    del app


def test_manual_clock_moves_only_with_advance(app_url: str) -> None:
    with VoiceEmulator(app=app_url, clock="manual") as emu, emu.client() as client:
        emu.callee(CALLEE, script=[press("1")])
        call_id = _place(client, app_url)
        assert client.get_call_state(call_id).state == "queued"
        emu.advance(0)
        assert client.get_call_state(call_id).state == "answered"
        with pytest.raises(TimeoutError, match="advance"):
            emu.wait_for(call_id, state="disconnected", timeout=1)
        emu.advance(30)
        state = emu.wait_for(call_id, state="disconnected")
        call = emu.timeline(call_id)
    assert state.disconnect_cause == "hangup"
    call.assert_heard("You pressed 1.")


def test_manual_clock_runs_repeat_exactly(app_url: str) -> None:
    def one_run() -> str:
        with VoiceEmulator(app=app_url, clock="manual", seed=3) as emu, emu.client() as client:
            emu.callee(CALLEE, script=[press("1")])
            call_id = _place(client, app_url)
            emu.advance(30)
            return (
                call_id
                + "\n"
                + "\n".join(
                    e.render().replace(app_url, "APP") for e in emu.timeline(call_id).transcript
                )
            )

    assert one_run() == one_run()


def test_paging_over_2500_calls() -> None:
    """The calls are created through the emulator's request handler (the HTTP server's
    own entry point, without the sockets) to keep the test fast; listing is over HTTP."""
    with VoiceEmulator(clock="manual", calls_per_second=10.0) as emu:
        body = json.dumps(call_body(emu)).encode()
        headers = {"authorization": auth(), "content-type": "application/json"}
        path = "/api/v2" + calls_path(emu)
        created = [
            json.loads(emu.api.handle("POST", path, "", headers, body).body)["callId"]
            for _ in range(2500)
        ]
        client = emu.client()
        listed = [c.call_id for c in client.list_calls(page_size=1000)]
        pages = 0
        page = client.list_calls_page(page_size=1000)
        while True:
            pages += 1
            if page.next_url is None:
                break
            page = client.list_calls_page(next_url=page.next_url)
    assert listed == created
    assert pages == 3


def test_wait_for_verbs_of_a_replaced_document() -> None:
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(SpeakSentence("hold"), Pause(duration=60), Hangup())

    # The real clock runs between update_call_bxml and wait_for: the Gather must outlast
    # that gap on a loaded machine (60 s at speed 10: 6 wall seconds).
    with VoiceEmulator(app=app, speed=10.0) as emu, emu.client() as client:
        call_id = client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
        ).call_id
        emu.wait_for(call_id, verb="Pause")
        gather = Gather(
            SpeakSentence("press"), max_digits=1, gather_url="/g", first_digit_timeout=60
        )
        client.update_call_bxml(call_id, Bxml(gather))
        emu.wait_for(call_id, verb="Gather")
        client.hangup(call_id)
        state = emu.wait_for(call_id, state="disconnected")
    assert state.disconnect_cause == "hangup"


def test_callbacks_carry_the_calls_basic_credentials() -> None:
    app = WebhookApp(username="hook", password="s3cret")

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(SpeakSentence("authenticated"), Hangup())

    with VoiceEmulator(app=app, speed=100.0) as emu, emu.client() as client:
        url = emu.app_url or ""
        good = _place(client, url, username="hook", password="s3cret")
        bad = _place(client, url, username="hook", password="wrong")
        assert emu.wait_for(good, state="disconnected").disconnect_cause == "hangup"
        assert emu.wait_for(bad, state="disconnected").disconnect_cause == "callback-error"
        assert [c.status for c in emu.timeline(bad).callbacks][0] == 401


def test_fallback_url_gets_the_answer_when_the_first_fails() -> None:
    app = WebhookApp()

    @app.route("/backup")
    def backup(event: Any) -> Response:
        return Response(SpeakSentence("from the backup"), Hangup())

    with VoiceEmulator(app=app, speed=100.0) as emu, emu.client() as client:
        url = emu.app_url or ""
        call_id = client.create_call(
            to=CALLEE,
            from_=CALLER,
            answer_url=f"{url}/missing",
            answer_fallback_url=f"{url}/backup",
            application_id="a",
        ).call_id
        emu.wait_for(call_id, state="disconnected")
        call = emu.timeline(call_id)
    call.assert_heard("from the backup")
    assert [(c.url.rsplit("/", 1)[1], c.status) for c in call.callbacks[:2]] == [
        ("missing", 404),
        ("backup", 200),
    ]


def test_callback_timeout_ends_the_call_with_callback_error() -> None:
    import threading

    release = threading.Event()
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        release.wait(10)
        return Response(Hangup())

    with VoiceEmulator(app=app, speed=100.0) as emu, emu.client() as client:
        call_id = client.create_call(
            to=CALLEE,
            from_=CALLER,
            answer_url=f"{emu.app_url}/answer",
            application_id="a",
            callback_timeout=1,
        ).call_id
        state = emu.wait_for(call_id, state="disconnected")
        release.set()
    assert state.disconnect_cause == "callback-error"
    assert (
        "timed out" in (state.error_message or "").lower()
        or "timeout" in (state.error_message or "").lower()
    )


def test_transfer_b_leg_is_a_call_of_the_account() -> None:
    from bxml import PhoneNumber, Transfer
    from callcontrol.testing import answers

    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(Transfer(PhoneNumber("+15550001111"), transfer_complete_url="/done"))

    @app.route("/done")
    def done(event: Any) -> Response:
        return Response(Hangup())

    with VoiceEmulator(app=app, speed=200.0) as emu, emu.client() as client:
        emu.destination("+15550001111", answers(after=1, hangs_up_after=5))
        call_id = _place(client, emu.app_url or "")
        emu.wait_for(call_id, state="disconnected")
        calls = list(client.list_calls())
    assert [c.call_id for c in calls][0] == call_id
    b_legs = [c for c in calls if c.parent_call_id == call_id]
    assert len(b_legs) == 1
    b_leg = b_legs[0]
    assert (b_leg.to, b_leg.state, b_leg.direction) == ("+15550001111", "disconnected", "outbound")
    assert b_leg.answer_time is not None
    # enqueuedTime: queued outbound calls only (voice-api §9.3); a B-leg is never queued.
    assert calls[0].enqueued_time is not None and b_leg.enqueued_time is None


@pytest.mark.parametrize(
    ("call_timeout", "answer_after", "cause"),
    [(5, None, "timeout"), (40, None, "timeout"), (5, 8.0, "timeout"), (10, 3.0, "hangup")],
)
def test_call_timeout_counts_for_a_callee_that_does_not_answer(
    call_timeout: int, answer_after: float | None, cause: str
) -> None:
    from callcontrol.testing import answers, no_answer

    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(Hangup())

    with VoiceEmulator(app=app, clock="manual") as emu, emu.client() as client:
        emu.destination(
            CALLEE, no_answer() if answer_after is None else answers(after=answer_after)
        )
        call_id = client.create_call(
            to=CALLEE,
            from_=CALLER,
            answer_url=f"{emu.app_url}/answer",
            application_id="a",
            call_timeout=call_timeout,
        ).call_id
        emu.advance(60)
        state = client.get_call_state(call_id)
    assert state.disconnect_cause == cause
    assert state.end_time is not None and state.start_time is not None
    if cause == "timeout":
        assert (state.end_time - state.start_time).total_seconds() == call_timeout


def test_answer_fallback_gets_the_fallback_credentials() -> None:
    main = WebhookApp(username="main", password="m-pass")
    backup = WebhookApp(username="backup", password="b-pass")

    @backup.route("/backup")
    def answer(event: Any) -> Response:
        return Response(SpeakSentence("backup here"), Hangup())

    with serve_wsgi(main) as main_url, serve_wsgi(backup) as backup_url:
        with VoiceEmulator(app=main_url, speed=100.0) as emu, emu.client() as client:
            call_id = client.create_call(
                to=CALLEE,
                from_=CALLER,
                application_id="a",
                answer_url=f"{main_url}/missing",
                username="main",
                password="m-pass",
                answer_fallback_url=f"{backup_url}/backup",
                fallback_username="backup",
                fallback_password="b-pass",
            ).call_id
            emu.wait_for(call_id, state="disconnected")
            call = emu.timeline(call_id)
    assert [c.status for c in call.callbacks[:2]] == [404, 200]
    call.assert_heard("backup here")


def test_same_transcript_as_the_simulator() -> None:
    """The emulator is a second driver of the simulator's engine: same story, other URLs."""
    from callcontrol.testing import CallSimulator

    app = ivr_app()
    script = [press("1")]
    simulated = CallSimulator(app, base_url="https://ivr.test").outbound(
        "/answer", to=CALLEE, from_=CALLER, script=script
    )
    with VoiceEmulator(app=app, clock="manual") as emu, emu.client() as client:
        emu.callee(CALLEE, script=script)
        call_id = client.create_call(
            to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}/answer", application_id="a"
        ).call_id
        emu.advance(60)
        emulated = emu.timeline(call_id)
        base = emu.app_url or ""

    def story(lines: list[str], root: str) -> list[str]:
        return [line.replace(root, "APP") for line in lines]

    assert story([e.render() for e in emulated.transcript], base) == story(
        [e.render() for e in simulated.transcript], "https://ivr.test"
    )
    assert emulated.heard == simulated.heard and emulated.pressed == simulated.pressed


def _amd_app(holder: dict[str, VoiceEmulator], results: list[str]) -> WebhookApp:
    """Hold the line; when machineDetectionComplete says a machine answered, leave a message."""
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        found = event.machine_detection_result
        if found is not None:
            return Response(SpeakSentence(f"Detected {found.value}."), Hangup())
        return Response(SpeakSentence("Please hold."), Pause(duration=30))

    @app.route("/amd")
    def amd(event: Any) -> None:
        results.append(event.machine_detection_result.value)
        if event.machine_detection_result.value == "answering-machine":
            emu = holder["emu"]
            with emu.client() as inner:
                inner.redirect(event.call_id, f"{emu.app_url}/message")

    @app.route("/message")
    def message(event: Any) -> Response:
        return Response(SpeakSentence("Sorry we missed you."), Hangup())

    @app.route("/disconnect")
    def disconnect(event: Any) -> None:
        return None

    return app


def test_async_machine_detection_lets_the_app_redirect_a_machine() -> None:
    holder: dict[str, VoiceEmulator] = {}
    results: list[str] = []
    with VoiceEmulator(app=_amd_app(holder, results), speed=100.0) as emu, emu.client() as client:
        holder["emu"] = emu
        emu.destination(CALLEE, machine())
        app_url = emu.app_url or ""
        detection = MachineDetectionConfiguration(callback_url=f"{app_url}/amd")
        call_id = _place(client, app_url, machine_detection=detection)
        state = emu.wait_for(call_id, state="disconnected")
        call = emu.timeline(call_id)
    assert results == ["answering-machine"]
    assert state.disconnect_cause == "hangup"
    call.assert_heard("Please hold.")
    call.assert_heard("Sorry we missed you.")
    events = [c.event_type for c in call.callbacks]
    # The redirect is made from inside the machineDetectionComplete handler, so which of
    # the two exchanges is recorded first depends on thread timing.
    assert events[0] == "answer" and events[-1] == "disconnect"
    assert sorted(events[1:-1]) == ["machineDetectionComplete", "redirect"]
    [complete] = [c for c in call.callbacks if c.event_type == "machineDetectionComplete"]
    assert complete.status in (200, 204)
    assert complete.payload["machineDetectionResult"] == {
        "value": "answering-machine",
        "duration": "PT10S",
    }


def test_sync_machine_detection_puts_the_result_in_the_answer_callback() -> None:
    holder: dict[str, VoiceEmulator] = {}
    with VoiceEmulator(app=_amd_app(holder, []), speed=100.0) as emu, emu.client() as client:
        emu.destination(CALLEE, machine("human", detected_after=2))
        app_url = emu.app_url or ""
        detection = MachineDetectionConfiguration(mode="sync")
        call_id = _place(client, app_url, machine_detection=detection)
        emu.wait_for(call_id, state="disconnected")
        call = emu.timeline(call_id)
    call.assert_heard("Detected human.")
    assert [c.event_type for c in call.callbacks] == ["answer", "disconnect"]
    assert call.callbacks[0].payload["machineDetectionResult"] == {
        "value": "human",
        "duration": "PT2S",
    }


def _recording_app(www_authenticate: bool = True) -> tuple[Any, list[tuple[str, str, bool]]]:
    """An app that wants ivr:pw; it records (method, path, had credentials) of each request."""
    seen: list[tuple[str, str, bool]] = []
    good = auth("ivr", "pw")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        authorization = environ.get("HTTP_AUTHORIZATION")
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], authorization is not None))
        if environ["PATH_INFO"] == "/missing":
            start_response("404 Not Found", [])
            return [b""]
        if authorization != good:
            challenge = [("WWW-Authenticate", 'Basic realm="ivr"')] if www_authenticate else []
            start_response("401 Unauthorized", challenge)
            return [b""]
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [Response(SpeakSentence("welcome"), Hangup()).to_bytes()]

    return app, seen


def test_callbacks_are_challenged_before_credentials_are_sent() -> None:
    # voice-api §9.2 "Authenticated Callbacks": no credentials until a 401 with
    # WWW-Authenticate; a 401 without it loses the callback.
    for www_authenticate, cause in ((True, "hangup"), (False, "callback-error")):
        app, seen = _recording_app(www_authenticate)
        with VoiceEmulator(app=app, speed=100.0) as emu, emu.client() as client:
            call_id = client.create_call(
                to=CALLEE,
                from_=CALLER,
                application_id="a",
                answer_url=f"{emu.app_url}/answer",
                username="ivr",
                password="pw",
            ).call_id
            state = emu.wait_for(call_id, state="disconnected")
        assert state.disconnect_cause == cause
        expected = [("POST", "/answer", False)]
        if www_authenticate:
            expected.append(("POST", "/answer", True))
        assert seen == expected


def test_fallback_methods_default_to_post_and_are_honoured() -> None:
    # voice-api §3 answerFallbackMethod and §6 redirectFallbackMethod, each POST by default
    # whatever the primary's method.
    app, seen = _recording_app()
    with VoiceEmulator(app=app, speed=100.0) as emu, emu.client() as client:
        for fallback_method in (None, "GET"):
            extra = {"answer_fallback_method": fallback_method} if fallback_method else {}
            call_id = client.create_call(
                to=CALLEE,
                from_=CALLER,
                application_id="a",
                answer_url=f"{emu.app_url}/missing",
                answer_method="GET",
                answer_fallback_url=f"{emu.app_url}/answer",
                fallback_username="ivr",
                fallback_password="pw",
                **extra,
            ).call_id
            emu.wait_for(call_id, state="disconnected")
    methods = [(method, path) for method, path, _ in seen]
    assert methods == [
        ("GET", "/missing"), ("POST", "/answer"), ("POST", "/answer"),
        ("GET", "/missing"), ("GET", "/answer"), ("GET", "/answer"),
    ]  # fmt: skip


def test_redirect_fallback_method_is_honoured_and_a_b_leg_is_updated_by_its_id() -> None:
    # voice-api §6: redirectFallbackMethod (POST by default); updateCall takes any call id,
    # a Transfer B-leg's too (register: b-leg-update).
    from bxml import PhoneNumber, Transfer
    from callcontrol.testing import answers

    app = WebhookApp()
    moved: list[tuple[str, str]] = []

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(Transfer(PhoneNumber("+15550001111"), transfer_complete_url="/done"))

    @app.route("/done")
    def done(event: Any) -> Response:
        return Response(Hangup())

    @app.route("/agent")
    def agent(event: Any) -> Response:
        moved.append((event.call_id, event.event_type))
        return Response(SpeakSentence("for the agent"), Hangup())

    with VoiceEmulator(app=app, clock="manual") as emu, emu.client() as client:
        emu.destination("+15550001111", answers(after=1, hangs_up_after=100))
        call_id = _place(client, emu.app_url or "")
        emu.advance(5)
        [b_leg] = [c.call_id or "" for c in client.list_calls() if c.parent_call_id == call_id]
        client.redirect(
            b_leg,
            f"{emu.app_url}/gone",
            method="GET",
            fallback_url=f"{emu.app_url}/agent",
            fallback_method="GET",
        )
        emu.advance(30)
        a_state, b_state = client.get_call_state(call_id), client.get_call_state(b_leg)
        callbacks = emu.timeline(call_id).callbacks
    assert moved == [(b_leg, "redirect")]
    assert [(c.url.split("?")[0].rsplit("/", 1)[1], c.method) for c in callbacks if c.event_type == "redirect"] == [
        ("gone", "GET"),
        ("agent", "GET"),
    ]  # fmt: skip
    assert (a_state.state, b_state.state) == ("disconnected", "disconnected")


def test_transfer_b_leg_callbacks_name_the_emulator_not_bandwidth() -> None:
    # voice-api §3: callUrl is where the call lives, so here it is the emulator's URL.
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        return Response(Transfer(PhoneNumber("+15550009999", transfer_answer_url="/whisper")))

    @app.route("/whisper")
    def whisper(event: Any) -> Response:
        return Response(SpeakSentence("A caller for you."))

    with (
        serve_wsgi(app) as url,
        VoiceEmulator(app=url, speed=1000.0) as emu,
        emu.client() as client,
    ):
        emu.destination("+15550009999", answers(hangs_up_after=1.0))
        call_id = _place(client, url)
        emu.wait_for(call_id, state="disconnected")
        call = emu.timeline(call_id)
    whisper_calls = [c for c in call.callbacks if c.event_type == "transferAnswer"]
    assert whisper_calls
    for callback in call.callbacks:
        assert callback.payload["callUrl"].startswith(emu.base_url + "/accounts/")
    assert any(e["type"] == "Dialled" for e in (o.to_json() for o in call.observations))
