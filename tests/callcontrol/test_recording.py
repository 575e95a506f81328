"""callcontrol.recording: the recorded app answers as before; the cassette is complete,
masked, bounded and whole under several threads and processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from bxml import Gather, Redirect, Response, SpeakSentence, Transfer
from bxml import PhoneNumber as Number
from callcontrol import Event, GatherEvent, WebhookApp
from callcontrol.recording import (
    CREDENTIAL_ATTRIBUTES,
    CassetteWriter,
    Exchange,
    mask_credentials,
    mask_number,
    read_cassette,
    record,
)
from tests.wsgi_server import serve_wsgi

USERNAME, PASSWORD = "bandwidth", "s3cret-never-written"
CALL_ID = "c-1234"


def event(event_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": "2026-01-01T09:00:01.000Z",
        "accountId": "9900000",
        "applicationId": "app-1",
        "from": "+15551112222",
        "to": "+15553334444",
        "direction": "inbound",
        "callId": CALL_ID,
        "callUrl": "https://voice.test/calls/c-1234",
        "startTime": "2026-01-01T09:00:00.000Z",
        **fields,
    }


def ivr(username: str | None = None, password: str | None = None) -> WebhookApp:
    app = WebhookApp(username=username, password=password)

    @app.route("/answer")
    def answer(_: Event) -> Response:
        return Response(Gather(SpeakSentence("Press 1"), gather_url="/menu", max_digits=1))

    @app.on("gather")
    def menu(e: GatherEvent) -> Response:
        if e.digits == "1":
            return Response(Transfer(Number("+15550001111"), transfer_complete_url="/done"))
        return Response(Redirect(redirect_url="/next", username="agent", password="hunter22"))

    return app


def wsgi(
    app: Callable[..., Iterable[bytes]], body: bytes, **environ: Any
) -> tuple[str, Any, bytes]:
    import io

    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, headers

    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/answer",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **environ,
    }
    result = app(env, start_response)
    out = b"".join(result)
    getattr(result, "close", lambda: None)()
    return captured["status"], captured["headers"], out


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- behaves identically --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "environ"),
    [
        (json.dumps(event("initiate")).encode(), {}),
        (json.dumps(event("gather", digits="2")).encode(), {"PATH_INFO": "/menu"}),
        (b"", {"REQUEST_METHOD": "GET", "QUERY_STRING": "eventType=gather&digits=1&callId=c"}),
        (b"not json", {}),
        (json.dumps(event("initiate")).encode(), {"PATH_INFO": "/nowhere"}),
    ],
)
def test_the_recorded_app_answers_exactly_as_the_app(
    tmp_path: Path, body: bytes, environ: dict[str, Any]
) -> None:
    app = ivr()
    recorded = record(app, tmp_path / "c.jsonl")
    assert wsgi(recorded, body, **environ) == wsgi(app, body, **environ)
    recorded.flush()
    [line] = lines(tmp_path / "c.jsonl")
    assert line["status"] == int(wsgi(app, body, **environ)[0][:3])


def test_a_line_holds_time_method_path_event_status_and_reply(tmp_path: Path) -> None:
    recorded = record(ivr(), tmp_path / "c.jsonl")
    payload = event("gather", digits="1")
    status, _, reply = wsgi(recorded, json.dumps(payload).encode(), PATH_INFO="/menu")
    recorded.flush()
    [line] = lines(tmp_path / "c.jsonl")
    assert set(line) == {"time", "method", "path", "event", "status", "reply"}
    assert line["method"] == "POST" and line["path"] == "/menu" and line["status"] == 200
    assert line["event"] == payload and line["reply"] == reply.decode()
    assert line["time"].endswith("Z") and line["time"][:2] == "20"


def test_a_get_callback_records_its_query_as_the_event(tmp_path: Path) -> None:
    recorded = record(ivr(), tmp_path / "c.jsonl")
    query = "eventType=gather&callId=c-9&digits=1"
    wsgi(recorded, b"", REQUEST_METHOD="GET", PATH_INFO="/menu", QUERY_STRING=query)
    recorded.flush()
    [exchange] = read_cassette(tmp_path / "c.jsonl")
    assert exchange.event == {"eventType": "gather", "callId": "c-9", "digits": "1"}
    assert (exchange.method, exchange.query, exchange.event_type) == ("GET", "", "gather")


def test_the_wrapped_apps_api_stays_reachable(tmp_path: Path) -> None:
    app = ivr()
    recorded = record(app, tmp_path / "c.jsonl")
    assert recorded.route == app.route


# -- credentials and numbers ----------------------------------------------------------------


def test_credentials_are_never_written(tmp_path: Path) -> None:
    recorded = record(ivr(username=USERNAME, password=PASSWORD), tmp_path / "c.jsonl")
    body = json.dumps(event("gather", digits="2")).encode()
    with serve_wsgi(recorded) as base:
        reply = requests.post(f"{base}/menu", data=body, auth=(USERNAME, PASSWORD), timeout=10)
        refused = requests.post(f"{base}/menu", data=body, timeout=10)
    assert reply.status_code == 200 and b"hunter22" in reply.content
    assert refused.status_code == 401
    recorded.flush()
    text = (tmp_path / "c.jsonl").read_text()
    for secret in (PASSWORD, "hunter22", "agent", "Basic "):
        assert secret not in text
    assert [line["status"] for line in lines(tmp_path / "c.jsonl")] == [200, 401]
    assert 'username="***" password="***"' in lines(tmp_path / "c.jsonl")[0]["reply"]


def test_credential_attributes_come_from_the_verb_declarations() -> None:
    assert CREDENTIAL_ATTRIBUTES >= {"password", "fallbackPassword", "destinationPassword"}
    assert "username" in CREDENTIAL_ATTRIBUTES and "tag" not in CREDENTIAL_ATTRIBUTES
    xml = (
        "<Response><StartStream destination='wss://a' destinationPassword='p' tag='t'/></Response>"
    )
    assert mask_credentials(xml) == xml.replace("'p'", '"***"')


def test_phone_numbers_are_masked_the_same_way_everywhere(tmp_path: Path) -> None:
    recorded = record(ivr(), tmp_path / "c.jsonl", mask_numbers=True)
    wsgi(recorded, json.dumps(event("gather", digits="1")).encode(), PATH_INFO="/menu")
    recorded.flush()
    text = (tmp_path / "c.jsonl").read_text()
    for number in ("+15551112222", "+15553334444", "+15550001111"):
        assert number not in text
    [line] = lines(tmp_path / "c.jsonl")
    assert line["event"]["from"] == mask_number("+15551112222") == "+10000002222"
    assert mask_number("+15550001111") in line["reply"]


def test_numbers_are_kept_unless_asked(tmp_path: Path) -> None:
    recorded = record(ivr(), tmp_path / "c.jsonl")
    wsgi(recorded, json.dumps(event("initiate")).encode())
    recorded.flush()
    assert lines(tmp_path / "c.jsonl")[0]["event"]["from"] == "+15551112222"


# -- bounds and rotation --------------------------------------------------------------------


def test_rotation_by_count_keeps_the_newest_files(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    writer = CassetteWriter(path, max_exchanges=2, keep=2)
    for index in range(7):
        writer.append([json.dumps({"n": index}) + "\n"])
    counts = [json.loads(x)["n"] for x in path.read_text().splitlines()]
    assert counts == [6]
    assert [json.loads(x)["n"] for x in Path(f"{path}.1").read_text().splitlines()] == [4, 5]
    assert [json.loads(x)["n"] for x in Path(f"{path}.2").read_text().splitlines()] == [2, 3]
    assert not Path(f"{path}.3").exists()


def test_rotation_by_size(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    writer = CassetteWriter(path, max_bytes=1024, keep=1)
    line = json.dumps({"pad": "x" * 300}) + "\n"
    for _ in range(5):
        writer.append([line])
    assert path.stat().st_size <= 1024 and Path(f"{path}.1").stat().st_size <= 1024
    assert len(path.read_text().splitlines()) + len(Path(f"{path}.1").read_text().splitlines()) == 5


def test_read_cassette_reads_rotated_files_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    recorded = record(ivr(), path, max_exchanges=1, keep=3)
    for digits in "123":
        wsgi(recorded, json.dumps(event("gather", digits=digits)).encode(), PATH_INFO="/menu")
        recorded.flush()
    assert [e.event["digits"] for e in read_cassette(path)] == ["1", "2", "3"]
    assert [e.event["digits"] for e in read_cassette(path, rotated=False)] == ["3"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_bytes": 10}, "max_bytes"),
        ({"max_exchanges": 0}, "max_exchanges"),
        ({"keep": -1}, "keep"),
    ],
)
def test_bad_bounds_are_refused(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CassetteWriter(tmp_path / "c.jsonl", **options)


def asgi_post(app: Any, url: str, body: bytes, content_type: str = "application/json") -> Any:
    """One POST to the ASGI ``app``, in process; the response."""
    import asyncio

    from callcontrol._asgi_call import call, http_scope

    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    return asyncio.run(call(app, http_scope("POST", url, headers), body))


def test_an_asgi_app_is_recorded_line_for_line_as_its_wsgi_twin(tmp_path: Path) -> None:
    app = ivr()
    payload = json.dumps(event("gather", digits="1")).encode()
    over_wsgi = record(app, tmp_path / "wsgi.jsonl")
    over_asgi = record(app.asgi, tmp_path / "asgi.jsonl")
    status, _, reply = wsgi(over_wsgi, payload, PATH_INFO="/menu")
    response = asgi_post(over_asgi, "https://ivr.test/menu", payload)
    assert (response.status, response.body) == (int(status[:3]), reply)
    over_wsgi.flush()
    over_asgi.flush()
    [from_wsgi] = lines(tmp_path / "wsgi.jsonl")
    [from_asgi] = lines(tmp_path / "asgi.jsonl")
    assert {**from_asgi, "time": ""} == {**from_wsgi, "time": ""}
    assert from_asgi["path"] == "/menu" and from_asgi["status"] == 200


def test_a_plain_asgi_callable_is_recorded_with_its_mount_point(tmp_path: Path) -> None:
    async def bare(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    recorded = record(bare, tmp_path / "c.jsonl")
    assert type(recorded).__name__ == "RecordingAsgiApp"
    body = json.dumps(event("disconnect")).encode()
    from callcontrol._asgi_call import call, http_scope

    scope = http_scope("POST", "https://ivr.test/status", [], root_path="/bw")
    import asyncio

    asyncio.run(call(recorded, scope, body))
    recorded.flush()
    [line] = lines(tmp_path / "c.jsonl")
    assert line["path"] == "/bw/status" and line["status"] == 204
    assert line["event"]["eventType"] == "disconnect"


def test_an_oversized_asgi_body_passes_through_unrecorded(tmp_path: Path) -> None:
    recorded = record(ivr().asgi, tmp_path / "c.jsonl", max_body_bytes=10)
    response = asgi_post(
        recorded, "https://ivr.test/answer", json.dumps(event("initiate")).encode()
    )
    assert response.status == 200
    recorded.flush()
    assert not (tmp_path / "c.jsonl").exists() or lines(tmp_path / "c.jsonl") == []


def test_a_missing_directory_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a directory"):
        record(ivr(), tmp_path / "nowhere" / "c.jsonl")


def test_a_bad_cassette_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    good = Exchange("t", "POST", "/a", {"eventType": "answer"}, 200, "").to_json()
    path.write_text(good + "\n{oops\n")
    with pytest.raises(ValueError, match=r"c\.jsonl:2"):
        read_cassette(path)


def test_a_large_body_passes_through_unrecorded(tmp_path: Path) -> None:
    recorded = record(ivr(), tmp_path / "c.jsonl", max_body_bytes=10)
    status, _, _ = wsgi(recorded, json.dumps(event("initiate")).encode())
    recorded.flush()
    assert status.startswith("200") and not (tmp_path / "c.jsonl").exists()


# -- threads and processes ------------------------------------------------------------------


def test_many_threads_write_whole_lines(tmp_path: Path) -> None:
    recorded = record(ivr(), tmp_path / "c.jsonl")
    body = json.dumps(event("gather", digits="1")).encode()

    def worker() -> None:
        for _ in range(50):
            wsgi(recorded, body, PATH_INFO="/menu")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorded.flush()
    assert len(lines(tmp_path / "c.jsonl")) == 400
    assert recorded.writer.dropped == 0


def _process_worker(path: str, count: int) -> None:
    writer = CassetteWriter(path, max_exchanges=25, keep=100)
    for index in range(count):
        writer.append([json.dumps({"pid": os.getpid(), "n": index, "pad": "x" * 2000}) + "\n"])


def test_several_processes_share_one_cassette_and_its_rotation(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_process_worker, args=(str(path), 60)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    files = [path, *sorted(tmp_path.glob("c.jsonl.[0-9]*"))]
    found = [json.loads(x) for f in files for x in f.read_text().splitlines()]
    assert len(found) == 180
    assert all(len(f.read_text().splitlines()) <= 25 for f in files)
    for pid in {line["pid"] for line in found}:
        mine = sorted(line["n"] for line in found if line["pid"] == pid)
        assert mine == list(range(60))


def test_a_forked_child_records_with_its_own_thread(tmp_path: Path) -> None:
    recorded = record(ivr(), tmp_path / "c.jsonl")
    body = json.dumps(event("initiate")).encode()
    wsgi(recorded, body)  # the parent's writer thread is running
    recorded.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            wsgi(recorded, body)
            os._exit(0 if recorded.flush() else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(lines(tmp_path / "c.jsonl")) == 2


def test_close_writes_what_is_queued_then_stops(tmp_path: Path) -> None:
    recorded = record(ivr(), tmp_path / "c.jsonl")
    body = json.dumps(event("initiate")).encode()
    wsgi(recorded, body)
    recorded.close()
    wsgi(recorded, body)
    assert len(lines(tmp_path / "c.jsonl")) == 1
    assert recorded.writer.dropped == 1


@pytest.mark.parametrize("checked", [True, False])
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps(event("gather", digits="1", tag="é \u2028 ✓")).encode(), "application/json"),
        (json.dumps(event("gather"), indent=2).encode(), "application/json"),
        (b"eventType=gather&digits=1", "application/x-www-form-urlencoded"),
        (b"{not json", "application/json"),
    ],
)
def test_every_way_of_writing_a_line_reads_back_the_same(
    tmp_path: Path, body: bytes, content_type: str, checked: bool
) -> None:
    from callcontrol.recording import _Raw

    writer = CassetteWriter(tmp_path / "c.jsonl")
    reply = '<Response><SpeakSentence>“Hé”</SpeakSentence><Redirect redirectUrl="/x" password="p"/></Response>'
    raw = _Raw(
        1767258001.25, "POST", "/menu", "a=1", content_type, body, 200, reply.encode(), checked
    )
    line = writer.line(raw)
    assert line.endswith("\n") and len(line.splitlines()) == 1
    if checked and body.startswith(b"{not"):
        return  # the app vouched for a body it never accepted: not a case that happens
    assert Exchange.from_json(line) == writer.exchange(raw)
    assert json.loads(line)["time"] == "2026-01-01T09:00:01.250Z"
    assert 'password="***"' in json.loads(line)["reply"]


def test_a_body_without_a_length_reaches_the_app_untouched(tmp_path: Path) -> None:
    body = json.dumps(event("initiate")).encode()
    chunked = {"CONTENT_LENGTH": "", "wsgi.input_terminated": True}
    app = ivr()
    recorded = record(app, tmp_path / "c.jsonl")
    assert wsgi(recorded, body, **chunked) == wsgi(app, body, **chunked)
    assert wsgi(app, body, **chunked)[0].startswith("200")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(
    event=st.dictionaries(st.text(), JSON_VALUES, max_size=6),
    reply=st.text(),
    indent=st.sampled_from([None, 2]),
)
def test_any_event_and_reply_read_back_from_the_cassette(
    tmp_path_factory: pytest.TempPathFactory, event: dict[str, Any], reply: str, indent: int | None
) -> None:
    from callcontrol.recording import _Raw

    writer = CassetteWriter(tmp_path_factory.mktemp("c") / "c.jsonl")
    body = json.dumps(event, indent=indent, ensure_ascii=False).encode()
    raw = _Raw(1767258001.0, "POST", "/x", "", "application/json", body, 200, reply.encode(), True)
    line = writer.line(raw)
    assert line.count("\n") == 1 and line.endswith("\n") and len(line.splitlines()) == 1
    back = Exchange.from_json(line)
    assert back.event == event
    assert back.reply == mask_credentials(reply)
