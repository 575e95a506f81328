"""docs/frameworks.md: its Python blocks run as written, and each framework's view answers
callbacks as Bandwidth needs (a validated document as application/xml; charset=utf-8 for a
synchronous event, 204 for an asynchronous one, 400 for a body that is no callback), driven
through the framework's own test client."""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bxml
from tests.callcontrol.fake_voice_api import FakeVoiceApi
from tests.wsgi_server import serve_wsgi

DOC = Path(__file__).resolve().parents[1] / "docs" / "frameworks.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
XML = "application/xml; charset=utf-8"

ANSWER = {"eventType": "answer", "callId": "c-1", "to": "+15551230000"}
GATHER = {"eventType": "gather", "callId": "c-1", "digits": "1"}
DISCONNECT = {"eventType": "disconnect", "callId": "c-1", "cause": "hangup"}
NOT_AN_EVENT = {"callId": "c-1"}


# Starlette's test client asks for the httpx2 package in place of httpx, which still works.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Using `httpx` with `starlette.testclient` is deprecated"
)

#: The page's blocks each framework's section runs: the framework-free flow, then its own.
SECTIONS = {"flask": [0, 1], "django": [0, 2], "fastapi": [0, 3, 4]}


def run_section(name: str) -> dict[str, Any]:
    """The namespace after running a section's blocks in order, as a reader would."""
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 5
    namespace: dict[str, Any] = {"__name__": f"frameworks_doc_{name}"}
    for index in SECTIONS[name]:
        exec(compile(blocks[index], f"{DOC} block {index}", "exec"), namespace)
    return namespace


def check_exchange(status: int, content_type: str, body: bytes, event: dict[str, Any]) -> None:
    """The reply Bandwidth needs for ``event``."""
    if event is DISCONNECT:
        assert (status, body) == (204, b"")
        return
    if event is NOT_AN_EVENT:
        assert status == 400 and b"eventType" in body
        return
    assert status == 200 and content_type == XML
    bxml.validate(body)
    root = bxml.parse(body)
    assert isinstance(root, bxml.Response)
    text = body.decode()
    if event is ANSWER:
        assert '<Gather gatherUrl="/gather" maxDigits="1">' in text
    else:
        assert "You pressed 1. Goodbye." in text and text.endswith("<Hangup/></Response>")


EVENTS = [ANSWER, GATHER, DISCONNECT, NOT_AN_EVENT]
IDS = ["answer", "gather", "disconnect", "not-an-event"]


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
def test_flask(event: dict[str, Any]) -> None:
    path = "/gather" if event is GATHER else "/answer"
    response = run_section("flask")["flask_app"].test_client().post(path, json=event)
    check_exchange(response.status_code, response.content_type, response.data, event)


@pytest.fixture(scope="module")
def django_client() -> Any:
    import django
    from django.conf import settings
    from django.test import Client

    urls = types.ModuleType("frameworks_doc_urls")
    urls.urlpatterns = run_section("django")["urlpatterns"]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    if not settings.configured:
        settings.configure(
            ROOT_URLCONF=urls.__name__,
            ALLOWED_HOSTS=["testserver"],
            SECRET_KEY="frameworks-doc-test-only",
            MIDDLEWARE=[
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ],
            APPEND_SLASH=False,
        )
        django.setup()
    return Client(enforce_csrf_checks=True)  # as Bandwidth's POST: no CSRF token


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
def test_django(django_client: Any, event: dict[str, Any]) -> None:
    path = "/gather" if event is GATHER else "/answer"
    response = django_client.post(path, json.dumps(event), content_type="application/json")
    content_type = response.headers.get("Content-Type", "")
    check_exchange(response.status_code, content_type, response.content, event)


def test_django_refuses_other_methods(django_client: Any) -> None:
    assert django_client.get("/answer").status_code == 405


@pytest.mark.parametrize("event", EVENTS, ids=IDS)
def test_fastapi(event: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    path = "/gather" if event is GATHER else "/answer"
    with TestClient(run_section("fastapi")["api"]) as client:
        response = client.post(path, json=event)
    content_type = response.headers.get("content-type", "")
    check_exchange(response.status_code, content_type, response.content, event)


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeVoiceApi]:
    api = FakeVoiceApi("9900000", "docs-user", "docs-password")
    api.add_call("c-live")
    with serve_wsgi(api) as url:
        for key in ("BW_CLIENT_ID", "BW_CLIENT_SECRET"):
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("BW_ACCOUNT_ID", "9900000")
        monkeypatch.setenv("BW_USERNAME", api.username)
        monkeypatch.setenv("BW_PASSWORD", api.password)
        monkeypatch.setenv("BW_VOICE_BASE_URL", url)
        yield api


def test_fastapi_acts_on_calls_with_one_async_client(fake_api: FakeVoiceApi) -> None:
    from fastapi.testclient import TestClient

    with TestClient(run_section("fastapi")["control"]) as client:
        replaced = client.post("/calls/c-live/goodbye").json()
        gone = client.post("/calls/c-gone/goodbye").json()
    assert replaced == {"callId": "c-live", "outcome": "replaced"}
    assert gone == {"callId": "c-gone", "outcome": "not active"}
    (sent,) = fake_api.bxml["c-live"]
    assert "<SpeakSentence>We are closing now. Goodbye.</SpeakSentence><Hangup/>" in sent
