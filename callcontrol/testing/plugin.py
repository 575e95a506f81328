"""pytest plugin: ``call_simulator`` and script-step fixtures, and ``--ivr-coverage``.

Define a ``bxml_app`` fixture returning your WSGI or ASGI app (and optionally ``bxml_base_url``);
each test then gets a fresh ``call_simulator``. ``pytest --ivr-coverage`` prints which
URLs, verbs, Gather outcomes and transfer outcomes the tests reached;
``--ivr-coverage-fail-under=N`` fails the run below N percent. The ``call_snapshot``
fixture names a test's transcript snapshot file; ``--snapshot-update`` rewrites the
snapshots that differ.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .coverage import COVERAGE

if TYPE_CHECKING:
    from .simulator import CallSimulator

DEFAULT_BASE_URL = "https://app.test"
_SNAPSHOT_STATE = pytest.StashKey[tuple[bool, "list[str] | None"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the coverage options."""
    group = parser.getgroup("ivr", "IVR call simulation")
    group.addoption(
        "--ivr-coverage",
        action="store_true",
        help="report which IVR branches the simulated calls reached",
    )
    group.addoption(
        "--ivr-coverage-fail-under",
        type=float,
        default=None,
        metavar="N",
        help="fail the run when IVR coverage is below N percent",
    )
    if importlib.util.find_spec("syrupy") is None:  # syrupy has the same option: share it
        group.addoption(
            "--snapshot-update",
            action="store_true",
            help="rewrite call transcript snapshots that differ instead of failing",
        )
    group.addoption(
        "--ivr-coverage-json",
        default=None,
        metavar="PATH",
        help="also write the IVR coverage data to PATH as JSON",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Switch the session-wide recorder on when asked for."""
    from . import snapshot

    # Kept to put back at the end: a session run inside another (pytester) must not leave
    # the outer one's settings changed.
    config.stash[_SNAPSHOT_STATE] = (snapshot.UPDATE, snapshot.WRITTEN)
    snapshot.UPDATE = bool(
        getattr(config.option, "snapshot_update", False)
        or getattr(config.option, "update_snapshots", False)  # syrupy's --snapshot-update
    )
    snapshot.WRITTEN = []
    wanted = (
        config.getoption("ivr_coverage")
        or config.getoption("ivr_coverage_fail_under") is not None
        or config.getoption("ivr_coverage_json") is not None
    )
    if wanted:
        COVERAGE.reset()
        COVERAGE.enabled = True


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when coverage is below ``--ivr-coverage-fail-under``."""
    limit = session.config.getoption("ivr_coverage_fail_under")
    if limit is not None and COVERAGE.enabled and COVERAGE.percent() < limit:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the snapshots written and the coverage report."""
    from . import snapshot

    if snapshot.WRITTEN:
        terminalreporter.section("call snapshots")
        for note in snapshot.WRITTEN:
            terminalreporter.write_line(note)
    if not COVERAGE.enabled:
        return
    terminalreporter.section("IVR coverage")
    for line in COVERAGE.report():
        terminalreporter.write_line(line)
    path = config.getoption("ivr_coverage_json")
    if path is not None:
        Path(path).write_text(json.dumps(COVERAGE.to_json(), indent=2) + "\n", encoding="utf-8")
        terminalreporter.write_line(f"IVR coverage data written to {path}")
    limit = config.getoption("ivr_coverage_fail_under")
    if limit is not None and COVERAGE.percent() < limit:
        terminalreporter.write_line(
            f"FAIL: IVR coverage {COVERAGE.percent():.1f}% is below {limit:g}%", red=True
        )


@pytest.fixture
def call_simulator(request: pytest.FixtureRequest) -> CallSimulator:
    """A fresh CallSimulator for the app of the ``bxml_app`` fixture."""
    try:
        app = request.getfixturevalue("bxml_app")
    except pytest.FixtureLookupError:
        raise pytest.UsageError(
            "call_simulator needs a fixture named bxml_app that returns your WSGI or ASGI app "
            "(or its base URL)"
        ) from None
    try:
        base_url = request.getfixturevalue("bxml_base_url")
    except pytest.FixtureLookupError:
        base_url = DEFAULT_BASE_URL
    from .simulator import CallSimulator

    return CallSimulator(app, base_url=base_url)


def _provide(name: str) -> Any:
    # The steps (and the engine behind them) load only when a test asks for one.
    def fixture() -> Callable[..., Any]:
        from . import steps

        step: Callable[..., Any] = getattr(steps, name)
        return step

    fixture.__doc__ = f"The {name} script step."
    return pytest.fixture(name=name)(fixture)


press = _provide("press")
silence = _provide("silence")
leave_message = _provide("leave_message")
hang_up = _provide("hang_up")
answers = _provide("answers")
busy = _provide("busy")
no_answer = _provide("no_answer")


@pytest.fixture
def call_snapshot(request: pytest.FixtureRequest) -> Path:
    """The transcript snapshot file of this test: ``snapshots/<test module>/<test name>.txt``."""
    from .snapshot import snapshot_path

    return snapshot_path(request.path, request.node.name)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop recording when the session ends."""
    COVERAGE.enabled = False
    from . import snapshot

    snapshot.UPDATE, snapshot.WRITTEN = config.stash.get(_SNAPSHOT_STATE, (False, None))
