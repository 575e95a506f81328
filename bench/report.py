"""Render a run's results: the terminal table, ``BENCHMARKS.md`` and the ratio plot."""

from __future__ import annotations

from pathlib import Path

from .results import Case, Profile, Results, Target

ROOT = Path(__file__).resolve().parent.parent
RESULTS_JSON = ROOT / "bench" / "results.json"
PLOT_PNG = ROOT / "bench" / "ratios.png"
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
OURS = "bxml"
COMMAND = "pip install -e '.[bench]' && python bench/run.py"

#: Why a missed target is missed, by the first word of its claim (from the profiles).
WHY = {
    "build": (
        "bxml checks every attribute and child when a verb is built (the floor checks "
        "nothing) and serializes in Python; see the build profiles below for the functions "
        "that dominate."
    ),
    "parse": (
        "bxml.parse runs expat callbacks in Python and then builds checked verb objects "
        "through the same constructors users call; lxml builds its C tree only."
    ),
    "validate": "bxml.validate does more than the bare XSD check; see the validate profile.",
    "import": "import bxml loads more modules than it needs at import time.",
    "client": "CallsClient does more per request than a bare GET (checks, models, retries).",
}


def number(value: float | None) -> str:
    """Format a measured value with a sensible number of digits."""
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio(value: float | None, unit: str = "×") -> str:
    """Format a ratio (or a value with its unit)."""
    if value is None:
        return "—"
    return f"{value:.2f}×" if unit == "×" else f"{number(value)}{unit}"


def verdict(target: Target) -> str:
    """Return met / missed / not measured."""
    if target["met"] is None:
        return "not measured (skipped)"
    return "met" if target["met"] else "**missed**"


def targets_table(targets: list[Target]) -> list[str]:
    """The targets as a Markdown table."""
    lines = ["| target | goal | measured | result |", "|---|---|---|---|"]
    for target in targets:
        op = target["op"].replace("<=", "≤").replace(">=", "≥")
        unit = target["unit"]
        goal = f"{op} {target['limit']:g}{unit}"
        measured = ratio(target["measured"], unit)
        lines.append(f"| {target['claim']} | {goal} | {measured} | {verdict(target)} |")
    return lines


def case_table(case: Case) -> list[str]:
    """One case as a Markdown table, its notes and what was skipped."""
    unit = case["unit"]
    lines = [
        f"### {case['title']}",
        "",
        f"| library | median ({unit}) | ÷ ours |",
        "|---|---:|---:|",
    ]
    for row in case["rows"]:
        lines.append(f"| {row['library']} | {number(row['value'])} | {ratio(row['relative'])} |")
    for name, reason in case["skipped"].items():
        lines.append(f"| {name} | skipped: {reason} | |")
    lines.append("")
    lines.extend(f"- {note}" for note in case["notes"])
    lines.append("")
    return lines


def profile_table(profile: Profile) -> list[str]:
    """The top functions of one profile."""
    lines = [
        f"#### {profile['case']}",
        "",
        "| function | own time | calls per operation |",
        "|---|---:|---:|",
    ]
    for spot in profile["hotspots"]:
        lines.append(f"| `{spot['function']}` | {spot['share']:.0%} | {spot['calls']:,} |")
    lines.append("")
    return lines


def profile_for(target: Target, profiles: list[Profile]) -> Profile | None:
    """The profile that explains a target (the medium one stands in for small)."""
    words = target["claim"].replace(":", "").split()
    group, size = words[0], words[1] if words[1] != "small" else "medium"
    title = {"build": "build + serialize"}.get(group, group)
    for profile in profiles:
        if profile["case"] == f"{title}, {size}":
            return profile
    return None


def top_functions(profile: Profile, count: int = 3) -> str:
    """The bxml functions with the most own time in ``profile``."""
    ours = [spot for spot in profile["hotspots"] if spot["function"].startswith(f"{OURS}/")]
    return ", ".join(f"`{spot['function']}` {spot['share']:.0%}" for spot in ours[:count])


def missed_section(targets: list[Target], profiles: list[Profile]) -> list[str]:
    """Say which targets are missed and why."""
    missed = [target for target in targets if target["met"] is False]
    if not missed:
        return ["Every measured target is met.", ""]
    lines = ["Missed targets and why:", ""]
    for target in missed:
        group = target["claim"].split()[0]
        why = target["note"] or WHY.get(group, "see the profiles below.")
        profile = profile_for(target, profiles)
        if profile is not None and top_functions(profile):
            why += f" Most own time ({profile['case']}): {top_functions(profile)}."
        measured = ratio(target["measured"], target["unit"])
        lines.append(f"- **{target['claim']}** = {measured}: {why}")
    lines.append("")
    return lines


