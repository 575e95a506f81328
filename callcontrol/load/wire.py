"""One keep-alive HTTP connection per worker: sends a callback, times the reply.

Plain :mod:`http.client` rather than requests or urllib3: measured on the benchmark machine, it
used about 90 µs of client CPU per POST on a keep-alive connection, urllib3 about 190 µs and a
requests Session about 450 µs; a load generator must not be the bottleneck it measures.
BENCHMARKS.md compares the whole generator (engine included) with a bare requests POST.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..engine import CallbackRequest
from ..testing.fetch import basic_auth, callback_headers, encode
from .report import CONNECTION, TIMEOUT, http_status_kind

#: The User-Agent of load-test callbacks.
USER_AGENT = "BandwidthAPI/v2 (callcontrol load)"
# A reused keep-alive connection the server has closed fails like this before any reply;
# the request is sent once more on a new connection (as urllib3 and browsers do).
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass(frozen=True)
class Reply:
    """What one callback got: status and body, or the error ``kind`` and its ``detail``.

    ``seconds`` is the time from sending to the whole reply read (None when the request never
    reached the server); ``too_slow`` is True past the callback timeout.
    """

    url: str
    status: int | None
    body: bytes
    seconds: float | None
    kind: str | None = None
    detail: str = ""
    too_slow: bool = False


def check_base_url(url: str) -> str:
    """``url`` without its trailing slash; raises ValueError unless it is http(s)://host[:port]."""
    if not isinstance(url, str):
        raise TypeError(f"the target URL must be a string, not {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the target must be an http:// or https:// base URL, not {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"the target base URL takes no query or fragment, not {url!r}")
    return url.rstrip("/")


class Wire:
    """A keep-alive connection to ``base_url``'s host that sends callbacks and times them.

    Callbacks to any other host fail as connection errors: the load test reaches one server.
    """

    def __init__(self, base_url: str, callback_timeout: float) -> None:
        self.base_url = check_base_url(base_url)
        parts = urlsplit(self.base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.timeout = float(callback_timeout)
        https = parts.scheme == "https"
        kind = http.client.HTTPSConnection if https else http.client.HTTPConnection
        self._connection = kind(parts.hostname or "", parts.port, timeout=self.timeout)
        self._used = False

    def __repr__(self) -> str:
        return f"Wire({self.origin!r})"

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def send(self, request: CallbackRequest) -> Reply:
        """Send ``request`` and read the reply (never raises for network failures)."""
        url, body = encode(request)
        if not (url.startswith(self.origin) and url[len(self.origin) : len(self.origin) + 1]
                in ("/", "?", "")):  # fmt: skip
            detail = f"{url} is not on the target server {self.origin}"
            return Reply(url, None, b"", None, CONNECTION, detail)
        target = url[len(self.origin) :] or "/"
        method = request.target.method
        started = time.perf_counter()
        try:
            status, data = self._authenticated(request, method, target, body)
        except TimeoutError:
            self._connection.close()
            waited = time.perf_counter() - started
            detail = f"no reply within {self.timeout:g} s"
            return Reply(url, None, b"", waited, TIMEOUT, detail, too_slow=True)
        except (OSError, http.client.HTTPException) as exc:
            self._connection.close()
            return Reply(url, None, b"", None, CONNECTION, f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - started
        if seconds > self.timeout:
            detail = f"replied after {seconds:.3f} s, past {self.timeout:g} s"
            return Reply(url, status, data, seconds, TIMEOUT, detail, too_slow=True)
        if not 200 <= status < 300:
            return Reply(url, status, data, seconds, http_status_kind(status), "")
        return Reply(url, status, data, seconds)

    def _authenticated(
        self, request: CallbackRequest, method: str, target: str, body: bytes
    ) -> tuple[int, bytes]:
        """Send as Bandwidth does (voice-api §9.2): without credentials first, then with
        them only after a 401 that carries ``WWW-Authenticate``; both count in the time."""
        status, data, challenged = self._exchange(
            method, target, body, callback_headers(body, USER_AGENT, None)
        )
        if status == 401 and challenged:
            authorization = basic_auth(request.target.credentials)
            if authorization is not None:
                headers = callback_headers(body, USER_AGENT, authorization)
                status, data, _ = self._exchange(method, target, body, headers)
        return status, data

    def _exchange(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, bool]:
        reused = self._used
        self._used = True
        try:
            return self._once(method, target, body, headers)
        except _STALE:
            if not reused:
                raise
            self._connection.close()
            return self._once(method, target, body, headers)

    def _once(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, bool]:
        connection = self._connection
        connection.request(method, target, body or None, headers)
        response = connection.getresponse()
        challenged = bool((response.getheader("WWW-Authenticate") or "").strip())
        return response.status, response.read(), challenged
