"""The public names of both packages: complete, sorted, and light to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import bxml

BXML_CONTRACT = """
Response Bxml SCHEMA_PATH Bridge Conference Connect CustomParam Endpoint Forward Gather Hangup
Pause PauseRecording PhoneNumber PlayAudio Record Redirect Refer ResumeRecording Ring SendDtmf SipUri
SpeakSentence StartGather StartRecording StartStream StartTranscription StopGather StopRecording
StopStream StopTranscription StreamParam Tag Transfer parse validate is_valid iter_errors lint
BxmlError InvalidValueError NestingError ParseError ValidationError Problem ssml
""".split()


def test_bxml_all_is_sorted_and_complete() -> None:
    assert bxml.__all__ == sorted(bxml.__all__)
    missing = [name for name in BXML_CONTRACT if name not in bxml.__all__]
    assert not missing, f"missing from bxml.__all__: {missing}"
    for name in bxml.__all__:
        assert hasattr(bxml, name), name


def test_bxml_public_names_have_docstrings() -> None:
    for name in bxml.__all__:
        obj = getattr(bxml, name)
        if callable(obj) or isinstance(obj, type):
            assert obj.__doc__, f"bxml.{name} has no docstring"


def test_callcontrol_all_is_sorted() -> None:
    callcontrol = pytest.importorskip("callcontrol")
    assert callcontrol.__all__ == sorted(callcontrol.__all__)
    for name in callcontrol.__all__:
        assert hasattr(callcontrol, name), name


def test_import_bxml_is_light() -> None:
    code = (
        "import sys, bxml; heavy = [m for m in ('requests', 'xmlschema', 'hypothesis', 'callcontrol')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
