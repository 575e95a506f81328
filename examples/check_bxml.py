"""Parse, validate and lint BXML files, and say what is wrong with each, line by line.

Run: python examples/check_bxml.py [FILE...]   (default: examples/menu.xml)

Exits 1 when a file cannot be read, breaks the schema or has lint findings. The same checks
without a script: ``bxml validate FILE`` and ``bxml lint FILE``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import bxml

MENU = Path(os.path.relpath(Path(__file__).with_name("menu.xml")))


def check(path: Path) -> list[str]:
    """Every problem of the file at ``path``, as ``FILE:LINE: PATH: message [CODE]`` lines."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"{path}: cannot read it: {exc.strerror}"]
    problems = list(bxml.iter_errors(data))
    if not problems:  # lint reads the structure the schema has accepted
        problems = bxml.lint(data)
    return [
        f"{path}:{problem.line or '-'}: {problem.path}: {problem.message} [{problem.code}]"
        for problem in problems
    ]


def describe(path: Path) -> str:
    """One line about a valid file: its root and its top-level verbs."""
    doc = bxml.parse(path)
    verbs = ", ".join(type(verb).__name__ for verb in doc.children)
    return f"{path}: valid <{type(doc).__name__}> with {verbs or 'no verbs'}"


def main(argv: list[str] | None = None) -> int:
    """Check every file; return 0 when all are clean, 1 otherwise."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[MENU], metavar="FILE")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        lines = check(path)
        if lines:
            print("\n".join(lines))
            status = 1
        else:
            print(describe(path))
    return status


if __name__ == "__main__":
    sys.exit(main())
