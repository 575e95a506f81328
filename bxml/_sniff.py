"""What the first bytes of a document say about its encoding (XML 1.0, appendix F).

The readers search the raw bytes for ``<!DOCTYPE``, ``xmlns`` and ``=`` before parsing;
that only works when every ASCII character is its own byte. These helpers tell when it
is, and name the codec of the wide encodings that expat cannot read by itself.
"""

from __future__ import annotations

import re

# Encodings in which every ASCII character is its own byte.
_ASCII_SUPERSETS = re.compile(
    rb"(?i)utf-?8|us-ascii|ascii|iso[-_]?8859-[0-9]+|latin-?1|(?:windows|cp)-?125[0-8]"
)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
_UTF8_BOM = b"\xef\xbb\xbf"
#: The declaration bxml writes: the common case, answered without a regular expression.
OWN_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_WIDE_STARTS = {
    b"\x00\x00\xfe\xff": "utf-32",
    b"\xff\xfe\x00\x00": "utf-32",
    b"\x00\x00\x00<": "utf-32-be",
    b"<\x00\x00\x00": "utf-32-le",
    b"\x00<\x00?": "utf-16-be",
    b"<\x00?\x00": "utf-16-le",
}


def searchable(data: bytes) -> bool:
    """Tell whether ``data`` is in an encoding that writes ASCII as single ASCII bytes."""
    if data.startswith(OWN_DECLARATION):
        return True
    start = 3 if data.startswith(_UTF8_BOM) else 0
    head = data[start : start + 4]
    if not head or head[0] not in b"< \t\r\n" or b"\x00" in head:
        return False  # UTF-16, UTF-32, EBCDIC, ...
    if not head.startswith(b"<?xm"):
        return True
    declared = declared_encoding(data)
    return declared is None or _ASCII_SUPERSETS.fullmatch(declared) is not None


def declared_encoding(data: bytes) -> bytes | None:
    """Return the encoding named by the XML declaration that starts ``data``, if any."""
    start = 3 if data.startswith(_UTF8_BOM) else 0
    declared = _DECLARED_ENCODING.match(data, start)
    return None if declared is None else declared.group(1)


def wide_codec(data: bytes) -> str | None:
    """Return the codec of UTF-32 or BOM-less UTF-16 ``data``, or None for other bytes."""
    return _WIDE_STARTS.get(data[:4])
