"""VoiceEmulator(app=...) hosts an ASGI app on its loopback port, as it hosts a WSGI app:
real HTTP callbacks, the app's failures raised on close, its event loop stopped with it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bxml import Hangup, Response, SpeakSentence
from callcontrol import Event, WebhookApp
from callcontrol.emulator import EmulatorError, VoiceEmulator

from .helpers import CALLEE, CALLER


def place(emu: VoiceEmulator, path: str = "/answer") -> str:
    created = emu.client().create_call(
        to=CALLEE, from_=CALLER, answer_url=f"{emu.app_url}{path}", application_id="a"
    )
    return created.call_id


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "emulator-asgi-app"]


def test_an_async_handler_answers_over_real_http_and_the_loop_stops_on_close() -> None:
    app = WebhookApp()

    @app.route("/answer")
    async def answer(event: Event) -> Response:
        return Response(SpeakSentence("Hello over ASGI."), Hangup())

    before = len(loop_threads())
    with VoiceEmulator(app=app.asgi, speed=100.0) as emu:
        assert len(loop_threads()) == before + 1
        call_id = place(emu)
        emu.wait_for(call_id, state="disconnected")
        emu.timeline(call_id).assert_heard("Hello over ASGI.")
    assert len(loop_threads()) == before


def test_a_handler_failure_hidden_by_the_fallback_is_raised_on_close() -> None:
    app = WebhookApp()

    @app.route("/answer")
    async def answer(event: Event) -> Response:
        raise KeyError("digits")

    emu = VoiceEmulator(app=app.asgi, speed=100.0)
    call_id = place(emu)
    emu.wait_for(call_id, state="disconnected")
    assert "We are sorry" in " ".join(emu.timeline(call_id).heard)
    with pytest.raises(EmulatorError, match=r"the app's handler raised on POST /answer"):
        emu.close()


def test_an_asgi_app_that_raises_is_raised_on_close() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise LookupError("no route table")

    emu = VoiceEmulator(app=app, speed=100.0)
    call_id = place(emu)
    assert emu.wait_for(call_id, state="disconnected").disconnect_cause == "callback-error"
    with pytest.raises(EmulatorError, match="LookupError"):
        emu.close()


def test_a_starlette_app_is_hosted_with_its_own_routing() -> None:
    starlette = pytest.importorskip("starlette.applications")
    from starlette.requests import Request
    from starlette.responses import Response as StarletteResponse
    from starlette.routing import Route

    async def answer(request: Request) -> StarletteResponse:
        event = await request.json()
        document = Response(SpeakSentence(f"Hello {request.path_params['who']}."), Hangup())
        assert event["eventType"] == "answer"
        return StarletteResponse(document.to_bytes(), media_type="application/xml")

    app = starlette.Starlette(routes=[Route("/answer/{who}", answer, methods=["POST"])])
    with VoiceEmulator(app=app, speed=100.0) as emu:
        call_id = place(emu, "/answer/ada")
        emu.wait_for(call_id, state="disconnected")
        emu.timeline(call_id).assert_heard("Hello ada.")
