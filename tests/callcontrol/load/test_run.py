"""callcontrol.load.run against real servers on 127.0.0.1 (waitress), and its checks."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from callcontrol.load import LoadReport, run
from callcontrol.testing import press, silence
from examples.ivr import app as ivr

from . import apps

FAST = 200.0  # speed: the flow's own time 200 times faster (the IVR's speech and recording)


def test_200_calls_at_concurrency_50_against_the_example_ivr_all_complete():
    # Each caller leaves a message (2): answer, menu-choice, recorded, recording-ready.
    report = run(ivr, calls=200, concurrency=50, script=[press("2")], speed=FAST)
    assert report.ok, report.table()
    assert (report.calls, report.completed, report.failed) == (200, 200, {})
    assert report.errors == {} and report.too_slow == 0
    assert report.callbacks == 800
    counts = {path: stats.count for path, stats in report.latency.items()}
    assert counts == {
        "/answer": 200,
        "/menu-choice": 200,
        "/recorded": 200,
        "/recording-ready": 200,
    }
    for stats in (*report.latency.values(), report.overall):
        assert 0 <= stats.p50 <= stats.p95 <= stats.p99 <= stats.max
    assert report.overall.count == 800 and report.overall.path == "(all)"
    assert report.overall.max == max(stats.max for stats in report.latency.values())


def test_a_script_function_gives_each_call_its_own_steps():
    def script(number: int) -> list[Any]:
        return [press("2")] if number % 2 else [silence()]

    report = run(ivr, calls=10, concurrency=4, script=script, speed=FAST)
    assert report.ok, report.table()
    assert report.latency["/menu-choice"].count == 10
    assert report.latency["/recorded"].count == 5  # only the odd calls left a message


def test_a_reply_slower_than_the_callback_timeout_is_too_slow_and_fails_the_call():
    report = run(apps.slow, calls=2, concurrency=2, callback_timeout=1.0)
    assert report.too_slow == 2
    assert report.errors == {"timeout": 2}
    assert report.failed == {"callback-error": 2} and report.completed == 0
    assert report.latency["/answer"].too_slow == 2
    assert report.latency["/answer"].max >= 1.0  # counted with the time waited
    assert not report.ok
    assert "no reply within 1 s" in report.error_examples["timeout"]


def test_http_errors_are_counted_by_status_and_fail_the_call():
    report = run(apps.failing, calls=3, concurrency=3)
    assert report.errors == {"HTTP 500": 3}
    assert report.failed == {"callback-error": 3}
    assert report.too_slow == 0 and report.latency["/answer"].errors == 3


def test_invalid_bxml_is_counted_against_the_callback_that_returned_it():
    report = run(apps.invalid, calls=2, concurrency=1)
    assert report.errors == {"invalid BXML": 2}
    assert report.failed == {"invalid-bxml": 2}
    assert report.latency["/answer"].errors == 2 and report.latency["/answer"].count == 2
    assert "Bogus" in report.error_examples["invalid BXML"]


def test_a_callback_to_another_host_is_a_connection_error():
    report = run(apps.elsewhere, calls=1, concurrency=1)
    # A synchronous callback that meets a connection error is sent once more before the
    # call fails (assumption sync-connection-retry): two attempts, both counted.
    assert report.errors == {"connection": 2}
    assert (
        "https://other.test/next is not on the target server" in report.error_examples["connection"]
    )
    assert report.failed == {"callback-error": 1}


def test_a_closed_port_is_a_connection_error_on_every_call():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = run(f"http://127.0.0.1:{port}", calls=2, concurrency=2)
    # Each call's first callback is tried twice (assumption sync-connection-retry).
    assert report.errors == {"connection": 4} and report.failed == {"callback-error": 2}
    assert report.latency["/answer"].count == 0  # never reached a server: not timed


def test_credentials_answer_the_challenge_as_bandwidth_does():
    """voice-api §9.2: sent without credentials, repeated with them after a challenge."""
    good = run(apps.guarded, calls=2, concurrency=2, username="ivr", password="hunter2")
    assert good.ok, good.table()
    bad = run(apps.guarded, calls=1, concurrency=1)
    assert bad.errors == {"HTTP 401": 1}
    # A 401 without WWW-Authenticate is final: the credentials are never sent.
    lost = run(
        apps.guarded_without_challenge, calls=1, concurrency=1, username="ivr", password="hunter2"
    )
    assert lost.errors == {"HTTP 401": 1}
    assert "hunter2" not in repr(good) + good.table() + json.dumps(good.to_dict())


def test_a_base_url_target_and_a_rate():
    from callcontrol.load.serve import serve

    with serve(apps.fixed, 4) as base:
        report = run(base + "/", calls=6, concurrency=3, rate=1000.0)
    assert report.ok and report.latency["/answer"].count == 6


def test_the_report_as_dict_and_table():
    report = run(apps.fixed, calls=3, concurrency=2)
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["calls"] == 3 and data["ok"] is True
    assert data["latency"]["/answer"]["count"] == 3
    assert set(data["latency"]["/answer"]) == {
        "path", "count", "p50", "p95", "p99", "max", "errors", "too_slow"
    }  # fmt: skip
    table = report.table()
    assert table.splitlines()[0] == "calls 3: 3 completed, 0 failed"
    assert "/answer" in table and "p99 ms" in table
    assert table.splitlines()[-1].split()[:2] == ["(all)", "3"]
    assert data["overall"]["count"] == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"calls": 0}, "calls must be a whole number of 1 or more, not 0"),
        ({"concurrency": True}, "concurrency must be a whole number of 1 or more, not True"),
        ({"rate": -1}, "rate must be calls per second above 0 (or None), not -1"),
        ({"speed": 0}, "speed must be a finite number above 0, not 0"),
        ({"callback_timeout": 30}, "callback_timeout must be 1 to 25 seconds"),
        ({"username": "ivr"}, "username and password go together"),
        ({"entry": "answer"}, "entry must be a URL path starting with '/', not 'answer'"),
        ({"script": [1]}, "script[0]: 1 is not a step"),
        ({"destinations": {"+1555": 3}}, "destinations['+1555']: 3 is not a destination"),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(kwargs, message):
    arguments: dict[str, Any] = {"calls": 1, "concurrency": 1, **kwargs}
    with pytest.raises((TypeError, ValueError), match=re.escape(message)):
        run("http://127.0.0.1:9", **arguments)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("ftp://127.0.0.1", "the target must be an http:// or https:// base URL"),
        ("http://127.0.0.1/?q=1", "takes no query or fragment"),
        (42, "target must be a base URL or a WSGI app, not int"),
    ],
)
def test_bad_targets_are_refused(target, message):
    with pytest.raises((TypeError, ValueError), match=message):
        run(target, calls=1, concurrency=1)


def test_an_asgi_app_is_served_by_uvicorn_for_the_run():
    pytest.importorskip("uvicorn")
    from examples.fastapi_ivr import api

    # Each caller asks for the order status: answer, then choice (a mounted, async route).
    report = run(
        api,
        calls=20,
        concurrency=5,
        script=[press("1")],
        entry="/voice/answer",
        username="order-line",
        password="change-me",
        speed=FAST,
    )
    assert report.ok, report.table()
    assert (report.calls, report.completed, report.errors) == (20, 20, {})
    counts = {path: stats.count for path, stats in report.latency.items()}
    assert counts == {"/voice/answer": 20, "/voice/choice": 20}


def test_a_bare_asgi_callable_is_served_too():
    pytest.importorskip("uvicorn")
    body = b'<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>'

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await receive()
        headers = [(b"content-type", b"application/xml")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    report = run(asgi, calls=3, concurrency=3, speed=FAST)
    assert (report.completed, report.errors) == (3, {}), report.table()


def test_a_bad_script_function_stops_the_run_with_its_number():
    with pytest.raises(TypeError, match=r"script\(0\) returned a bad script"):
        run(apps.fixed, calls=1, concurrency=1, script=lambda number: "1")  # type: ignore[arg-type,return-value]


def test_report_is_exported():
    assert LoadReport.__doc__ and run.__doc__


def test_a_disconnect_path_gets_every_calls_disconnect_callback():
    # voice-api §9.1: disconnect is an asynchronous webhook; the IVR answers it 204.
    report = run(ivr, calls=4, concurrency=2, script=[silence()], speed=FAST, disconnect="/gone")
    assert report.ok, report.table()
    assert report.latency["/gone"].count == 4
    with pytest.raises(ValueError, match="disconnect must be a URL path starting with '/'"):
        run(ivr, calls=1, concurrency=1, disconnect="gone")
