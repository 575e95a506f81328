"""The callcontrol command against a fake Voice API on 127.0.0.1: every subcommand, exit
statuses, one-line errors, JSON output, paging, and the bulk BXML replacement."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callcontrol.cli import (
    EXIT_API,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_TRANSPORT,
    EXIT_USAGE,
    _client,
    bulk,
    main,
)

from .fake_voice_api import FakeVoiceApi, serve

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "9900000"
USERNAME = "cli-user"
PASSWORD = "s3cr3t-cli-pa55"
GOODBYE = b"<Bxml><SpeakSentence>Goodbye</SpeakSentence><Hangup/></Bxml>"
ENDED = {"state": "disconnected", "endTime": "2024-01-01T00:01:00Z", "disconnectCause": "hangup"}


@pytest.fixture
def api() -> FakeVoiceApi:
    return FakeVoiceApi(ACCOUNT_ID, USERNAME, PASSWORD)


@pytest.fixture
def base_url(api: FakeVoiceApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serve(api) as url:
        for name in ("BW_CLIENT_ID", "BW_CLIENT_SECRET", "BW_APPLICATION_ID"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("BW_ACCOUNT_ID", ACCOUNT_ID)
        monkeypatch.setenv("BW_USERNAME", USERNAME)
        monkeypatch.setenv("BW_PASSWORD", PASSWORD)
        monkeypatch.setenv("BW_VOICE_BASE_URL", url)
        yield url


@pytest.fixture
def no_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(_client, "sleep", waits.append)
    return waits


@pytest.fixture
def goodbye(tmp_path: Path) -> str:
    path = tmp_path / "goodbye.xml"
    path.write_bytes(GOODBYE)
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(err: str, *expected: str) -> None:
    assert err.count("\n") == 1 and err.startswith("callcontrol: "), err
    assert "Traceback" not in err and PASSWORD not in err
    for text in expected:
        assert text in err


def puts(api: FakeVoiceApi) -> list[str]:
    return sorted(r.path.split("/")[-2] for r in api.requests if r.method == "PUT")


# -- calls list ---------------------------------------------------------------------------


def test_list_prints_a_table_following_every_page(api, base_url, capsys) -> None:
    for n in range(5):
        api.add_call(f"c-{n}", to="+15550001111", startTime="2024-01-01T00:00:00Z")
    status, out, err = run(["calls", "list", "--page-size", "2"], capsys)
    assert (status, err) == (EXIT_OK, "")
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["CALL", "ID", "STATE"]
    assert [row.split()[0] for row in rows] == [f"c-{n}" for n in range(5)]
    assert "2024-01-01 00:00:00" in rows[0]
    assert sum(r.method == "GET" for r in api.requests) == 3


def test_list_json_writes_one_object_per_line_with_the_filters_sent(api, base_url, capsys) -> None:
    api.add_call("c-1", to="+15550001111", **ENDED)
    api.add_call("c-2", to="+15550002222")
    status, out, _ = run(["calls", "list", "--json", "--to", "+15550001111"], capsys)
    assert status == EXIT_OK
    (line,) = out.splitlines()
    assert json.loads(line) == {
        "callId": "c-1",
        "accountId": ACCOUNT_ID,
        "to": "+15550001111",
        **ENDED,
    }
    assert "to=%2B15550001111" in api.requests[-1].query


def test_list_refuses_a_bad_filter_before_sending(api, base_url, capsys) -> None:
    status, _, err = run(["calls", "list", "--min-start-time", "yesterday"], capsys)
    assert status == EXIT_INVALID
    assert_one_line_error(err, "min_start_time", "ISO 8601")
    assert api.requests == []


# -- get, create, redirect, hangup ----------------------------------------------------------


def test_get_prints_the_call_as_json(api, base_url, capsys) -> None:
    api.add_call("c-1", to="+15550001111")
    status, out, _ = run(["calls", "get", "c-1"], capsys)
    assert status == EXIT_OK
    assert json.loads(out) == {
        "callId": "c-1",
        "accountId": ACCOUNT_ID,
        "state": "answered",
        "to": "+15550001111",
    }


def test_an_api_error_is_one_line_with_the_api_description_and_exit_3(
    api, base_url, capsys
) -> None:
    status, out, err = run(["calls", "get", "c-nope"], capsys)
    assert (status, out) == (EXIT_API, "")
    assert_one_line_error(err, "404 Not Found", "Call [c-nope] not found")


def test_debug_shows_the_traceback(api, base_url, capsys) -> None:
    status, _, err = run(["calls", "get", "c-nope", "--debug"], capsys)
    assert status == EXIT_API
    assert "Traceback" in err and "NotFoundError" in err
    assert err.rstrip().splitlines()[-1].startswith("callcontrol: API error: 404")


def test_create_places_a_call_and_prints_it(api, base_url, capsys, monkeypatch) -> None:
    monkeypatch.setenv("BW_APPLICATION_ID", "app-1")
    argv = ["calls", "create", "--to", "+15550001111", "--from", "+15550002222"]
    status, out, _ = run(
        [*argv, "--answer-url", "https://example.com/answer", "--tag", "t"], capsys
    )
    assert status == EXIT_OK
    created = json.loads(out)
    assert created["callId"] in api.calls and created["applicationId"] == "app-1"
    sent = json.loads(next(r.body for r in api.requests if r.method == "POST"))
    assert sent["tag"] == "t" and sent["answerUrl"] == "https://example.com/answer"


def test_create_without_required_options_is_a_usage_error(api, base_url, capsys) -> None:
    status, _, err = run(["calls", "create", "--to", "+15550001111"], capsys)
    assert status == EXIT_USAGE
    assert_one_line_error(err, "--from, --answer-url, --application-id")
    assert api.requests == []


def test_create_with_a_bad_value_is_invalid_input(api, base_url, capsys) -> None:
    argv = ["calls", "create", "--to", "+15550001111", "--from", "+15550002222"]
    argv += ["--answer-url", "https://e.com/a", "--application-id", "a", "--call-timeout", "500"]
    status, _, err = run(argv, capsys)
    assert status == EXIT_INVALID
    assert_one_line_error(err, "call_timeout", "500")
    assert api.requests == []


def test_redirect_and_hangup(api, base_url, capsys) -> None:
    api.add_call("c-1")
    status, out, _ = run(
        ["calls", "redirect", "c-1", "https://example.com/next", "--method", "GET"], capsys
    )
    assert (status, out) == (EXIT_OK, "c-1: redirected to https://example.com/next\n")
    assert api.redirects["c-1"] == [
        {"state": "active", "redirectUrl": "https://example.com/next", "redirectMethod": "GET"}
    ]
    assert run(["calls", "hangup", "c-1"], capsys) == (EXIT_OK, "c-1: hung up\n", "")
    assert api.calls["c-1"]["state"] == "disconnected"
    status, _, err = run(["calls", "hangup", "c-1"], capsys)
    assert status == EXIT_API
    assert_one_line_error(err, "409 Conflict", "cannot be modified in its current state")


# -- calls bxml ID FILE -------------------------------------------------------------------


def test_bxml_replaces_the_document_of_one_call(api, base_url, goodbye, capsys) -> None:
    api.add_call("c-1")
    assert run(["calls", "bxml", "c-1", goodbye], capsys) == (EXIT_OK, "c-1: BXML replaced\n", "")
    assert api.bxml["c-1"] == [GOODBYE.decode()]


def test_bxml_reads_stdin(api, base_url, capsys, monkeypatch) -> None:
    api.add_call("c-1")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GOODBYE)))
    assert run(["calls", "bxml", "c-1", "-"], capsys)[0] == EXIT_OK
    assert api.bxml["c-1"] == [GOODBYE.decode()]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            b'<Bxml><Gather maxDigits="99"/></Bxml>',
            ":1: /Bxml/Gather[1]/@maxDigits: Gather.maxDigits: 99",
        ),
        (
            b"<Response><Hangup/></Response>",
            ":1: /Response: the root is <Response>; a live call takes a <Bxml> document",
        ),
        (b"<Bxml><Hangup></Bxml>", ":1: /: not well-formed XML"),
    ],
)
def test_bxml_refuses_an_invalid_file_before_sending(
    api, base_url, tmp_path, capsys, document, expected
) -> None:
    api.add_call("c-1")
    path = tmp_path / "doc.xml"
    path.write_bytes(document)
    status, out, err = run(["calls", "bxml", "c-1", str(path)], capsys)
    assert (status, out) == (EXIT_INVALID, "")
    assert err.startswith(f"{path}{expected}")
    assert api.requests == []


def test_bxml_of_a_missing_file_is_invalid_input(api, base_url, tmp_path, capsys) -> None:
    status, _, err = run(["calls", "bxml", "c-1", str(tmp_path / "nope.xml")], capsys)
    assert status == EXIT_INVALID
    assert_one_line_error(err, "No such file or directory", "nope.xml")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["calls", "bxml", "c-1"], "takes a call ID and a FILE"),
        (["calls", "bxml", "--all-active", "c-1", "f.xml"], "takes one FILE and no call id"),
        (
            ["calls", "bxml", "c-1", "f.xml", "--to", "+15550001111"],
            "--to applies only with --all-active",
        ),
        (
            ["calls", "bxml", "c-1", "f.xml", "--dry-run"],
            "--dry-run applies only with --all-active",
        ),
    ],
)
def test_bxml_usage_errors(api, base_url, capsys, argv, expected) -> None:
    status, _, err = run(argv, capsys)
    assert status == EXIT_USAGE
    assert_one_line_error(err, expected)


@pytest.mark.parametrize("workers", ["0", "17", "many"])
def test_workers_out_of_range_is_a_usage_error(base_url, capsys, workers) -> None:
    status, _, err = run(["calls", "bxml", "--all-active", "f.xml", "--workers", workers], capsys)
    assert status == EXIT_USAGE
    assert f"{workers!r} is not allowed; give a whole number 1 to 16" in err


# -- calls bxml --all-active ---------------------------------------------------------------


def test_bulk_reports_each_outcome_and_a_summary_per_error_type(
    api, base_url, goodbye, capsys, no_waits
) -> None:
    for call_id in ("c-ok", "c-404", "c-409", "c-429", "c-500"):
        api.add_call(call_id)
    api.add_call("c-old", **ENDED)
    api.add_call("c-queued", state="queued")
    api.scripted = {
        "c-404": [(404, {})],
        "c-409": [(409, {})],
        "c-429": [(429, {"Retry-After": "2"})],
        "c-500": [(500, {}), (500, {})],
    }
    status, out, err = run(["calls", "bxml", "--all-active", goodbye, "--retries", "1"], capsys)
    assert status == EXIT_INVALID
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["c-ok"] == lines["c-429"] == "BXML replaced"
    assert lines["c-404"] == "ended or not modifiable, left alone (404: scripted 404 for c-404)"
    assert lines["c-409"].startswith("ended or not modifiable, left alone (409: ")
    # A 5xx may have been applied: reported as unknown, and the PUT is not sent again.
    assert lines["c-500"].startswith(
        "unknown, the BXML may have been applied (not sent again; check the call): "
        "ServerError: 500 Internal Server Error"
    )
    assert set(lines) == {"c-ok", "c-404", "c-409", "c-429", "c-500"}
    assert err.splitlines() == [
        "5 active call(s) match; 2 other(s) ended or not answered are left alone",
        "5 call(s): 2 replaced; 2 ended or not modifiable (ConflictError: 1, NotFoundError: 1); "
        "1 unknown, may have been applied (ServerError: 1); 0 failed",
    ]
    assert api.scripted["c-500"] == [(500, {})]  # the second scripted 500 was never asked for
    assert api.bxml == {"c-ok": [GOODBYE.decode()], "c-429": [GOODBYE.decode()]}
    assert 2.0 in no_waits  # the 429's Retry-After was honoured


def test_bulk_exits_0_when_calls_only_ended(api, base_url, goodbye, capsys) -> None:
    api.add_call("c-1")
    api.add_call("c-2")
    api.scripted = {"c-2": [(404, {})]}
    status, _, err = run(["calls", "bxml", "--all-active", goodbye], capsys)
    assert status == EXIT_OK
    assert (
        err.splitlines()[-1]
        == "2 call(s): 1 replaced; 1 ended or not modifiable (NotFoundError: 1); 0 failed"
    )


def test_bulk_json_and_filters(api, base_url, goodbye, capsys) -> None:
    api.add_call("c-1", to="+15550001111")
    api.add_call("c-2", to="+15550002222")
    status, out, _ = run(
        ["calls", "bxml", "--all-active", goodbye, "--to", "+15550001111", "--json"], capsys
    )
    assert status == EXIT_OK
    assert [json.loads(line) for line in out.splitlines()] == [
        {"callId": "c-1", "outcome": "replaced", "errorType": None, "detail": None}
    ]
    assert puts(api) == ["c-1"]


def test_bulk_dry_run_changes_nothing(api, base_url, goodbye, capsys) -> None:
    api.add_call("c-1", to="+15550001111", **{"from": "+15550009999"})
    api.add_call("c-2", **ENDED)
    status, out, _ = run(["calls", "bxml", "--all-active", goodbye, "--dry-run"], capsys)
    assert (status, out) == (
        EXIT_OK,
        "c-1: would replace BXML (answered, +15550009999 -> +15550001111)\n",
    )
    assert puts(api) == [] and api.bxml == {}


def test_bulk_refuses_an_invalid_file_before_listing(api, base_url, tmp_path, capsys) -> None:
    path = tmp_path / "doc.xml"
    path.write_bytes(b"<Response/>")
    status, _, _ = run(["calls", "bxml", "--all-active", str(path)], capsys)
    assert status == EXIT_INVALID and api.requests == []


def test_an_interrupted_bulk_change_starts_no_more_calls_and_says_so(
    api, base_url, goodbye, capsys, monkeypatch
) -> None:
    for n in range(6):
        api.add_call(f"c-{n}")
    replace = bulk.replace_one

    def interrupted_at_c1(client: Any, call_id: str, payload: str) -> bulk.Outcome:
        if call_id == "c-1":
            raise KeyboardInterrupt  # as if Ctrl-C arrived while c-1 was sent
        return replace(client, call_id, payload)

    monkeypatch.setattr(bulk, "replace_one", interrupted_at_c1)
    status, out, err = run(["calls", "bxml", "--all-active", goodbye, "--workers", "1"], capsys)
    assert status == 130
    changed = puts(api)
    # The one worker may start c-2, c-3, ... before the interrupt reaches the main thread
    # (more so on a loaded machine); whatever it started is reported, in order.
    assert changed == ["c-0"] + [f"c-{k}" for k in range(2, len(changed) + 1)]
    assert sorted(out.splitlines()) == [f"{call_id}: BXML replaced" for call_id in changed]
    n = len(changed)
    assert err.splitlines()[-2:] == [
        f"{n} call(s): {n} replaced; 0 ended or not modifiable; 0 failed; {6 - n} not attempted (interrupted)",
        "callcontrol: interrupted",
    ]


def test_bulk_keeps_to_the_workers_bound(api, base_url, goodbye, capsys) -> None:
    workers = 3
    for n in range(3 * workers):
        api.add_call(f"c-{n}")
    barrier = threading.Barrier(workers, timeout=20)

    def hold(environ: dict[str, Any]) -> None:
        if environ["REQUEST_METHOD"] == "PUT":
            barrier.wait()  # only returns once `workers` PUTs are in flight together

    api.before = hold
    status, _, _ = run(
        ["calls", "bxml", "--all-active", goodbye, "--workers", str(workers)], capsys
    )
    assert status == EXIT_OK
    assert len(api.bxml) == 3 * workers
    assert api.max_in_flight == workers


def test_the_progress_bar_is_drawn_on_a_terminal_only() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    bar = bulk.make_progress(3, screen)
    for _ in range(3):
        bar.update(1)
    bar.close()
    assert "3/3" in screen.getvalue()
    quiet = io.StringIO()
    bulk.make_progress(3, quiet).close()
    assert quiet.getvalue() == ""


# -- settings, transport errors, secrets ------------------------------------------------------


def test_missing_credentials_are_a_usage_error(monkeypatch, capsys) -> None:
    for name in ("BW_ACCOUNT_ID", "BW_USERNAME", "BW_PASSWORD", "BW_CLIENT_ID", "BW_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    status, _, err = run(["calls", "get", "c-1"], capsys)
    assert status == EXIT_USAGE
    assert_one_line_error(err, "BW_ACCOUNT_ID", "--account-id")
    status, _, err = run(["calls", "get", "c-1", "--account-id", "1"], capsys)
    assert status == EXIT_USAGE
    assert_one_line_error(err, "no credentials", "BW_USERNAME")


def test_flags_win_over_the_environment(api, base_url, capsys, monkeypatch) -> None:
    monkeypatch.setenv("BW_PASSWORD", "wrong")
    status, _, err = run(["calls", "list"], capsys)
    assert status == EXIT_API
    assert_one_line_error(err, "401 Unauthorized")
    assert "wrong" not in err
    api.add_call("c-1")
    argv = ["--username", USERNAME, "calls", "get", "c-1", "--password", PASSWORD]
    assert run(argv, capsys)[0] == EXIT_OK


def test_a_bad_base_url_is_a_usage_error_naming_the_flag(base_url, capsys) -> None:
    status, _, err = run(["calls", "get", "c-1", "--base-url", "ftp://example.com"], capsys)
    assert status == EXIT_USAGE
    assert_one_line_error(err, "--base-url (BW_VOICE_BASE_URL)", "http(s)")


def test_no_answer_is_a_transport_error_exit_4(base_url, capsys) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status, _, err = run(
        ["calls", "get", "c-1", "--retries", "0", "--base-url", f"http://127.0.0.1:{port}"], capsys
    )
    assert status == EXIT_TRANSPORT
    assert_one_line_error(err, "no answer from the Voice API", "Connection refused")


def test_help_lists_the_exit_statuses(capsys) -> None:
    status, out, _ = run(["--help"], capsys)
    assert status == EXIT_OK
    for text in (
        "calls",
        "exit status",
        "2  usage error",
        "3  the Voice API answered",
        "4  no answer",
    ):
        assert text in out
    status, out, _ = run(["calls", "bxml", "--help"], capsys)
    assert status == EXIT_OK and "--all-active" in out and "--base-url" in out


def python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env
    )


def test_python_m_callcontrol_prints_one_line_errors(api, base_url) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("BW_")}
    result = python("-m", "callcontrol", "calls", "get", "c-1", env=env)
    assert result.returncode == EXIT_USAGE
    assert (
        result.stderr.startswith("callcontrol: error: no account")
        and result.stderr.count("\n") == 1
    )
    env.update(
        BW_ACCOUNT_ID=ACCOUNT_ID,
        BW_USERNAME=USERNAME,
        BW_PASSWORD=PASSWORD,
        BW_VOICE_BASE_URL=base_url,
    )
    result = python("-m", "callcontrol", "calls", "get", "c-nope", env=env)
    assert result.returncode == EXIT_API
    assert "Call [c-nope] not found" in result.stderr and PASSWORD not in result.stderr


def test_help_does_not_load_requests_the_progress_bar_or_the_schema_explainer() -> None:
    code = (
        "import sys\n"
        "from callcontrol.cli import main\n"
        "main(['--help'])\n"
        "print(sorted(m for m in ('requests', 'tqdm', 'xmlschema', 'hypothesis') if m in sys.modules))\n"
    )
    result = python("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def readme_commands() -> list[list[str]]:
    """The command lines of the README's command-line section, split as a shell would."""
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    lines = [line.split("|")[-1].split("#")[0].strip() for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line]


def test_the_readme_command_lines_parse() -> None:
    import bxml.cli
    from callcontrol.cli import build_parser

    commands = readme_commands()
    assert {argv[0] for argv in commands} == {"bxml", "callcontrol"}
    parsers = {"bxml": bxml.cli.build_parser(), "callcontrol": build_parser()}
    for program, *argv in commands:
        parsers[program].parse_args(argv)  # a usage error exits
