"""The public names of ``callcontrol.load``: exactly ``__all__``, sorted and documented."""

from __future__ import annotations

import types

import callcontrol.load


def test_all_is_sorted_and_equals_the_public_names():
    offered = {
        name
        for name, value in vars(callcontrol.load).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert callcontrol.load.__all__ == sorted(offered)
    assert callcontrol.load.__all__ == ["LoadReport", "PathStats", "run"]


def test_every_public_name_is_documented():
    for name in callcontrol.load.__all__:
        assert getattr(callcontrol.load, name).__doc__, name


def test_import_callcontrol_does_not_load_the_load_package():
    import subprocess
    import sys

    code = "import sys, callcontrol; print('callcontrol.load' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
