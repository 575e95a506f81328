"""The fluent builder: containers, their ``with`` blocks, and per-child methods.

A container gets one method per child class it may hold, made by :func:`leaf` (append the
child and return the container, to chain siblings) or :func:`nest` (append the child and
return it, to fill it). Both keep the child's own signature for type checkers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from ._element import Element

P = ParamSpec("P")
E = TypeVar("E", bound=Element)
C = TypeVar("C", bound="Container")


class Container(Element):
    """An element that holds child elements; usable as a ``with`` block."""

    __slots__ = ()

    CONTENT = "children"

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
    name = getattr(cls, "__name__", "child")

    def method(self: C, /, *args: P.args, **kwargs: P.kwargs) -> C:
        return self.append(cls(*args, **kwargs))

    method.__doc__ = f"Append a {name} built from these arguments; return this container."
    return method


def nest(cls: Callable[P, E]) -> Callable[Concatenate[Container, P], E]:
    """Make a method that appends a ``cls`` child and returns that child."""
    name = getattr(cls, "__name__", "child")

    def method(self: Container, /, *args: P.args, **kwargs: P.kwargs) -> E:
        child = cls(*args, **kwargs)
        self.append(child)
        return child

    method.__doc__ = f"Append a {name} built from these arguments and return it (to fill it)."
    return method
