"""``callcontrol load TARGET``: the report on stdout, exit 1 when a callback failed."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from callcontrol.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from callcontrol.load.serve import serve

from . import apps


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_the_example_ivr_under_load_prints_the_table_and_exits_0(capsys):
    argv = ["load", "examples.ivr:app", "--calls", "20", "--concurrency", "5"]
    status, out, err = run([*argv, "--digits", "2", "--speed", "200"], capsys)
    assert status == EXIT_OK, out + err
    assert out.splitlines()[0] == "calls 20: 20 completed, 0 failed"
    assert "/recording-ready" in out
    assert err == ""  # no progress bar when stderr is not a terminal


def test_json_report_of_a_running_server(capsys):
    with serve(apps.fixed, 2) as base:
        status, out, _ = run(["load", base, "--calls", "3", "--concurrency", "2", "--json"], capsys)
    assert status == EXIT_OK
    report = json.loads(out)
    assert report["calls"] == 3 and report["latency"]["/answer"]["count"] == 3


def test_a_too_slow_callback_exits_1(capsys):
    argv = ["load", "tests.callcontrol.load.apps:slow", "--calls", "1", "--concurrency", "1"]
    status, out, _ = run([*argv, "--callback-timeout", "1"], capsys)
    assert status == EXIT_INVALID
    assert "too slow (> 1 s callbackTimeout): 1" in out
    assert "errors: timeout 1" in out


def test_a_failed_callback_exits_1(capsys):
    argv = ["load", "tests.callcontrol.load.apps:failing", "--calls", "2", "--json"]
    status, out, _ = run(argv, capsys)
    assert status == EXIT_INVALID
    assert json.loads(out)["errors"] == {"HTTP 500": 2}


def test_callback_credentials_come_from_the_environment(capsys, monkeypatch):
    argv = ["load", "tests.callcontrol.load.apps:guarded", "--calls", "1", "--callback-user", "ivr"]
    status, _, err = run(argv, capsys)
    assert status == EXIT_USAGE and "BW_CALLBACK_PASSWORD" in err
    monkeypatch.setenv("BW_CALLBACK_PASSWORD", "hunter2")
    status, out, _ = run(argv, capsys)
    assert status == EXIT_OK, out
    assert "hunter2" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--calls", "0"], "'0' is not allowed; give a whole number >= 1"),
        (["--speed", "-2"], "'-2' is not allowed; give a number above 0"),
        (["--digits", "1,x"], "--digits item 2 'x' is not allowed"),
        (["--callback-timeout", "40"], "callback_timeout must be 1 to 25 seconds"),
    ],
)
def test_usage_errors_exit_2(argv, message, capsys):
    status, _, err = run(["load", "http://127.0.0.1:9", *argv], capsys)
    assert status == EXIT_USAGE
    assert message in err


def test_a_target_that_is_neither_url_nor_app_is_a_usage_error(capsys):
    status, _, err = run(["load", "examples.ivr"], capsys)
    assert status == EXIT_USAGE and "is not MODULE:APP" in err


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar(monkeypatch):
    import tqdm

    from callcontrol.cli import Context, build_parser

    class Eager(tqdm.tqdm):  # type: ignore[type-arg]
        """Draws every update (the real bar skips some, by time)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "mininterval": 0, "miniters": 1})

    monkeypatch.setattr(tqdm, "tqdm", Eager)
    args = build_parser().parse_args(["load", "tests.callcontrol.load.apps:fixed", "--calls", "3"])
    out, err = io.StringIO(), Terminal()
    assert args.run(args, Context(out, err, {})) == EXIT_OK
    assert "3/3 [" in err.getvalue() and "call/s" in err.getvalue()
    assert out.getvalue().startswith("calls 3: 3 completed")
