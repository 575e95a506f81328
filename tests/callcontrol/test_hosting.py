"""Tests of callcontrol.hosting: documents hosted by one worker and served by any other."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

import bxml
from bxml import Hangup, Response, SpeakSentence
from callcontrol import WebhookApp
from callcontrol.hosting import (
    HOSTED_PREFIX,
    MAX_TOKEN_PATH,
    SECRET_ENV,
    HostedDocuments,
    HostingRefused,
    MemoryStore,
    RedisStore,
)
from tests.callcontrol.hosting_worker import digests
from tests.callcontrol.redis_server import redis_url

ROOT = Path(__file__).resolve().parents[2]
SECRET = "shared-by-every-worker-0123456789"
OTHER_SECRET = "another-deployment-secret-987654"
XML = "application/xml; charset=utf-8"
GOODBYE = Response(SpeakSentence("Goodbye"), Hangup())
LONG = Response(SpeakSentence(digests(100)), Hangup())  # no URL can carry it


def callback(event_type: str, **fields: Any) -> dict[str, Any]:
    return {"eventType": event_type, "callId": "c-hosting-1", **fields}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _no_secret_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)


def post(app: WebhookApp, path: str, event: dict[str, Any]) -> tuple[int, str, bytes]:
    """POST a JSON callback to a WSGI app in this process; status, content type, body."""
    body = json.dumps(event).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = int(status[:3]), dict(headers)

    out = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"].get("Content-Type", ""), out


def served(app: WebhookApp, path: str) -> Response:
    status, content_type, body = post(app, path, callback("redirect"))
    assert (status, content_type) == (200, XML), body
    doc = bxml.parse(body)
    assert isinstance(doc, Response)
    return doc


def tamper(path: str, index: int) -> str:
    """``path`` with the token character at ``index`` replaced by another one."""
    head = len(HOSTED_PREFIX) + 2
    token = path[head:]
    index %= len(token)
    swap = "A" if token[index] != "A" else "B"
    return path[:head] + token[:index] + swap + token[index + 1 :]


# -- several workers, one process each -------------------------------------------------------


@contextmanager
def worker(**env: str) -> Iterator[str]:
    """Run tests/callcontrol/hosting_worker.py in its own process; yield its base URL."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.callcontrol.hosting_worker"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        assert line.strip().isdigit(), f"the worker did not start (exit {process.poll()})"
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def workers(count: int, **env: str) -> Iterator[list[str]]:
    with ExitStack() as stack:
        yield [stack.enter_context(worker(**env)) for _ in range(count)]


def intervene(base: str, **fields: Any) -> str:
    """Ask a worker to host a document; the path its <Redirect> points to."""
    reply = requests.post(f"{base}/intervene", json=callback("answer", **fields), timeout=10)
    assert reply.status_code == 200, reply.text
    redirect = bxml.parse(reply.content).children[0]
    assert isinstance(redirect, bxml.Redirect)
    assert redirect.redirect_url is not None
    return redirect.redirect_url


def test_a_document_hosted_by_one_worker_process_is_served_by_another():
    with workers(2, **{SECRET_ENV: SECRET}) as (first, second):
        path = intervene(first)
        assert HostedDocuments.is_token(path)
        reply = requests.post(second + path, json=callback("redirect"), timeout=10)
        assert reply.status_code == 200
        assert bxml.parse(reply.content) == GOODBYE
        again = requests.post(first + path, json=callback("redirect"), timeout=10)
        assert bxml.parse(again.content) == GOODBYE
        forged = requests.post(second + tamper(path, 40), json=callback("redirect"), timeout=10)
        assert forged.status_code == 404


@pytest.fixture(scope="module")
def redis() -> Iterator[str]:
    with redis_url() as url:
        yield url


def test_a_long_document_goes_through_redis_between_worker_processes(redis):
    env = {SECRET_ENV: SECRET, "HOSTING_WORKER_REDIS_URL": redis}
    with workers(2, **env) as (first, second):
        path = intervene(first, tag="100")
        assert not HostedDocuments.is_token(path)
        reply = requests.post(second + path, json=callback("redirect"), timeout=10)
        assert reply.status_code == 200
        assert bxml.parse(reply.content) == LONG


# -- signed tokens ----------------------------------------------------------------------------


def test_a_token_from_one_app_is_served_by_another_with_the_same_secret():
    clock = Clock()
    host = WebhookApp(hosting_secret=SECRET, clock=clock)
    path = host.host(GOODBYE, ttl=60)
    assert path.startswith(HOSTED_PREFIX) and len(path) <= MAX_TOKEN_PATH
    other_worker = WebhookApp(hosting_secret=SECRET.encode(), clock=clock)
    assert served(other_worker, path) == GOODBYE
    assert served(other_worker, path) == GOODBYE  # until it expires


