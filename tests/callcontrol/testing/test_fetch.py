"""Callbacks under a wall-clock bound: over HTTP a total deadline and a 64 KB + 1 read limit;
in process, a hung app is interrupted and named instead of hanging the test forever.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest

from callcontrol.testing import CallSimulator
from callcontrol.testing.fetch import AppError, _WallGuard

from ..emulator.rawserver import endless, raw_server, trickle

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "setitimer"), reason="the in-process guard needs POSIX signals"
)


def hung_app(release: threading.Event) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait()  # never set while the test waits: only the guard ends this
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [b"<Response><Hangup/></Response>"]

    return app


def test_an_in_process_app_that_never_returns_is_named_not_waited_for() -> None:
    release = threading.Event()
    try:
        sim = CallSimulator(hung_app(release), timeout=1.0)
        with pytest.raises(AppError) as raised:
            sim.inbound("/answer")
    finally:
        release.set()
    assert str(raised.value) == (
        "the app did not answer POST https://app.test/answer (initiate) within 1 s of wall "
        "time (the simulator's timeout=); it was interrupted"
    )
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, _WallGuard._fire)


def test_an_app_that_swallows_exceptions_is_still_interrupted() -> None:
    def stubborn(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        while True:
            try:
                time.sleep(10)
            except Exception:  # the guard's interruption is not an Exception
                continue

    sim = CallSimulator(stubborn, timeout=0.3)
    with pytest.raises(AppError, match="within 0.3 s of wall time"):
        sim.inbound("/answer")


def test_the_guard_stands_aside_for_another_alarm_handler() -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: seen.append(signum))
    try:
        sim = CallSimulator(lambda e, s: (s("200 OK", []), [b"<Response/>"])[1], timeout=0.3)
        sim.inbound("/answer")
        assert signal.getsignal(signal.SIGALRM) is not _WallGuard._fire
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_a_quick_app_is_untouched_and_the_alarm_is_given_back() -> None:
    def quick(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [b"<Response><Hangup/></Response>"]

    for _ in range(50):
        call = CallSimulator(quick, timeout=0.2).inbound("/answer")
        assert call.state == "disconnected"
    deadline = time.monotonic() + 10
    while signal.getsignal(signal.SIGALRM) is _WallGuard._fire and time.monotonic() < deadline:
        time.sleep(0.05)  # the idle alarm fires within the timeout and hands SIGALRM back
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_over_http_a_trickling_reply_meets_the_total_deadline() -> None:
    with raw_server(trickle(every=0.05)) as base:
        call = CallSimulator(base, timeout=0.5).inbound("/answer")
    assert call.disconnect_cause == "callback-error"


def test_over_http_a_reply_is_read_up_to_64_kb_plus_one() -> None:
    with raw_server(endless()) as base:
        call = CallSimulator(base, timeout=10).inbound("/answer")
    assert "the reply is 65537 bytes; at most 65536" in str(call)


def test_no_alarm_outlives_the_interpreter() -> None:
    # Python gives SIGALRM its default action while it shuts down; an alarm still armed then
    # killed the test run with status 142 after every test had passed.
    import subprocess
    import sys

    script = (
        "import atexit, time\n"
        "from callcontrol.testing import CallSimulator\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'application/xml')])\n"
        "    return [b'<Response><Hangup/></Response>']\n"
        "atexit.register(time.sleep, 1.0)  # runs last: a slow shutdown\n"
        "CallSimulator(app, timeout=0.5).inbound('/answer')\n"
        "import signal\n"
        "atexit.register(lambda: signal.signal(signal.SIGALRM, signal.SIG_DFL))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr[-400:])


def test_a_mount_prefix_with_a_trailing_slash_serves_the_urls_under_it() -> None:
    def other(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [b"<Response><SpeakSentence>other host</SpeakSentence></Response>"]

    def main(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [b'<Response><Redirect redirectUrl="https://other.test/api/next"/></Response>']

    sim = CallSimulator(main, base_url="https://app.test")
    sim.mount("https://other.test/api/", other)
    assert sim.inbound("/answer").heard == ["other host"]
