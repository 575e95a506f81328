"""A WebhookApp's handler failures reach every driver in process, as a raw app's do.

WebhookApp answers a failing handler with its fallback apology (200), which is right in
production; a driver that puts a list under ``APP_ERRORS_KEY`` in the environ hears of the
failure and raises it (or, with ``raise_app_errors=False``, sees Bandwidth's view).
"""

from __future__ import annotations

from typing import Any

import pytest

from bxml import Gather, Hangup, Response, SpeakSentence
from callcontrol import GatherEvent, WebhookApp
from callcontrol.testing import (
    AppError,
    CallSimulator,
    assert_no_dead_ends,
    explore,
    press,
)
from callcontrol.webhooks import APP_ERRORS_KEY, DEFAULT_FALLBACK_TEXT, app_failures

BASE = "https://ivr.test"


def webhook_ivr(choice: Any) -> WebhookApp:
    """A menu whose gather handler is ``choice``."""
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: Any) -> Response:
        prompt = SpeakSentence("Press 1.")
        return Response(Gather(prompt, gather_url="/choice", max_digits=1, first_digit_timeout=3))

    app.route("/choice")(choice)
    return app


def raises(event: GatherEvent) -> Response:
    return Response(SpeakSentence({"1": "sales"}[event.digits or ""]), Hangup())


def bare_verb(event: GatherEvent) -> Any:
    return SpeakSentence("a verb, not a document")


def invalid(event: GatherEvent) -> str:
    return "<Response><Gather maxDigits='99'/></Response>"


def test_a_handler_exception_is_raised_in_the_test_with_the_request():
    sim = CallSimulator(webhook_ivr(raises), base_url=BASE)
    with pytest.raises(
        AppError, match=r"KeyError on POST https://ivr.test/choice \(gather\)"
    ) as info:
        sim.inbound("/answer", script=[press("2")])
    assert info.value.kind == "app-error"
    assert info.value.request.event_type == "gather"
    assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.parametrize("handler", [bare_verb, invalid])
def test_a_reply_that_is_not_a_document_is_raised_as_invalid_bxml(handler):
    sim = CallSimulator(webhook_ivr(handler), base_url=BASE)
    with pytest.raises(AppError, match=r"reply to POST https://ivr.test/choice") as info:
        sim.inbound("/answer", script=[press("1")])
    assert info.value.kind == "invalid-bxml"


def test_without_raising_the_call_runs_as_on_bandwidth_with_the_fallback():
    # raise_app_errors=False is Bandwidth's view: the fallback apology, then the hangup; the
    # transcript still says what the apology covered.
    sim = CallSimulator(webhook_ivr(raises), base_url=BASE, raise_app_errors=False)
    call = sim.inbound("/answer", script=[press("2")])
    call.assert_heard(DEFAULT_FALLBACK_TEXT)
    call.assert_ended("hangup")
    assert "app-error" in [entry.kind for entry in call.transcript]
    assert "KeyError" in str(call)


def test_explore_reports_app_error_and_invalid_bxml_of_a_webhook_app():
    for handler, kind in ((raises, "app-error"), (bare_verb, "invalid-bxml")):
        graph = explore(webhook_ivr(handler))
        found = sorted({f.kind for f in graph.findings})
        assert kind in found, (handler.__name__, found)
        with pytest.raises(AssertionError, match=kind):
            assert_no_dead_ends(webhook_ivr(handler), ignore=["no-timeout-branch"])


def test_a_working_webhook_app_has_no_findings():
    def fine(event: GatherEvent) -> Response:
        return Response(SpeakSentence("Thank you."), Hangup())

    graph = assert_no_dead_ends(webhook_ivr(fine), ignore=["no-timeout-branch"])
    assert graph.findings == [] or {f.kind for f in graph.findings} == {"no-timeout-branch"}


def test_production_keeps_the_fallback_and_other_frameworks_may_report_too():
    # No list in the environ (a real WSGI server): nothing is reported anywhere.
    assert app_failures(None) == []
    error = ValueError("boom")
    assert app_failures([error, ("invalid-bxml", error)]) == [
        ("app-error", error),
        ("invalid-bxml", error),
    ]
    [(kind, problem)] = app_failures(["not an exception"])
    assert kind == "app-error" and APP_ERRORS_KEY in str(problem)

    def flask_like(environ, start_response):
        environ[APP_ERRORS_KEY].append(RuntimeError("handled by the framework"))
        start_response("500 Internal Server Error", [])
        return [b""]

    with pytest.raises(AppError, match="RuntimeError") as info:
        CallSimulator(flask_like, base_url=BASE).inbound("/answer")
    assert str(info.value.__cause__) == "handled by the framework"


def test_a_5xx_answer_is_an_app_error_and_explore_says_so_briefly():
    # How Flask or Django answer an exception: all that can be known is the 500.
    def framework_app(environ, start_response):
        start_response("500 Internal Server Error", [("Content-Type", "text/html")])
        return [b"<h1>Internal Server Error</h1>"]

    with pytest.raises(
        AppError, match=r"answered HTTP 500 on POST https://ivr.test/answer"
    ) as info:
        CallSimulator(framework_app, base_url=BASE).inbound("/answer")
    assert (info.value.kind, info.value.status) == ("app-error", 500)
    call = CallSimulator(framework_app, base_url=BASE, raise_app_errors=False).inbound("/answer")
    call.assert_ended("callback-error")
    [finding] = explore(framework_app).findings
    assert (finding.kind, finding.message) == (
        "app-error",
        "POST /answer (initiate) answered HTTP 500",
    )
