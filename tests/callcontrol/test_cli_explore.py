"""``callcontrol explore MODULE:APP``: report, pictures written, exit statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from callcontrol.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_findings_are_listed_and_exit_1(capsys, tmp_path):
    html, md, dot = tmp_path / "flow.html", tmp_path / "flow.md", tmp_path / "flow.dot"
    argv = ["explore", "examples.flawed_ivr:app", "--html", str(html), "--mermaid", str(md)]
    status, out, err = run([*argv, "--dot", str(dot)], capsys)
    assert status == EXIT_INVALID and err == ""
    assert out.splitlines()[0].endswith("8 findings")
    assert "app-error: the app raised KeyError" in out
    assert "reached by script=[press('3')]" in out
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert md.read_text().startswith("# Call flow from /answer\n\n```mermaid\nflowchart TD\n")
    assert dot.read_text().startswith("digraph ivr {")


def test_no_findings_exit_0(capsys):
    status, out, _ = run(["explore", "examples.ivr:app", "--ignore", "dead-verb"], capsys)
    assert status == EXIT_OK
    assert "0 findings" in out


def test_the_entry_and_limits_are_passed_on(capsys):
    argv = ["explore", "examples.flawed_ivr:app", "--entry", "/hold", "--max-calls", "3"]
    status, out, _ = run(argv, capsys)
    assert status == EXIT_INVALID
    assert out.startswith("explored /hold:")
    assert "endless-loop" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["explore", "examples.flawed_ivr"], "is not MODULE:APP"),
        (["explore", "no_such_module:app"], "cannot import 'no_such_module'"),
        (["explore", "examples.flawed_ivr:nothing"], "has no attribute 'nothing'"),
        (["explore", "examples.flawed_ivr:MENU"], "is a str, not a WSGI app"),
        (["explore", "examples.flawed_ivr:app", "--ignore", "typo"], "is not a kind of finding"),
        (["explore", "examples.flawed_ivr:app", "--app-url", "x"], "--app-url must be"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(capsys, argv, message):
    status, out, err = run(argv, capsys)
    assert status == EXIT_USAGE and out == ""
    assert err.count("\n") == 1 and message in err


def test_a_bad_limit_is_refused_by_the_parser(capsys):
    status, _, err = run(["explore", "examples.ivr:app", "--max-depth", "0"], capsys)
    assert status == EXIT_USAGE
    assert "'0' is not allowed" in err


def test_python_m_callcontrol_explore():
    done = subprocess.run(
        [sys.executable, "-m", "callcontrol", "explore", "examples.flawed_ivr:app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_INVALID, done.stderr
    assert "8 findings" in done.stdout


def no_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: None if name == "dot" else real_which(name, *a, **k)
    )


def test_without_graphviz_a_page_with_a_picture_is_kept_and_it_says_so(
    capsys, tmp_path, monkeypatch
):
    html = tmp_path / "flow.html"
    picture = "<!DOCTYPE html><html><body><svg>the old picture</svg></body></html>"
    html.write_text(picture)
    no_graphviz(monkeypatch)
    status, out, err = run(
        ["explore", "examples.ivr:app", "--ignore", "dead-verb", "--html", str(html)], capsys
    )
    assert status == EXIT_INVALID
    assert html.read_text() == picture
    assert err.startswith(f"callcontrol: {html} kept: it has a picture") and err.count("\n") == 1


def test_without_graphviz_a_new_page_is_written_and_it_says_it_has_no_picture(
    capsys, tmp_path, monkeypatch
):
    html = tmp_path / "flow.html"
    html.write_text("<p>an old page without a picture</p>")
    no_graphviz(monkeypatch)
    status, _, err = run(
        ["explore", "examples.ivr:app", "--ignore", "dead-verb", "--html", str(html)], capsys
    )
    assert status == EXIT_OK
    assert "No picture" in html.read_text() and "<svg" not in html.read_text()
    assert (
        err
        == f"callcontrol: {html} has no picture: Graphviz's dot is not installed (--mermaid and --dot work without it)\n"
    )


def test_a_page_with_a_picture_is_written_and_the_status_follows_the_findings(capsys, tmp_path):
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("needs Graphviz's dot")
    html = tmp_path / "flow.html"
    html.write_text("an old page")
    status, _, err = run(
        ["explore", "examples.ivr:app", "--ignore", "dead-verb", "--html", str(html)], capsys
    )
    assert (status, err) == (EXIT_OK, "")
    assert "<svg" in html.read_text()


def test_an_existing_page_that_is_not_utf8_is_read_without_failing(capsys, tmp_path, monkeypatch):
    html = tmp_path / "flow.html"
    html.write_bytes(b"\xff\xfe<svg>old</svg>")
    no_graphviz(monkeypatch)
    status, _, err = run(
        ["explore", "examples.ivr:app", "--ignore", "dead-verb", "--html", str(html)], capsys
    )
    assert status == EXIT_INVALID and "kept" in err
    assert html.read_bytes() == b"\xff\xfe<svg>old</svg>"


@pytest.mark.parametrize(
    ("flag", "value", "ok"),
    [
        ("--max-depth", "1", True),
        ("--max-depth", "0", False),
        ("--max-calls", "x", False),
        ("--max-calls", "-3", False),
    ],
)
def test_the_limits_take_whole_numbers_from_1(capsys, flag, value, ok):
    from callcontrol.cli import build_parser

    argv = ["explore", "examples.ivr:app", flag, value]
    if ok:
        assert getattr(build_parser().parse_args(argv), flag[2:].replace("-", "_")) == 1
        return
    status, _, err = run(argv, capsys)
    assert status == EXIT_USAGE
    assert f"argument {flag}: {value!r} is not allowed; give a whole number of 1 or more" in err


def test_the_limits_default_to_12_inputs_and_2000_calls():
    from callcontrol.cli import build_parser

    args = build_parser().parse_args(["explore", "examples.ivr:app"])
    assert (args.max_depth, args.max_calls, args.entry) == (12, 2000, "/answer")


def test_an_unknown_kind_to_ignore_is_named_with_the_kinds(capsys):
    from callcontrol.testing.flowgraph import FINDING_KINDS

    status, _, err = run(["explore", "examples.ivr:app", "--ignore", "nope"], capsys)
    assert status == EXIT_USAGE
    assert err == (
        f"callcontrol: error: --ignore 'nope' is not a kind of finding; use one of {', '.join(FINDING_KINDS)}\n"
    )


def test_the_mermaid_page():
    from callcontrol.cli.explore import markdown

    assert markdown("/answer", "flowchart TD\n  a-->b\n") == (
        "# Call flow from /answer\n\n```mermaid\nflowchart TD\n  a-->b\n```\n"
    )
