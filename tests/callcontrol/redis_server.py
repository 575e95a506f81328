"""A Redis for tests: ``CALLCONTROL_TEST_REDIS_URL`` if set, else a private redis-server.

The private server listens on a Unix socket in a temporary directory (no TCP port) and
keeps nothing on disk. Without either, the tests that need Redis skip, saying why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

URL_ENV = "CALLCONTROL_TEST_REDIS_URL"


@contextmanager
def redis_url() -> Iterator[str]:
    """Yield the URL of a Redis the tests may write to, or skip."""
    redis = pytest.importorskip("redis", reason="the redis package is not installed")
    given = os.environ.get(URL_ENV)
    if given:
        client = redis.Redis.from_url(given)
        try:
            client.ping()
        except redis.RedisError as exc:
            pytest.skip(f"{URL_ENV} is set but Redis does not answer: {type(exc).__name__}")
        finally:
            client.close()
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(
            f"no Redis: install redis-server (apt-get install redis-server) or set {URL_ENV}"
        )
    with tempfile.TemporaryDirectory() as folder:
        socket = Path(folder) / "redis.sock"
        process = subprocess.Popen(
            [
                binary,
                "--port",
                "0",
                "--unixsocket",
                str(socket),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                folder,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"unix://{socket}"
            _wait_for(redis.Redis.from_url(url), process)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for(client: object, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.skip(f"redis-server exited with status {process.returncode}")
        try:
            client.ping()  # type: ignore[attr-defined]
            return
        except Exception:
            time.sleep(0.02)
    pytest.skip("redis-server did not answer within 10 s")
