"""Record the callbacks a webhook app answers to a cassette, to replay them against a new version.

::

    from callcontrol.recording import record

    app = record(WebhookApp(...), "callbacks.jsonl", mask_numbers=True)   # serve this app

Every callback exchange becomes one line of JSON (JSON Lines)::

    {"time": "2026-01-01T09:00:01.250Z", "method": "POST", "path": "/answer",
     "event": {"eventType": "answer", ...}, "status": 200, "reply": "<Response>...</Response>"}

``time`` is when the request arrived (UTC); ``event`` is the callback's fields (the JSON body,
or the query parameters of a GET callback); ``reply`` is the app's answer as text. The
``Authorization`` header is never written (no header is), and credential attributes in the
reply (``username``, ``password``, ``fallbackUsername``, ...) are written as ``***``. With
``mask_numbers`` every E.164 number keeps its first two and last four characters and has
zeros in between, the same way everywhere, so a call's callbacks still agree.

The wrapped app answers exactly as before: the request thread only hands the raw exchange
to a queue; a background thread per process decodes, masks and appends it. Lines are
appended whole (``O_APPEND``) under an advisory lock file, so several threads and several
worker processes (gunicorn, waitress) can record to one cassette. The cassette is bounded:
past ``max_bytes`` or ``max_exchanges`` it is renamed to ``PATH.1`` (the older ones to
``PATH.2`` ...; ``keep`` of them stay) and a new one begins. :class:`CassetteWriter` is the
framework-neutral core; :func:`record` wraps a WSGI app (:class:`RecordingApp`) or an ASGI
app (``app.asgi``, FastAPI, Starlette: :class:`RecordingAsgiApp`), told apart by shape.
"""

from __future__ import annotations

import atexit
import functools
import io
import json
import logging
import os
import re
import sys
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring as encode_string  # a JSON string, C-accelerated
from queue import SimpleQueue
from typing import Any, overload
from urllib.parse import parse_qsl

try:  # POSIX; elsewhere lines are still appended whole, only rotation is not coordinated
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "CREDENTIAL_ATTRIBUTES",
    "CassetteWriter",
    "Exchange",
    "RecordingApp",
    "RecordingAsgiApp",
    "mask_credentials",
    "mask_number",
    "read_cassette",
    "record",
]

log = logging.getLogger("callcontrol.recording")

#: Default bound of one cassette file.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
#: Request bodies larger than this are passed through unrecorded (Bandwidth's are < 64 KB).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: Exchanges waiting for the writer thread; past this, new ones are dropped (and counted)
#: rather than slowing the app down.
MAX_PENDING = 10_000
MASK = "***"
#: How long the writer thread lets exchanges gather before writing them (seconds).
LINGER = 0.05

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_BREAKS = re.compile("[\x85\u2028\u2029]")

WSGIEnvironment = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]


def _credential_attributes() -> frozenset[str]:
    """The XML names of BXML credential attributes: secrets and the user names beside them."""
    from bxml._element import REGISTRY

    names: set[str] = set()
    for cls in REGISTRY.values():
        xml_names = {attr.xml for attr in cls.FIELDS}
        for attr in cls.FIELDS:
            if attr.secret:
                names.add(attr.xml)
                user = attr.xml.replace("Password", "Username").replace("password", "username")
                if user in xml_names:
                    names.add(user)
    return frozenset(names)


#: Attributes of BXML whose values are credentials (derived from the verb declarations).
CREDENTIAL_ATTRIBUTES = _credential_attributes()
_CREDENTIALS = re.compile(
    r"(\s(?:" + "|".join(sorted(CREDENTIAL_ATTRIBUTES)) + r")\s*=\s*)(\"[^\"]*\"|'[^']*')"
)


def mask_credentials(xml: str) -> str:
    """``xml`` with the value of every credential attribute replaced by ``***``."""
    if "sername" not in xml and "assword" not in xml:  # every such name holds one of these
        return xml
    return _CREDENTIALS.sub(lambda m: f'{m.group(1)}"{MASK}"', xml)


