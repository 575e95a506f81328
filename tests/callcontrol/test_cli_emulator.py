"""``callcontrol emulator`` and ``callcontrol demo`` from the command line."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from callcontrol.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_demo_command_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--speed", "400"]) == 0
    out = capsys.readouterr().out
    assert "updateCallBxml -> 204" in out and "listCalls:" in out


def test_demo_command_refuses_a_bad_speed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--speed", "fast"]) == 2
    assert "--speed must be a number above 0" in capsys.readouterr().err


def _interruptible() -> None:
    """In the child: Ctrl-C as in a terminal, even when this test runs as a background job.

    A shell starts background jobs with SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler; without this the child would never see the signal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_emulator_command_serves_until_interrupted(stop: signal.Signals) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "callcontrol", "emulator", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,  # noqa: PLW1509 (no threads are started before it)
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            for line in process.stdout:  # the whole banner: the child now waits for us
                if line.startswith("Press Ctrl-C"):
                    break
            match = re.search(r"(http://127\.0\.0\.1:\d+/api/v2)", first)
            assert match, first
            reply = requests.get(
                match[1] + "/accounts/9900000/calls",
                auth=("emulator", "emulator-password"),
                timeout=10,
            )
            assert reply.status_code == 200 and reply.json() == []
            process.send_signal(stop)
            out, err = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, err
    assert "stopping" in out


def test_emulator_command_refuses_a_bad_port() -> None:
    from callcontrol.emulator.__main__ import serve

    with pytest.raises(SystemExit):
        serve(["--port", "70000"], io.StringIO())
