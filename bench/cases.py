"""In-process cases: build + serialize, parse, validate and memory.

Each case returns a :class:`~bench.results.Case` (a row per library, times relative to
ours) and the targets it decides. A peer or a part of bxml that cannot be imported is
reported as skipped, never as a crash.
"""

from __future__ import annotations

import functools
import gc
import importlib
import tracemalloc
from collections.abc import Callable
from typing import Any
from xml.parsers import expat

from .documents import LIBRARIES, SIZES, Library, canonical, document_bytes
from .results import Case, Target, check, new_case
from .timing import Measurement, Settings, interleaved

OURS = "bxml"


def missing(exc: BaseException) -> str:
    """Return a short reason for a skipped contender."""
    if isinstance(exc, ModuleNotFoundError):
        return f"not installed ({exc.name})"
    return f"not available yet ({type(exc).__name__}: {exc})"


def load_libraries(case: Case) -> dict[str, Library]:
    """Return every library that can be imported; note the others in ``case``."""
    libraries: dict[str, Library] = {}
    for name, make in LIBRARIES.items():
        try:
            libraries[name] = make()
        except ImportError as exc:
            case["skipped"][name] = missing(exc)
    return libraries


def fill_rows(case: Case, measurement: Measurement, ours: str, scale: float = 1e6) -> None:
    """Add one row per contender: median time (scaled) and time relative to ``ours``."""
    for name in measurement.times:
        case["rows"].append(
            {
                "library": name,
                "value": measurement.median(name) * scale,
                "relative": measurement.ratio(name, ours),
            }
        )


def ratio_or_none(measurement: Measurement, a: str, b: str) -> float | None:
    """Return the ratio of ``a`` to ``b`` when both were measured."""
    if a in measurement.times and b in measurement.times:
        return measurement.ratio(a, b)
    return None


# -- build + serialize ------------------------------------------------------------------


def check_same_tree(libraries: dict[str, Library], size: str) -> None:
    """Fail loudly if a library writes another tree than ours: the comparison would lie."""
    expected = canonical(libraries[OURS].build_and_serialize(size)())
    for library in libraries.values():
        if library.same_markup and canonical(library.build_and_serialize(size)()) != expected:
            raise AssertionError(f"{library.name} does not write the {size} document bxml writes")


def build_case(size: str, settings: Settings) -> tuple[Case, list[Target]]:
    """Build and serialize the ``size`` document with every library."""
    case = new_case("build", f"build + serialize, {size} document", "µs")
    libraries = load_libraries(case)
    check_same_tree(libraries, size)
    contenders: dict[str, Callable[[], object]] = {
        name: lib.build_and_serialize(size) for name, lib in libraries.items()
    }
    contenders.update(split(libraries[OURS], size))
    measurement = interleaved(contenders, settings)
    fill_rows(case, measurement, OURS)
    case["notes"].append(
        "bxml returns str; raw lxml returns bytes (tostring with a declaration); "
        "twilio writes the closest TwiML (Say, Gather, Play, Dial/Number, Pause, Redirect). "
        "The two 'bxml:' rows split our time into building the verbs and to_xml() of a "
        "built document."
    )
    targets = build_targets(size, measurement)
    share = measurement.ratio(f"{OURS}: build only", OURS)
    for target in targets:
        if target["met"] is False:
            target["note"] = (
                f"building the verbs (every value and child checked) is {share:.0%} of our "
                "time, to_xml() the rest; the floors check nothing."
            )
    return case, targets


def split(library: Library, size: str) -> dict[str, Callable[[], object]]:
    """Our build alone and our serialization alone, to show where the time goes."""
    build, serialize = library.build[size], library.serialize
    built = build()
    return {f"{OURS}: build only": build, f"{OURS}: to_xml only": lambda: serialize(built)}


