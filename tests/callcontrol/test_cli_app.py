"""Loading the WSGI app of ``simulate`` and ``explore`` from ``MODULE:APP``."""

from __future__ import annotations

import json
import os
import sys

import pytest

from callcontrol.cli import UsageError
from callcontrol.cli._app import load_app


@pytest.mark.parametrize("spec", ["examples.ivr", ":app", "examples.ivr:", ""])
def test_a_spec_without_module_and_app_is_refused(spec) -> None:
    with pytest.raises(UsageError) as caught:
        load_app(spec)
    assert str(caught.value) == f"{spec!r} is not MODULE:APP, e.g. examples.ivr:app"


def test_a_module_that_cannot_be_imported() -> None:
    with pytest.raises(UsageError) as caught:
        load_app("no_such_module_here:app")
    assert str(caught.value) == (
        "cannot import 'no_such_module_here': No module named 'no_such_module_here'"
    )


def test_a_missing_attribute_names_the_whole_path() -> None:
    with pytest.raises(UsageError) as caught:
        load_app("json:decoder.NoSuchThing")
    assert str(caught.value) == "'json' has no attribute 'decoder.NoSuchThing'"


def test_a_dotted_attribute_is_followed() -> None:
    assert load_app("json:decoder.JSONDecoder") is json.decoder.JSONDecoder


def test_a_value_that_is_not_callable() -> None:
    with pytest.raises(UsageError) as caught:
        load_app("json:__name__")
    assert str(caught.value) == "json:__name__ is a str, not a WSGI app"


def test_the_current_directory_becomes_importable(monkeypatch, tmp_path) -> None:
    (tmp_path / "cwd_app_module.py").write_text(
        "def app(environ, start_response):\n    return []\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", os.getcwd())])
    assert load_app("cwd_app_module:app").__name__ == "app"
    assert sys.path[0] == str(tmp_path)
    sys.modules.pop("cwd_app_module", None)


@pytest.mark.parametrize("present", ["", "cwd"])
def test_the_current_directory_is_not_added_twice(monkeypatch, tmp_path, present) -> None:
    monkeypatch.chdir(tmp_path)
    entry = "" if present == "" else str(tmp_path)
    rest = [p for p in sys.path if p not in ("", str(tmp_path))]
    monkeypatch.setattr(sys, "path", [*rest, entry])
    load_app("json:loads")
    assert sys.path == [*rest, entry]
