"""The wall-clock guard of in-process callbacks across calls: it arms again after giving
SIGALRM back, after another handler came and went, and right after a quick callback whose
alarm is still pending; at exit it disarms its own alarm and leaves another handler alone.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from callcontrol.testing import CallSimulator
from callcontrol.testing.fetch import AppError, _disarm, _WallGuard

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "setitimer"), reason="the in-process guard needs POSIX signals"
)

HANGUP = b"<Response><Hangup/></Response>"


def quick(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/xml")])
    return [HANGUP]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of the test: only the guard ends a hung app before that."""
    event = threading.Event()
    yield event
    event.set()


def hung(release: threading.Event) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait()
        start_response("200 OK", [])
        return [HANGUP]

    return app


def assert_interrupted(release: threading.Event, timeout: float) -> None:
    with pytest.raises(AppError, match=f"within {timeout:g} s of wall time"):
        CallSimulator(hung(release), timeout=timeout).inbound("/answer")


def wait_until_given_back() -> None:
    deadline = time.monotonic() + 10
    while signal.getsignal(signal.SIGALRM) is _WallGuard._fire and time.monotonic() < deadline:
        time.sleep(0.05)  # the idle alarm fires within the timeout and hands SIGALRM back
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_after_giving_sigalrm_back_the_guard_arms_again(release: threading.Event) -> None:
    CallSimulator(quick, timeout=0.2).inbound("/answer").assert_ended("rejected")
    wait_until_given_back()
    assert_interrupted(release, 0.3)


def test_a_hung_app_right_after_a_quick_one_is_interrupted(release: threading.Event) -> None:
    # The quick callback's alarm is still pending when the hung one starts; when it fires
    # early, the guard re-arms it for the rest of the hung callback's timeout.
    CallSimulator(quick, timeout=1).inbound("/answer").assert_ended("rejected")
    assert_interrupted(release, 1)


def test_after_another_handler_came_and_went_the_guard_works_again(
    release: threading.Event,
) -> None:
    CallSimulator(quick, timeout=5).inbound("/answer")
    assert signal.getsignal(signal.SIGALRM) is _WallGuard._fire

    def mine(signum: int, frame: object) -> None:
        pass

    signal.signal(signal.SIGALRM, mine)
    try:
        # A shorter timeout than the alarm pending: the guard would re-arm, sees the other
        # handler and stands aside.
        CallSimulator(quick, timeout=0.5).inbound("/answer").assert_ended("rejected")
        assert signal.getsignal(signal.SIGALRM) is mine
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    assert_interrupted(release, 0.3)


def test_at_exit_the_alarm_is_disarmed_and_sigalrm_given_back(release: threading.Event) -> None:
    CallSimulator(quick, timeout=30).inbound("/answer")
    assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    _disarm()
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert_interrupted(release, 0.3)  # and the next callback installs the guard again


def test_at_exit_another_handler_is_left_in_place() -> None:
    CallSimulator(quick, timeout=30).inbound("/answer")

    def mine(signum: int, frame: object) -> None:
        pass

    signal.signal(signal.SIGALRM, mine)
    try:
        _disarm()
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def test_in_another_thread_the_guard_stands_aside() -> None:
    # A signal only reaches the main thread: there is nothing to arm elsewhere.
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    _disarm()
    ended: list[str] = []
    worker = threading.Thread(
        target=lambda: ended.append(CallSimulator(quick, timeout=0.2).inbound("/answer").state)
    )
    worker.start()
    worker.join(30)
    assert ended == ["disconnected"]
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_first_callback_of_a_process_is_guarded() -> None:
    # Nothing is installed yet when the first callback starts: the guard installs itself.
    script = (
        "import threading\n"
        "from callcontrol.testing import AppError, CallSimulator\n"
        "release = threading.Event()\n"
        "def app(environ, start_response):\n"
        "    release.wait()\n"
        "try:\n"
        "    CallSimulator(app, timeout=0.3).inbound('/answer')\n"
        "except AppError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert b"within 0.3 s of wall time" in done.stdout, done.stderr[-400:]


def test_a_nested_callback_leaves_the_outer_deadline_standing(release: threading.Event) -> None:
    # An app that runs a simulated call of its own while it answers: the inner callback's
    # guard stands aside, and the outer app is still interrupted at its own timeout.
    def nesting(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        CallSimulator(quick, timeout=5).inbound("/answer").assert_ended("rejected")
        release.wait()
        start_response("200 OK", [])
        return [HANGUP]

    with pytest.raises(AppError, match="within 0.5 s of wall time"):
        CallSimulator(nesting, timeout=0.5).inbound("/answer")


def test_a_pending_alarm_cancelled_by_someone_else_is_armed_again(
    release: threading.Event,
) -> None:
    # The quick callback leaves its alarm pending; something then cancels the interval
    # timer (setitimer(0), alarm(0)). The hung callback must not count on that alarm.
    CallSimulator(quick, timeout=1).inbound("/answer")
    signal.setitimer(signal.ITIMER_REAL, 0)
    assert_interrupted(release, 1)


def test_a_handler_reset_to_the_default_is_taken_back(release: threading.Event) -> None:
    CallSimulator(quick, timeout=1).inbound("/answer")
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    assert_interrupted(release, 1)