def test_the_secret_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    path = WebhookApp().host(GOODBYE)
    assert HostedDocuments.is_token(path)
    assert served(WebhookApp(), path) == GOODBYE


def test_an_expired_token_gets_410_and_a_log_line_without_secrets(caplog):
    clock = Clock()
    app = WebhookApp(hosting_secret=SECRET, clock=clock)
    path = app.host(GOODBYE, ttl=30)
    clock.now += 29.5
    assert served(app, path) == GOODBYE
    clock.now += 0.5
    with caplog.at_level(logging.WARNING, logger="callcontrol.webhooks"):
        status, _, body = post(app, path, callback("redirect"))
    assert status == 410
    assert json.loads(body)["error"] == "gone"
    assert "expired" in caplog.text and "c-hosting-1" in caplog.text
    assert SECRET not in caplog.text and path[len(HOSTED_PREFIX) + 2 :] not in caplog.text


def test_a_tampered_token_gets_404_and_a_log_line_without_secrets(caplog):
    app = WebhookApp(hosting_secret=SECRET)
    path = app.host(GOODBYE)
    forged = tamper(path, 5)
    with caplog.at_level(logging.WARNING, logger="callcontrol.webhooks"):
        status, _, body = post(app, forged, callback("redirect"))
    assert status == 404
    assert json.loads(body)["error"] == "not_found"
    assert "bad signature" in caplog.text
    assert SECRET not in caplog.text and forged[len(HOSTED_PREFIX) :] not in caplog.text


@pytest.mark.parametrize(
    "suffix",
    ["t.", "t.AAAA", "t.not base64!", "t.\u00e9t\u00e9", "t." + "A" * 3000, "x" * 8, "x" * 200],
)
def test_malformed_hosted_paths_get_404(suffix):
    app = WebhookApp(hosting_secret=SECRET)
    status, _, _ = post(app, HOSTED_PREFIX + suffix, callback("redirect"))
    assert status == 404


def test_a_token_signed_with_another_secret_or_without_one_is_refused():
    path = WebhookApp(hosting_secret=SECRET).host(GOODBYE)
    assert post(WebhookApp(hosting_secret=OTHER_SECRET), path, callback("redirect"))[0] == 404
    assert post(WebhookApp(), path, callback("redirect"))[0] == 404


def test_a_token_does_not_show_the_secret():
    path = WebhookApp(hosting_secret=SECRET).host(GOODBYE)
    decoded = base64.urlsafe_b64decode(path[len(HOSTED_PREFIX) + 2 :] + "===")
    assert SECRET.encode() not in decoded
    assert SECRET not in repr(WebhookApp(hosting_secret=SECRET))


@pytest.mark.parametrize(
    ("secret", "error"), [("short", ValueError), (b"", ValueError), (12345, TypeError)]
)
def test_a_bad_secret_is_refused_without_showing_it(secret, error):
    with pytest.raises(error, match="hosting_secret") as raised:
        WebhookApp(hosting_secret=secret)
    assert "short" not in str(raised.value)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("a" * 32, "only 1 different byte value"),
        (b"\x00" * 64, "only 1 different byte value"),
        ("ab" * 20, "only 2 different byte values"),
        (" \t\n\r" * 8, "all whitespace"),
        ("kJ8vQ2xW9mZp4LrT6yN0bHs3\n", "starts or ends with whitespace"),
        (" kJ8vQ2xW9mZp4LrT6yN0bHs3", "starts or ends with whitespace"),
    ],
    ids=["one-char", "zero-bytes", "two-chars", "whitespace", "newline-after", "space-before"],
)
def test_a_weak_secret_is_refused_without_showing_it(secret, why):
    with pytest.raises(ValueError, match="hosting_secret") as raised:
        WebhookApp(hosting_secret=secret)
    assert why in str(raised.value)
    shown = (secret if isinstance(secret, str) else secret.decode("latin-1")).strip()
    assert not shown or shown not in str(raised.value)


def test_hosted_documents_refuse_a_weak_secret_too():
    with pytest.raises(ValueError, match="secret is made of only 1 different byte value"):
        HostedDocuments(b"\xff" * 32, MemoryStore())


def test_a_weak_secret_in_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "x" * 40)
    with pytest.raises(ValueError, match=f"{SECRET_ENV} is made of only 1 different byte value"):
        WebhookApp()


