"""``callcontrol simulate MODULE:APP --digits ...``: the transcript of one simulated call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from callcontrol.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from callcontrol.cli.simulate import steps_of
from callcontrol.testing import hang_up, press, silence

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_prints_the_transcript_and_how_the_call_ended(capsys):
    status, out, err = run(["simulate", "examples.ivr:app", "--digits", "2"], capsys)
    assert status == EXIT_OK and err == ""
    assert "step      press('2') at /answer Gather[1]" in out
    assert "Please leave a message" in out
    assert out.splitlines()[-1].startswith("call ended: hangup after ")


def test_steps_are_keys_silence_and_hangup():
    assert steps_of("1, 1234#,silence,hangup") == [press("1"), press("1234#"), silence(), hang_up()]
    assert steps_of("") == []


def test_an_app_error_is_one_line_and_exit_1(capsys):
    status, out, err = run(["simulate", "examples.flawed_ivr:app", "--digits", "3"], capsys)
    assert status == EXIT_INVALID and out == ""
    assert err.startswith("callcontrol: the app raised KeyError") and err.count("\n") == 1


def test_unused_steps_print_the_transcript_and_exit_1(capsys):
    argv = ["simulate", "examples.flawed_ivr:app", "--digits", "6,1"]
    status, out, err = run(argv, capsys)
    assert status == EXIT_INVALID
    assert "press('6')" in out
    assert err == (
        "callcontrol: script steps never used: press('1'); the call ended at 8.3 s "
        "with cause 'hangup'\n"
    )


def test_outbound_calls_start_with_answer(capsys):
    argv = ["simulate", "examples.ivr:app", "--outbound", "--digits", "silence"]
    status, out, _ = run(argv, capsys)
    assert status == EXIT_OK
    assert "answer POST https://app.test/answer" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "examples.ivr:app", "--digits", "1,x"], "--digits item 2 'x' is not allowed"),
        (["simulate", "examples.ivr"], "is not MODULE:APP"),
        (["simulate", "examples.ivr:app", "--app-url", "nope"], "--app-url must be"),
        (["explore", "examples.ivr:app", "--app-url", "nope"], "--app-url must be"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    status, _, err = run(argv, capsys)
    assert status == EXIT_USAGE
    assert message in err and err.count("\n") == 1


def test_python_m_callcontrol_simulate():
    done = subprocess.run(
        [sys.executable, "-m", "callcontrol", "simulate", "examples.ivr:app", "--digits", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert "Connecting you to sales." in done.stdout


def test_the_default_numbers_and_an_outbound_call(capsys):
    status, out, _ = run(["simulate", "examples.ivr:app", "--digits", "silence"], capsys)
    assert status == EXIT_OK
    assert out.splitlines()[0].endswith("call      inbound +15551230000 -> +15553334444")
    argv = [
        "simulate",
        "examples.ivr:app",
        "--outbound",
        "--from",
        "+15550000001",
        "--to",
        "+15550000002",
    ]
    status, out, _ = run([*argv, "--digits", "silence"], capsys)
    assert status == EXIT_OK
    assert out.splitlines()[0].endswith("call      outbound +15550000001 -> +15550000002")


def test_a_call_that_ended_with_an_error_says_which(capsys):
    status, out, err = run(["simulate", "examples.flawed_ivr:app", "--digits", "5"], capsys)
    assert (status, err) == (EXIT_OK, "")
    assert out.splitlines()[-1] == (
        "call ended: callback-error (redirect callback to https://app.test/promos failed: "
        "HTTP 404) after 8.3 s"
    )


def test_a_bad_digits_item_is_named_by_its_position(capsys):
    status, _, err = run(["simulate", "examples.ivr:app", "--digits", "1, silence ,x1"], capsys)
    assert status == EXIT_USAGE
    assert err == (
        "callcontrol: error: --digits item 3 'x1' is not allowed; give keys 0-9 * #, "
        "'silence' or 'hangup'\n"
    )


def test_no_python_parameter_names_in_simulator_errors() -> None:
    from callcontrol.cli._app import usage_error

    error = usage_error(
        ValueError("disconnect_url and base_url; max_depth, max_calls; my_base_url")
    )
    assert str(error) == "--disconnect-url and --app-url; --max-depth, --max-calls; my_base_url"
