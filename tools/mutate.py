"""A small AST mutation tester: does the test suite notice a realistic bug in a module?

Each mutant changes one thing in one module: a comparison (``<`` and ``<=``, ``>`` and ``>=``,
``==`` and ``!=``, ``in`` and ``not in``, ``is`` and ``is not``), an arithmetic operator
(``+`` and ``-``, ``*`` and ``/``, ``//`` to ``/``, ``%`` to ``//``), a number (+1 and -1),
``True`` and ``False``, ``and`` and ``or``, a call statement removed, ``return x`` to
``return None``, a string constant emptied. Docstrings, annotations, ``__all__`` and
``if TYPE_CHECKING:`` blocks are left alone.

The repository is copied once to a private temporary directory; mutants are written there
(atomically), one at a time, and the tests run with that copy first on ``sys.path``, so the
working tree is never changed. A first run under coverage records which tests execute each
line; a mutant then runs only those tests (``-x``, with a timeout). A mutant on a line no test
executes is reported as ``uncovered`` (a survivor) without running; a mutant on a line run only
at import time (module constants, ``def`` lines) runs every selected test file.

Usage (from the repository root, in the project's virtualenv)::

    python tools/mutate.py callcontrol/engine/gather.py callcontrol/engine/keys.py \\
        --tests tests/callcontrol/engine tests/callcontrol/testing/test_simulator.py \\
        [--timeout 60] [--results mutation-results.jsonl] [--only 3 17] [--show 17]

``--sample F`` runs a reproducible random share F (0-1) of each module's mutants, drawn with
``--seed`` from the module's path, so a large module can be scored in bounded time (the
summary then estimates the module's score from the sample; report it as a sample).

``--results`` appends one JSON object per mutant (module, id, line, operator, status);
mutants already recorded there for a module are skipped unless ``--rerun`` (or ``--only``)
is given, so an interrupted run resumes; ``--survivors`` runs again only the mutants whose
latest record is not killed (after tests were added). ``--show ID`` prints the diff of one
mutant and exits; ``--summary`` prints killed / total per module (a timeout counts as
killed) and the survivors. Installed pytest plugins are not auto-loaded (``--plugins``
names those to load); tests that start pytest themselves (pytester) do not belong in
``--tests``.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
ARITH_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
}
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.egg-info"
)


@dataclass(frozen=True)
class Mutant:
    """One change to one module: the index of the node it applies to and what it does."""

    ident: int
    node_index: int
    variant: str
    line: int
    end_line: int
    description: str


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes no mutant touches: docstrings, annotations, __all__, TYPE_CHECKING."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            assert isinstance(body, list)
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip(first)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip(node.returns)
        if isinstance(node, ast.arg | ast.AnnAssign):
            skip(node.annotation)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip(node)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            skip(node)
    return skipped


def _variants(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(variant, description) for each mutant of one node."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            swap = COMPARE_SWAPS.get(type(op))
            if swap is not None:
                yield f"cmp{i}", f"{type(op).__name__} -> {swap.__name__}"
    elif isinstance(node, ast.BinOp | ast.AugAssign):
        arith = ARITH_SWAPS.get(type(node.op))
        if arith is not None:
            yield "arith", f"{type(node.op).__name__} -> {arith.__name__}"
    elif isinstance(node, ast.BoolOp):
        other = "Or" if isinstance(node.op, ast.And) else "And"
        yield "bool", f"{type(node.op).__name__} -> {other}"
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield "flip", f"{value} -> {not value}"
        elif isinstance(value, int | float):
            yield "plus", f"{value!r} -> {value + 1!r}"
            yield "minus", f"{value!r} -> {value - 1!r}"
        elif isinstance(value, str) and value:
            yield "empty", f"{value[:30]!r} -> ''"
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield "nocall", f"call statement {ast.unparse(node.value.func)}(...) removed"
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "none", "return value -> None"


def _nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node in a fixed order, so an index names the same node in each fresh parse."""
    return list(ast.walk(tree))


def enumerate_mutants(source: str) -> list[Mutant]:
    """All mutants of one module's source, numbered from 1 in a stable order."""
    tree = ast.parse(source)
    skipped = _skipped_nodes(tree)
    found: list[Mutant] = []
    for index, node in enumerate(_nodes(tree)):
        if id(node) in skipped:
            continue
        for variant, description in _variants(node):
            line = getattr(node, "lineno", 0)
            end = getattr(node, "end_lineno", line) or line
            found.append(Mutant(len(found) + 1, index, variant, line, end, description))
    return found


