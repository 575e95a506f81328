"""No import circle inside callcontrol/engine: every import counts, even one inside a
function or under ``if TYPE_CHECKING``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[3] / "callcontrol" / "engine"
PACKAGE = "callcontrol.engine"


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(ENGINE.glob("*.py"))}


def _targets(node: ast.AST, modules: set[str]) -> set[str]:
    """The engine modules one import statement reaches."""
    found: set[str] = set()
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level == 1 or (node.level == 0 and base.startswith(PACKAGE)):
            inner = base[len(PACKAGE) + 1 :] if node.level == 0 else base
            if inner:
                found.add(inner.split(".")[0])
            else:
                for alias in node.names:
                    found.add(alias.name if alias.name in modules else "__init__")
    elif isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith(PACKAGE + "."):
                found.add(alias.name[len(PACKAGE) + 1 :].split(".")[0])
    return found & modules


def import_graph() -> dict[str, set[str]]:
    """Each engine module and the engine modules it imports anywhere in its text."""
    trees = _modules()
    names = set(trees)
    return {
        name: set().union(*(_targets(node, names) for node in ast.walk(tree))) - {name}
        for name, tree in trees.items()
    }


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph``, as the modules along it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for other in sorted(graph.get(name, ())):
            if state.get(other) == 1:
                return [*stack[stack.index(other) :], other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        state[name] = 2
        stack.pop()
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def test_the_engine_has_no_import_circle() -> None:
    graph = import_graph()
    assert "core" in graph and "runtime" in graph
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])


def test_the_runners_know_the_declared_interface_not_the_core() -> None:
    graph = import_graph()
    runners = ("media", "gather", "record", "dialing", "refer", "background", "caller", "keys")
    for runner in (*runners, "bridge"):
        assert "core" not in graph[runner], runner
        assert "runtime" in graph[runner], runner


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n    from .core import Engine\n", {"core"}),
        ("if TYPE_CHECKING:\n    from .core import Engine\n", {"core"}),
        ("from . import core, model\n", {"core", "model"}),
        ("import callcontrol.engine.core\n", {"core"}),
        ("from callcontrol.engine.core import Engine\n", {"core"}),
        ("from .. import bxml\n", set()),
    ],
)
def test_every_kind_of_import_counts(source: str, expected: set[str]) -> None:
    tree = ast.parse(source)
    names = {"core", "model", "__init__"}
    assert set().union(*(_targets(n, names) for n in ast.walk(tree))) == expected


def test_a_circle_is_found() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