def mask_number(number: str) -> str:
    """An E.164 number with all but its first two and last four characters made zeros."""
    return number[:2] + "0" * (len(number) - 6) + number[-4:]


def _mask_numbers(text: str) -> str:
    return _E164.sub(lambda m: mask_number(m.group(0)), text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return _mask_numbers(value)
    if isinstance(value, dict):
        return {key: _mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_value(item) for item in value]
    return value


@dataclass(frozen=True)
class Exchange:
    """One recorded callback and the app's answer (one line of a cassette)."""

    time: str
    method: str
    path: str
    event: dict[str, Any]
    status: int
    reply: str
    query: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def event_type(self) -> str:
        """The callback's ``eventType`` ('' when the request carried none)."""
        return str(self.event.get("eventType", ""))

    @property
    def call_id(self) -> str:
        """The callback's ``callId`` ('' when it carried none)."""
        return str(self.event.get("callId", ""))

    def to_json(self) -> str:
        """The exchange as one cassette line (without the newline)."""
        line: dict[str, Any] = {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "event": self.event,
            "status": self.status,
            "reply": self.reply,
        }
        if self.query:
            line["query"] = self.query
        line.update(self.extra)
        return _one_line(json.dumps(line, ensure_ascii=False, separators=(",", ":")))

    @classmethod
    def from_json(cls, text: str, where: str = "cassette") -> Exchange:
        """Read one cassette line; a ValueError names ``where`` and what is wrong."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{where}: not a JSON object ({exc})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{where}: a line must be a JSON object, not {type(data).__name__}")
        missing = [k for k in ("method", "path", "event", "status", "reply") if k not in data]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        if not isinstance(data["event"], dict) or not isinstance(data["status"], int):
            raise ValueError(f"{where}: event must be an object and status an integer")
        known = {"time", "method", "path", "event", "status", "reply", "query"}
        return cls(
            time=str(data.get("time", "")),
            method=str(data["method"]),
            path=str(data["path"]),
            event=data["event"],
            status=data["status"],
            reply=str(data["reply"]),
            query=str(data.get("query", "")),
            extra={k: v for k, v in data.items() if k not in known},
        )


def read_cassette(path: str | os.PathLike[str], *, rotated: bool = True) -> list[Exchange]:
    """Every exchange of a cassette, oldest first (with ``rotated``, ``PATH.N`` ... first).

    :raises ValueError: for a line that is not an exchange, naming the file and line.
    :raises FileNotFoundError: when ``path`` does not exist.
    """
    base = os.fspath(path)
    files = [base]
    if rotated:
        index = 1
        while os.path.exists(f"{base}.{index}"):
            files.insert(0, f"{base}.{index}")
            index += 1
    found = []
    for name in files:
        with open(name, encoding="utf-8") as stream:
            for number, line in enumerate(stream, 1):
                if line.strip():
                    found.append(Exchange.from_json(line, f"{name}:{number}"))
    return found


# -- the framework-neutral core ---------------------------------------------------------------


@dataclass(slots=True)  # not frozen: made on the request thread, where every µs counts
class _Raw:
    """What the request thread hands over: no decoding, no masking, no formatting."""

    started: float
    method: str
    path: str
    query: str
    content_type: str
    body: bytes
    status: int
    reply: bytes
    #: The app read ``body`` as one JSON event and accepted it (a WebhookApp's 2xx), so
    #: the writer need not read it again to know it is a JSON object.
    checked: bool = False


class CassetteWriter:
    """Appends exchanges to a cassette from a background thread; safe across threads and
    processes. Web-framework wrappers call :meth:`submit` once per answered callback.

    :param max_bytes: rotate a cassette file before it would grow past this size.
    :param max_exchanges: rotate after this many exchanges (None: only by size).
    :param keep: how many rotated files (``PATH.1`` ...) are kept.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mask_numbers: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_exchanges: int | None = None,
        keep: int = 3,
    ) -> None:
        if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1024:
            raise ValueError(f"max_bytes must be an int of at least 1024, not {max_bytes!r}")
        if max_exchanges is not None and (
            not isinstance(max_exchanges, int)
            or isinstance(max_exchanges, bool)
            or max_exchanges < 1
        ):
            raise ValueError(f"max_exchanges must be a positive int or None, not {max_exchanges!r}")
        if not isinstance(keep, int) or isinstance(keep, bool) or keep < 0:
            raise ValueError(f"keep must be an int of 0 or more, not {keep!r}")
        self.path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"cannot record to {self.path}: {directory} is not a directory")
        self.mask_numbers = mask_numbers
        self.max_bytes = max_bytes
        self.max_exchanges = max_exchanges
        self.keep = keep
        #: Exchanges dropped because the writer fell behind (:data:`MAX_PENDING`) or failed.
        self.dropped = 0
        self._lock_path = self.path + ".lock"
        self._reset()
        me = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _call(me, "_reset"))
        atexit.register(_call, me, "close")

    def __repr__(self) -> str:
        return f"CassetteWriter({self.path!r}, mask_numbers={self.mask_numbers})"

    def _reset(self) -> None:
        """Start afresh in this process (also in a forked child: threads do not survive)."""
        self._state = threading.Lock()
        # Descriptors are this process's own: a forked child opens its own (the parent's
        # lock descriptor would share the parent's flock).
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._queue: SimpleQueue[_Raw | _WsgiItem | threading.Event | None] = SimpleQueue()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- the hot path ------------------------------------------------------------------------

    def submit(
        self,
        *,
        started: float,
        method: str,
        path: str,
        query: str,
        content_type: str,
        body: bytes,
        status: int,
        reply: bytes,
        checked: bool = False,
    ) -> None:
        """Queue one exchange for writing; never blocks on the file.

        ``checked`` tells that the app parsed ``body`` as one JSON event and accepted it.
        """
        self.put(_Raw(started, method, path, query, content_type, body, status, reply, checked))

    def put(self, raw: _Raw | _WsgiItem) -> None:
        """:meth:`submit` for an exchange already made: a raw one, or what the WSGI wrapper
        hands over as it is (made into one on the writer thread)."""
        # _pending is a soft bound: updated without a lock, it may be off by a few.
        if self._pending >= MAX_PENDING or self._closed:
            self.dropped += 1
            return
        if self._thread is None:
            self._start()
        self._pending += 1
        self._queue.put(raw)

    def _start(self) -> None:
        with self._state:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="cassette-writer", daemon=True)
                thread.start()
                self._thread = thread

    # -- the writer thread -------------------------------------------------------------------

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until every exchange submitted so far is written; False on timeout."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float | None = 10.0) -> None:
        """Write what is queued and stop the writer thread (later exchanges are dropped)."""
        if self._closed:
            return
        self.flush(timeout)
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)

    def _run(self) -> None:
        queue = self._queue
        while True:
            first = queue.get()
            if isinstance(first, (_Raw, tuple)):
                # Let a burst gather: one wake-up and one locked write for many exchanges.
                time.sleep(LINGER)
            items = [first]
            while not queue.empty():
                items.append(queue.get())
            batch: list[_Raw] = []
            for item in items:
                if isinstance(item, _Raw):
                    batch.append(item)
                    continue
                if isinstance(item, tuple):
                    batch.append(_from_wsgi(item))
                    continue
                self._write(batch)  # what came before a flush or stop, first
                batch = []
                if item is None:
                    self._close_files()
                    return
                item.set()
            self._write(batch)

    def _write(self, batch: list[_Raw]) -> None:
        if not batch:
            return
        self._pending -= len(batch)
        try:
            self.append([self.line(raw) for raw in batch])
        except Exception:  # a full disk must not take the app down; say it once per batch
            self.dropped += len(batch)
            log.exception("cannot write %d exchanges to %s", len(batch), self.path)

    def _close_files(self) -> None:
        for fd in (self._fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._lock_fd = None

    def line(self, raw: _Raw) -> str:
        """The cassette line of one raw exchange (newline included)."""
        body = raw.body
        if (
            self.mask_numbers
            or raw.method == "GET"
            or "json" not in raw.content_type
            or body[:1] != b"{"
            or b"\n" in body
            or b"\r" in body
        ):
            return self.exchange(raw).to_json() + "\n"
        # The usual case, a JSON callback on one line: written as it came, not encoded again
        # (read once to be sure it is a JSON object, unless the app already did).
        if not raw.checked and "_body" in _event(raw):
            return self.exchange(raw).to_json() + "\n"
        reply = encode_string(mask_credentials(raw.reply.decode("utf-8", "replace")))
        query = f',"query":{encode_string(raw.query)}' if raw.query else ""
        line = (
            f'{{"time":"{_stamp(raw.started)}","method":{encode_string(raw.method)},'
            f'"path":{encode_string(raw.path)},"event":{body.decode("utf-8", "replace")},'
            f'"status":{raw.status},"reply":{reply}{query}}}\n'
        )
        # The raw line breaks are non-ASCII: a line of ASCII has none to escape.
        return line if line.isascii() else _one_line(line)

    def exchange(self, raw: _Raw) -> Exchange:
        """Decode and mask one raw exchange."""
        event = _event(raw)
        reply = mask_credentials(raw.reply.decode("utf-8", "replace"))
        query = "" if raw.method == "GET" else raw.query
        if self.mask_numbers:
            event = _mask_value(event)
            reply = _mask_numbers(reply)
            query = _mask_numbers(query)
        return Exchange(_stamp(raw.started), raw.method, raw.path, event, raw.status, reply, query)

    def append(self, lines: list[str]) -> None:
        """Append whole lines under the lock file, rotating first when a bound is reached."""
        data = "".join(lines).encode("utf-8")
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        lock = self._lock_fd
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            count = _read_count(lock)
            fd = self._cassette()
            size = os.fstat(fd).st_size
            if size == 0:
                count = 0
            too_many = self.max_exchanges is not None and count + len(lines) > self.max_exchanges
            if size and (size + len(data) > self.max_bytes or too_many):
                self._rotate()
                fd, count = self._cassette(), 0
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            _write_count(lock, count + len(lines))
        finally:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _cassette(self) -> int:
        """The open cassette file, opened again when another process rotated it."""
        fd = self._fd
        if fd is not None:
            try:
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    return fd
            except FileNotFoundError:
                pass
            os.close(fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def _rotate(self) -> None:
        if self.keep == 0:
            os.remove(self.path)
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            return
        oldest = f"{self.path}.{self.keep}"
        if os.path.exists(oldest):
            os.remove(oldest)
        for index in range(self.keep - 1, 0, -1):
            if os.path.exists(f"{self.path}.{index}"):
                os.replace(f"{self.path}.{index}", f"{self.path}.{index + 1}")
        os.replace(self.path, f"{self.path}.1")
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@functools.lru_cache(maxsize=4)
def _second(whole: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))


def _stamp(seconds: float) -> str:
    """ISO 8601 UTC with milliseconds: ``2026-01-01T09:00:01.250Z``."""
    millis = int(seconds * 1000)
    return f"{_second(millis // 1000)}.{millis % 1000:03d}Z"


def _one_line(line: str) -> str:
    """Escape the line breaks JSON leaves raw (NEL, U+2028, U+2029), so that no reader
    splits a line there. They can only stand inside JSON strings, where the escaped form
    means the same."""
    if _BREAKS.search(line) is None:
        return line
    return _BREAKS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", line)


def _call(ref: weakref.ref[CassetteWriter], method: str) -> None:
    writer = ref()
    if writer is not None:
        getattr(writer, method)()


def _read_count(fd: int) -> int:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else 0


def _write_count(fd: int, count: int) -> None:
    # Fixed width, written over in place: truncating would make some file systems flush.
    os.pwrite(fd, f"{count:020d}".encode("ascii"), 0)


def _event(raw: _Raw) -> dict[str, Any]:
    """The callback's fields: the JSON body, a form body, or a GET's query parameters."""
    if raw.method == "GET" or not raw.body:
        return dict(parse_qsl(raw.query, keep_blank_values=True))
    text = raw.body.decode("utf-8", "replace")
    if "form-urlencoded" in raw.content_type:
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        data = json.loads(text)
    except ValueError:
        return {"_body": text}
    return data if isinstance(data, dict) else {"_body": data}


# -- the WSGI wrapper ----------------------------------------------------------------------


class _Recorder:
    """What both wrappers share: the wrapped app's API, the cassette, flush and close."""

    def __init__(self, app: Any, writer: CassetteWriter, max_body_bytes: int) -> None:
        self.app = app
        self.writer = writer
        self.max_body_bytes = max_body_bytes
        # A WebhookApp answers 2xx only to a body it parsed as an event.
        self._checks_json = self._is_webhook_app(app)

    @staticmethod
    def _is_webhook_app(app: Any) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.app!r}, {self.writer.path!r})"

    def __getattr__(self, name: str) -> Any:
        # The wrapped app's own API (route, on, host, ...) stays reachable.
        if name == "app":  # not set yet (a copy being made): no endless lookup
            raise AttributeError(name)
        return getattr(self.app, name)

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until every exchange so far is in the cassette."""
        return self.writer.flush(timeout)

    def close(self) -> None:
        """Write what is queued and stop recording."""
        self.writer.close()


class RecordingApp(_Recorder):
    """A WSGI app that answers like ``app`` and records every exchange (see :func:`record`)."""

    app: WsgiApp

    @staticmethod
    def _is_webhook_app(app: Any) -> bool:
        webhooks = sys.modules.get("callcontrol.webhooks")
        return webhooks is not None and isinstance(app, webhooks.WebhookApp)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.time()
        length = str(environ.get("CONTENT_LENGTH") or "")
        if length:
            if not (length.isascii() and length.isdigit()) or int(length) > self.max_body_bytes:
                return self.app(environ, start_response)  # not a callback Bandwidth sends
            body = environ["wsgi.input"].read(int(length))
            environ["wsgi.input"] = io.BytesIO(body)
        else:  # a GET, or a body without a length: the app reads the stream as it is
            body = b""
        status: list[str] = []

        def capture(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[:] = [code]
            if exc_info is not None:
                return start_response(code, headers, exc_info)
            return start_response(code, headers)

        result = self.app(environ, capture)
        request = (
            started,
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("CONTENT_TYPE", ""),
            body,
        )
        if type(result) is list and status:  # the whole answer is known: record it now
            self.writer.put((request, status[0], result, self._checks_json))
            return result
        return _Recorded(result, self.writer, request, status, self._checks_json)


#: What the WSGI wrapper queues per exchange, untouched: the request (started, method,
#: path, query, content type, body), the status line, the reply's chunks, and whether the
#: app is a WebhookApp (see _Raw.checked).
_WsgiItem = tuple[tuple[float, str, str, str, str, bytes], str, list[bytes], bool]


def _from_wsgi(item: _WsgiItem) -> _Raw:
    """Make the raw exchange of what the WSGI wrapper queued (on the writer thread)."""
    (started, method, path, query, content_type, body), status_line, chunks, checks_json = item
    code = status_line[:3]
    status = int(code) if code.isdigit() else 0
    checked = checks_json and 200 <= status < 300
    reply = b"".join(chunks)
    return _Raw(started, method, path, query, content_type, body, status, reply, checked)


class _Recorded:
    """The app's response, passed through chunk by chunk; recorded when the server closes it."""

    def __init__(
        self,
        result: Iterable[bytes],
        writer: CassetteWriter,
        request: tuple[float, str, str, str, str, bytes],
        status: list[str],
        checks_json: bool,
    ) -> None:
        self._checks_json = checks_json
        self._result = result
        self._writer = writer
        self._request = request
        self._status = status
        self._chunks: list[bytes] = []
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._result:
            self._chunks.append(chunk)
            yield chunk
        self._finish()  # not every caller closes (PEP 3333 says servers must)

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()

    def _finish(self) -> None:
        if self._done or not self._status:
            return
        self._done = True
        self._writer.put((self._request, self._status[0], self._chunks, self._checks_json))


