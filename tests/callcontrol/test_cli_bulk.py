"""``calls bxml --all-active`` when answers are lost: a PUT that may have been applied is
never sent again, and is reported as unknown, never as ended or left alone (issue 20.3)."""

from __future__ import annotations

import json

import pytest

from callcontrol.cli import EXIT_INVALID, EXIT_OK, _client, bulk, main

from .raw_http import DROP, Answer, Received, serve_raw

ACCOUNT_ID = "9900000"
CALLS = f"/accounts/{ACCOUNT_ID}/calls"
GOODBYE = "<Bxml><SpeakSentence>Goodbye</SpeakSentence><Hangup/></Bxml>"


class Api:
    """Lists the given active calls; answers each call's PUTs from its script, in order."""

    def __init__(self, scripts: dict[str, list[Answer | None]]) -> None:
        self.scripts = scripts
        self.applied: dict[str, int] = {}

    def __call__(self, request: Received) -> Answer | None:
        if request.method == "GET":
            calls = [{"callId": c, "state": "answered"} for c in self.scripts]
            return Answer.json(200, calls)
        call_id = request.path.split("/")[-2]
        self.applied[call_id] = self.applied.get(call_id, 0) + 1
        script = self.scripts[call_id]
        return script.pop(0) if script else Answer(204)


@pytest.fixture
def no_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(_client, "sleep", waits.append)
    return waits


def run_bulk(url: str, tmp_path, capsys, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "goodbye.xml"
    path.write_text(GOODBYE)
    argv = ["calls", "bxml", "--all-active", str(path), "--base-url", url]
    argv += ["--account-id", ACCOUNT_ID, "--username", "u", "--password", "secret-pw", *extra]
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_a_lost_answer_is_unknown_and_never_resent(tmp_path, capsys, no_waits) -> None:
    # c-lost: the PUT arrives (and would hang the call up), its answer is lost; any
    # second PUT would find the call gone (409) and once was reported "left alone".
    gone = Answer.json(409, {"type": "validation", "description": "cannot be modified"})
    api = Api({"c-ok": [], "c-lost": [DROP, gone], "c-500": [Answer(500), Answer(204)]})
    with serve_raw(api) as server:
        status, out, err = run_bulk(server.url, tmp_path, capsys, "--retries", "3")
    assert api.applied == {"c-ok": 1, "c-lost": 1, "c-500": 1}
    assert server.count("PUT") == 3
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["c-ok"] == "BXML replaced"
    for call_id in ("c-lost", "c-500"):
        assert lines[call_id].startswith("unknown, the BXML may have been applied"), lines
        assert "left alone" not in lines[call_id]
    assert "TransportError" in lines["c-lost"] and "taken effect" in lines["c-lost"]
    assert err.splitlines()[-1] == (
        "3 call(s): 1 replaced; 0 ended or not modifiable; "
        "2 unknown, may have been applied (ServerError: 1, TransportError: 1); 0 failed"
    )
    assert status == EXIT_INVALID


def test_unknown_in_json(tmp_path, capsys, no_waits) -> None:
    with serve_raw(Api({"c-lost": [DROP]})) as server:
        status, out, _ = run_bulk(server.url, tmp_path, capsys, "--json")
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["callId"] == "c-lost" and record["outcome"] == "unknown"
    assert record["errorType"] == "TransportError"
    assert status == EXIT_INVALID


def test_429_is_still_retried(tmp_path, capsys, no_waits) -> None:
    limited = Answer.json(429, {"type": "rate"}, **{"Retry-After": "2"})
    with serve_raw(Api({"c-1": [limited]})) as server:
        status, out, _ = run_bulk(server.url, tmp_path, capsys)
    assert (status, out) == (EXIT_OK, "c-1: BXML replaced\n")
    assert server.count("PUT") == 2 and no_waits == [2.0]


def test_an_ended_call_is_left_alone_only_when_no_put_may_have_applied() -> None:
    outcome = bulk.Outcome("c-1", bulk.UNKNOWN, "TransportError", "reset")
    assert outcome.line().startswith("c-1: unknown, the BXML may have been applied")
    assert bulk.summary([outcome]).endswith(
        "1 unknown, may have been applied (TransportError: 1); 0 failed"
    )
    assert bulk.summary([]) == "0 call(s): 0 replaced; 0 ended or not modifiable; 0 failed"
