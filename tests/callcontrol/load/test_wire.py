"""The keep-alive connection: a connection the server closed is reopened once, GET callbacks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from callcontrol.engine import CallbackRequest, Engine
from callcontrol.load import run
from callcontrol.load.report import CONNECTION
from callcontrol.load.wire import USER_AGENT, Wire

from . import apps

REPLY = b"<Response><Hangup/></Response>"


@contextmanager
def one_request_per_connection(answer: bool = True) -> Iterator[tuple[str, list[bytes]]]:
    """A server on 127.0.0.1 that reads one request per connection, answers it (keep-alive
    in appearance: no Connection: close) unless ``answer`` is False, and closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                seen.append(data)
                if answer:
                    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(REPLY)}\r\n\r\n"
                    connection.sendall(head.encode() + REPLY)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not)
        listener.close()
        thread.join(timeout=5)


def initiate(base: str) -> CallbackRequest:
    engine = Engine(seed=1)
    engine.start_call("inbound", base + "/answer", from_="+15550000001", to="+15553334444")
    return engine.take()[0]


def test_a_kept_alive_connection_the_server_closed_is_reopened_once():
    with one_request_per_connection() as (base, seen):
        wire = Wire(base, 5.0)
        first, second = wire.send(initiate(base)), wire.send(initiate(base))
        wire.close()
    assert (first.status, first.body, first.kind) == (200, REPLY, None)
    assert (second.status, second.body, second.kind) == (200, REPLY, None)
    # The server read one request per connection: the second reached it on a new connection.
    assert len(seen) == 2
    assert f"User-Agent: {USER_AGENT}".encode() in seen[0]


def test_a_new_connection_that_fails_is_not_sent_again():
    with one_request_per_connection(answer=False) as (base, seen):
        wire = Wire(base, 5.0)
        reply = wire.send(initiate(base))
        wire.close()
    assert reply.kind == CONNECTION and reply.status is None and reply.seconds is None
    assert len(seen) == 1


def test_get_callbacks_carry_the_event_in_the_query_and_count_by_path():
    report = run(apps.get_redirect, calls=2, concurrency=2)
    assert report.ok, report.table()
    assert set(report.latency) == {"/answer", "/next"}
