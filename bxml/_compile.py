"""Compile each element class's ``__init__`` into straight-line code, as dataclasses do.

A verb's hand-written ``__init__`` declares its signature (for readers, type checkers and
``help()``) and calls the generic :meth:`Element._setup`. At class creation we replace it
with a function of the same signature whose body checks only the arguments given, in
declaration order, with the per-attribute fast checks of :mod:`bxml._values`. The original
stays reachable as ``__init__.__wrapped__``; a test checks both build equal objects.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .exceptions import InvalidValueError

if TYPE_CHECKING:
    from ._element import Element


def _missing(owner: str, name: str) -> InvalidValueError:
    return InvalidValueError(f"{owner}.{name} is required")


def _parameters(cls: type[Element], original: Callable[..., None]) -> tuple[list[str], str]:
    """Return the parameter list source and the name of the content parameter ('' if none)."""
    params = list(inspect.signature(original).parameters.values())[1:]
    fields = {attr.name for attr in cls.FIELDS}
    keywords = {p.name for p in params if p.kind is p.KEYWORD_ONLY}
    if keywords != fields:
        odd = sorted(keywords ^ fields)
        raise TypeError(f"{cls.__name__}.__init__ keywords {odd} do not match its attributes")
    source: list[str] = []
    content = ""
    for param in params:
        if param.kind is param.POSITIONAL_ONLY:
            default = "" if param.default is param.empty else f"={param.default!r}"
            source += [f"{param.name}{default}", "/"]
            content = f"({param.name},)"
        elif param.kind is param.VAR_POSITIONAL:
            source.append(f"*{param.name}")
            content = param.name
        else:
            if not any(p.startswith("*") for p in source):
                source.append("*")
            source.append(param.name if param.default is param.empty else f"{param.name}=None")
    return source, content


def _overrides(cls: type[Element], name: str) -> bool:
    from ._element import Element

    return getattr(cls, name) is not getattr(Element, name)


def compile_init(cls: type[Element], original: Callable[..., None]) -> Callable[..., None]:
    """Return a fast ``__init__`` for ``cls`` with the signature of ``original``."""
    params, content = _parameters(cls, original)
    owner = cls.TAG or cls.__name__
    namespace: dict[str, Any] = {"missing": _missing, "OWNER": owner}
    body = ["v = {}", "h = self._HEAD"]
    for attr in cls.FIELDS:
        name = attr.name
        namespace[f"F_{name}"] = cls.FRAGMENTS[name]
        body += [f"if {name} is not None:", f"    h += F_{name}({name})"]
        body.append(f"    v[{name!r}] = {name}")
        if attr.required:
            body += ["else:", f"    raise missing(OWNER, {name!r})"]
    body += ["self._values = v", "self._head = h", "self._extra = None", "self._content = []"]
    if cls.CONTENT == "text":
        body.append(f"self._set_text(*{content})")
    elif content:
        body.append(f"if {content}:")
        body.append(f"    self._add_all({content})")
    if _overrides(cls, "_check_rules"):
        body.append("self._check_rules()")
    source = f"def __init__(self, {', '.join(params)}):\n"
    source += "".join(f"    {line}\n" for line in body)
    exec(compile(source, f"<bxml {owner}.__init__>", "exec"), namespace)  # noqa: S102
    init: Callable[..., None] = namespace["__init__"]
    init.__doc__ = original.__doc__
    init.__qualname__ = original.__qualname__
    init.__module__ = original.__module__
    init.__wrapped__ = original  # type: ignore[attr-defined]
    return init