# -- the ASGI wrapper ----------------------------------------------------------------------


class RecordingAsgiApp(_Recorder):
    """An ASGI app that answers like ``app`` and records every HTTP exchange (see
    :func:`record`); lifespan and websocket traffic passes through unrecorded."""

    @staticmethod
    def _is_webhook_app(app: Any) -> bool:
        asgi = sys.modules.get("callcontrol.asgi")
        return asgi is not None and isinstance(app, asgi.AsgiWebhooks)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        exchange = _AsgiExchange(scope, self.max_body_bytes)

        async def kept_receive() -> Any:
            message = await receive()
            exchange.received(message)
            return message

        async def kept_send(message: Any) -> None:
            await send(message)
            if exchange.sent(message):
                self.writer.put(exchange.raw(self._checks_json))

        await self.app(scope, kept_receive, kept_send)


class _AsgiExchange:
    """What one ASGI request and its answer carried, kept as they pass."""

    def __init__(self, scope: Any, max_body_bytes: int) -> None:
        self.started = time.time()
        self.scope = scope
        self.max_body_bytes = max_body_bytes
        self.body: list[bytes] | None = []  # None: over the limit, not recorded
        self.size = 0
        self.status = 0
        self.reply: list[bytes] = []

    def received(self, message: Any) -> None:
        if message.get("type") != "http.request" or self.body is None:
            return
        chunk = bytes(message.get("body") or b"")
        self.size += len(chunk)
        if self.size > self.max_body_bytes:
            self.body = None  # not a callback Bandwidth sends
        else:
            self.body.append(chunk)

    def sent(self, message: Any) -> bool:
        """Keep ``message``; True when the answer is complete (and to be recorded)."""
        kind = message.get("type")
        if kind == "http.response.start":
            self.status = int(message.get("status") or 0)
        elif kind == "http.response.body":
            self.reply.append(bytes(message.get("body") or b""))
            return not message.get("more_body") and self.body is not None
        return False

    def raw(self, checks_json: bool) -> _Raw:
        scope = self.scope
        root, path = str(scope.get("root_path") or ""), str(scope.get("path") or "/")
        if root and not (path == root or path.startswith(root + "/")):
            path = root + path
        content_type = ""
        for name, value in scope.get("headers") or ():
            if bytes(name).lower() == b"content-type":
                content_type = bytes(value).decode("latin-1")
        return _Raw(
            self.started,
            str(scope.get("method") or "GET"),
            path,
            bytes(scope.get("query_string") or b"").decode("latin-1"),
            content_type,
            b"".join(self.body or ()),
            self.status,
            b"".join(self.reply),
            checks_json and 200 <= self.status < 300,
        )


