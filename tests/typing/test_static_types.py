"""What mypy says about the public signatures: wrong children, narrowing, simulator keywords.

Each case is a small program checked with the project's own mypy configuration; the
expected error (or revealed type) is matched by line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """\
from bxml import Element, Gather, Hangup, PhoneNumber, Response, SpeakSentence, Transfer
from bxml import UnknownElement
from bxml.verbs import TOP_LEVEL
from callcontrol.testing import CallSimulator, busy

Response().append(PhoneNumber("+15551234567"))  # error: "PhoneNumber"
Gather().append(Hangup())  # error: "Hangup"
Transfer().append(SpeakSentence("hi"))  # error: "SpeakSentence"
reveal_type(Response().append(Hangup(), UnknownElement("Dial")))  # note: "bxml.document.Response"
reveal_type(Gather().append(SpeakSentence("hi")))  # note: "bxml.verbs.Gather"
with Response().gather() as g:
    g.append(PhoneNumber("+15551234567"))  # error: "PhoneNumber"
def narrow(x: Element) -> None:
    if isinstance(x, TOP_LEVEL):
        Response(x)
        reveal_type(x)  # note: "bxml.verbs.Bridge | bxml.verbs.Conference |
sim = CallSimulator("https://app.test")
sim.inbound("/a", form_="+15551230000")  # error: Unexpected keyword argument "form_"
sim.outbound("/a", to=15553334444)  # error: "to" to "outbound"
sim.start_inbound("/a", destinations={"+15550001111": "busy"})  # error: "str": "str"
sim.start_outbound("/a", script=["1"])  # error: List item 0
sim.start_inbound("/a", destinations={"+15550001111": busy()}, fallback_url="/f")
"""


def _mypy_lines(tmp_path: Path) -> dict[int, str]:
    """Run mypy on PROGRAM with the project's configuration; its messages by line."""
    program = tmp_path / "program.py"
    program.write_text(PROGRAM, encoding="utf-8")
    out, err, _ = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),  # the project's own: warm after a `mypy` run
            "--no-error-summary",
            "--hide-error-context",
            str(program),
        ]
    )
    assert not err, err
    found: dict[int, str] = {}
    for line in out.splitlines():
        match = re.match(r".*program\.py:(\d+): (error|note): (.*)", line)
        assert match, line
        number = int(match.group(1))
        found[number] = found.get(number, "") + f"{match.group(2)}: {match.group(3)}\n"
    return found


def _expected() -> dict[int, tuple[str, str]]:
    """The kind and text each commented line of PROGRAM expects."""
    expected = {}
    for number, line in enumerate(PROGRAM.splitlines(), 1):
        match = re.search(r'# (error|note): "?(.*?)"?$', line)
        if match:
            expected[number] = (match.group(1), match.group(2))
    return expected


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    return _mypy_lines(tmp_path_factory.mktemp("mypy"))


def test_only_the_marked_lines_get_messages(messages):
    assert sorted(messages) == sorted(_expected())


@pytest.mark.parametrize("number", sorted(_expected()))
def test_each_marked_line_gets_its_message(messages, number):
    kind, text = _expected()[number]
    assert f"{kind}: " in messages.get(number, ""), messages
    assert text in messages[number], messages[number]
