"""Build, parse, validate and lint BXML, the markup of Bandwidth's Programmable Voice.

::

    from bxml import Response, SpeakSentence, Gather

    doc = Response(SpeakSentence("Hi"), Gather(gather_url="/menu", max_digits=1))
    print(doc.to_xml(pretty=True))

Every value is checked when a verb is built; ``bxml.parse`` reads documents back into the
same objects, ``bxml.validate`` checks them against the shipped XSD and ``bxml.lint``
finds call-flow mistakes a schema cannot see.
"""

import typing as _typing

from . import ssml
from ._element import Element, UnknownElement
from .document import MAX_DOCUMENT_BYTES, Bxml, Response, Root
from .exceptions import (
    BxmlError,
    InvalidValueError,
    NestingError,
    ParseError,
    Problem,
    ValidationError,
)
from .lint import lint
from .parse import parse
from .schema import is_valid, iter_errors, validate
from .verbs import (
    Bridge,
    Conference,
    Connect,
    CustomParam,
    Endpoint,
    Forward,
    Gather,
    Hangup,
    Pause,
    PauseRecording,
    PhoneNumber,
    PlayAudio,
    Record,
    Redirect,
    Refer,
    ResumeRecording,
    Ring,
    SendDtmf,
    SipUri,
    SpeakSentence,
    StartGather,
    StartRecording,
    StartStream,
    StartTranscription,
    StopGather,
    StopRecording,
    StopStream,
    StopTranscription,
    StreamParam,
    Tag,
    Transfer,
    Verb,
)

__all__ = [
    "Bridge",
    "Bxml",
    "BxmlError",
    "Change",
    "Conference",
    "Connect",
    "CustomParam",
    "Element",
    "Endpoint",
    "Forward",
    "Gather",
    "Hangup",
    "InvalidValueError",
    "MAX_DOCUMENT_BYTES",
    "NestingError",
    "ParseError",
    "Pause",
    "PauseRecording",
    "PhoneNumber",
    "PlayAudio",
    "Problem",
    "Record",
    "Redirect",
    "Refer",
    "Response",
    "ResumeRecording",
    "Ring",
    "Root",
    "SCHEMA_PATH",
    "SendDtmf",
    "SipUri",
    "SpeakSentence",
    "StartGather",
    "StartRecording",
    "StartStream",
    "StartTranscription",
    "StopGather",
    "StopRecording",
    "StopStream",
    "StopTranscription",
    "StreamParam",
    "Tag",
    "Transfer",
    "UnknownElement",
    "ValidationError",
    "Verb",
    "diff",
    "is_valid",
    "iter_errors",
    "lint",
    "parse",
    "ssml",
    "validate",
]


if _typing.TYPE_CHECKING:
    from .diff import Change, diff
    from .schema import SCHEMA_PATH


def __getattr__(name: str) -> _typing.Any:
    """Read ``__version__`` from the installed distribution, the first time it is asked for.

    ``SCHEMA_PATH`` is also made on first use: it is a :class:`pathlib.Path`, and pathlib
    is slow to import; so are ``diff`` and ``Change``.
    """
    if name == "SCHEMA_PATH":
        from .schema import SCHEMA_PATH

        globals()["SCHEMA_PATH"] = SCHEMA_PATH
        return SCHEMA_PATH
    if name in ("Change", "diff"):  # dataclasses (for Change) is slow to import
        from importlib import import_module

        module = import_module(".diff", __name__)  # not `from . import`: that asks for bxml.diff
        globals().update(Change=module.Change, diff=module.diff)
        return globals()[name]
    if name != "__version__":
        raise AttributeError(f"module 'bxml' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("bxml-callcontrol")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