def build_targets(size: str, measurement: Measurement) -> list[Target]:
    """The build targets: at the raw-lxml floor, and well ahead of bandwidth-sdk."""
    targets = []
    if size != "large":
        targets.append(
            check(
                f"build {size}: bxml ÷ raw lxml",
                "<=",
                1.0,
                ratio_or_none(measurement, OURS, "raw lxml"),
            )
        )
    targets.append(
        check(
            f"build {size}: bandwidth-sdk ÷ bxml",
            ">=",
            1.8 if size == "large" else 3.5,
            ratio_or_none(measurement, "bandwidth-sdk", OURS),
        )
    )
    return targets


def _ignore(*args: object) -> None:
    return None


def bare_expat(data: bytes) -> None:
    """Parse with expat and Python callbacks that do nothing (bxml.parse's floor)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = _ignore
    parser.EndElementHandler = _ignore
    parser.CharacterDataHandler = _ignore
    parser.Parse(data, True)


# -- parse ------------------------------------------------------------------------------

FRESH = "bxml, values not seen before"


def parse_fresh(data: bytes) -> object:
    """bxml.parse as for a document never seen: its memory of checked values keeps one entry.

    Each value is checked, stored, and (at the next store) dropped, as values are in a
    server's memory once it is full; within a document, a repeated value is still found.
    """
    import bxml

    module = _fast_parse()
    if module is None or not hasattr(module, "_MEMORY_MAX"):
        return bxml.parse(data)
    saved = module._MEMORY_MAX
    module._MEMORY_MAX = 0
    try:
        return bxml.parse(data)
    finally:
        module._MEMORY_MAX = saved


@functools.cache
def _fast_parse() -> Any:
    """bxml's fast reader module (None in versions without one)."""
    try:
        return importlib.import_module("bxml._fast_parse")
    except ImportError:
        return None


def parse_case(size: str, settings: Settings) -> tuple[Case, list[Target]]:
    """Parse the ``size`` document into objects, against lxml's bare parse into a tree."""
    from lxml import etree

    import bxml

    case = new_case("parse", f"parse, {size} document", "µs")
    data = document_bytes(size)
    contenders: dict[str, Callable[[], object]] = {
        OURS: lambda: bxml.parse(data),
        FRESH: lambda: parse_fresh(data),
        "lxml.etree.fromstring": lambda: etree.fromstring(data),
        "expat, no-op callbacks": lambda: bare_expat(data),
    }
    measurement = interleaved(contenders, settings)
    fill_rows(case, measurement, OURS)
    case["notes"].append(
        "bxml.parse checks every value and builds verb objects; lxml only builds its tree. "
        "Neither peer can parse BXML/TwiML back into objects. 'expat, no-op callbacks' is "
        "the floor of any parser that handles expat's events in Python (shown for scale)."
    )
    fresh = ratio_or_none(measurement, FRESH, "lxml.etree.fromstring")
    if fresh is not None:
        case["notes"].append(
            "bxml.parse remembers the values it checked (a bounded memory): 'bxml' reads the "
            f"same document again, as a server does; '{FRESH}' keeps one value in memory, "
            f"as for a document never seen: {fresh:.1f}× lxml.etree.fromstring."
        )
    claim = f"parse {size}: bxml ÷ lxml.etree.fromstring"
    target = check(claim, "<=", 3.0, measurement.ratio(OURS, "lxml.etree.fromstring"))
    floor = measurement.ratio("expat, no-op callbacks", "lxml.etree.fromstring")
    if target["met"] is False:
        target["note"] = (
            "bxml.parse builds checked verb objects (each value goes through the checks a "
            "constructor runs) where lxml.etree.fromstring only builds its C tree; for "
            "scale, even expat with Python callbacks that do nothing costs "
            f"{floor:.1f}× lxml.etree.fromstring."
        )
    return case, [target]


# -- validate ---------------------------------------------------------------------------


@functools.cache
def lxml_schema(path: str) -> Any:
    """lxml's compiled XSD (loaded once per run)."""
    from lxml import etree

    return etree.XMLSchema(file=path)


