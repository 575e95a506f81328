"""Run the benchmarks: ``python bench/run.py [--quick] [--write] [--only GROUP ...]``.

Installs nothing: peers come from the ``bench`` extra (``pip install -e '.[bench]'``); a
peer that is not installed is reported as skipped. ``--quick`` executes every case about
once (CI's smoke run; the numbers mean nothing). ``--write`` publishes the results to
``bench/results.json``, ``bench/ratios.png`` and ``BENCHMARKS.md``; ``--render``
regenerates the last two from the JSON file without measuring.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: import this directory as the ``bench`` package, not as loose modules.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import (  # noqa: E402
    asgi,
    async_client,
    cases,
    emulator,
    explore,
    hotspots,
    imports,
    loadgen,
    recording,
    report,
    simulate,
    web,
)
from bench.documents import document_bytes, ours  # noqa: E402
from bench.results import Case, Profile, Results, Target  # noqa: E402
from bench.timing import Settings  # noqa: E402

#: The meta key of the machine's load when the run started (others share small machines).
LOAD = "load average at start (1, 5, 15 min)"
GROUPS = (
    "build",
    "parse",
    "validate",
    "memory",
    "imports",
    "http",
    "recording",
    "simulate",
    "emulator",
    "load",
    "async",
    "asgi",
    "profile",
)
PACKAGES = (
    "bxml-callcontrol",
    "lxml",
    "xmlschema",
    "requests",
    "httpx",
    "waitress",
    "bandwidth-sdk",
    "twilio",
    "matplotlib",
)


def cpu_model() -> str:
    """The CPU model named in /proc/cpuinfo, or what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    """The installed version of ``package``, or 'not installed'."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit() -> str:
    """The commit measured (with '+ local changes' when the tree is dirty)."""
    root = report.ROOT
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--",
                "bxml",
                "callcontrol",
                "bench",
                ":(exclude)bench/results.json",
                ":(exclude)bench/ratios.png",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + (" + local changes" if dirty else "")


def machine() -> dict[str, str]:
    """Machine, Python and library versions."""
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": git_commit(),
        "cpu": f"{cpu_model()}, {os.cpu_count()} cores",
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        LOAD: ", ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    meta.update({package: version(package) for package in PACKAGES})
    return meta


def profiles(settings: Settings) -> list[Profile]:
    """Profile our side of the build, parse and validate cases."""
    import bxml

    library = ours()
    number = {"medium": 1 if settings.quick else 2000, "large": 1 if settings.quick else 20}
    found = []
    for size in ("medium", "large"):
        build = library.build_and_serialize(size)
        found.append(hotspots.profile(f"build + serialize, {size}", build, number[size]))
    for size in ("medium", "large"):
        parse = partial(bxml.parse, document_bytes(size))
        found.append(hotspots.profile(f"parse, {size}", parse, number[size]))
    validate = getattr(bxml, "validate", None)
    if validate is not None:
        check = partial(validate, document_bytes("medium"))
        found.append(hotspots.profile("validate, medium", check, number["medium"]))
    try:
        app = web.wsgi_call(web.webhook_app())
    except ImportError:
        return found
    found.append(hotspots.profile("WebhookApp, answer event (in-process)", app, number["medium"]))
    return found


def run(settings: Settings, groups: Sequence[str]) -> Results:
    """Run the selected groups of cases; return every result."""
    results: Results = {
        "meta": machine(),
        "cases": [],
        "targets": [],
        "profiles": [],
        "skipped": [],
    }
    results["meta"]["mode"] = "quick (smoke: numbers mean nothing)" if settings.quick else "full"
    many: dict[str, Callable[[Settings], tuple[list[Case], list[Target]]]] = {
        "build": lambda s: cases.all_sizes(cases.build_case, s),
        "parse": lambda s: cases.all_sizes(cases.parse_case, s),
        "validate": lambda s: cases.all_sizes(cases.validate_case, s),
    }
    for group in groups:
        started = time.perf_counter()
        if group in many:
            found, targets = many[group](settings)
        elif group == "memory":
            found, targets = cases.memory_cases(settings), []
        elif group == "imports":
            one, targets = imports.import_case(settings)
            found = [one]
        elif group == "simulate":
            one, targets = simulate.simulate_case(settings)
            walk, walk_targets = explore.explore_case(settings)
            found, targets = [one, walk, explore.render_case(settings)], targets + walk_targets
        elif group == "recording":
            found, targets = recording.recording_cases(settings)
        elif group == "emulator":
            found, targets = emulator.emulator_cases(settings)
        elif group == "load":
            found, targets = loadgen.load_cases(settings)
        elif group == "async":
            found, targets = async_client.async_cases(settings)
        elif group == "http":
            client, targets = web.client_case(settings)
            load, load_targets = web.load_case(settings)
            found = [client, web.wsgi_case(settings), web.webhook_case(settings), load]
            found.append(web.hosting_case(settings))
            targets = targets + load_targets
        elif group == "asgi":
            over_asgi, targets = asgi.asgi_case(settings)
            found = [over_asgi]
        else:
            results["profiles"] = profiles(settings)
            found, targets = [], []
        results["cases"].extend(found)
        results["targets"].extend(targets)
        print(f"[{group}: {time.perf_counter() - started:.1f} s]", file=sys.stderr)
    for case in results["cases"]:
        for name, reason in case["skipped"].items():
            results["skipped"].append(f"{case['title']}: {name} {reason}")
    return results


def merged(published: Results, fresh: Results, groups: Sequence[str]) -> Results:
    """The published results with the cases of ``groups`` and the targets measured again
    replaced by the ``fresh`` ones; the meta says when those groups were measured."""
    ran = set(groups)
    fresh_claims = {target["claim"] for target in fresh["targets"]}
    meta = dict(published["meta"])
    run = fresh["meta"]
    meta[f"{', '.join(groups)} measured"] = (
        f"{run['date']}, commit {run['commit']}, load average {run.get(LOAD, 'unknown')}"
    )
    for key, value in run.items():
        if key not in ("date", "commit", "mode", LOAD):
            meta.setdefault(key, value)
    return {
        "meta": meta,
        "cases": [c for c in published["cases"] if c["group"] not in ran] + fresh["cases"],
        "targets": [t for t in published["targets"] if t["claim"] not in fresh_claims]
        + fresh["targets"],
        "profiles": fresh["profiles"] if "profile" in ran else published["profiles"],
        "skipped": [s for s in published["skipped"] if s not in fresh["skipped"]]
        + fresh["skipped"],
    }


def write(results: Results) -> None:
    """Publish: results.json, ratios.png and BENCHMARKS.md."""
    report.RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    render(results)


def render(results: Results) -> None:
    """Regenerate the plot and BENCHMARKS.md from results."""
    report.plot(results, report.PLOT_PNG)
    report.BENCHMARKS_MD.write_text(report.markdown(results))


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke run: every case about once")
    parser.add_argument("--write", action="store_true", help="publish results and BENCHMARKS.md")
    parser.add_argument("--render", action="store_true", help="re-render from results.json")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="with --write: replace only the groups run (--only) in the published results",
    )
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS))
    args = parser.parse_args(argv)
    if args.quick and args.write:
        parser.error("--write publishes numbers; a --quick run's numbers mean nothing")
    if args.merge and not args.write:
        parser.error("--merge goes with --write")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print, and optionally publish the benchmarks."""
    args = arguments(argv)
    if args.render:
        render(json.loads(report.RESULTS_JSON.read_text()))
        return 0
    settings = Settings.smoke() if args.quick else Settings.full()
    results = run(settings, args.only)
    print(report.text_report(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if args.write:
        if args.merge:
            published = json.loads(report.RESULTS_JSON.read_text())
            results = merged(published, results, args.only)
        write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
