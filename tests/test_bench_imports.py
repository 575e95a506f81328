"""The import-time case of the benchmark runner, on made-up wall times (nothing is timed)."""

from __future__ import annotations

import subprocess

import pytest

from bench import imports
from bench.timing import Settings

#: Wall times in seconds of each fresh interpreter: callcontrol loads its names lazily, so it
#: costs far less than requests.
WALLS = {
    "pass": 0.030,
    "import bxml": 0.050,
    "import callcontrol": 0.032,
    "import requests": 0.150,
    "from callcontrol import CallsClient": 0.170,
    "from callcontrol import WebhookApp, parse_event": 0.140,
}


def _fake_run(code: str, cached: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
    wall = WALLS.get(code.removeprefix("import sys, ").split(";")[0], 0.040)
    return wall, subprocess.CompletedProcess([code], 0, "", "")


def test_import_callcontrol_target_is_its_cost_above_bare_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports, "run_python", _fake_run)
    monkeypatch.setattr(imports, "MODULES", ("bxml", "callcontrol"))
    case, targets = imports.import_case(Settings.smoke())
    rows = {row["library"]: row["value"] for row in case["rows"]}
    [target] = [t for t in targets if t["claim"].startswith("import callcontrol")]
    assert target["claim"] == "import callcontrol: above bare python"
    assert target["measured"] == pytest.approx(rows["callcontrol"]) == pytest.approx(2.0)
    assert "from callcontrol import CallsClient above import requests: 20.0 ms" in case["notes"]
