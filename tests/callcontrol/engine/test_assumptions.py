"""The assumption register: unique ids, every id used by the engine, docs in sync."""

from __future__ import annotations

import re
from pathlib import Path

from callcontrol.engine.assumptions import ASSUMPTIONS, render_markdown

ROOT = Path(__file__).resolve().parents[3]


def test_ids_are_unique_and_every_entry_says_why():
    ids = [a.id for a in ASSUMPTIONS]
    assert len(ids) == len(set(ids))
    assert all(a.rule and a.why for a in ASSUMPTIONS)


def test_every_assumption_is_applied_somewhere_and_every_applied_id_is_registered():
    # The engine applies most; the account's createCall queue (the emulator's and
    # sim.client()'s) applies the queue's.
    files = [*(ROOT / "callcontrol/engine").glob("*.py")]
    files += [ROOT / "callcontrol/testing/call_queue.py", ROOT / "callcontrol/emulator/driver.py"]
    source = "".join(p.read_text() for p in files)
    used = set(re.findall(r'\bassume(?:_once)?\(\s*\w+,\s*"([a-z-]+)"', source))
    assert used == {a.id for a in ASSUMPTIONS}


def test_docs_page_is_generated_from_the_register():
    page = (ROOT / "docs/engine-assumptions.md").read_text()
    assert page == render_markdown(), "regenerate docs/engine-assumptions.md from the register"
