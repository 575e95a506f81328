"""load.serve: the WSGI server helper's teardown."""

from __future__ import annotations

import errno
import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from waitress import trigger

from callcontrol.load import serve
from callcontrol.load.serve import serve_wsgi


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_teardown_closes_the_server_when_its_trigger_pipe_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def gone(self: Any, thunk: Any = None) -> None:
        raise OSError(errno.EBADF, "Bad file descriptor")

    with serve_wsgi(_app) as url:
        assert requests.get(url, timeout=5).text == "ok"
        monkeypatch.setattr(trigger.trigger, "pull_trigger", gone)
    port = urlsplit(url).port
    assert port is not None
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("code", "stopping", "quiet"),
    [(errno.EBADF, True, True), (errno.EBADF, False, False), (errno.EPIPE, True, False)],
)
def test_only_a_closed_descriptor_during_shutdown_ends_the_loop_quietly(
    code: int, stopping: bool, quiet: bool
) -> None:
    class Server:
        def run(self) -> None:
            raise OSError(code, "from select()")

    event = threading.Event()
    if stopping:
        event.set()
    if quiet:
        serve._run_until_closed(Server(), event)
    else:
        with pytest.raises(OSError):
            serve._run_until_closed(Server(), event)
