"""Every example runs as examples/README.md says, in a fresh process with no BW_* variables.

The examples that talk to the Voice API then use a local emulator in their own process; one
test gives them credentials for the fake API on 127.0.0.1 instead.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.callcontrol.fake_voice_api import FakeVoiceApi
from tests.wsgi_server import serve_wsgi

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EMULATOR_NOTE = "no BW_* credentials set: using the local Voice API emulator at http://127.0.0.1:"
# Variables an example reads: none of them comes from the environment of the test run.
READ = ("BW_", "WEBHOOK_", "CALLCONTROL_")
TIMEOUT = 60


def clean_env(**extra: str) -> dict[str, str]:
    """The test run's environment without the examples' variables, importing this tree."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(READ)}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def run(*argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGV...`` from the repository root, as the README's commands are."""
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=clean_env(**extra),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def ok(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run an example that must succeed."""
    result = run(*argv)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_build_ivr() -> None:
    result = ok("examples/build_ivr.py")
    assert "<Response>" in result.stdout
    assert "[BX101]" in result.stdout  # the lint of a verb after <Redirect>
    assert "build-time check: Gather.max_digits: 99" in result.stdout


@pytest.mark.parametrize("argv", [[], ["examples/menu.xml"]])
def test_check_bxml_accepts_the_bundled_menu(argv: list[str]) -> None:
    result = ok("examples/check_bxml.py", *argv)
    assert result.stdout == "examples/menu.xml: valid <Response> with Gather\n"


def test_check_bxml_names_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<Response>\n<Gather maxDigits="99"/>\n</Response>\n')
    flawed = tmp_path / "flawed.xml"
    flawed.write_text('<Response><Redirect redirectUrl="/next"/><Hangup/></Response>')
    missing = tmp_path / "missing.xml"

    result = run("examples/check_bxml.py", str(bad), str(flawed), str(missing))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{bad}:2: /Response/Gather[1]/@maxDigits: ")
    assert lines[0].endswith("[BX010]")
    assert lines[1].startswith(f"{flawed}:1: /Response/Hangup[1]: ")
    assert lines[1].endswith("[BX101]")
    assert lines[2] == f"{missing}: cannot read it: No such file or directory"


def test_place_call_on_the_emulator() -> None:
    result = ok("examples/place_call.py")
    assert result.stderr.startswith(EMULATOR_NOTE)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("queued c-") and " to +15553334444 at " in lines[0]
    assert lines[1:] == [
        "the call ended (hangup); the customer heard:",
        "  Welcome to Example Corp. Press 1 for sales, or 2 for support.",
        "  Thank you. Our sales team will call you back shortly.",
    ]


def test_list_calls_on_the_emulator() -> None:
    result = ok("examples/list_calls.py", "--hours", "6")
    assert result.stderr.startswith(EMULATOR_NOTE)
    assert result.stderr.endswith("2 call(s)\n")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all("+15551230000 -> +15553334444  disconnected" in line for line in lines)


def test_say_goodbye_on_the_emulator() -> None:
    result = ok("examples/say_goodbye.py", "--message", "Bye now.")
    assert result.stderr.startswith(EMULATOR_NOTE)
    assert result.stdout.startswith("said goodbye to c-")
    assert result.stdout.endswith("the caller heard: Bye now.\n")


@pytest.mark.parametrize(
    ("action", "last_heard"),
    [
        ("bxml", "  We are closing. Goodbye."),
        ("redirect", "  We are closing. Goodbye."),
        ("hangup", "  Welcome to Example Corp. Press 1 for sales, or 2 for support."),
    ],
)
def test_intervene_on_the_emulator(action: str, last_heard: str) -> None:
    result = ok("examples/intervene.py", action, "--message", "We are closing. Goodbye.")
    assert result.stderr.startswith(EMULATOR_NOTE)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{action}: done for c-")
    assert lines[1] == "the call ended (hangup); the caller heard:"
    assert lines[-1] == last_heard


def test_intervene_async_on_the_emulator() -> None:
    result = ok("examples/intervene_async.py", "--message", "We are closing. Goodbye.")
    assert result.stderr.startswith(EMULATOR_NOTE)
    lines = result.stdout.splitlines()
    assert len(lines) == 6
    assert all(line.startswith("said goodbye to c-") for line in lines[:3])
    assert all(line.endswith(" heard last: We are closing. Goodbye.") for line in lines[3:])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["examples/intervene_async.py"], "with BW_* credentials, give the ids of live calls"),
        (["examples/say_goodbye.py"], "with BW_* credentials, give the id of a live call"),
        (["examples/intervene.py", "hangup"], "with BW_* credentials, give the id of a live call"),
        (["examples/intervene.py", "redirect", "c-1"], "redirect needs --url"),
        (
            ["examples/place_call.py", "--to", "+15551234567"],
            "with BW_* credentials, give --from, --application-id, --answer-url",
        ),
    ],
)
def test_with_credentials_what_the_emulator_made_up_is_required(
    argv: list[str], message: str
) -> None:
    result = run(*argv, BW_ACCOUNT_ID="9900000")
    assert result.returncode == 2
    assert message in result.stderr
    assert EMULATOR_NOTE not in result.stderr


def test_a_half_set_environment_is_an_error_not_the_emulator() -> None:
    result = run("examples/list_calls.py", BW_ACCOUNT_ID="9900000")
    assert result.returncode == 1
    assert "BW_USERNAME and BW_PASSWORD" in result.stderr
    assert EMULATOR_NOTE not in result.stderr


@pytest.fixture
def fake_api() -> Iterator[tuple[FakeVoiceApi, dict[str, str]]]:
    api = FakeVoiceApi("9900000", "examples-user", "examples-password")
    api.add_call("c-live", to="+15551234567", **{"from": "+15550001111"})
    with serve_wsgi(api) as url:
        env = {
            "BW_ACCOUNT_ID": "9900000",
            "BW_USERNAME": api.username,
            "BW_PASSWORD": api.password,
            "BW_VOICE_BASE_URL": url,
        }
        yield api, env


def test_with_credentials_the_examples_use_that_api(
    fake_api: tuple[FakeVoiceApi, dict[str, str]],
) -> None:
    api, env = fake_api
    listed = run("examples/list_calls.py", **env)
    assert listed.returncode == 0, listed.stderr
    assert "c-live" in listed.stdout
    assert EMULATOR_NOTE not in listed.stderr

    goodbye = run("examples/intervene_async.py", "c-live", "c-gone", **env)
    assert goodbye.returncode == 1, goodbye.stderr  # c-gone is not active
    assert goodbye.stdout.splitlines() == [
        "said goodbye to c-live",
        "c-gone: not active (already ended, or not answered yet)",
    ]
    assert len(api.bxml["c-live"]) == 1

    hung_up = run("examples/intervene.py", "hangup", "c-live", **env)
    assert hung_up.returncode == 0, hung_up.stderr
    assert hung_up.stdout == "hangup: done for c-live\n"


def test_the_simulator_and_emulator_tests_of_the_ivrs_pass() -> None:
    result = ok(
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "examples/test_ivr.py",
        "examples/test_ivr_emulator.py",
        "examples/test_webhook_ivr.py",
        "examples/test_fastapi_ivr.py",
        "examples/test_contact_centre.py",
        "examples/test_contact_centre_emulator.py",
    )
    assert result.stdout.splitlines()[-1].startswith("32 passed")


def test_replay_ivr_reports_exactly_the_changed_branch(tmp_path: Path) -> None:
    cassette = tmp_path / "calls.jsonl"
    result = ok("-m", "examples.replay_ivr", "--cassette", str(cassette))
    assert "against the same IVR: 12 exchanges replayed: every reply is the same" in result.stdout
    assert "1 answered differently\n#3 transferComplete /transfer-done" in result.stdout
    replayed = run("-m", "callcontrol", "replay", str(cassette), "examples.replay_ivr:changed_app")
    assert replayed.returncode == 1 and "/Response/Hangup[1]: added" in replayed.stdout


def test_explore_finds_every_planted_flaw() -> None:
    result = run("-m", "callcontrol", "explore", "examples.flawed_ivr:app")
    assert result.returncode == 1, result.stderr  # it found dead ends, as planted
    for kind in (
        "no-timeout-branch",
        "dead-verb",
        "app-error",
        "invalid-bxml",
        "callback-error",
        "silence",
        "endless-loop",
        "unreached-url",
    ):
        assert kind in result.stdout


def test_webhook_server_answers_a_callback() -> None:
    argv = [sys.executable, "examples/webhook_server.py", "--port", "0"]
    with subprocess.Popen(
        argv, cwd=ROOT, env=clean_env(), stderr=subprocess.PIPE, bufsize=0
    ) as server:
        try:
            url = serving_url(server)
            event = {"eventType": "initiate", "callId": "c-1", "from": "+1555", "to": "+1666"}
            request = urllib.request.Request(
                url + "/answer",
                data=json.dumps(event).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=TIMEOUT) as reply:
                assert reply.status == 200
                assert b"Welcome to Example Corp. Press 1 for sales" in reply.read()
        finally:
            server.terminate()
            try:
                server.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                server.kill()


def serving_url(server: subprocess.Popen[bytes]) -> str:
    """Read the server's log until a whole line says where it listens."""
    assert server.stderr is not None
    marker = b"serving on "
    log = b""
    deadline = time.monotonic() + TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(server.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            for line in log.split(b"\n")[:-1]:
                if marker in line:
                    return line.split(marker, 1)[1].split()[0].decode()
            if selector.select(timeout=1):
                chunk = os.read(server.stderr.fileno(), 4096)
                assert chunk, f"webhook_server.py exited before it served: {log!r}"
                log += chunk
    raise AssertionError(f"webhook_server.py did not say where it listens: {log!r}")


def test_webhook_server_with_credentials_works_as_bandwidth_calls_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With WEBHOOK_USERNAME/PASSWORD the menu's gather callback must carry them too
    # (voice-api §9.2: a verb's callbacks carry the verb's credentials, after a challenge).
    import runpy

    from callcontrol.testing import CallSimulator, press

    monkeypatch.setenv("WEBHOOK_USERNAME", "bw")
    monkeypatch.setenv("WEBHOOK_PASSWORD", "s3cret")
    app = runpy.run_path(str(EXAMPLES / "webhook_server.py"))["app"]
    sim = CallSimulator(app, base_url="https://ivr.test", username="bw", password="s3cret")
    call = sim.inbound("/answer", script=[press("2")])
    call.assert_heard("Our support team will call you back shortly.")
