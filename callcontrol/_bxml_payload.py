"""Turning what a user gives ``update_call_bxml`` into the bytes to PUT, checked first.

:mod:`bxml` is imported here, lazily, so that ``import callcontrol`` stays light.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .exceptions import InvalidRequestError

if TYPE_CHECKING:
    import bxml

#: The largest BXML document the Voice API accepts, in bytes (64 KB).
MAX_BXML_BYTES = 64 * 1024

_DECLARED_ENCODING = re.compile(r"""\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
_RESPONSE_ROOT = (
    "updateCallBxml takes a <Bxml> root, not <Response> (<Response> is the reply to a "
    "webhook); build the document with bxml.Bxml(...) instead"
)


def bxml_payload(doc: object) -> bytes:
    """The UTF-8 body for updateCallBxml, after checking root, size and schema.

    ``doc`` is a :class:`bxml.Bxml` or a BXML string; a string is sent exactly as given.
    """
    import bxml

    if isinstance(doc, bxml.Response):
        raise InvalidRequestError(_RESPONSE_ROOT, field="doc", value="<Response>")
    if isinstance(doc, bxml.Bxml):
        data = doc.to_bytes()
        _check_size(data)
    elif isinstance(doc, str):
        _check_declared_encoding(doc)
        data = doc.encode("utf-8")
        _check_size(data)
        _check_root(doc)
    else:
        raise InvalidRequestError(
            f"update_call_bxml takes a bxml.Bxml document or a BXML string, "
            f"not {type(doc).__name__}",
            field="doc",
            value=type(doc).__name__,
        )
    _validate(doc)  # the string exactly as it will be sent, not a re-serialization
    return data


def _check_size(data: bytes) -> None:
    if len(data) > MAX_BXML_BYTES:
        raise InvalidRequestError(
            f"the BXML document is {len(data)} bytes; the Voice API accepts at most "
            f"{MAX_BXML_BYTES} bytes (64 KB)",
            field="doc",
            value=len(data),
        )


def _check_declared_encoding(text: str) -> None:
    match = _DECLARED_ENCODING.match(text)
    if match and match.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise InvalidRequestError(
            f"the BXML string declares encoding={match.group(1)!r}, but it is sent as UTF-8; "
            "declare encoding='UTF-8' or leave the declaration out",
            field="doc",
            value=match.group(1),
        )


def _check_root(text: str) -> None:
    import bxml

    try:
        parsed = bxml.parse(text)
    except bxml.BxmlError as exc:
        raise InvalidRequestError(f"the BXML string cannot be read: {exc}", field="doc") from exc
    if isinstance(parsed, bxml.Response):
        raise InvalidRequestError(_RESPONSE_ROOT, field="doc", value="<Response>")


def _validate(doc: bxml.Bxml | str) -> None:
    import bxml

    try:
        bxml.validate(doc)
    except bxml.ValidationError as exc:
        raise InvalidRequestError(f"the BXML document is not valid: {exc}", field="doc") from exc