def apply_mutant(source: str, mutant: Mutant) -> str:
    """The module's source with one mutant applied (re-printed from the AST)."""
    tree = ast.parse(source)
    node = _nodes(tree)[mutant.node_index]
    variant = mutant.variant
    if variant.startswith("cmp"):
        assert isinstance(node, ast.Compare)
        i = int(variant[3:])
        node.ops[i] = COMPARE_SWAPS[type(node.ops[i])]()
    elif variant == "arith":
        assert isinstance(node, ast.BinOp | ast.AugAssign)
        node.op = ARITH_SWAPS[type(node.op)]()
    elif variant == "bool":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif variant in ("flip", "plus", "minus", "empty"):
        assert isinstance(node, ast.Constant)
        if variant == "flip":
            node.value = not node.value
        elif variant == "empty":
            node.value = ""
        else:
            assert isinstance(node.value, int | float)
            node.value = node.value + (1 if variant == "plus" else -1)
    elif variant == "nocall":
        assert isinstance(node, ast.Expr)
        node.value = ast.Constant(None)
    elif variant == "none":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(None)
    else:
        raise ValueError(f"unknown mutant variant {variant!r}")
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_suffix(".mutating")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


class Workspace:
    """A private copy of the repository in which mutants are written and tests run."""

    def __init__(
        self, root: Path, tests: Sequence[str], timeout: float, plugins: Sequence[str]
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="mutate-"))
        self.copy = self.root / "repo"
        shutil.copytree(root, self.copy, ignore=COPY_IGNORE)
        # Tests look for the reference material (shared/contract/...) beside the repository.
        parents = root.resolve().parents
        shared = next((p / "shared" for p in parents if (p / "shared").is_dir()), None)
        if shared is not None:
            (self.root / "shared").symlink_to(shared)
        self.tests = list(tests)
        self.timeout = timeout
        self.env = dict(os.environ)
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"  # a stale .pyc must never mask a mutant
        self.env.setdefault("HYPOTHESIS_PROFILE", "ci")
        # Loading every installed pytest plugin costs more than most mutants' tests.
        self.env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        self.plugins = [arg for name in plugins for arg in ("-p", name)]

    def close(self) -> None:
        """Remove the copy."""
        shutil.rmtree(self.root, ignore_errors=True)

    def pytest(self, args: Sequence[str], timeout: float | None) -> tuple[str, float]:
        """Run pytest in the copy: ('passed' | 'failed' | 'timeout', seconds)."""
        command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
        command += [*self.plugins, *args]
        started = time.monotonic()
        with (
            (self.root / "pytest.log").open("wb") as log,
            subprocess.Popen(
                command,
                cwd=self.copy,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lambda: os.nice(5),
            ) as process,
        ):
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return "timeout", time.monotonic() - started
            except BaseException:  # interrupted: the tests must not outlive the tool
                os.killpg(process.pid, signal.SIGKILL)
                raise
        return ("passed" if code == 0 else "failed"), time.monotonic() - started

    def log_tail(self, lines: int = 30) -> str:
        """The end of the last pytest run's output."""
        text = (self.root / "pytest.log").read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def run_tests(self, selection: Sequence[str], timeout: float | None) -> tuple[str, float]:
        """Run these test files or node ids (passed in an argument file: there may be many)."""
        argfile = self.root / "tests.txt"
        argfile.write_text("\n".join(selection) + "\n", encoding="utf-8")
        return self.pytest([f"@{argfile}"], timeout)

    def line_tests(self, modules: Sequence[str]) -> dict[str, dict[int, set[str]]]:
        """For each module, the tests (node ids) that execute each of its lines.

        An empty string among a line's tests means the line runs at import time."""
        data_file = self.root / "coverage.data"
        self.env["COVERAGE_FILE"] = str(data_file)
        args = ["-p", "pytest_cov.plugin", "--cov=callcontrol", "--cov-context=test"]
        args.append("--cov-report=")
        status, seconds = self.pytest([*args, *self.tests], timeout=None)
        del self.env["COVERAGE_FILE"]
        if status != "passed":
            raise SystemExit(f"the tests fail before any mutation:\n{self.log_tail()}")
        print(f"baseline under coverage: {seconds:.1f} s", flush=True)
        from coverage import CoverageData

        data = CoverageData(basename=str(data_file))
        data.read()
        found: dict[str, dict[int, set[str]]] = {}
        for module in modules:
            path = str((self.copy / module).resolve())
            by_line = data.contexts_by_lineno(path)
            found[module] = {
                line: {c.rsplit("|", 1)[0] for c in contexts} for line, contexts in by_line.items()
            }
        return found


def _tests_for(mutant: Mutant, line_tests: dict[int, set[str]]) -> set[str] | None:
    """The node ids to run for a mutant; None when no test executes its lines."""
    tests: set[str] = set()
    covered = False
    for line in range(mutant.line, mutant.end_line + 1):
        if line in line_tests:
            covered = True
            tests |= line_tests[line]
    return tests if covered else None