@pytest.mark.parametrize(
    "secret",
    [SECRET, b"\n" + bytes(range(40)), "abcd" * 4, bytes(range(256))],
    ids=["text", "random-bytes-with-a-newline", "four-distinct", "every-byte"],
)
def test_secrets_that_are_not_weak_are_taken(secret):
    path = WebhookApp(hosting_secret=secret).host(GOODBYE)
    assert path.startswith(HOSTED_PREFIX + "t.")


def test_a_bad_secret_in_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "tiny")
    with pytest.raises(ValueError, match=SECRET_ENV) as raised:
        WebhookApp()
    assert "tiny" not in str(raised.value)


@given(body=st.binary(max_size=2500), ttl=st.floats(min_value=0.01, max_value=86400))
def test_every_hosted_body_comes_back_until_it_expires(body, ttl):
    clock = Clock()
    store = MemoryStore(clock=clock)
    path = HostedDocuments(SECRET.encode(), store, clock=clock).add(body, ttl)
    assert len(path) <= MAX_TOKEN_PATH
    reader = HostedDocuments(SECRET.encode(), store, clock=clock)
    clock.now += ttl * 0.999
    assert reader.fetch(path) == body
    clock.now += ttl * 0.001 + 0.002
    with pytest.raises(HostingRefused):
        reader.fetch(path)


@given(
    body=st.binary(max_size=600), index=st.integers(min_value=0), char=st.sampled_from("AQgw_-9")
)
def test_every_changed_token_is_refused(body, index, char):
    documents = HostedDocuments(SECRET.encode(), MemoryStore())
    path = documents.add(body, 60)
    assert HostedDocuments.is_token(path)
    head = len(HOSTED_PREFIX) + 2
    index %= len(path) - head
    position = head + index
    changed = path[:position] + char + path[position + 1 :]
    if changed != path:
        with pytest.raises(HostingRefused):
            documents.fetch(changed)


# -- documents too long for a URL, and no secret ------------------------------------------------


def test_a_long_document_goes_to_the_store_and_warns_once_when_it_is_local(caplog):
    app = WebhookApp(hosting_secret=SECRET)
    with caplog.at_level(logging.WARNING, logger="callcontrol.webhooks"):
        first = app.host(LONG)
        app.host(LONG)
    assert not HostedDocuments.is_token(first)
    assert served(app, first) == LONG
    (warning,) = [r for r in caplog.records if r.name == "callcontrol.webhooks"]
    assert "too long for a signed URL" in warning.getMessage()


def test_without_a_secret_documents_stay_in_the_process_with_one_warning(caplog):
    app = WebhookApp()
    with caplog.at_level(logging.WARNING, logger="callcontrol.webhooks"):
        path = app.host(GOODBYE)
        app.host(GOODBYE)
    (warning,) = [r for r in caplog.records if r.name == "callcontrol.webhooks"]
    assert SECRET_ENV in warning.getMessage()
    assert served(app, path) == GOODBYE
    assert post(WebhookApp(), path, callback("redirect"))[0] == 404  # another worker


