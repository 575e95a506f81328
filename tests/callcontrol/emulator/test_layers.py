"""The emulator stands beside the simulator, not on it: what both need lives below them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[3] / "callcontrol" / "emulator"


def _imported(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_emulator_module_imports_the_testing_package():
    for path in sorted(EMULATOR.glob("*.py")):
        names = _imported(ast.parse(path.read_text()))
        bad = [n for n in names if n.startswith(("..testing", "callcontrol.testing"))]
        assert bad == [], f"{path.name} imports {bad}"


def test_importing_the_emulator_leaves_the_testing_package_unloaded():
    code = (
        "import sys, callcontrol.emulator, callcontrol.emulator.admin, callcontrol.emulator.demo; "
        "print([m for m in sys.modules if m.startswith('callcontrol.testing')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