def run_module(
    work: Workspace,
    module: str,
    line_tests: dict[int, set[str]],
    wanted: set[int] | None,
    done: set[int],
    results: Path,
) -> None:
    """Run every wanted mutant of one module, one at a time, appending to ``results``."""
    target = work.copy / module
    original = target.read_text(encoding="utf-8")
    mutants = enumerate_mutants(original)
    print(f"{module}: {len(mutants)} mutants")
    try:
        # Mutants are re-printed from the AST: the re-printed original must pass as it is.
        _write_atomically(target, ast.unparse(ast.parse(original)) + "\n")
        covering = sorted({t for tests in line_tests.values() for t in tests} - {""})
        if covering and work.run_tests(covering, timeout=None)[0] != "passed":
            tail = work.log_tail()
            raise SystemExit(f"{module}: its tests fail on the re-printed module:\n{tail}")
        for mutant in mutants:
            if wanted is not None and mutant.ident not in wanted:
                continue
            if wanted is None and mutant.ident in done:
                continue
            tests = _tests_for(mutant, line_tests)
            seconds = 0.0
            if tests is None:
                status = "uncovered"
            else:
                selection = work.tests if "" in tests or not tests else sorted(tests)
                _write_atomically(target, apply_mutant(original, mutant))
                outcome, seconds = work.run_tests(selection, timeout=work.timeout)
                _write_atomically(target, original)
                status = {"passed": "survived", "failed": "killed"}.get(outcome, outcome)
            record = {
                "module": module,
                "id": mutant.ident,
                "line": mutant.line,
                "operator": mutant.description,
                "status": status,
                "seconds": round(seconds, 1),
            }
            with results.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            print(f"  #{mutant.ident} line {mutant.line} {mutant.description}: {status}")
    finally:
        _write_atomically(target, original)


def sample_ids(module: str, share: float, seed: int) -> set[int]:
    """A reproducible random share of a module's mutant ids (the same for the same source)."""
    count = len(enumerate_mutants(Path(module).read_text(encoding="utf-8")))
    drawn = random.Random(f"{seed}:{module}").sample(range(1, count + 1), round(count * share))
    return set(drawn)


def read_results(results: Path) -> dict[tuple[str, int], dict[str, object]]:
    """The latest record of each (module, mutant id) in a results file."""
    latest: dict[tuple[str, int], dict[str, object]] = {}
    if results.exists():
        for line in results.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            latest[(record["module"], record["id"])] = record
    return latest


def _killed(record: dict[str, object]) -> bool:
    return record["status"] in ("killed", "timeout")


def summary(results: Path, modules: Sequence[str]) -> str:
    """killed / total per module (a timeout counts as killed), and the survivors."""
    latest = read_results(results)
    lines = []
    for module in modules:
        records = [r for (m, _), r in sorted(latest.items()) if m == module]
        killed = sum(1 for r in records if _killed(r))
        share = 100 * killed / len(records) if records else 0.0
        lines.append(f"{module}: {killed}/{len(records)} killed ({share:.1f}%)")
        for r in records:
            if not _killed(r):
                lines.append(f"  {r['status']} #{r['id']} line {r['line']}: {r['operator']}")
    return "\n".join(lines)


def show(module: str, ident: int) -> str:
    """The diff one mutant makes to a module (both sides re-printed from the AST)."""
    source = Path(module).read_text(encoding="utf-8")
    mutant = next(m for m in enumerate_mutants(source) if m.ident == ident)
    before = ast.unparse(ast.parse(source)).splitlines()
    after = apply_mutant(source, mutant).splitlines()
    diff = difflib.unified_diff(before, after, module, f"{module} #{ident}", lineterm="", n=2)
    return "\n".join(diff)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("modules", nargs="+", help="module files to mutate, from the repo root")
    parser.add_argument("--tests", nargs="+", default=["tests"], help="test files or folders")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per mutant")
    parser.add_argument("--results", type=Path, default=Path("mutation-results.jsonl"))
    parser.add_argument(
        "--plugins",
        nargs="*",
        default=["_hypothesis_pytestplugin", "callcontrol.testing.plugin", "anyio"],
        help="pytest plugins to load (installed plugins are not auto-loaded)",
    )
    parser.add_argument("--only", type=int, nargs="+", help="run only these mutant ids")
    parser.add_argument("--sample", type=float, help="run this random share (0-1) of mutants")
    parser.add_argument("--seed", type=int, default=19, help="seed of --sample")
    parser.add_argument("--rerun", action="store_true", help="rerun mutants already recorded")
    parser.add_argument(
        "--survivors", action="store_true", help="rerun the recorded survivors (after new tests)"
    )
    parser.add_argument("--show", type=int, help="print the diff of this mutant and exit")
    parser.add_argument("--summary", action="store_true", help="print the summary and exit")
    args = parser.parse_args(argv)
    if args.show is not None:
        print(show(args.modules[0], args.show))
        return 0
    if args.summary:
        print(summary(args.results, args.modules))
        return 0
    results = args.results.resolve()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the copy is removed
    latest = read_results(results)
    work = Workspace(Path.cwd(), args.tests, args.timeout, args.plugins)
    try:
        coverage = work.line_tests(args.modules)
        for module in args.modules:
            done = set() if args.rerun else {i for (m, i) in latest if m == module}
            wanted = set(args.only) if args.only else None
            if args.sample is not None:
                wanted = sample_ids(module, args.sample, args.seed) - done
            if args.survivors:
                wanted = {i for (m, i), r in latest.items() if m == module and not _killed(r)}
            run_module(work, module, coverage[module], wanted, done, results)
    finally:
        work.close()
    print(summary(results, args.modules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
