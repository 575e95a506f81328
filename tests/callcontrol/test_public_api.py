"""The public names of ``callcontrol``: exactly ``__all__``, sorted, and closed over field types."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
import subprocess
import sys
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest

import bxml
import callcontrol
from callcontrol import events, models

#: Dunder names that are part of the public API.
PUBLIC_DUNDERS = {"__version__"}


def public_names(module: types.ModuleType) -> set[str]:
    """What ``module`` really offers, without trusting ``__all__`` (which ``dir()`` includes):
    its public globals, and every name its lazy loader can provide. No submodules."""
    offered = set(vars(module)) | set(getattr(module, "_SOURCES", {}))
    return {
        name
        for name in offered
        if (not name.startswith("_") or name in PUBLIC_DUNDERS)
        and not isinstance(getattr(module, name), types.ModuleType)
    }


def test_all_is_sorted_and_equals_the_public_names() -> None:
    assert callcontrol.__all__ == sorted(public_names(callcontrol))


def test_no_future_import_leaks() -> None:
    assert "annotations" not in dir(callcontrol)


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in callcontrol.__all__:
        value = getattr(callcontrol, name)
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__doc__, f"callcontrol.{name} has no docstring"


def test_the_submodules_public_names_are_exported() -> None:
    for module in (events, models):
        missing = sorted(set(module.__all__) - set(callcontrol.__all__))
        assert not missing, f"{module.__name__} names missing from callcontrol: {missing}"
        for name in module.__all__:
            assert getattr(callcontrol, name) is getattr(module, name), name


def classes_in(hint: Any) -> Iterator[type]:
    """The classes a type hint mentions: ``X | None``, ``tuple[X, ...]``, ``Mapping[K, V]``."""
    args = typing.get_args(hint)
    if args:
        for arg in args:
            yield from classes_in(arg)
    elif isinstance(hint, type):
        yield hint


def test_every_field_type_of_an_exported_record_is_exported() -> None:
    for name in callcontrol.__all__:
        record = getattr(callcontrol, name)
        if not (isinstance(record, type) and dataclasses.is_dataclass(record)):
            continue
        hints = typing.get_type_hints(record)
        for attr in (f.name for f in dataclasses.fields(record) if not f.name.startswith("_")):
            for cls in classes_in(hints[attr]):
                if cls.__module__.startswith("callcontrol"):
                    where = f"{name}.{attr}"
                    assert cls.__name__ in callcontrol.__all__, f"{where} uses {cls.__name__}"
                    assert getattr(callcontrol, cls.__name__) is cls, where


def test_no_other_public_name_is_bound() -> None:
    bound = {
        name
        for name, value in vars(callcontrol).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert bound <= set(callcontrol.__all__)


def test_the_version_is_the_installed_distributions() -> None:
    assert callcontrol.__version__ == importlib.metadata.version("bxml-callcontrol")
    assert callcontrol.__version__ == bxml.__version__


def loaded_after(code: str) -> set[str]:
    """Which heavy modules a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}; import sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


HEAVY = (
    "requests",
    "httpx",
    "bxml",
    "callcontrol.events",
    "callcontrol.client",
    "callcontrol.async_client",
    "importlib.metadata",
    "asyncio",
    "callcontrol.asgi",
    "starlette",
    "uvicorn",
)


def test_import_callcontrol_loads_nothing_heavy() -> None:
    assert loaded_after("import callcontrol") == set()


def test_names_load_only_what_they_need() -> None:
    client = loaded_after("from callcontrol import CallsClient")
    assert {"requests", "callcontrol.client"} <= client
    assert not client & {"bxml", "callcontrol.events", "httpx"}
    async_client = loaded_after("from callcontrol import AsyncCallsClient")
    assert {"httpx", "callcontrol.async_client"} <= async_client
    assert not async_client & {"requests", "bxml", "callcontrol.events", "callcontrol.client"}
    assert loaded_after("from callcontrol import parse_event") == {"callcontrol.events"}
    webhooks = loaded_after("from callcontrol import WebhookApp")
    assert {"bxml", "callcontrol.events"} <= webhooks
    assert not webhooks & {
        "requests",
        "httpx",
        "importlib.metadata",
        "callcontrol.client",
        "asyncio",
    }
    asgi = loaded_after("from callcontrol import WebhookApp; WebhookApp().asgi")
    assert {"asyncio", "callcontrol.asgi"} <= asgi
    assert not asgi & {"requests", "httpx", "starlette", "uvicorn"}


def test_a_missing_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        callcontrol.Nope  # type: ignore[attr-defined]  # noqa: B018
