"""Headless Locust runs of CallerUser: callback statistics, and failures when callbacks fail."""

from __future__ import annotations

import csv
import importlib.util
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from callcontrol.load.serve import serve
from examples.ivr import app as ivr

from . import apps

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("locust") is None,
    reason="locust is not installed (pip install 'bxml-callcontrol[load]')",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def locust(app: Any, user: str, csv_prefix: Path, *options: str) -> dict[tuple[str, str], Any]:
    """Run Locust headless for 3 s against ``app`` served on 127.0.0.1; its stats rows."""
    with serve(app, 8) as base:
        argv = [
            sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), user,
            "--headless", "--host", base, "--users", "4", "--spawn-rate", "4",
            "--run-time", "3s", "--stop-timeout", "5", "--csv", str(csv_prefix),
            "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0", *options,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # A session of its own: on a timeout the forked workers go down with the master.
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )  # fmt: skip
        try:
            output, _ = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 0, output
    with open(f"{csv_prefix}_stats.csv", newline="") as stats:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(stats)}


def test_two_worker_processes_record_callback_statistics_without_failures(tmp_path):
    port = str(free_port())
    # The forked workers connect to --master-port (on 127.0.0.1, the default host).
    options = ["--processes", "2", "--master-bind-host", "127.0.0.1"]
    options += ["--master-bind-port", port, "--master-port", port]
    rows = locust(ivr, "MessageCaller", tmp_path / "run", *options)
    callbacks = {name: row for (kind, name), row in rows.items() if kind == "callback"}
    assert "/answer" in callbacks and "/menu-choice" in callbacks, rows.keys()
    assert int(callbacks["/answer"]["Request Count"]) > 0
    for row in rows.values():
        assert row["Failure Count"] == "0", row
    assert int(rows[("call", "call")]["Request Count"]) > 0


def test_failed_callbacks_and_calls_are_locust_failures(tmp_path):
    rows = locust(apps.failing, "MessageCaller", tmp_path / "run")
    answer = rows[("callback", "/answer")]
    assert int(answer["Request Count"]) > 0
    assert answer["Failure Count"] == answer["Request Count"]
    call = rows[("call", "call")]
    assert call["Failure Count"] == call["Request Count"]
    with open(tmp_path / "run_failures.csv", newline="") as failures:
        messages = {row["Error"] for row in csv.DictReader(failures)}
    assert "CallbackFailed('HTTP 500')" in messages and "CallFailed('callback-error')" in messages