@overload
def record(
    app: Callable[[Any, Any, Any], Awaitable[None]],
    path: str | os.PathLike[str],
    *,
    mask_numbers: bool = ...,
    max_bytes: int = ...,
    max_exchanges: int | None = ...,
    keep: int = ...,
    max_body_bytes: int = ...,
) -> RecordingAsgiApp: ...


@overload
def record(
    app: WsgiApp,
    path: str | os.PathLike[str],
    *,
    mask_numbers: bool = ...,
    max_bytes: int = ...,
    max_exchanges: int | None = ...,
    keep: int = ...,
    max_body_bytes: int = ...,
) -> RecordingApp: ...


def record(
    app: Any,
    path: str | os.PathLike[str],
    *,
    mask_numbers: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_exchanges: int | None = None,
    keep: int = 3,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> RecordingApp | RecordingAsgiApp:
    """Wrap ``app``: the result answers identically and records to the cassette ``path``
    (see the module docstring for the format, masking, bounds and rotation).

    A WSGI app gives a :class:`RecordingApp`; an ASGI app (an async callable: ``app.asgi``,
    FastAPI, Starlette) a :class:`RecordingAsgiApp`.
    """
    if not callable(app):
        raise TypeError(f"app must be a WSGI or ASGI callable, not {type(app).__name__}")
    writer = CassetteWriter(
        path, mask_numbers=mask_numbers, max_bytes=max_bytes, max_exchanges=max_exchanges, keep=keep
    )
    from ._asgi_call import is_asgi

    if is_asgi(app):
        return RecordingAsgiApp(app, writer, max_body_bytes)
    return RecordingApp(app, writer, max_body_bytes)
