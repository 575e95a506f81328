"""The Python blocks of README.md and examples/README.md run as written.

Blocks that talk to the Voice API run against the fake API on 127.0.0.1 (``BW_VOICE_BASE_URL``);
blocks that need a package the project does not depend on are skipped when it is missing.
"""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from callcontrol import WebhookApp
from tests.callcontrol.fake_voice_api import FakeVoiceApi
from tests.wsgi_server import serve_wsgi

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
ACCOUNT = "9900000"
OPTIONAL = ("flask", "werkzeug", "a2wsgi", "fastapi")


def blocks(name: str) -> list[str]:
    return BLOCK.findall((ROOT / name).read_text(encoding="utf-8"))


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVoiceApi]:
    api = FakeVoiceApi(ACCOUNT, "readme-user", "readme-password")
    api.add_call("c-answered", to="+15551234567", **{"from": "+15550001111"})
    api.add_call("c-ended", to="+15551234567", state="disconnected")
    api.add_call("c-95ac8d6e-1a31c52e")  # the examples' live call
    with serve_wsgi(api) as url:
        for key in ("BW_CLIENT_ID", "BW_CLIENT_SECRET"):
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("BW_ACCOUNT_ID", ACCOUNT)
        monkeypatch.setenv("BW_USERNAME", api.username)
        monkeypatch.setenv("BW_PASSWORD", api.password)
        monkeypatch.setenv("BW_VOICE_BASE_URL", url)
        yield api


def post(app: Any, path: str, event: dict[str, Any], auth: str = "") -> tuple[str, bytes]:
    """Call a WSGI app with a JSON callback; return its status line and body."""
    body = json.dumps(event).encode()
    environ = {
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode(),
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    status: list[str] = []
    out = b"".join(app(environ, lambda line, headers, exc_info=None: status.append(line)))
    return status[0], out


def test_the_readme_has_python_blocks():
    assert len(blocks("README.md")) >= 3


def test_the_readme_blocks_run_in_order(fake_api, capsys):
    namespace: dict[str, Any] = {"__name__": "readme"}
    for code in blocks("README.md"):
        exec(compile(code, "README.md", "exec"), namespace)
    namespace["test_busy_sales_goes_to_voicemail"]()  # the README's simulator test passes

    assert fake_api.bxml["c-answered"] == [
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<Bxml><SpeakSentence>Goodbye</SpeakSentence><Hangup/></Bxml>"
    ]
    assert "c-ended" not in fake_api.bxml
    assert "c-answered answered" in capsys.readouterr().out
    app = namespace["app"]
    assert isinstance(app, WebhookApp)
    gather = {"eventType": "gather", "callId": "c-answered", "digits": "1"}
    assert post(app, "/menu", gather)[0].startswith("401")  # it wants the snippet's credentials
    status, body = post(app, "/menu", gather, auth="bw:secret")
    assert status.startswith("200")
    assert b"You pressed 1" in body
    # On the platform as written: Bandwidth's challenge-first callbacks, with the app's
    # credentials on its Gather (voice-api §9.2), reach the menu.
    from callcontrol.testing import CallSimulator, press

    sim = CallSimulator(app, base_url="https://ivr.test", username="bw", password="secret")
    call = sim.inbound("/answer", script=[press("1")])
    call.assert_heard("You pressed 1")
    assert [c.event_type for c in call.callbacks] == ["initiate", "gather"]


@pytest.mark.parametrize("index", range(len(blocks("examples/README.md"))))
def test_the_examples_readme_blocks_run(index, fake_api, monkeypatch):
    code = blocks("examples/README.md")[index]
    for module in OPTIONAL:
        if re.search(rf"^(from|import) {module}\b", code, re.MULTILINE):
            pytest.importorskip(module, reason=f"the block needs {module}")
    monkeypatch.syspath_prepend(str(ROOT / "examples"))
    monkeypatch.delitem(sys.modules, "webhook_server", raising=False)
    exec(compile(code, f"examples/README.md block {index}", "exec"), {"__name__": "readme"})
    if "client.redirect(" in code:
        (redirect,) = fake_api.redirects["c-95ac8d6e-1a31c52e"]
        assert redirect["redirectUrl"].startswith("https://example.com/bandwidth/_bxml/")


SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
# Commands that need what a test cannot give them: the network and an account (pip, a live
# API), files of the reader's own, or the suite itself.
NOT_RUN = (
    "pip ",
    "python -m pytest",
    "bxml ",
    "cat ",
    "callcontrol calls ",
    "callcontrol emulator",
    "callcontrol replay",
)


def shell_commands() -> list[str]:
    """Every command line of the README's shell blocks, continuation lines joined."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in SHELL_BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("  #", 1)[0].strip()
            if command:
                commands.append(command)
    return commands


def test_the_readme_names_its_three_commands() -> None:
    commands = shell_commands()
    assert commands[:3] == [
        "pip install -e '.[dev]'",
        "python -m callcontrol demo",
        "python -m pytest",
    ]


@pytest.mark.parametrize("command", [c for c in shell_commands() if not c.startswith(NOT_RUN)])
def test_the_readme_shell_commands_run(command: str, tmp_path: Path) -> None:
    import os
    import shlex
    import subprocess

    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    elif argv[0] == "callcontrol":
        argv[:1] = [sys.executable, "-m", "callcontrol"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    # explore exits 1 when it finds dead ends: the README's example app has them on purpose.
    expected = 1 if "flawed_ivr" in command else 0
    assert result.returncode == expected, result.stderr[-2000:]
