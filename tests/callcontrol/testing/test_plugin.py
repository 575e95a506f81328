"""The pytest plugin, run through pytester: loaded by its ``pytest11`` entry point when the
package is installed, else with ``-p callcontrol.testing.plugin``."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest

# pytester runs the inner sessions in this process and afterwards drops the modules they
# imported; the package's lazily loaded names would then outlive the classes they came
# from. Importing the simulator here keeps one copy of everything for all runs.
import callcontrol.asgi  # noqa: F401
import callcontrol.testing.simulator  # noqa: F401

pytest_plugins = ["pytester"]

INSTALLED = any(ep.value == "callcontrol.testing.plugin" for ep in entry_points(group="pytest11"))
PLUGIN = () if INSTALLED else ("-p", "callcontrol.testing.plugin")

APP = """
import json

import pytest
from bxml import Gather, Hangup, PhoneNumber, Response, SpeakSentence, Transfer

MENU = Response(Gather(SpeakSentence("Press 1"), gather_url="/choice", max_digits=1,
                       first_digit_timeout=2))
ROUTES = {
    "/answer": MENU.to_bytes(),
    "/choice": Response(Transfer(PhoneNumber("+15550001111"), transfer_complete_url="/done"),
                        ).to_bytes(),
    "/done": Response(Hangup()).to_bytes(),
}

def app(environ, start_response):
    body = ROUTES.get(environ["PATH_INFO"], b"")
    start_response("200 OK" if body else "204 No Content", [])
    return [body]

@pytest.fixture
def bxml_app():
    return app
"""

TESTS = """
def test_press_one(call_simulator, press, busy):
    call = call_simulator.inbound("/answer", script=[press("1")],
                                  destinations={"+15550001111": busy()})
    call.assert_transferred_to("+15550001111", "busy")

def test_fresh_simulator_per_test(call_simulator):
    assert call_simulator.base_url == "https://app.test"
"""


@pytest.fixture
def project(pytester):
    pytester.makeconftest(APP)
    pytester.makepyfile(test_my_ivr=TESTS)
    return pytester


def test_fixtures_work(project):
    result = project.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_coverage_report_lists_sites_outcomes_and_unfetched_urls(project):
    result = project.runpytest(*PLUGIN, "--ivr-coverage")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*IVR coverage*",
            "  /answer (initiate): 1",
            "/answer Gather[1]: seen 1; never: timeout",
            "transfer +15550001111: seen busy; never: answered, no-answer",
            "coverage: *%",
        ]
    )


def test_coverage_fail_under(project):
    result = project.runpytest(*PLUGIN, "--ivr-coverage-fail-under=99")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAIL: IVR coverage *% is below 99%"])


def test_missing_bxml_app_is_explained(pytester):
    pytester.makepyfile("def test_x(call_simulator):\n    pass\n")
    result = pytester.runpytest(*PLUGIN)
    result.stdout.fnmatch_lines(["*call_simulator needs a fixture named bxml_app*"])


def test_coverage_json(project):
    result = project.runpytest(*PLUGIN, "--ivr-coverage-json=cov.json")
    result.assert_outcomes(passed=2)
    data = json.loads((project.path / "cov.json").read_text())
    assert data["gathers"] == {"/answer Gather[1]": {"1": 1}}
    assert data["transfers"] == {"+15550001111": {"busy": 1}}
    assert 0 < data["percent"] < 100


def test_loading_the_plugin_is_light() -> None:
    # pytest loads the plugin in every session of a project that installs this package.
    import subprocess
    import sys

    code = (
        "import sys, callcontrol.testing.plugin; "
        "print(sorted(m for m in ('bxml', 'requests', 'lxml', 'callcontrol.engine') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


WEBHOOK_APP = """
import pytest
from bxml import Response, SpeakSentence
from callcontrol import WebhookApp

app = WebhookApp()

@app.route("/answer")
def answer(event):
    return SpeakSentence("a bare verb, not a Response")

@pytest.fixture
def bxml_app():
    return app

def test_hangs_up(call_simulator):
    call_simulator.inbound("/answer").assert_ended("hangup")
"""


def test_a_webhook_app_failure_fails_the_test_despite_its_fallback(pytester):
    # Production answers with the fallback apology (200); the plugin's simulator still
    # raises the handler's failure instead of passing on the apology's hangup.
    pytester.makepyfile(test_failing_handler=WEBHOOK_APP)
    result = pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AppError: the app's reply to POST*/answer (initiate)*"])


PLUGIN_APP = """
import pytest
from bxml import Hangup, Response, SpeakSentence
from callcontrol import WebhookApp

app = WebhookApp()

@app.route("/answer")
async def answer(event):
    return Response(SpeakSentence("Hello from ASGI."), Hangup())

@pytest.fixture
def bxml_app():
    return app.asgi
"""


def test_the_plugin_takes_an_asgi_bxml_app(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLUGIN_APP)
    pytester.makepyfile(
        "def test_hello(call_simulator):\n"
        "    call_simulator.inbound('/answer').assert_heard('Hello from ASGI.')\n"
    )
    result = pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
