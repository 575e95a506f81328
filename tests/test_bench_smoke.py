"""Smoke test of the benchmark runner: ``bench/run.py --quick`` runs every case once.

No timing is asserted; this only keeps the benchmark code from rotting.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "bench" / "run.py"

# Runs the runner with the peers made unimportable, as in CI (dev extra only).
WITHOUT_PEERS = f"""
import runpy, sys

class HidePeers:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("bandwidth", "twilio"):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, HidePeers())
sys.argv = [{str(RUNNER)!r}, "--quick", "--only", "build", "memory"]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_quick_run_executes_every_case_and_prints_the_tables() -> None:
    done = run(str(RUNNER), "--quick")
    assert done.returncode == 0, done.stderr
    for title in ("## Targets", "build + serialize, medium document", "parse, large document"):
        assert title in done.stdout
    assert "| bxml |" in done.stdout
    for group in ("build", "parse", "validate", "memory", "imports", "http", "load", "profile"):
        assert f"[{group}:" in done.stderr


def test_missing_peers_are_skipped_not_fatal() -> None:
    done = run("-c", WITHOUT_PEERS)
    assert done.returncode == 0, done.stderr
    assert "bandwidth-sdk | skipped: not installed" in done.stdout
    assert "twilio | skipped: not installed" in done.stdout
    assert "| raw lxml |" in done.stdout


def test_quick_results_are_never_published() -> None:
    done = run(str(RUNNER), "--quick", "--write")
    assert done.returncode == 2
    assert "mean nothing" in done.stderr
