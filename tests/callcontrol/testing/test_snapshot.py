"""Transcript snapshots: written when missing, compared with a diff, rewritten on request;
the ``call_snapshot`` fixture and ``--snapshot-update`` through pytester."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import callcontrol.testing.simulator  # noqa: F401  (see test_plugin.py: one copy for pytester)
from callcontrol.testing import CallSimulator, SimulatedCall, SnapshotWrittenWarning, press
from callcontrol.testing import snapshot as snapshots
from callcontrol.testing.snapshot import assert_matches_snapshot, snapshot_path
from examples.ivr import app

pytest_plugins = ["pytester"]

INSTALLED = any(ep.value == "callcontrol.testing.plugin" for ep in entry_points(group="pytest11"))
PLUGIN = () if INSTALLED else ("-p", "callcontrol.testing.plugin")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _warn_outside_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests use the snapshot functions as code outside pytest does: with a warning.
    monkeypatch.setattr(snapshots, "WRITTEN", None)


def a_call(digits: str = "2") -> SimulatedCall:
    return CallSimulator(app).inbound("/answer", script=[press(digits)], disconnect_url="/status")


def test_a_missing_snapshot_is_written_and_the_assertion_passes_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "call.txt"
    call = a_call()
    with pytest.warns(SnapshotWrittenWarning, match="written"):
        call.assert_matches_snapshot(path)
    assert path.read_text(encoding="utf-8") == str(call) + "\n"
    call.assert_matches_snapshot(path)  # now it matches, silently


def test_a_different_transcript_fails_with_a_unified_diff(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    with pytest.warns(SnapshotWrittenWarning):
        a_call("2").assert_matches_snapshot(path)
    with pytest.raises(AssertionError) as failure:
        a_call("1").assert_matches_snapshot(path)
    message = str(failure.value)
    assert "differs from the snapshot" in message and "--snapshot-update" in message
    assert f"--- {path} (snapshot)" in message and "+++ this run" in message
    assert "\n-" in message and "\n+" in message and "press('1')" in message


def test_update_rewrites_a_snapshot_that_differs(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_text("old\n")
    with pytest.warns(SnapshotWrittenWarning, match="updated"):
        assert_matches_snapshot("new", path, update=True)
    assert path.read_text() == "new\n"


def test_crlf_line_ends_of_a_checkout_still_match(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    call = a_call()
    path.write_bytes((str(call) + "\n").replace("\n", "\r\n").encode())
    call.assert_matches_snapshot(path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="give a file name"):
        assert_matches_snapshot("x", tmp_path)


def test_snapshot_names_follow_the_test() -> None:
    assert snapshot_path("/p/tests/test_ivr.py", "test_menu[1-busy]") == Path(
        "/p/tests/snapshots/test_ivr/test_menu_1-busy.txt"
    )


def test_transcripts_are_the_same_in_another_process_with_another_hash_seed() -> None:
    code = (
        "from callcontrol.testing import CallSimulator, press; from examples.ivr import app; "
        "print(CallSimulator(app).inbound('/answer', script=[press('2')], "
        "disconnect_url='/status'))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert other.stdout == str(a_call()) + "\n"


def test_the_update_flag_is_off_without_snapshot_update() -> None:
    assert snapshots.UPDATE is False


TESTS = """
from callcontrol.testing import CallSimulator, press
from examples.ivr import app

def test_voicemail(call_snapshot):
    call = CallSimulator(app).inbound("/answer", script=[press(DIGITS)])
    call.assert_matches_snapshot(call_snapshot)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert(ROOT)
    pytester.makepyfile(test_ivr=TESTS.replace("DIGITS", "'2'"))
    return pytester


def test_the_fixture_writes_then_checks_then_updates(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nfilterwarnings = error\n")
    first = project.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*call snapshots*", "snapshot *test_voicemail.txt written*"])
    written = project.path / "snapshots" / "test_ivr" / "test_voicemail.txt"
    assert "press('2')" in written.read_text()

    project.runpytest(*PLUGIN, "-p", "no:cacheprovider").assert_outcomes(passed=1)

    project.makepyfile(test_ivr=TESTS.replace("DIGITS", "'1'"))
    changed = project.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*differs from the snapshot*", "*+*press('1')*"])

    updated = project.runpytest(*PLUGIN, "-p", "no:cacheprovider", "--snapshot-update")
    updated.assert_outcomes(passed=1)
    updated.stdout.fnmatch_lines(["snapshot *test_voicemail.txt updated"])
    assert "press('1')" in written.read_text()
    assert snapshots.UPDATE is False  # the outer session's setting is back
