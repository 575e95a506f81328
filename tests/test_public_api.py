"""The public names of both packages: complete, sorted, and light to import."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import bxml

BXML_CONTRACT = """
Response Bxml SCHEMA_PATH Bridge Conference Connect CustomParam Endpoint Forward Gather Hangup
Pause PauseRecording PhoneNumber PlayAudio Record Redirect Refer ResumeRecording Ring SendDtmf SipUri
SpeakSentence StartGather StartRecording StartStream StartTranscription StopGather StopRecording
StopStream StopTranscription StreamParam Tag Transfer parse validate is_valid iter_errors lint
BxmlError InvalidValueError NestingError ParseError ValidationError Problem ssml diff Change
""".split()


def test_bxml_all_is_sorted_and_complete() -> None:
    assert bxml.__all__ == sorted(bxml.__all__)
    missing = [name for name in BXML_CONTRACT if name not in bxml.__all__]
    assert not missing, f"missing from bxml.__all__: {missing}"
    for name in bxml.__all__:
        assert hasattr(bxml, name), name


def test_bxml_public_names_have_docstrings() -> None:
    for name in bxml.__all__:
        obj = getattr(bxml, name)
        if callable(obj) or isinstance(obj, type):
            assert obj.__doc__, f"bxml.{name} has no docstring"


def test_callcontrol_all_is_sorted() -> None:
    callcontrol = pytest.importorskip("callcontrol")
    assert callcontrol.__all__ == sorted(callcontrol.__all__)
    for name in callcontrol.__all__:
        assert hasattr(callcontrol, name), name


def test_import_bxml_is_light() -> None:
    code = (
        "import sys, bxml; heavy = [m for m in ('requests', 'xmlschema', 'hypothesis', 'callcontrol')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_bxml_leaves_slow_standard_modules_alone() -> None:
    # -S: no site (an editable install's finder imports pathlib itself); the package comes
    # from the source tree instead.
    root = Path(bxml.__file__).resolve().parent.parent
    slow = ("dataclasses", "decimal", "inspect", "pathlib")
    code = f"import sys, bxml; print([m for m in {slow!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    assert out.stdout.strip() == "[]"


def test_schema_path_is_made_on_first_use() -> None:
    import bxml.schema
    from bxml import _validation

    assert bxml.SCHEMA_PATH == bxml.schema.SCHEMA_PATH == _validation.SCHEMA_PATH
    assert isinstance(bxml.SCHEMA_PATH, Path) and bxml.SCHEMA_PATH.name == "bxml.xsd"
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = bxml.no_such_name


# -- pinned: __all__ is exactly what each public module offers --------------------------------


def _defined_names(module: ModuleType) -> set[str]:
    """Names a module defines itself (not those it imports), from its source."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def test_bxml_all_is_exactly_its_public_names() -> None:
    # Submodules become attributes of the package when imported; only ssml is offered.
    # Names made on first use (module __getattr__) join the namespace once asked for.
    for name in bxml.__all__:
        getattr(bxml, name)
    public = {
        name
        for name, value in vars(bxml).items()
        if not name.startswith("_") and not (isinstance(value, ModuleType) and name != "ssml")
    }
    assert sorted(public) == bxml.__all__
    assert "annotations" not in vars(bxml)


@pytest.mark.parametrize("name", ["bxml.ssml", "bxml.strategies"])
def test_public_submodule_all_is_exactly_what_it_defines(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__) == sorted(_defined_names(module))
    for exported in module.__all__:
        assert hasattr(module, exported), exported
