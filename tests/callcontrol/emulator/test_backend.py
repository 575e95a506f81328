"""CallsApi needs only a CallsBackend: the REST semantics over a backend of a few dicts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import bxml
from bxml import Bxml
from callcontrol.emulator.api import Account, CallsApi
from callcontrol.emulator.backend import CallRefused, CallsBackend
from callcontrol.emulator.faults import Faults
from callcontrol.engine import CallStateConflict

from .helpers import auth

ACCOUNT = "9900000"
PATH = f"/api/v2/accounts/{ACCOUNT}/calls"
BODY = {
    "to": "+15553334444",
    "from": "+15551230000",
    "answerUrl": "https://app.test/answer",
    "applicationId": "app-1",
}


@dataclass
class Call:
    call_id: str
    seq: int
    account_id: str
    request: dict[str, Any]
    snapshot: dict[str, Any]
    ended_ms: int | None = None

    def gone(self, now_ms: int) -> bool:
        return self.ended_ms is not None and now_ms - self.ended_ms > 1000


@dataclass
class Calls:
    queue_capacity: int = 2
    clock: int = 0
    calls: dict[str, Call] = field(default_factory=dict)
    documents: list[Bxml] = field(default_factory=list)

    def create_call(self, account_id: str, fields: dict[str, Any]) -> Call:
        if len(self.calls) >= self.queue_capacity:
            raise CallRefused("Account call creation rate limit exceeded")
        seq = len(self.calls) + 1
        state = {"callId": f"c-{seq}", "state": "queued", "enqueuedTime": "2026-01-01T00:00:00Z"}
        call = Call(f"c-{seq}", seq, account_id, fields, {**fields, **state})
        self.calls[call.call_id] = call
        return call

    def find(self, call_id: str) -> Call | None:
        return self.calls.get(call_id)

    def update(self, call_id: str, fields: dict[str, Any]) -> None:
        call = self.calls[call_id]
        if call.ended_ms is not None:
            raise CallStateConflict(call_id)
        call.ended_ms = self.clock
        call.snapshot = {**call.snapshot, "state": "disconnected"}

    def update_bxml(self, call_id: str, document: Bxml) -> None:
        self.documents.append(document)

    def calls_of(self, account_id: str, after_seq: int) -> list[Call]:
        return [c for c in self.calls.values() if c.account_id == account_id and c.seq > after_seq]

    def queue_size(self) -> int:
        return len(self.calls)

    def now_ms(self) -> int:
        return self.clock


def api(calls: CallsBackend) -> CallsApi:
    users = {"emulator": Account("emulator-password", ACCOUNT)}
    return CallsApi(users=users, calls=calls, faults=Faults(), base_url="http://x/api/v2")


def send(api: CallsApi, method: str, path: str, body: Any = None, query: str = "") -> Any:
    kind = "application/xml" if isinstance(body, bytes) else "application/json"
    headers = {"authorization": auth(), "content-type": kind}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
    return api.handle(method, path, query, headers, raw)


def test_the_rest_semantics_need_only_the_backend_protocol() -> None:
    calls = Calls()
    rest = api(calls)
    created = send(rest, "POST", PATH, BODY)
    assert created.status == 201
    call_id = json.loads(created.body)["callId"]
    assert dict(created.headers)["Location"] == f"http://x/api/v2/accounts/{ACCOUNT}/calls/c-1"
    assert json.loads(send(rest, "GET", f"{PATH}/{call_id}").body)["state"] == "queued"
    send(rest, "POST", PATH, BODY)
    page = send(rest, "GET", PATH, query="pageSize=1")
    assert [c["callId"] for c in json.loads(page.body)] == ["c-1"]
    assert "pageToken" in dict(page.headers)["Link"]
    stats = json.loads(send(rest, "GET", f"/api/v2/accounts/{ACCOUNT}/statistics").body)
    assert stats == {"currentCallQueueSize": 2, "maxCallQueueSize": 2}


def test_a_refused_call_is_a_429_with_retry_after() -> None:
    rest = api(Calls(queue_capacity=0))
    reply = send(rest, "POST", PATH, BODY)
    assert reply.status == 429
    assert dict(reply.headers)["Retry-After"] == "1"
    assert "rate limit" in json.loads(reply.body)["description"]


def test_a_state_conflict_is_a_409_and_a_gone_call_a_404() -> None:
    calls = Calls()
    rest = api(calls)
    send(rest, "POST", PATH, BODY)
    assert send(rest, "POST", f"{PATH}/c-1", {"state": "completed"}).status == 200
    assert send(rest, "POST", f"{PATH}/c-1", {"state": "completed"}).status == 409
    calls.clock = 1001
    assert send(rest, "GET", f"{PATH}/c-1").status == 404


def test_update_bxml_hands_the_parsed_document_over() -> None:
    calls = Calls()
    rest = api(calls)
    send(rest, "POST", PATH, BODY)
    document = b"<Bxml><SpeakSentence>hi</SpeakSentence></Bxml>"
    assert send(rest, "PUT", f"{PATH}/c-1/bxml", document).status == 204
    assert calls.documents == [bxml.parse(document)]
