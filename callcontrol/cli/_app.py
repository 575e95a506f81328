"""Loading a user's WSGI app from ``MODULE:APP`` for the simulator commands, and naming
their flags in the simulator's errors."""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from typing import Any

from . import UsageError


def load_app(spec: str) -> Callable[..., Any]:
    """The WSGI callable named by ``MODULE:APP`` (``APP`` may be dotted: ``module:obj.app``).

    The current directory is importable, as with ``python -m``.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(f"{spec!r} is not MODULE:APP, e.g. examples.ivr:app")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"cannot import {module_name!r}: {exc}") from exc
    for name in attribute.split("."):
        if not hasattr(target, name):
            raise UsageError(f"{module_name!r} has no attribute {attribute!r}")
        target = getattr(target, name)
    if not callable(target):
        raise UsageError(f"{spec} is a {type(target).__name__}, not a WSGI app")
    return target  # type: ignore[no-any-return]


#: The simulator's parameter names and the flags of ``simulate`` and ``explore`` that set them.
FLAGS = {
    "base_url": "--app-url",
    "disconnect_url": "--disconnect-url",
    "max_depth": "--max-depth",
    "max_calls": "--max-calls",
}


def usage_error(exc: Exception) -> UsageError:
    """A :class:`UsageError` for the simulator's refusal of a value, naming the flag."""
    text = re.sub(r"\b(" + "|".join(FLAGS) + r")\b", lambda m: FLAGS[m.group(1)], str(exc))
    return UsageError(text)
