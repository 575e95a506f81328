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


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--speed", "0"], "argument --speed: '0' is not allowed; give a number above 0"),
        (["--speed", "nan"], "argument --speed: 'nan' is not allowed"),
        (["--port", "65536"], "argument --port: '65536' is not a TCP port"),
        (["--seed", "x"], "argument --seed: 'x' is not a whole number"),
    ],
)
def test_emulator_usage_errors_exit_2(capsys, argv, expected) -> None:
    assert main(["emulator", *argv]) == 2
    assert expected in capsys.readouterr().err


def test_emulator_seed_is_accepted_and_passed_on(monkeypatch) -> None:
    from callcontrol.emulator import __main__ as entry

    seen = {}

    def fake_serve(args, out, stop=None):
        seen.update(vars(args))
        return 0

    monkeypatch.setattr(entry, "serve_args", fake_serve)
    assert main(["emulator", "--seed", "7", "--speed", "2.5", "--port", "0"]) == 0
    assert (seen["seed"], seen["speed"], seen["port"], seen["clock"]) == (7, 2.5, 0, "real")


def test_python_m_emulator_takes_the_same_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "callcontrol.emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "--seed SEED" in done.stdout and "--base-url" not in done.stdout


def test_a_port_in_use_is_one_line(capsys) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["emulator", "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert err == (
        f"callcontrol: error: port {port} on 127.0.0.1 is in use: stop what uses it, or choose "
        "another with --port (0 picks a free one)\n"
    )
