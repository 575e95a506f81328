"""Snapshot tests of call transcripts: the first run writes the file, later runs compare.

::

    def test_busy_sales(call_simulator, call_snapshot):
        call = call_simulator.inbound("/answer", script=[press("1")])
        call.assert_matches_snapshot(call_snapshot)   # snapshots/test_ivr/test_busy_sales.txt

A missing snapshot is written and the assertion passes, saying so: under pytest in the
run's summary, elsewhere with a :class:`SnapshotWrittenWarning`. An existing one must equal
the transcript, or the AssertionError shows a unified diff. ``pytest --snapshot-update``
rewrites the snapshots that differ. Files are UTF-8 with ``\\n`` line ends and read back
with any line ends, so a checkout that turned them into ``\\r\\n`` still matches;
transcripts run on virtual time and seeded ids, so they are the same on every run and
machine.
"""

from __future__ import annotations

import difflib
import os
import re
import warnings
from pathlib import Path

__all__ = ["SnapshotWrittenWarning", "assert_matches_snapshot", "snapshot_path"]

#: Set by ``pytest --snapshot-update``: snapshots that differ are rewritten, not failed.
UPDATE = False
#: Under pytest (the plugin sets it) the snapshots written are listed here and reported at
#: the end of the run, so a project that turns warnings into errors still passes.
WRITTEN: list[str] | None = None

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class SnapshotWrittenWarning(UserWarning):
    """A snapshot file was written (it was missing, or ``--snapshot-update`` was given)."""


def assert_matches_snapshot(
    text: str, path: str | os.PathLike[str], *, update: bool | None = None
) -> None:
    """Pass when ``text`` equals the snapshot at ``path``; write it when it is missing.

    :param update: rewrite a snapshot that differs (default: ``pytest --snapshot-update``).
    :raises AssertionError: with a unified diff when the snapshot differs.
    """
    target = Path(path)
    wanted = text if text.endswith("\n") else text + "\n"
    if target.is_dir():
        raise IsADirectoryError(f"snapshot {target} is a directory; give a file name")
    if not target.exists():
        _write(target, wanted, "written (it was missing)")
        return
    found = target.read_text(encoding="utf-8")
    if found == wanted:
        return
    if update if update is not None else UPDATE:
        _write(target, wanted, "updated")
        return
    diff = difflib.unified_diff(
        found.splitlines(keepends=True),
        wanted.splitlines(keepends=True),
        fromfile=f"{target} (snapshot)",
        tofile="this run",
    )
    raise AssertionError(
        f"the transcript differs from the snapshot {target} "
        "(run pytest --snapshot-update to accept it):\n" + "".join(diff)
    )


def _write(target: Path, text: str, what: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
    note = f"snapshot {target} {what}"
    if WRITTEN is not None:
        WRITTEN.append(note)
    else:
        warnings.warn(SnapshotWrittenWarning(note), stacklevel=3)


def snapshot_path(test_file: str | os.PathLike[str], test_name: str) -> Path:
    """Where a test's snapshot lives: ``snapshots/<test module>/<test name>.txt`` beside
    the test file (parameters become part of the name, made safe for any file system)."""
    source = Path(test_file)
    name = _UNSAFE.sub("_", test_name).strip("_") or "snapshot"
    return source.parent / "snapshots" / source.stem / f"{name}.txt"
