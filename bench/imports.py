"""Import time, measured in fresh interpreters.

Each repeat starts ``python -c "import x"`` for every module and a bare ``python -c pass``
(in a rotating order); the cost of a module is the median, over repeats, of its wall time
minus the bare interpreter's time in the same repeat.

The interpreters read and write bytecode caches (in a temporary directory, so nothing is
written into the checkout) even when PYTHONDONTWRITEBYTECODE is set, as an installed
package would have them: without caches, every run would compile every module again.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from .results import Case, Target, check, new_case
from .timing import Settings

MODULES = ("bxml", "callcontrol", "bandwidth.models.bxml", "twilio.twiml.voice_response")
#: Heavy modules that ``import bxml`` must not pull in.
HEAVY = ("requests", "xmlschema", "lxml")
BARE = "pass"
TIMEOUT = 60


@functools.cache
def environment() -> dict[str, str]:
    """The environment of the measured interpreters: bytecode caches on, outside the repo."""
    cache = tempfile.mkdtemp(prefix="bench-pycache-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def python(*args: str, cached: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a fresh interpreter with ``args`` (with bytecode caches unless ``cached`` is False).

    A quick run does without the caches: filling them would cost more than it measures.
    """
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=environment() if cached else None,
    )


def run_python(code: str, cached: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``python -c code`` in a fresh process; return its wall time and result."""
    start = time.perf_counter()
    done = python("-c", code, cached=cached)
    return time.perf_counter() - start, done


def first_run(modules: tuple[str, ...], case: Case, cached: bool) -> dict[str, float]:
    """Import each module once (also a warm-up); return the wall time of those that work.

    The others are noted as skipped in ``case``.
    """
    found = {}
    for module in modules:
        wall, done = run_python(f"import {module}", cached)
        if done.returncode == 0:
            found[module] = wall
        else:
            last = (done.stderr.strip().splitlines() or ["failed"])[-1]
            case["skipped"][module] = f"cannot be imported ({last[:120]})"
    return found


def heavy_imports(module: str, cached: bool) -> list[str]:
    """Return which of :data:`HEAVY` a fresh ``import module`` loads."""
    probe = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    _, done = run_python(probe, cached)
    return done.stdout.split()


def self_times(code: str) -> dict[str, int]:
    """Return each module's own import time in µs, from ``python -X importtime``."""
    done = python("-X", "importtime", "-c", code)
    times: dict[str, int] = {}
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            times[parts[2].strip()] = int(parts[0])
    return times


def slowest_modules(module: str, count: int = 6) -> str:
    """The modules that ``import module`` adds to a bare interpreter, slowest first."""
    bare = self_times(BARE)
    added = {name: us for name, us in self_times(f"import {module}").items() if name not in bare}
    ranked = sorted(added.items(), key=lambda item: item[1], reverse=True)[:count]
    return ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in ranked)


#: The HTTP library the client is built on: ``from callcontrol import CallsClient`` loads it, so
#: that import is judged above it. ``import callcontrol`` loads neither it nor bxml (names load
#: their submodules on first use), so it is judged above bare python: a difference from
#: ``import requests`` would be negative and meet any limit.
BASELINE = "requests"
#: Imports of public names, which load their submodules on first use: name -> what it is judged
#: against (None: bare python).
NAME_IMPORTS = {
    "from callcontrol import CallsClient": BASELINE,
    "from callcontrol import WebhookApp, parse_event": None,
}


def import_case(settings: Settings) -> tuple[Case, list[Target]]:
    """Time the import of each module above a bare interpreter."""
    case = new_case("imports", "import time above bare python (fresh process)", "ms")
    cached = not settings.quick
    if cached:
        run_python(BARE)  # fills the bytecode cache of the interpreter's own modules
    bare = run_python(BARE, cached)[0]
    first = first_run((*MODULES, BASELINE), case, cached)
    first.update({code: run_python(code, cached)[0] for code in NAME_IMPORTS})
    codes = {BARE: bare} | {_code(name): wall for name, wall in first.items()}
    walls = timed(codes, settings)

    def above(code: str, base: str = BARE) -> float | None:
        if code not in walls or base not in walls:
            return None
        return statistics.median(a - b for a, b in zip(walls[code], walls[base], strict=True))

    cost = {module: above(_code(module)) for module in first if module in (*MODULES, BASELINE)}
    ours = cost.get("bxml")
    for module, seconds in cost.items():
        if seconds is not None:
            relative = seconds / ours if ours else None
            case["rows"].append({"library": module, "value": seconds * 1e3, "relative": relative})
    case["notes"].append(f"bare python: {statistics.median(walls[BARE]) * 1e3:.1f} ms")
    callcontrol = cost.get("callcontrol")
    case["notes"].extend(_name_notes(above))
    if ours is not None:
        case["notes"].extend(_bxml_notes(cached, settings.quick))
    targets = [
        _target("import bxml: above bare python", ours, "bxml"),
        _target("import callcontrol: above bare python", callcontrol, "callcontrol"),
    ]
    return case, targets


def _code(module: str) -> str:
    """The code that imports ``module`` (a code already, for the name imports)."""
    return module if module.startswith("from ") else f"import {module}"


def timed(first: dict[str, float], settings: Settings) -> dict[str, list[float]]:
    """Wall times of each code, one per repeat, run in a rotating order.

    A quick run keeps the first run's time (``first``) as its only measurement.
    """
    codes = list(first)
    walls: dict[str, list[float]] = {code: [] for code in codes}
    if settings.quick:
        for code, wall in first.items():
            walls[code].append(wall)
    for repeat in range(0 if settings.quick else 11):
        shift = repeat % len(codes)
        for code in codes[shift:] + codes[:shift]:
            walls[code].append(run_python(code)[0])
    return walls


def _name_notes(above: Callable[[str, str], float | None]) -> list[str]:
    """What the imports of callcontrol's main names cost."""
    notes = []
    for code, base in NAME_IMPORTS.items():
        seconds = above(code, _code(base) if base else BARE)
        if seconds is not None:
            notes.append(
                f"{code} above {_code(base) if base else 'bare python'}: {seconds * 1e3:.1f} ms"
            )
    return notes


def _bxml_notes(cached: bool, quick: bool) -> list[str]:
    """Which heavy modules ``import bxml`` loads, and (full runs) its slowest modules."""
    heavy = heavy_imports("bxml", cached)
    notes = ["import bxml loads " + (", ".join(heavy) if heavy else f"none of {', '.join(HEAVY)}")]
    if not quick:
        notes.append(
            "own time of the modules import bxml adds (one `-X importtime` run, which "
            f"inflates times): {slowest_modules('bxml')}"
        )
    return notes


def _target(claim: str, seconds: float | None, module: str) -> Target:
    """The 40 ms import target for ``module``, with its slowest modules when missed."""
    target = check(claim, "<=", 40.0, None if seconds is None else seconds * 1e3, " ms")
    if target["met"] is False:
        target["note"] = f"the slowest modules it loads: {slowest_modules(module, 3)}."
    return target
