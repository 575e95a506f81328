"""The fluent builder: containers, their ``with`` blocks, and per-child methods.

A container gets one method per child class it may hold, made by :func:`leaf` (append the
child and return the container, to chain siblings) or :func:`nest` (append the child and
return it, to fill it). Both keep the child's own signature for type checkers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast

from ._compile import builder_method
from ._element import Element, UnknownElement

P = ParamSpec("P")
E = TypeVar("E", bound=Element)
C = TypeVar("C", bound="Container[Any]")
#: The children a container may hold, for type checkers (CHILD_TYPES checks them at run time).
ChildT = TypeVar("ChildT", bound=Element)


class Container(Element, Generic[ChildT]):
    """An element that holds ``ChildT`` children; usable as a ``with`` block."""

    __slots__ = ()

    CONTENT = "children"

    def append(self: C, *children: ChildT | UnknownElement) -> C:
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


class _Builder:
    """A builder method, compiled on first access (see :func:`bxml._compile.builder_method`).

    Compiling each method as its class is made would add to the cost of ``import bxml``;
    most programs use a few of them.
    """

    def __init__(self, child: type[Element], returns_child: bool) -> None:
        self.child = child
        self.returns_child = returns_child
        self.owner: type[Container[Any]] = Container
        self.name = ""

    def __set_name__(self, owner: type[Container[Any]], name: str) -> None:
        self.owner, self.name = owner, name

    def __get__(self, obj: object, objtype: type | None = None) -> Any:
        method = self.compile()
        setattr(self.owner, self.name, method)  # later lookups find the function itself
        return method.__get__(obj, objtype)

    def compile(self) -> Callable[..., Any]:
        """Return the method as a plain function with the child's signature and docstring."""
        child, owner, name = self.child, self.owner, self.name
        method = builder_method(child, self.returns_child)
        what = "and return it (to fill it)" if self.returns_child else "; return this container"
        method.__doc__ = (
            f"Append a {child.__name__} built from these arguments {what}.\n\n"
            f"{child.__name__}: {child.__doc__}"
        ).replace(" ;", ";")
        method.__name__ = name
        method.__qualname__ = f"{owner.__qualname__}.{name}"
        method.__module__ = owner.__module__
        method.__annotations__.setdefault("return", owner.__name__)
        return method


def leaf(cls: Callable[P, Element]) -> Callable[Concatenate[C, P], C]:
    """Make a method that appends a ``cls`` child and returns the container."""
    method: Callable[Concatenate[C, P], C] = cast(Any, _Builder(cast(Any, cls), False))
    return method


def nest(cls: Callable[P, E]) -> Callable[Concatenate[Container[Any], P], E]:
    """Make a method that appends a ``cls`` child and returns that child."""
    method: Callable[Concatenate[Container[Any], P], E] = cast(Any, _Builder(cast(Any, cls), True))
    return method
