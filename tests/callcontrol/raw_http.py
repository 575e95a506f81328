"""A scripted HTTP/1.1 server on 127.0.0.1 that can drop a connection after reading a request.

A WSGI server always answers; this one lets a test lose the answer to a request that the
server received (and acted on), which is how a read timeout or a reset looks to a client.
Used by the client tests of both the sync and the async client.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: Close the connection without answering.
DROP = None


@dataclass(frozen=True)
class Received:
    """One request the server read."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    """A response to send: status, headers and body."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, **headers: str) -> Answer:
        """A JSON answer."""
        return cls(
            status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
        )

    def encode(self) -> bytes:
        head = [f"HTTP/1.1 {self.status} X", f"Content-Length: {len(self.body)}"]
        head += [f"{name}: {value}" for name, value in self.headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + self.body


#: Given each request, the answer to send (or DROP).
Handler = Callable[[Received], "Answer | None"]


class RawServer:
    """The running server: ``url`` to send to, ``received`` what arrived, in order."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.url = ""

    def count(self, method: str, path_suffix: str = "") -> int:
        """How many requests with ``method`` and a path ending in ``path_suffix`` arrived."""
        with self.lock:
            return sum(
                1 for r in self.received if r.method == method and r.path.endswith(path_suffix)
            )


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        while True:
            request = self._read()
            if request is None:
                return
            owner = self.server.owner
            with owner.lock:
                owner.received.append(request)
            answer = owner.handler(request)
            if answer is None:
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(answer.encode())
            self.wfile.flush()

    def _read(self) -> Received | None:
        line = self.rfile.readline(65537)
        if not line.strip():
            return None
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while True:
            header = self.rfile.readline(65537).decode("latin-1")
            if header in ("\r\n", "\n", ""):
                break
            name, _, value = header.partition(":")
            headers[name.strip().title()] = value.strip()
        body = self.rfile.read(int(headers.get("Content-Length", "0")))
        return Received(method, target, headers, body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    owner: RawServer


@contextmanager
def serve_raw(handler: Handler) -> Iterator[RawServer]:
    """Serve ``handler`` on an ephemeral port of 127.0.0.1 until the block ends."""
    owner = RawServer(handler)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.owner = owner
    owner.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield owner
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
