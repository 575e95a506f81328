"""Public names imported on first use (PEP 562), for ``callcontrol`` and ``callcontrol.testing``.

Loading a package stays cheap: a name's module is imported when the name is first read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def loader(
    package: str, namespace: dict[str, Any], sources: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``.

    ``sources`` maps each public name to its module, relative to ``package``; a name read
    for the first time is imported from there and kept in ``namespace`` (the package's
    globals), so it is looked up once.
    """

    def __getattr__(name: str) -> object:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        # The public names and the package's own subpackages; not the helpers the package
        # imported for itself (typing, _lazy), which would read as part of its API.
        public = set(sources) | set(namespace.get("__all__", ()))
        for name, value in namespace.items():
            if name.startswith("__"):
                public.add(name)
            elif isinstance(value, ModuleType) and not name.startswith("_"):
                if value.__name__.startswith(package + "."):
                    public.add(name)
        return sorted(public)

    return __getattr__, __dir__