@functools.cache
def xmlschema_schema(path: str) -> Any:
    """xmlschema's compiled XSD (loaded once per run; slow to build)."""
    return importlib.import_module("xmlschema").XMLSchema(path)


def validators(data: bytes, case: Case) -> dict[str, Callable[[], object]]:
    """Return ours and the bare schema validators, each with its schema loaded once."""
    from lxml import etree

    import bxml

    validate: Callable[[bytes], object] = bxml.validate
    path = str(bxml.SCHEMA_PATH)
    schema = lxml_schema(path)
    contenders: dict[str, Callable[[], object]] = {
        OURS: lambda: validate(data),
        "lxml XMLSchema": lambda: schema.validate(etree.fromstring(data)),
    }
    try:
        other = xmlschema_schema(path)
    except ImportError as exc:
        case["skipped"]["xmlschema"] = missing(exc)
    else:
        contenders["xmlschema"] = lambda: other.is_valid(data)
    return contenders


def validate_case(size: str, settings: Settings) -> tuple[Case, list[Target]]:
    """Validate the ``size`` document: ours, lxml's XMLSchema alone, xmlschema alone."""
    case = new_case("validate", f"validate, {size} document", "µs")
    claim = f"validate {size}: bxml ÷ lxml XMLSchema"
    data = document_bytes(size)
    try:
        contenders = validators(data, case)
    except (ImportError, AttributeError, OSError) as exc:
        case["skipped"][OURS] = missing(exc)
        return case, [check(claim, "<=", 2.0, None)]
    measurement = interleaved(contenders, settings)
    fill_rows(case, measurement, OURS)
    case["notes"].append("Schemas are loaded once, outside the timing; input is UTF-8 bytes.")
    return case, [check(claim, "<=", 2.0, measurement.ratio(OURS, "lxml XMLSchema"))]


# -- memory -----------------------------------------------------------------------------


def traced(build: Callable[[], Any], serialize: Callable[[Any], object]) -> tuple[int, int]:
    """Return (peak while building and serializing, retained by the built tree) in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        doc = build()
        retained = tracemalloc.get_traced_memory()[0] - base
        output = serialize(doc)
        peak = tracemalloc.get_traced_memory()[1] - base
        del output, doc
    finally:
        tracemalloc.stop()
    return peak, retained


def memory_cases(settings: Settings) -> list[Case]:
    """Peak and retained memory of building the large document, per library."""
    peak_case = new_case("memory", "memory peak: build + serialize the large document", "KiB")
    kept_case = new_case("memory", "memory retained by the built large document", "KiB")
    libraries = load_libraries(peak_case)
    kept_case["skipped"] = dict(peak_case["skipped"])
    samples: dict[str, list[tuple[int, int]]] = {}
    for name, library in libraries.items():
        build = library.build["large"]
        library.serialize(build())  # warm caches and lazy imports
        runs = 1 if settings.quick else 5
        samples[name] = sorted(traced(build, library.serialize) for _ in range(runs))
    for case, index in ((peak_case, 0), (kept_case, 1)):
        ours = samples[OURS][len(samples[OURS]) // 2][index]
        for name, runs_of in samples.items():
            value = sorted(run[index] for run in runs_of)[len(runs_of) // 2]
            case["rows"].append(
                {"library": name, "value": value / 1024, "relative": value / ours if ours else None}
            )
        case["notes"].append(
            "tracemalloc sees Python allocations only: raw lxml's tree lives in libxml2's "
            "C heap, so its numbers count only the Python side and are not comparable."
        )
    return [peak_case, kept_case]


def all_sizes(
    case: Callable[[str, Settings], tuple[Case, list[Target]]], settings: Settings
) -> tuple[list[Case], list[Target]]:
    """Run ``case`` for every document size."""
    cases: list[Case] = []
    targets: list[Target] = []
    for size in SIZES:
        one, decided = case(size, settings)
        cases.append(one)
        targets.extend(decided)
    return cases, targets
