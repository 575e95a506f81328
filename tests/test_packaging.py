"""What the distributions carry: the licence, metadata, the files the sdist's tests need."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pyproject() -> dict[str, object]:
    tomllib = pytest.importorskip("tomllib")
    data: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def test_the_licence_is_mit_in_the_repository_and_the_metadata() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n") and "WITHOUT WARRANTY OF ANY KIND" in text
    project = pyproject()["project"]
    assert isinstance(project, dict)
    assert project["license"] == "MIT"  # an SPDX expression (PEP 639)
    assert project["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in project["classifiers"])  # PEP 639
    assert "Typing :: Typed" in project["classifiers"] and project["urls"]


def test_the_build_backend_understands_license_expressions() -> None:
    requires = pyproject()["build-system"]
    assert isinstance(requires, dict)
    (setuptools,) = [r for r in requires["requires"] if r.startswith("setuptools")]
    assert setuptools == "setuptools>=77"


def test_the_sdist_carries_what_its_tests_read() -> None:
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
    grafted = set(re.findall(r"^graft (\S+)$", manifest, re.M))
    assert {"tests", "examples", "docs", "bench", "schemas", "bxml", "callcontrol"} <= grafted
    included = set(re.findall(r"^include (.+)$", manifest, re.M)[0].split())
    assert {"LICENSE", "README.md", "BENCHMARKS.md"} <= included


def test_the_packages_include_the_schemas_as_data() -> None:
    setuptools = pyproject()["tool"]
    assert isinstance(setuptools, dict)
    config = setuptools["setuptools"]
    assert config["packages"]["find"]["include"] == [
        "bxml",
        "bxml.*",
        "callcontrol",
        "callcontrol.*",
    ]
    assert config["package-data"]["bxml.schemas"] == ["*.xsd"]


def test_readme_links_work_on_the_package_index() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    relative = re.findall(r"\]\((?!https?://)([^)]*)\)", readme)
    assert relative == [], "the package index cannot follow relative links"


def test_bxml_strategies_without_hypothesis_names_the_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "try:\n"
        "    import bxml.strategies\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'bxml-callcontrol[hypothesis]'" in done.stdout
    assert "hypothesis" in pyproject()["project"]["optional-dependencies"]  # type: ignore[index]
