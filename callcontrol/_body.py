"""Reading a response body within the operation's deadline and the response size limit.

Responses are streamed (``stream=True``) and read here, one socket read at a time: a read
timeout alone bounds each wait, not the whole, so a server sending one byte every half
second could otherwise hold a call for ever. The size limit counts decoded bytes, so a
small gzip body cannot inflate into gigabytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
import requests.exceptions as rex
import urllib3.exceptions as u3

from ._attempts import Deadline, declared_too_large, too_large
from ._config import DEFAULT_MAX_RESPONSE_BYTES

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "Deadline", "read_body"]

# Bytes asked for per read: one socket read returns at most this much decoded data.
_CHUNK = 64 * 1024


def read_body(
    response: requests.Response,
    *,
    what: Callable[[], str],
    deadline: Deadline,
    read_timeout: float,
    max_bytes: int,
) -> None:
    """Read the whole body into ``response`` (so ``.content``/``.json()`` work), or raise.

    ``what`` names the request in error messages (called only to build one).
    Raises :class:`ResponseTooLargeError` past ``max_bytes`` decoded bytes (or at once for a
    larger ``Content-Length``), :class:`DeadlineExceededError` when the deadline passes,
    and the :mod:`requests` exception for a failed read. The connection is closed on failure
    and returned to the pool on success.
    """
    try:
        _check_declared_length(response, what, max_bytes)
        content = _read_chunks(response, what, deadline, read_timeout, max_bytes)
    except BaseException:
        response.close()
        raise
    response._content = content
    response._content_consumed = True  # type: ignore[attr-defined]
    response.close()  # with the content consumed, this returns the connection to the pool


def _check_declared_length(
    response: requests.Response, what: Callable[[], str], max_bytes: int
) -> None:
    """Refuse unread a body that announces more bytes than allowed."""
    declared = declared_too_large(response.headers, max_bytes)
    if declared is not None:
        raise too_large(what(), f"announces {declared} bytes", max_bytes)


def _read_chunks(
    response: requests.Response,
    what: Callable[[], str],
    deadline: Deadline,
    read_timeout: float,
    max_bytes: int,
) -> bytes:
    raw = response.raw
    read = _reader(raw)
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline.remaining()
        if left <= 0:
            raise deadline.exceeded(f"{what()} (reading the response)", maybe_sent=True)
        _set_socket_timeout(raw, min(read_timeout, left))
        chunk = _translated(read)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise too_large(what(), "holds more bytes (once decompressed)", max_bytes)
        chunks.append(chunk)


def _reader(raw: Any) -> Callable[[], bytes]:
    """One decoded read of at most one socket read (urllib3 2), or of one chunk (1.26)."""
    if hasattr(raw, "read1"):
        return lambda: bytes(raw.read1(_CHUNK, decode_content=True))
    return lambda: bytes(raw.read(_CHUNK, decode_content=True))


def _set_socket_timeout(raw: Any, seconds: float) -> None:
    """Bound the next socket read by the time left (the socket is urllib3's, when known)."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _translated(read: Callable[[], bytes]) -> bytes:
    """``read()``, with urllib3's exceptions turned into the :mod:`requests` ones."""
    try:
        return read()
    except u3.ReadTimeoutError as exc:
        raise rex.ReadTimeout(exc) from exc
    except u3.DecodeError as exc:
        raise rex.ContentDecodingError(exc) from exc
    except u3.SSLError as exc:
        raise rex.SSLError(exc) from exc
    except (u3.ProtocolError, u3.IncompleteRead) as exc:
        raise rex.ChunkedEncodingError(exc) from exc
    except OSError as exc:  # a socket timeout or reset below urllib3
        raise rex.ConnectionError(exc) from exc
