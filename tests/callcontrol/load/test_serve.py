"""load.serve: the WSGI server helper's teardown."""

from __future__ import annotations

import errno
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from waitress import trigger

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