class DictStore:
    """A shared store, as two workers would see it."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[bytes, float]] = {}

    def put(self, key: str, data: bytes, ttl: float) -> None:
        self.data[key] = (data, ttl)

    def get(self, key: str) -> bytes | None:
        found = self.data.get(key)
        return None if found is None else found[0]


def test_a_shared_store_serves_every_worker_without_a_warning(caplog):
    store = DictStore()
    with caplog.at_level(logging.WARNING, logger="callcontrol.webhooks"):
        path = WebhookApp(hosting_store=store).host(GOODBYE, ttl=42)
    assert not caplog.records
    assert served(WebhookApp(hosting_store=store), path) == GOODBYE
    assert [ttl for _, ttl in store.data.values()] == [42]


class BrokenStore(DictStore):
    def get(self, key: str) -> bytes | None:
        raise ConnectionError("store unreachable")


def test_a_failing_store_gets_503_and_a_log_line(caplog):
    store = BrokenStore()
    path = WebhookApp(hosting_store=store).host(GOODBYE)
    with caplog.at_level(logging.ERROR, logger="callcontrol.webhooks"):
        status, _, body = post(WebhookApp(hosting_store=store), path, callback("redirect"))
    assert status == 503
    assert json.loads(body)["error"] == "store_unavailable"
    assert "store unreachable" in caplog.text


@pytest.mark.parametrize(
    ("ttl", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (86401, ValueError),
        (True, TypeError),
        ("60", TypeError),
    ],
)
def test_a_bad_ttl_is_refused(ttl, error):
    with pytest.raises(error, match="ttl"):
        WebhookApp().host(GOODBYE, ttl=ttl)


def test_the_memory_store_forgets_expired_documents():
    clock = Clock()
    store = MemoryStore(clock=clock)
    store.put("a", b"1", 10)
    clock.now += 10
    assert store.get("a") is None
    store.put("b", b"2", 10)
    assert repr(store) == "MemoryStore(documents=1)"


class _CountingDict(dict[str, Any]):
    """A dict that counts how often all of it is looked at."""

    scans = 0

    def items(self) -> Any:
        _CountingDict.scans += 1
        return super().items()

    def __iter__(self) -> Any:
        _CountingDict.scans += 1
        return super().__iter__()

    def values(self) -> Any:
        _CountingDict.scans += 1
        return super().values()


def test_a_put_does_not_look_at_every_live_document():
    # Issue 20 item 10: each put scanned every live document under the lock (8 threads fell
    # from 3,950 to 169 hosts a second); now expired documents come off a heap.
    clock = Clock()
    store = MemoryStore(clock=clock)
    store._documents = _CountingDict()
    _CountingDict.scans = 0
    for index in range(500):
        store.put(f"key-{index}", b"<Response/>", 300)
        clock.now += 1  # the first 200 have expired by the end
    assert _CountingDict.scans == 0
    assert repr(store) == "MemoryStore(documents=300)"
    assert store.get("key-200") is None and store.get("key-201") == b"<Response/>"


_STORE_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 2), st.integers(1, 20)),
        st.tuples(st.just("get"), st.integers(0, 2), st.just(0)),
        st.tuples(st.just("wait"), st.just(0), st.integers(0, 15)),
    ),
    max_size=60,
)


@given(ops=_STORE_OPS)
def test_the_memory_store_behaves_like_a_dict_with_expiry(ops):
    clock = Clock()
    store = MemoryStore(clock=clock)
    model: dict[str, tuple[bytes, float]] = {}
    for number, (op, key_number, seconds) in enumerate(ops):
        key = f"k{key_number}"
        if op == "put":
            data = str(number).encode()
            store.put(key, data, seconds)
            model[key] = (data, clock.now + seconds)
            live = {k for k, (_, expires) in model.items() if expires > clock.now}
            assert repr(store) == f"MemoryStore(documents={len(live)})"  # the rest dropped
        elif op == "get":
            found = model.get(key)
            expected = found[0] if found is not None and found[1] > clock.now else None
            assert store.get(key) == expected
        else:
            clock.now += seconds


# -- Redis ------------------------------------------------------------------------------------


def test_the_redis_store_keeps_documents_with_their_ttl(redis):
    import redis as redis_client

    client = redis_client.Redis.from_url(redis)
    store = RedisStore(client, prefix="test-hosting:")
    store.put("key-1", b"<Response/>", 1.5)
    assert store.get("key-1") == b"<Response/>"
    assert 0 < client.pttl("test-hosting:key-1") <= 1500
    assert store.get("missing") is None
    client.delete("test-hosting:key-1")
    client.close()


def test_the_redis_store_from_a_url_serves_the_app(redis):
    store = RedisStore.from_url(redis)
    app = WebhookApp(hosting_store=store)
    assert served(WebhookApp(hosting_store=RedisStore.from_url(redis)), app.host(LONG)) == LONG
    assert "redis" not in repr(store).split("(")[1]  # the URL (and any password) is not shown


def test_the_redis_store_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ImportError, match=r"pip install 'bxml-callcontrol\[redis\]'"):
        RedisStore.from_url("redis://127.0.0.1:1/0")


def test_the_redis_store_refuses_a_client_that_decodes_responses():
    redis_client = pytest.importorskip("redis")
    for client in (
        redis_client.Redis(decode_responses=True),
        redis_client.Redis.from_url("redis://127.0.0.1:1/0?decode_responses=true"),
    ):
        with pytest.raises(ValueError, match="decode_responses=True"):
            RedisStore(client)
        client.close()
    assert RedisStore(redis_client.Redis()).prefix  # the default client returns bytes


def test_the_redis_store_reads_decode_responses_from_the_connection_pool():
    class Pool:
        connection_kwargs = {"decode_responses": True}

    class PoolClient:
        connection_pool = Pool()

        def set(self, name: str, value: bytes, *, px: int) -> None:
            pass

        def get(self, name: str) -> bytes:
            return b""

    with pytest.raises(ValueError, match="decode_responses=True"):
        RedisStore(PoolClient())
    Pool.connection_kwargs = {}
    assert RedisStore(PoolClient()).get("k") == b""


def test_the_redis_store_refuses_a_client_that_does_not_return_bytes():
    class TextClient:
        def set(self, name: str, value: bytes, *, px: int) -> None:
            pass

        def get(self, name: str) -> str:
            return "text"

    with pytest.raises(TypeError, match="not bytes"):
        RedisStore(TextClient()).get("k")
