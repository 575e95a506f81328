"""tools/mutate.py: the sample of mutants a large module is scored by."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutate_tool", ROOT / "tools" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_a_sample_is_the_share_asked_for_of_existing_ids_and_the_same_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tool = _tool()
    monkeypatch.chdir(ROOT)
    module = "callcontrol/engine/clock.py"
    total = len(tool.enumerate_mutants((ROOT / module).read_text(encoding="utf-8")))
    drawn = tool.sample_ids(module, 0.2, 19)
    assert drawn == tool.sample_ids(module, 0.2, 19)
    assert len(drawn) == round(total * 0.2)
    assert drawn <= set(range(1, total + 1))
    assert tool.sample_ids(module, 1.0, 19) == set(range(1, total + 1))
    assert drawn != tool.sample_ids(module, 0.2, 20)
