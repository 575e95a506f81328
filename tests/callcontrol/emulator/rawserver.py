"""A raw TCP server on 127.0.0.1 that answers every connection with a scripted byte stream.

For the replies no WSGI server sends: one that trickles in a byte at a time, one that never
ends, one that never starts. Every connection is closed when the server stops.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Script = Callable[[socket.socket, threading.Event], None]


def trickle(body: bytes = b"<Response><Hangup/></Response>", every: float = 0.05) -> Script:
    """A 200 whose headers and body arrive one byte at a time, ``every`` seconds apart."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
    reply = head + b"Content-Length: %d\r\n\r\n" % (len(body) * 1000) + body * 1000

    def script(conn: socket.socket, stop: threading.Event) -> None:
        _read_request(conn)
        for byte in reply:
            if stop.wait(every):
                return
            conn.sendall(bytes([byte]))

    return script


def endless(chunk: bytes = b"<!-- padding -->" * 64) -> Script:
    """A 200 with a chunked body that never ends (as fast as it is read)."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        frame = b"%x\r\n%s\r\n" % (len(chunk), chunk)
        while not stop.is_set():
            conn.sendall(frame)

    return script


def silent() -> Script:
    """Reads the request and never answers."""

    def script(conn: socket.socket, stop: threading.Event) -> None:
        _read_request(conn)
        stop.wait()

    return script


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return
        data += more


@contextmanager
def raw_server(script: Script) -> Iterator[str]:
    """Serve ``script`` on a loopback port; yields the base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    conns: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        try:
            script(conn, stop)
        except OSError:
            pass  # the client gave up and closed the connection
        finally:
            conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conns.append(conn)
            thread = threading.Thread(target=serve, args=(conn,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        listener.close()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        acceptor.join(5)
        for thread in threads:
            thread.join(5)
