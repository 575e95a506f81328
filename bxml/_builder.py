"""The fluent builder: containers, their ``with`` blocks, and per-child methods.

A container gets one method per child class it may hold, made by :func:`leaf` (append the
child and return the container, to chain siblings) or :func:`nest` (append the child and
return it, to fill it). Both keep the child's own signature for type checkers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from ._compile import builder_method
from ._element import Element

P = ParamSpec("P")
E = TypeVar("E", bound=Element)
C = TypeVar("C", bound="Container")


class Container(Element):
    """An element that holds child elements; usable as a ``with`` block."""

    __slots__ = ()

    CONTENT = "children"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in vars(cls).items():
            if getattr(value, "_bxml_builds", None) is not None:  # made by leaf() or nest()
                value.__name__ = name
                value.__qualname__ = f"{cls.__qualname__}.{name}"
                value.__module__ = cls.__module__
                value.__annotations__.setdefault("return", cls.__name__)

    def append(self: C, *children: Element) -> C:
        """Append children (checked like constructor children) and return this container."""
        before = len(self._content)
        try:
            self._add_all(children)
            self._check_rules()
        except Exception:
            del self._content[before:]
            raise
        return self

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def __len__(self) -> int:
        return len(self._content)

    def __iter__(self) -> Any:
        return iter(self.children)

    def __getitem__(self, index: int) -> Element:
        return self.children[index]


def leaf(cls: Callable[P, Element]) -> Callable[Concatenate[C, P], C]:
    """Make a method that appends a ``cls`` child and returns the container."""
    klass: Any = cls
    method = builder_method(klass, returns_child=False)
    method.__doc__ = (
        f"Append a {klass.__name__} built from these arguments; return this container.\n\n"
        f"{klass.__name__}: {klass.__doc__}"
    )
    return method


def nest(cls: Callable[P, E]) -> Callable[Concatenate[Container, P], E]:
    """Make a method that appends a ``cls`` child and returns that child."""
    klass: Any = cls
    method = builder_method(klass, returns_child=True)
    method.__doc__ = (
        f"Append a {klass.__name__} built from these arguments and return it (to fill it).\n\n"
        f"{klass.__name__}: {klass.__doc__}"
    )
    return method