def text_report(results: Results) -> str:
    """What the runner prints: targets, then every case."""
    lines = ["## Targets", "", *targets_table(results["targets"]), ""]
    lines.extend(missed_section(results["targets"], results["profiles"]))
    lines.extend(["## Results", ""])
    for case in results["cases"]:
        lines.extend(case_table(case))
    if results["skipped"]:
        lines.extend(["Skipped:", *[f"- {reason}" for reason in results["skipped"]], ""])
    return "\n".join(lines)


def machine_section(meta: dict[str, str]) -> list[str]:
    """Machine, Python and library versions."""
    lines = ["## Machine and versions", ""]
    lines.extend(f"- **{key}**: {value}" for key, value in meta.items())
    lines.append("")
    return lines


def markdown(results: Results) -> str:
    """The whole of BENCHMARKS.md."""
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `python bench/run.py --write` from bench/results.json. "
        "Do not edit by hand. -->",
        "",
        "**Ratios, not absolute times, are the claim.** Every ratio compares libraries "
        "measured in the same process and run: each repeat times one batch of every "
        "contender in a rotating order, the ratio is taken per repeat, and the median of "
        "those ratios is reported, so machine noise hits both sides of a ratio. Absolute "
        "times are shown for scale only; they depend on the machine and its load. "
        "In the tables, *÷ ours* is the row's value divided by ours (bxml, or callcontrol "
        "in the HTTP cases): for times, above 1 means ours is faster; for req/s, below 1.",
        "",
        "To reproduce (prints the tables; `--write` regenerates this file, "
        "`bench/results.json` and `bench/ratios.png`):",
        "",
        "```sh",
        COMMAND,
        "python bench/run.py --write",
        "```",
        "",
        *machine_section(results["meta"]),
        text_report(results),
        "## Ratio plot",
        "",
        "![time of each library ÷ time of ours per case, and the targets](bench/ratios.png)",
        "",
        "## Where bxml's time goes (cProfile, own time per function)",
        "",
    ]
    for profile in results["profiles"]:
        lines.extend(profile_table(profile))
    return "\n".join(lines).rstrip() + "\n"


def ratio_bars(results: Results) -> tuple[list[str], list[float]]:
    """Every time ratio (peer ÷ ours) of the µs cases, with its label."""
    labels: list[str] = []
    values: list[float] = []
    for case in results["cases"]:
        if case["unit"] != "µs":
            continue
        for row in case["rows"]:
            name = row["library"]
            if row["relative"] is not None and not name.startswith((OURS, "callcontrol")):
                labels.append(f"{case['title']} — {name}")
                values.append(row["relative"])
    return labels, values


def plot(results: Results, path: Path) -> None:
    """Save the ratios (left) and the targets (right) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, values = ratio_bars(results)
    targets = [t for t in results["targets"] if t["measured"] is not None and t["unit"] == "×"]
    height = 0.3 * max(len(labels), len(targets)) + 1.8
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(16, height), gridspec_kw={"width_ratios": [3, 2]}
    )
    left.barh(
        range(len(values)), values, color=["tab:green" if v >= 1 else "tab:red" for v in values]
    )
    left.set_yticks(range(len(labels)), labels, fontsize=7)
    left.set_xscale("log")
    left.axvline(1.0, color="black", linewidth=1)
    left.set_xlabel("time of the library ÷ time of ours (log; > 1: ours is faster)")
    for index, value in enumerate(values):
        left.text(value, index, f" {value:.2f}×", va="center", fontsize=6)
    left.invert_yaxis()
    measured = [t["measured"] or 0.0 for t in targets]
    right.barh(
        range(len(targets)),
        measured,
        color=["tab:green" if t["met"] else "tab:red" for t in targets],
    )
    right.scatter([t["limit"] for t in targets], range(len(targets)), marker="|", s=300, c="black")
    right.set_yticks(range(len(targets)), [t["claim"] for t in targets], fontsize=7)
    right.set_xscale("log")
    right.set_xlabel("targets: measured ratio (bar) and goal (black tick); green: met")
    for index, value in enumerate(measured):
        right.text(value, index, f" {value:.2f}×", va="center", fontsize=6)
    right.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
