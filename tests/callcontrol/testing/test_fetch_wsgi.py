"""What an in-process WSGI app is given (PEP 3333) and what the router keeps of its failures.

The environ is compared key by key, as a WSGI server fills it; ``Exchange.failures`` (the
failures an app reported while its fallback reply went out, ``raise_app_errors=False``) and
the result each path returns are compared exactly, over WSGI, ASGI and real HTTP.
"""

from __future__ import annotations

import dataclasses
import io
import sys
from collections.abc import Callable
from typing import Any

import pytest

from callcontrol.engine import CallbackRequest, Credentials, FetchResult, Target
from callcontrol.testing import fetch
from callcontrol.testing.fetch import SIMULATOR_USER_AGENT, AppError, Exchange, Router
from callcontrol.webhooks import APP_ERRORS_KEY

from ..fake_voice_api import serve

BASE = "https://ivr.test"
PAYLOAD = {"eventType": "initiate", "callId": "c-1"}
BODY = b'{"eventType":"initiate","callId":"c-1"}'
WHERE = "POST https://ivr.test/answer (initiate)"
HANGUP = b"<Response><Hangup/></Response>"

StartResponse = Callable[..., Any]


def request(
    url: str = BASE + "/answer", method: str = "POST", credentials: Credentials | None = None
) -> CallbackRequest:
    target = Target(url, method, credentials)  # type: ignore[arg-type]
    return CallbackRequest(1, "c-1", "initiate", dict(PAYLOAD), target, synchronous=True)


class Keeper:
    """A WSGI app that keeps each environ (and its body) and answers ``status``."""

    def __init__(self, status: str = "200 OK", challenge: bool = False) -> None:
        self.status, self.challenge = status, challenge
        self.environs: list[dict[str, Any]] = []
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        self.environs.append(dict(environ))
        self.bodies.append(environ["wsgi.input"].read())
        if self.challenge and "HTTP_AUTHORIZATION" not in environ:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="ivr"')])
            return [b""]
        start_response(self.status, [("Content-Type", "application/xml")])
        return [HANGUP]


def send(app: Any, req: CallbackRequest | None = None, raise_errors: bool = False) -> Exchange:
    return Router(app, BASE, raise_errors, timeout=30).send(req or request())


def plain(environ: dict[str, Any]) -> dict[str, Any]:
    """The environ without its streams and the driver's error list (compared on their own)."""
    return {k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors")}


# PEP 3333 "environ Variables": what a WSGI server gives every request.
def test_a_post_callback_gets_every_cgi_and_wsgi_variable() -> None:
    app = Keeper()
    exchange = send(app, request(BASE + "/answer%20now?x=1&y=2"))
    [environ] = app.environs
    assert plain(environ) == {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/answer now",
        "QUERY_STRING": "x=1&y=2",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(BODY)),
        "SERVER_NAME": "ivr.test",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "ivr.test",
        "HTTP_USER_AGENT": SIMULATOR_USER_AGENT,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        APP_ERRORS_KEY: [],
    }
    assert environ["wsgi.errors"] is sys.stderr
    assert isinstance(environ["wsgi.input"], io.BytesIO)
    assert app.bodies == [BODY] and exchange.body == BODY
    assert exchange.result == FetchResult(200, HANGUP)
    assert exchange.failures == ()


def test_a_get_callback_has_no_body_type_and_an_empty_length() -> None:
    # PEP 3333: CONTENT_TYPE and CONTENT_LENGTH "may be empty or absent".
    app = Keeper()
    router = Router(app, "http://ivr.test:8080", False, timeout=30)
    router.send(request("http://ivr.test:8080/menu", method="GET"))
    [environ] = app.environs
    assert "CONTENT_TYPE" not in environ
    assert environ["CONTENT_LENGTH"] == "" and app.bodies == [b""]
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["QUERY_STRING"] == "eventType=initiate&callId=c-1"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("ivr.test", "8080")
    assert (environ["HTTP_HOST"], environ["wsgi.url_scheme"]) == ("ivr.test:8080", "http")


@pytest.mark.parametrize(
    ("url", "port", "path"),
    [("http://ivr.test", "80", "/"), ("https://ivr.test", "443", "/")],
)
def test_the_default_port_and_the_root_path(url: str, port: str, path: str) -> None:
    # PEP 3333: PATH_INFO of the app's root; SERVER_PORT is never empty.
    app = Keeper()
    Router(app, url, False, timeout=30).send(request(url))
    [environ] = app.environs
    assert (environ["SERVER_PORT"], environ["PATH_INFO"], environ["SERVER_NAME"]) == (
        port,
        path,
        "ivr.test",
    )


