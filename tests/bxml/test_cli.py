"""The bxml command: validate, fmt and lint, their output formats and exit statuses."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import bxml
from bxml import strategies
from bxml.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, format_document, main

ROOT = Path(__file__).resolve().parents[2]

VALID = b'<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <SpeakSentence>Hi</SpeakSentence>\n  <Hangup/>\n</Response>\n'
BAD_VALUE = b'<Response>\n<Gather gatherUrl="/m" maxDigits="99"/>\n</Response>'
UNREACHABLE = (
    b"<Response><Hangup/><Pause/><Gather><SpeakSentence>Hi</SpeakSentence></Gather></Response>"
)


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


# -- validate -------------------------------------------------------------------------------


def test_validate_a_valid_file_prints_nothing_and_exits_0(tmp_path, capsys) -> None:
    assert run(["validate", write(tmp_path, "ok.xml", VALID)], capsys) == (EXIT_OK, "", "")


def test_validate_prints_each_problem_as_file_line_path_message_code(tmp_path, capsys) -> None:
    ok = write(tmp_path, "ok.xml", VALID)
    bad = write(tmp_path, "bad.xml", BAD_VALUE)
    status, out, err = run(["validate", ok, bad], capsys)
    assert status == EXIT_FINDINGS
    assert (
        out
        == f"{bad}:2: /Response/Gather[1]/@maxDigits: Gather.maxDigits: 99 is greater than the maximum 50 [BX010]\n"
    )
    assert err == ""


def test_validate_reports_xml_that_is_not_well_formed(tmp_path, capsys) -> None:
    bad = write(tmp_path, "broken.xml", b"<Response>\n<Hangup>\n</Response>")
    status, out, _ = run(["validate", bad], capsys)
    assert status == EXIT_FINDINGS
    assert out.startswith(f"{bad}:3: /: not well-formed XML") and out.endswith("[BX001]\n")


def test_validate_reads_stdin_for_a_dash(monkeypatch, capsys) -> None:
    feed_stdin(monkeypatch, BAD_VALUE)
    status, out, _ = run(["validate", "-"], capsys)
    assert status == EXIT_FINDINGS
    assert out.startswith("<stdin>:2: /Response/Gather[1]/@maxDigits: ")


def test_validate_json_lists_every_file(tmp_path, capsys) -> None:
    ok = write(tmp_path, "ok.xml", VALID)
    bad = write(tmp_path, "bad.xml", BAD_VALUE)
    status, out, _ = run(["validate", "--format", "json", ok, bad], capsys)
    assert status == EXIT_FINDINGS
    report = json.loads(out)
    assert report["valid"] is False
    assert [(f["file"], f["valid"]) for f in report["files"]] == [(ok, True), (bad, False)]
    (problem,) = report["files"][1]["problems"]
    assert problem["line"] == 2 and problem["code"] == "BX010"
    assert problem["path"] == "/Response/Gather[1]/@maxDigits"


def test_a_file_that_cannot_be_read_is_named_and_exits_1(tmp_path, capsys) -> None:
    missing = str(tmp_path / "missing.xml")
    status, out, err = run(["validate", missing], capsys)
    assert status == EXIT_FINDINGS
    assert err == f"bxml: cannot read {missing}: No such file or directory\n"
    status, out, _ = run(["validate", "--format", "json", missing], capsys)
    assert json.loads(out)["files"][0]["valid"] is False


def test_a_hostile_document_is_refused(tmp_path, capsys) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><Response>&a;</Response>'
    status, out, _ = run(["validate", write(tmp_path, "bomb.xml", bomb)], capsys)
    assert status == EXIT_FINDINGS
    assert "[BX001]" in out or "[BX002]" in out


# -- lint -----------------------------------------------------------------------------------


def test_lint_prints_findings_with_their_codes(tmp_path, capsys) -> None:
    path = write(tmp_path, "flow.xml", UNREACHABLE)
    status, out, _ = run(["lint", path], capsys)
    assert status == EXIT_FINDINGS
    codes = [line.rsplit(" ", 1)[1] for line in out.splitlines()]
    assert codes == ["[BX101]", "[BX103]"]
    assert out.startswith(f"{path}:1: /Response/Pause[1]: <Pause> and 1 later verb never run")


def test_lint_ignore_leaves_out_the_codes_given(tmp_path, capsys) -> None:
    path = write(tmp_path, "flow.xml", UNREACHABLE)
    status, out, _ = run(["lint", "--ignore", "bx103", path], capsys)
    assert status == EXIT_FINDINGS and "[BX103]" not in out
    assert run(["lint", "--ignore", "BX101,BX103", path], capsys) == (EXIT_OK, "", "")


def test_lint_refuses_an_ignore_value_that_is_not_a_code(tmp_path, capsys) -> None:
    status, _, err = run(["lint", "--ignore", "BX101,unreachable", "x.xml"], capsys)
    assert status == EXIT_USAGE
    assert "'unreachable' is not a rule code; codes look like BX101" in err


def test_lint_context_conference(tmp_path, capsys) -> None:
    path = write(tmp_path, "conf.xml", b"<Bxml><Hangup/></Bxml>")
    assert run(["lint", path], capsys)[0] == EXIT_OK
    status, out, _ = run(["lint", "--context", "conference", path], capsys)
    assert status == EXIT_FINDINGS and "[BX130]" in out


def test_lint_json(tmp_path, capsys) -> None:
    path = write(tmp_path, "flow.xml", UNREACHABLE)
    status, out, _ = run(["lint", "--format", "json", path], capsys)
    codes = [p["code"] for p in json.loads(out)["files"][0]["problems"]]
    assert status == EXIT_FINDINGS and codes == ["BX101", "BX103"]


# -- fmt ------------------------------------------------------------------------------------


def test_fmt_prints_the_pretty_document(tmp_path, capsys) -> None:
    path = write(
        tmp_path, "a.xml", b"<Response><SpeakSentence>Hi</SpeakSentence><Hangup/></Response>"
    )
    status, out, _ = run(["fmt", path], capsys)
    assert status == EXIT_OK
    assert out == "<Response>\n  <SpeakSentence>Hi</SpeakSentence>\n  <Hangup/>\n</Response>\n"


def test_fmt_compact_keeps_the_declaration_when_there_is_one(tmp_path, capsys) -> None:
    status, out, _ = run(["fmt", "--compact", write(tmp_path, "a.xml", VALID)], capsys)
    assert status == EXIT_OK
    assert (
        out
        == '<?xml version="1.0" encoding="UTF-8"?><Response><SpeakSentence>Hi</SpeakSentence><Hangup/></Response>\n'
    )


def test_fmt_check_exits_1_when_a_file_would_change(tmp_path, capsys) -> None:
    formatted = write(tmp_path, "ok.xml", VALID)
    messy = write(tmp_path, "messy.xml", VALID.replace(b"\n  ", b""))
    assert run(["fmt", "--check", formatted], capsys) == (EXIT_OK, "", "")
    status, out, err = run(["fmt", "--check", formatted, messy], capsys)
    assert (status, out, err) == (EXIT_FINDINGS, "", f"would reformat {messy}\n")
    assert Path(messy).read_bytes() == VALID.replace(b"\n  ", b"")


def test_fmt_write_rewrites_changed_files_in_place(tmp_path, capsys) -> None:
    messy = write(tmp_path, "messy.xml", VALID.replace(b"\n  ", b""))
    status, _, err = run(["fmt", "--write", messy], capsys)
    assert (status, err) == (EXIT_OK, f"reformatted {messy}\n")
    assert Path(messy).read_bytes() == VALID
    assert run(["fmt", "--write", messy], capsys) == (EXIT_OK, "", "")


def test_fmt_keeps_unknown_elements_and_attributes(tmp_path, capsys) -> None:
    path = write(tmp_path, "a.xml", b'<Response><Foo a="1"><Bar/></Foo><Hangup x="y"/></Response>')
    status, out, _ = run(["fmt", "--compact", path], capsys)
    assert (status, out) == (
        EXIT_OK,
        '<Response><Foo a="1"><Bar/></Foo><Hangup x="y"/></Response>\n',
    )


@pytest.mark.parametrize(
    ("document", "what"),
    [
        (b"<Response><!-- keep me --><Hangup/></Response>", "line 1: a comment"),
        (b"<!-- header -->\n<Response/>", "line 1: a comment"),
        (b"<Response/>\n<?app data?>", "line 2: a processing instruction"),
    ],
)
def test_fmt_refuses_to_drop_comments_and_processing_instructions(
    tmp_path, capsys, document, what
) -> None:
    path = write(tmp_path, "a.xml", document)
    status, out, err = run(["fmt", "--write", path], capsys)
    assert (status, out) == (EXIT_FINDINGS, "")
    assert err.startswith(f"{path}: {what}; fmt would drop it")
    assert Path(path).read_bytes() == document


def test_fmt_reports_a_document_it_cannot_read(tmp_path, capsys) -> None:
    path = write(tmp_path, "a.xml", b"<Response>\n<Hangup>\n</Response>")
    status, out, err = run(["fmt", path], capsys)
    assert (status, out) == (EXIT_FINDINGS, "")
    assert err.startswith(f"{path}:3:") and err.count("\n") == 1


def test_fmt_write_refuses_stdin(monkeypatch, capsys) -> None:
    feed_stdin(monkeypatch, VALID)
    status, _, err = run(["fmt", "--write", "-"], capsys)
    assert status == EXIT_USAGE and "--write cannot rewrite stdin" in err


def test_fmt_check_and_write_exclude_each_other(capsys) -> None:
    status, _, err = run(["fmt", "--check", "--write", "a.xml"], capsys)
    assert status == EXIT_USAGE and "not allowed with argument" in err


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(strategies.documents())
def test_fmt_never_changes_meaning_and_is_stable(doc: bxml.Root) -> None:
    for compact in (False, True):
        for source in (doc.to_bytes(), doc.to_xml(pretty=True).encode()):
            once = format_document(source, compact=compact)
            assert bxml.parse(once) == doc
            assert format_document(once, compact=compact) == once


# -- the command itself -----------------------------------------------------------------------


def test_usage_errors_exit_2(capsys) -> None:
    assert run([], capsys)[0] == EXIT_USAGE
    assert run(["frobnicate"], capsys)[0] == EXIT_USAGE
    assert run(["validate"], capsys)[0] == EXIT_USAGE


def test_help_lists_the_commands_and_exit_statuses(capsys) -> None:
    status, out, _ = run(["--help"], capsys)
    assert status == EXIT_OK
    for text in ("validate", "fmt", "lint", "exit status", "usage error"):
        assert text in out


def python(*code_or_args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=ROOT, input=stdin, capture_output=True, timeout=60
    )


def test_python_m_bxml_runs_from_a_subprocess() -> None:
    result = python("-m", "bxml", "validate", "-", stdin=BAD_VALUE)
    assert result.returncode == EXIT_FINDINGS
    assert result.stdout.decode().startswith("<stdin>:2: /Response/Gather[1]/@maxDigits")
    assert python("-m", "bxml", "--help").returncode == EXIT_OK


def test_help_does_not_import_requests_or_xmlschema() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['bxml', '--help']\n"
        "try:\n    runpy.run_module('bxml', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('requests', 'xmlschema', 'hypothesis', 'lxml') if m in sys.modules))\n"
    )
    result = python("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines()[-1] == "[]"


# -- lint of invalid documents, --explain, the codes page -----------------------------------

INVALID_BUT_LINT_CLEAN = b'<Response>\n<Gather gatherUrl="/g" maxDigits="abc"/>\n</Response>\n'


def test_lint_reports_schema_problems_of_an_invalid_document_and_exits_1(tmp_path, capsys) -> None:
    name = write(tmp_path, "bad.xml", INVALID_BUT_LINT_CLEAN)
    assert bxml.lint(INVALID_BUT_LINT_CLEAN) == []  # the linter alone would pass it
    status, out, err = run(["lint", name], capsys)
    assert status == EXIT_FINDINGS
    assert (
        out
        == f"{name}:2: /Response/Gather[1]/@maxDigits: Gather.maxDigits: 'abc' is not an integer [BX010]\n"
    )


def test_lint_ignore_leaves_schema_problems_in(tmp_path, capsys) -> None:
    name = write(tmp_path, "bad.xml", INVALID_BUT_LINT_CLEAN)
    status, out, _ = run(["lint", "--ignore", "BX010", name], capsys)
    assert status == EXIT_FINDINGS and "[BX010]" in out


def test_lint_of_text_that_is_not_xml_reports_it_once(tmp_path, capsys) -> None:
    name = write(tmp_path, "bad.xml", b"<Response>")
    status, out, _ = run(["lint", name], capsys)
    assert status == EXIT_FINDINGS
    assert out.count("[BX001]") == 1 and len(out.splitlines()) == 1


def test_lint_explain_prints_the_entry_of_any_case(capsys) -> None:
    status, out, err = run(["lint", "--explain", "bx103"], capsys)
    assert (status, err) == (EXIT_OK, "")
    assert out.startswith("BX103: a Gather without gatherUrl throws the digits away\n\n")


def test_lint_explain_of_an_unknown_code_is_a_usage_error(capsys) -> None:
    status, out, err = run(["lint", "--explain", "BX999"], capsys)
    assert (status, out) == (EXIT_USAGE, "")
    assert "'BX999' is not a bxml problem code" in err and "BX150" in err


def test_lint_without_files_or_explain_is_a_usage_error(capsys) -> None:
    status, _, err = run(["lint"], capsys)
    assert status == EXIT_USAGE and "--explain" in err


def test_the_problem_codes_page_is_generated_from_the_codes() -> None:
    from bxml.codes import render_markdown

    assert (ROOT / "docs" / "problem-codes.md").read_text(encoding="utf-8") == render_markdown()


def test_every_code_the_sources_report_is_documented() -> None:
    import re

    from bxml.codes import CODES

    used: set[str] = set()
    for source in (ROOT / "bxml").glob("*.py"):
        if source.name != "codes.py":
            used |= set(re.findall(r"[\"'](BX\d{3})[\"']", source.read_text(encoding="utf-8")))
    assert used and used <= set(CODES), sorted(used - set(CODES))
    lint_doc = sys.modules["bxml.lint"].__doc__ or ""  # bxml.lint is the function
    documented_in_lint = set(re.findall(r"^(BX1\d\d) ", lint_doc, re.M))
    assert {c for c in used if c.startswith("BX1")} <= documented_in_lint


def test_a_str_path_gets_the_same_hint_from_parse_validate_and_lint(tmp_path) -> None:
    name = write(tmp_path, "ok.xml", VALID)
    with pytest.raises(bxml.ParseError) as caught:
        bxml.parse(name)
    hint = "looks like a file path"
    assert hint in caught.value.message
    for check in (bxml.lint, bxml.iter_errors):
        (problem,) = list(check(name))
        assert hint in problem.message and problem.code == "BX001"


# -- bounded input ---------------------------------------------------------------------------


def test_a_file_one_byte_over_the_limit_is_too_large_and_one_at_it_is_read(
    tmp_path, capsys
) -> None:
    from bxml.cli import MAX_INPUT_BYTES

    body = b"<Response>" + b" " * (MAX_INPUT_BYTES - len(b"<Response></Response>")) + b"</Response>"
    assert len(body) == MAX_INPUT_BYTES
    at = write(tmp_path, "at.xml", body)
    over = write(tmp_path, "over.xml", body + b" ")
    status, out, err = run(["validate", at], capsys)
    assert "too large" not in err
    status, out, err = run(["validate", over, at], capsys)
    assert status == EXIT_FINDINGS
    assert (
        err
        == f"bxml: cannot read {over}: too large (more than {MAX_INPUT_BYTES} bytes; BXML documents are far smaller)\n"
    )


def test_stdin_over_the_limit_is_too_large(capsys, monkeypatch) -> None:
    from bxml.cli import MAX_INPUT_BYTES

    feed_stdin(monkeypatch, b"<" * (MAX_INPUT_BYTES + 1))
    status, _, err = run(["lint", "-"], capsys)
    assert status == EXIT_FINDINGS and "<stdin>: too large" in err


@pytest.mark.parametrize("command", ["validate", "lint", "fmt"])
def test_a_device_given_as_a_file_is_refused_at_once(command, capsys) -> None:
    status, out, err = run([command, "/dev/zero"], capsys)
    assert status == EXIT_FINDINGS and out == ""
    assert (
        err
        == "bxml: cannot read /dev/zero: not a regular file (a device, FIFO or socket); pipe it to stdin with - instead\n"
    )


def test_a_fifo_given_as_a_file_is_refused_without_opening_it(tmp_path, capsys) -> None:
    import os

    fifo = tmp_path / "fifo.xml"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    status, _, err = run(["validate", str(fifo)], capsys)
    assert status == EXIT_FINDINGS and "not a regular file" in err


def test_a_directory_is_one_line(tmp_path, capsys) -> None:
    status, _, err = run(["lint", str(tmp_path)], capsys)
    assert status == EXIT_FINDINGS and err == f"bxml: cannot read {tmp_path}: it is a directory\n"


def test_a_pipe_on_stdin_still_works() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bxml", "validate", "-"],
        input=VALID,
        capture_output=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


# -- fmt --write is atomic -------------------------------------------------------------------


def test_fmt_write_replaces_the_file_keeping_its_mode_and_leaves_no_temporary(
    tmp_path, capsys
) -> None:
    import os
    import stat

    name = write(tmp_path, "ugly.xml", b"<Response><Hangup/></Response>")
    os.chmod(name, 0o640)
    status, _, err = run(["fmt", "--write", name], capsys)
    assert (status, err) == (EXIT_OK, f"reformatted {name}\n")
    assert Path(name).read_bytes() == b"<Response>\n  <Hangup/>\n</Response>\n"
    assert stat.S_IMODE(os.stat(name).st_mode) == 0o640
    assert os.listdir(tmp_path) == ["ugly.xml"]


def test_fmt_write_failing_midway_keeps_the_original(tmp_path, capsys, monkeypatch) -> None:
    import os

    original = b"<Response><Hangup/></Response>"
    first = write(tmp_path, "a.xml", original)
    second = write(tmp_path, "b.xml", original)

    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst) == first:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    status, _, err = run(["fmt", "--write", first, second], capsys)
    assert status == EXIT_FINDINGS
    assert err == f"bxml: cannot write {first}: No space left on device\nreformatted {second}\n"
    assert Path(first).read_bytes() == original
    assert Path(second).read_bytes() != original
    assert sorted(os.listdir(tmp_path)) == ["a.xml", "b.xml"]


def test_fmt_write_to_a_read_only_directory_is_one_line_and_the_others_are_formatted(
    tmp_path, capsys
) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    locked = tmp_path / "locked"
    locked.mkdir()
    first = write(locked, "a.xml", b"<Response><Hangup/></Response>")
    second = write(tmp_path, "b.xml", b"<Response><Hangup/></Response>")
    os.chmod(locked, 0o500)
    try:
        status, _, err = run(["fmt", "--write", first, second], capsys)
    finally:
        os.chmod(locked, 0o700)
    assert status == EXIT_FINDINGS
    assert err.splitlines() == [
        f"bxml: cannot write {first}: Permission denied",
        f"reformatted {second}",
    ]


# -- version, closed pipe --------------------------------------------------------------------


def test_version_prints_the_distribution_version(capsys) -> None:
    status, out, _ = run(["--version"], capsys)
    assert (status, out) == (EXIT_OK, f"bxml {bxml.__version__}\n")


def test_a_closed_pipe_ends_quietly(tmp_path) -> None:
    # Far more output than a pipe holds, so the writer must meet the closed end.
    names = [write(tmp_path, f"{'n' * 150}{i}.xml", BAD_VALUE) for i in range(800)]
    reader = subprocess.Popen(
        [sys.executable, "-m", "bxml", "validate", *names],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.readline()
    reader.stdout.close()  # as `| head -1` does
    err = reader.stderr.read()
    reader.stderr.close()
    assert reader.wait(timeout=60) == 141
    assert err == b""