def test_a_url_without_a_host_is_served_as_localhost() -> None:
    # PEP 3333: SERVER_NAME is never empty; with no host in the URL it is the local one.
    app = Keeper()
    Router(app, "http://", False, timeout=30).send(request("http:///answer"))
    [environ] = app.environs
    assert (environ["SERVER_NAME"], environ["HTTP_HOST"]) == ("localhost", "")


def test_credentials_go_only_in_answer_to_the_challenge() -> None:
    # voice-api §9.2: the first attempt never carries them.
    app = Keeper(challenge=True)
    exchange = send(app, request(credentials=Credentials("u", "p")))
    first, second = app.environs
    assert "HTTP_AUTHORIZATION" not in first
    assert second["HTTP_AUTHORIZATION"] == "Basic dTpw"
    assert exchange.result == FetchResult(200, HANGUP, challenged=True)


def test_each_callback_gets_an_environ_of_its_own() -> None:
    # An app that changes its environ changes nothing the next callback gets.
    def scribbler(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        seen.append(environ.get("x.scribbled"))
        environ["x.scribbled"] = True
        environ["PATH_INFO"] = "/elsewhere"
        start_response("200 OK", [])
        return [HANGUP]

    seen: list[object] = []
    router = Router(scribbler, BASE, False, timeout=30)
    router.send(request())
    router.send(request())
    assert seen == [None, None]


def test_the_iterable_is_closed_even_when_reading_it_fails() -> None:
    # PEP 3333: the server calls close() on the iterable "upon completion of the request,
    # whether the request was completed normally, or terminated early due to an error".
    closed: list[str] = []

    class Reply:
        def __init__(self, fail: bool) -> None:
            self.fail = fail

        def __iter__(self) -> Any:
            if self.fail:
                raise RuntimeError("broken stream")
            yield HANGUP

        def close(self) -> None:
            closed.append("failed" if self.fail else "fine")

    def app(fail: bool) -> Any:
        def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Reply:
            start_response("200 OK", [])
            return Reply(fail)

        return wsgi

    assert send(app(False)).result == FetchResult(200, HANGUP)
    exchange = send(app(True))
    assert closed == ["fine", "failed"]
    assert exchange.failures == (
        ("app-error", f"the app raised RuntimeError on {WHERE}: broken stream"),
    )


# Exchange.failures: what the fallback reply covers up, kept exactly.
def raising(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    raise LookupError("no such caller")


def reporting(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    environ[APP_ERRORS_KEY].append(("invalid-bxml", ValueError("not a <Response>")))
    environ[APP_ERRORS_KEY].append(KeyError("digits"))
    start_response("200 OK", [])
    return [HANGUP]


def test_an_app_that_raises_answered_500_and_the_failure_is_kept() -> None:
    exchange = send(raising)
    assert exchange.result == FetchResult(500, b"", None)
    assert exchange.failures == (
        ("app-error", f"the app raised LookupError on {WHERE}: no such caller"),
    )
    with pytest.raises(AppError) as raised:
        send(raising, raise_errors=True)
    assert str(raised.value) == f"the app raised LookupError on {WHERE}: no such caller"
    assert (raised.value.kind, raised.value.status) == ("app-error", None)
    assert isinstance(raised.value.__cause__, LookupError)


def test_every_reported_failure_is_kept_in_order_with_the_reply() -> None:
    exchange = send(reporting)
    assert exchange.result == FetchResult(200, HANGUP)
    assert exchange.failures == (
        (
            "invalid-bxml",
            f"the app's reply to {WHERE} is not a valid <Response>: not a <Response>",
        ),
        ("app-error", f"the app raised KeyError on {WHERE}: 'digits'"),
    )
    with pytest.raises(AppError) as raised:
        send(reporting, raise_errors=True)
    assert raised.value.kind == "invalid-bxml"


def test_a_status_line_without_a_code_is_a_failure_with_no_status() -> None:
    message = f"the app answered {WHERE} with the WSGI status 'OK'; it must start with a "
    message += "3-digit code, like '200 OK'"
    exchange = send(Keeper("OK"))
    assert exchange.result == FetchResult(None, b"", message)
    assert exchange.failures == (("app-error", message),)


@pytest.mark.parametrize(
    ("status", "failed"), [("499 Client Closed", False), ("500 Oops", True), ("599 X", True)]
)
def test_a_5xx_and_nothing_below_it_is_an_app_error(status: str, failed: bool) -> None:
    code = int(status[:3])
    exchange = send(Keeper(status))
    assert exchange.result == FetchResult(code, HANGUP)
    message = f"the app answered HTTP {code} on {WHERE}"
    assert exchange.failures == ((("app-error", message),) if failed else ())
    if failed:
        with pytest.raises(AppError) as raised:
            send(Keeper(status), raise_errors=True)
        hint = "; with raise_app_errors=False the fallback URL takes over, as on Bandwidth"
        assert str(raised.value) == message + hint
        assert (raised.value.kind, raised.value.status) == ("app-error", code)


def test_an_unserved_url_is_unreachable_and_names_the_host() -> None:
    exchange = send(Keeper(), request("https://other.test:8443/answer"))
    reason = "unreachable: no app serves https://other.test:8443"
    assert exchange.result == FetchResult(None, b"", reason)
    assert (exchange.url, exchange.body, exchange.failures) == (
        "https://other.test:8443/answer",
        BODY,
        (),
    )


@pytest.mark.parametrize(("code", "failed"), [(499, False), (500, True), (503, True)])
def test_over_http_a_5xx_and_nothing_below_it_is_an_app_error(code: int, failed: bool) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response(f"{code} Status", [("Content-Type", "application/xml")])
        return [HANGUP]

    with serve(app) as base:
        exchange = Router(base, BASE, False, timeout=30).send(request())
    assert (exchange.result.status, exchange.result.body) == (code, HANGUP)
    # The message names the URL the request went to.
    message = f"the app answered HTTP {code} on POST {base}/answer (initiate)"
    assert exchange.failures == ((("app-error", message),) if failed else ())


# The same over ASGI.
def asgi_app(status: int = 200, fail: bool = False, report: bool = False) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        if fail:
            raise LookupError("no such caller")
        if report:
            scope["extensions"][APP_ERRORS_KEY].append(KeyError("digits"))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": HANGUP})

    return app


@pytest.mark.parametrize(("status", "failed"), [(499, False), (500, True)])
def test_over_asgi_a_5xx_and_nothing_below_it_is_an_app_error(status: int, failed: bool) -> None:
    exchange = send(asgi_app(status))
    assert exchange.result == FetchResult(status, HANGUP)
    message = f"the app answered HTTP {status} on {WHERE}"
    assert exchange.failures == ((("app-error", message),) if failed else ())


def test_over_asgi_an_app_that_raises_answered_500_and_the_failure_is_kept() -> None:
    exchange = send(asgi_app(fail=True))
    assert exchange.result == FetchResult(500, b"", None)
    assert exchange.failures == (
        ("app-error", f"the app raised LookupError on {WHERE}: no such caller"),
    )


def test_over_asgi_a_reported_failure_is_kept_with_the_reply() -> None:
    exchange = send(asgi_app(report=True))
    assert exchange.result == FetchResult(200, HANGUP)
    assert exchange.failures == (("app-error", f"the app raised KeyError on {WHERE}: 'digits'"),)


def test_over_asgi_a_response_never_finished_is_a_failure_with_no_status() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    message = (
        f"the app returned from {WHERE} without a whole response "
        "(http.response.start, then http.response.body without more_body)"
    )
    exchange = send(app)
    assert exchange.result == FetchResult(None, b"", message)
    assert exchange.failures == (("app-error", message),)


def test_an_app_that_never_starts_the_response_answered_500() -> None:
    # A WSGI server answers 500 for an app that returns without calling start_response.
    def silent(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        return []

    exchange = send(silent)
    assert exchange.result == FetchResult(500, b"")
    assert exchange.failures == (("app-error", f"the app answered HTTP 500 on {WHERE}"),)


def test_the_status_lines_kept_are_bounded() -> None:
    # Status lines already read are kept to read them once; an app answering with ever new
    # reason phrases must not grow that without bound.
    for n in range(300):
        assert send(Keeper(f"200 OK {n}")).result.status == 200
    assert len(fetch._CODES) <= 256


def test_an_exchange_is_a_record_that_cannot_change() -> None:
    exchange = send(Keeper())
    with pytest.raises(dataclasses.FrozenInstanceError):
        exchange.failures = (("app-error", "late"),)  # type: ignore[misc]


def test_a_mount_wins_over_the_app_it_was_mounted_under() -> None:
    # Router.mount: URLs under the prefix go to the mounted app, the latest mount first.
    main, agents, supervisors = Keeper(), Keeper(), Keeper()
    router = Router(main, BASE, False, timeout=30)
    router.mount(BASE + "/agents", agents)
    router.mount(BASE + "/agents/lead", supervisors)
    router.send(request(BASE + "/agents/x"))
    router.send(request(BASE + "/agents/lead/y"))
    router.send(request(BASE + "/answer"))
    paths = [[e["PATH_INFO"] for e in app.environs] for app in (main, agents, supervisors)]
    assert paths == [["/answer"], ["/agents/x"], ["/agents/lead/y"]]
