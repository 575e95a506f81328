"""Replaying a cassette: recorded through the emulator end to end, replayed against the same
and a changed IVR; each call rebuilt as a caller script and run in the simulator."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from bxml import Change, Gather, Hangup, Pause, Record, Redirect, Response, SpeakSentence
from callcontrol import Event, WebhookApp
from callcontrol.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from callcontrol.recording import Exchange
from callcontrol.testing import (
    answers,
    busy,
    hang_up,
    leave_message,
    no_answer,
    press,
    replay,
    replay_calls,
    silence,
)
from callcontrol.testing.replay import Difference, changed_paths, compare_replies, rebuild_calls
from examples import ivr
from examples.replay_ivr import CALLERS, changed_app, record_calls

CALL = "c-1"


@pytest.fixture(scope="module")
def cassette(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three real calls of examples/ivr.py through VoiceEmulator(app=record(...))."""
    path = tmp_path_factory.mktemp("cassette") / "calls.jsonl"
    record_calls(str(path))
    return path


def exchange(
    event_type: str, path: str, reply: str = "", status: int = 200, **fields: Any
) -> Exchange:
    event = {
        "eventType": event_type,
        "eventTime": fields.pop("eventTime", "2026-01-01T09:00:00.000Z"),
        "callId": fields.pop("callId", CALL),
        "from": "+15551230000",
        "to": "+15553334444",
        "direction": "inbound",
        "startTime": "2026-01-01T09:00:00.000Z",
        **fields,
    }
    return Exchange("2026-01-01T09:00:00.000Z", "POST", path, event, status, reply)


# -- end to end: the emulator records, the changed IVR is replayed ----------------------------


def test_the_same_ivr_answers_every_recorded_callback_the_same(cassette: Path) -> None:
    report = replay(cassette, ivr.app)
    assert report.ok and report.differences == []
    assert report.exchanges == len(cassette.read_text().splitlines()) >= 10
    assert str(report).endswith("every reply is the same")


def test_exactly_the_changed_branch_is_reported(cassette: Path) -> None:
    report = replay(cassette, changed_app)
    [difference] = report.differences
    assert (difference.path, difference.event_type) == ("/transfer-done", "transferComplete")
    assert (difference.old_status, difference.new_status) == (200, 200)
    assert difference.changes == (
        Change(
            "/Response/SpeakSentence[1]",
            "text",
            "Sales is busy.",
            "Sales is busy. Please call again later.",
        ),
        Change("/Response/Redirect[1]", "removed", old='<Redirect redirectUrl="/voicemail"/>'),
        Change("/Response/Hangup[1]", "added", new="<Hangup/>"),
    )
    assert "1 answered differently" in str(report)
    assert json.loads(json.dumps(report.to_dict()))["differences"][0]["path"] == "/transfer-done"


def test_each_recorded_call_becomes_its_caller_script(cassette: Path) -> None:
    calls = rebuild_calls(cassette)
    assert [list(call.script) for call in calls] == CALLERS
    assert calls[0].destinations == {ivr.SALES: busy()}
    assert [call.direction for call in calls] == ["outbound"] * 3
    assert calls[0].path == (
        ("answer", "/answer"),
        ("gather", "/menu-choice"),
        ("transferComplete", "/transfer-done"),
        ("redirect", "/voicemail"),
        ("recordComplete", "/recorded"),
    )


def test_recorded_calls_run_again_in_the_simulator(cassette: Path) -> None:
    busy_sales, message, quiet = replay_calls(cassette, ivr.app)
    busy_sales.assert_transferred_to(ivr.SALES, "busy")
    busy_sales.assert_heard("Thank you. Goodbye.")
    message.assert_heard("Please leave a message")
    quiet.assert_heard("We did not get your choice. Goodbye.")
    assert changed_paths(cassette, ivr.app) == []


def test_the_call_whose_route_changed_is_reported(cassette: Path) -> None:
    [change] = changed_paths(cassette, changed_app)
    assert change.call_id == rebuild_calls(cassette)[0].call_id
    assert change.replayed == (
        ("answer", "/answer"),
        ("gather", "/menu-choice"),
        ("transferComplete", "/transfer-done"),
    )
    change.call.assert_heard("Please call again later.")
    assert "replayed: answer /answer -> gather /menu-choice" in str(change)


# -- the command ------------------------------------------------------------------------------


def test_cli_replay_exit_status_and_report(
    cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(cassette), "examples.ivr:app"]) == EXIT_OK
    assert "every reply is the same" in capsys.readouterr().out
    assert main(["replay", str(cassette), "examples.replay_ivr:changed_app"]) == EXIT_INVALID
    out = capsys.readouterr().out
    assert "#3 transferComplete /transfer-done" in out and "/Response/Hangup[1]: added" in out


def test_cli_replay_json_and_simulate(cassette: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = "examples.replay_ivr:changed_app"
    assert main(["replay", str(cassette), app, "--format", "json"]) == EXIT_INVALID
    data = json.loads(capsys.readouterr().out)
    assert data["same"] is False and len(data["differences"]) == 1
    assert main(["replay", str(cassette), app, "--simulate"]) == EXIT_INVALID
    assert capsys.readouterr().out.startswith("1 call took another route")
    assert (
        main(["replay", str(cassette), "examples.ivr:app", "--simulate", "--format", "json"]) == 0
    )
    assert json.loads(capsys.readouterr().out) == {"changed": []}


def test_cli_replay_usage_and_bad_cassettes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path / "missing.jsonl"), "examples.ivr:app"]) == EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    assert main(["replay", str(bad), "examples.ivr:app"]) == EXIT_INVALID
    assert "bad.jsonl:1" in capsys.readouterr().err
    assert main(["replay", str(bad), "examples.ivr:app", "--username", "u"]) == EXIT_USAGE


# -- credentials ------------------------------------------------------------------------------


def secured(username: str = "ivr", password: str = "s3cret") -> WebhookApp:
    app = WebhookApp(username=username, password=password)

    @app.route("/answer")
    def answer(_: Event) -> Response:
        return Response(Redirect(redirect_url="/next", username="agent", password="hunter22"))

    return app


def test_a_401_challenge_is_answered_with_the_credentials_given() -> None:
    recorded = [
        exchange("initiate", "/answer", status=401),  # Bandwidth's first try
        exchange(
            "initiate",
            "/answer",
            '<Response><Redirect redirectUrl="/next" username="***" password="***"/></Response>',
        ),
    ]
    assert replay(recorded, secured(), username="ivr", password="s3cret").ok
    refused = replay(recorded, secured())
    [difference] = refused.differences
    assert (difference.index, difference.old_status, difference.new_status) == (2, 200, 401)
    assert "status: 200 -> 401" in str(difference)


def test_credential_attributes_are_masked_on_both_sides() -> None:
    changed = compare_replies(
        '<Response><Redirect redirectUrl="/a" password="***"/></Response>',
        '<Response><Redirect redirectUrl="/a" password="other"/></Response>',
    )
    assert changed == []


def test_replies_that_are_not_both_documents() -> None:
    doc = "<Response><Hangup/></Response>"
    assert compare_replies("", "") == []
    assert compare_replies("", doc) == [Change("/Response", "added", new=doc)]
    assert compare_replies(doc, "") == [Change("/Response", "removed", old=doc)]
    assert compare_replies('{"a":1}', '{"a":2}') == [Change("/", "text", '{"a":1}', '{"a":2}')]


def test_a_get_callback_is_replayed_with_its_query() -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append(environ["QUERY_STRING"])
        start_response("204 No Content", [])
        return [b""]

    get = Exchange("t", "GET", "/status", {"eventType": "disconnect", "callId": "c"}, 204, "")
    assert replay([get], app).ok
    assert seen == ["eventType=disconnect&callId=c"]


@pytest.mark.parametrize(
    ("call", "message", "error"),
    [
        (lambda: replay([], ivr.app, username="u"), "go together", ValueError),
        (lambda: replay([], "not an app"), "WSGI callable", TypeError),  # type: ignore[arg-type]
        (lambda: replay([{"a": 1}], ivr.app), "not Exchange", TypeError),  # type: ignore[list-item]
    ],
)
def test_bad_arguments(call: Callable[[], object], message: str, error: type[Exception]) -> None:
    with pytest.raises(error, match=message):
        call()


# -- rebuilding scripts from callbacks --------------------------------------------------------


MENU = Response(Gather(SpeakSentence("Press 1"), gather_url="/menu")).to_xml()
BYE = Response(SpeakSentence("Bye"), Hangup()).to_xml()


def test_a_caller_who_hung_up_at_a_pending_input_hangs_up_there() -> None:
    [call] = rebuild_calls(
        [
            exchange("initiate", "/answer", MENU),
            exchange("gather", "/menu", MENU, digits="1", terminatingDigit="#"),
            exchange("disconnect", "/status", status=204, cause="hangup"),
        ]
    )
    assert call.script == (press("1#"), hang_up())
    assert call.disconnect_url == "/status" and call.direction == "inbound"


def test_a_caller_who_hung_up_elsewhere_hangs_up_at_the_recorded_time() -> None:
    long = Response(SpeakSentence("A long story"), Redirect(redirect_url="/more")).to_xml()
    [call] = rebuild_calls(
        [
            exchange("initiate", "/answer", long),
            exchange(
                "disconnect",
                "/status",
                status=204,
                cause="hangup",
                endTime="2026-01-01T09:00:12.500Z",
            ),
        ]
    )
    assert call.script == (hang_up(after=12.5),)


def test_an_app_that_hung_up_needs_no_caller_step() -> None:
    [call] = rebuild_calls(
        [
            exchange("initiate", "/answer", BYE),
            exchange(
                "disconnect", "/status", status=204, cause="hangup", endTime="2026-01-01T09:00:03Z"
            ),
        ]
    )
    assert call.script == ()


def test_transfer_outcomes_and_recordings() -> None:
    transfer = exchange("transferComplete", "/done", BYE, transferTo="+15550002222", cause="hangup")
    b_leg: dict[str, Any] = {"callId": "c-b", "parentCallId": CALL}
    calls = rebuild_calls(
        [
            exchange("initiate", "/answer", Response(Record(record_complete_url="/r")).to_xml()),
            exchange("recordComplete", "/r", MENU, duration="PT7.5S"),
            exchange("gather", "/menu", MENU, digits=""),
            exchange("transferComplete", "/done", MENU, transferTo="+15550001111", cause="timeout"),
            exchange("transferAnswer", "/a", eventTime="2026-01-01T09:00:10Z", **b_leg),
            exchange("transferDisconnect", "/d", eventTime="2026-01-01T09:00:40Z", **b_leg),
            transfer,
        ]
    )
    [call] = calls
    assert call.script == (leave_message(7.5), silence())
    assert call.destinations == {
        "+15550001111": no_answer(),
        "+15550002222": answers(hangs_up_after=30),
    }


def test_a_401_try_is_not_part_of_the_call() -> None:
    [call] = rebuild_calls(
        [exchange("initiate", "/answer", status=401), exchange("initiate", "/answer", MENU)]
    )
    assert call.path == (("initiate", "/answer"),)


def test_a_401_without_www_authenticate_is_not_a_challenge() -> None:
    tries: list[str | None] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        tries.append(environ.get("HTTP_AUTHORIZATION"))
        start_response("401 Unauthorized", [])
        return [b""]

    report = replay([exchange("initiate", "/answer", MENU)], app, username="u", password="p")
    assert tries == [None]  # voice-api.md §9: Bandwidth does not retry; the callback is lost
    assert report.differences[0].new_status == 401


SECURED = secured()


def test_cli_replay_credentials_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "c.jsonl"
    reply = '<Response><Redirect redirectUrl="/next" username="***" password="***"/></Response>'
    cassette.write_text(exchange("initiate", "/answer", reply).to_json() + "\n")
    spec = f"{__name__}:SECURED"
    monkeypatch.delenv("WEBHOOK_USERNAME", raising=False)
    monkeypatch.delenv("WEBHOOK_PASSWORD", raising=False)
    assert main(["replay", str(cassette), spec]) == EXIT_INVALID
    assert "status: 200 -> 401" in capsys.readouterr().out
    monkeypatch.setenv("WEBHOOK_USERNAME", "ivr")
    monkeypatch.setenv("WEBHOOK_PASSWORD", "s3cret")
    assert main(["replay", str(cassette), spec]) == EXIT_OK
    assert "s3cret" not in capsys.readouterr().out


def test_an_app_that_raises_is_a_difference_not_a_crash_of_the_replay() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ["PATH_INFO"] == "/menu":
            raise KeyError("digits")
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [MENU.encode()]

    report = replay([exchange("initiate", "/answer", MENU), exchange("gather", "/menu", BYE)], app)
    [difference] = report.differences
    assert (difference.index, difference.new_status, difference.error) == (
        2,
        500,
        "KeyError: 'digits'",
    )
    assert "the app raised KeyError: 'digits'" in str(report)
    assert difference.to_dict()["error"] == "KeyError: 'digits'"


def test_a_call_whose_start_is_not_in_the_cassette_is_left_out() -> None:
    assert rebuild_calls([exchange("gather", "/menu", MENU, digits="1")]) == []


def test_a_replayed_callback_reaches_the_app_as_a_pep_3333_request() -> None:
    environs: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environs.append(environ)
        start_response("204 No Content", [])
        return [b""]

    post = Exchange("t", "POST", "/status?x=1", {"eventType": "disconnect"}, 204, "")
    assert replay([post], app).ok
    (environ,) = environs
    body = environ["wsgi.input"].read()
    assert body == b'{"eventType": "disconnect"}'
    plain = {k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors")}
    assert plain == {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/status",
        "QUERY_STRING": "x=1",
        "SERVER_NAME": "replay.test",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_USER_AGENT": "BandwidthAPI/v2",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def test_a_transfer_answered_without_recorded_times_answers_with_the_defaults() -> None:
    transfer = exchange("transferComplete", "/done", BYE, transferTo="+15550002222", cause="hangup")
    [call] = rebuild_calls([exchange("initiate", "/answer", MENU), transfer])
    assert call.destinations == {"+15550002222": answers()}


def test_a_difference_reads_as_its_exchange_status_error_and_changes() -> None:
    change = Change("/Response/SpeakSentence[1]", "text", "Hi", "Hello")
    difference = Difference(3, "/menu", "", "c-9", 200, 500, (change,), "KeyError: 'x'")
    assert str(difference).splitlines() == [
        "#3 (no eventType) /menu (call c-9)",
        "  status: 200 -> 500",
        "  the app raised KeyError: 'x'",
        f"  {change}",
    ]
    assert str(Difference(1, "/a", "gather", "", 200, 200)) == "#1 gather /a"


def test_a_cassette_item_that_is_not_an_exchange_is_named_by_its_position() -> None:
    good = exchange("initiate", "/answer", MENU)
    with pytest.raises(TypeError) as info:
        replay([good, {"a": 1}], ivr.app)  # type: ignore[list-item]
    assert str(info.value) == "cassette item 2 is a dict, not Exchange"


def _answering(status: str, body: bytes) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "application/xml")])
        return [body]

    return app


def test_a_refusal_answered_again_with_the_same_status_is_no_difference() -> None:
    # Bandwidth reads nothing of a 4xx/5xx but its status, from 400 on.
    refused = exchange("initiate", "/answer", "bad request", status=400)
    assert replay([refused], _answering("400 Bad Request", b"other words")).ok
    assert not replay([exchange("initiate", "/answer", MENU)], _answering("200 OK", b"x")).ok


def test_a_reply_that_is_not_utf8_is_compared_not_a_crash() -> None:
    [difference] = replay(
        [exchange("initiate", "/answer", MENU)], _answering("200 OK", b"\xff\xfe<Response/>")
    ).differences
    assert difference.new_status == 200 and difference.changes and difference.error is None


def test_a_rebuilt_call_keeps_its_numbers_and_knows_a_record_waits_for_input() -> None:
    record = Response(Record(record_complete_url="/done")).to_xml()
    numbers: dict[str, Any] = {"from": "+15550009999", "to": "+15557778888"}
    [call] = rebuild_calls(
        [
            exchange("initiate", "/answer", record, **numbers),
            exchange("disconnect", "/status", status=204, cause="hangup"),
        ]
    )
    assert (call.from_, call.to) == ("+15550009999", "+15557778888")
    assert call.script == (hang_up(),)  # hung up during the Record, not at a recorded time


def test_a_document_ending_in_hangup_after_a_pause_is_the_app_hanging_up() -> None:
    doc = Response(SpeakSentence("Bye"), Pause(duration=5), Hangup()).to_xml()
    [call] = rebuild_calls(
        [
            exchange("initiate", "/answer", doc),
            exchange(
                "disconnect", "/status", status=204, cause="hangup", endTime="2026-01-01T09:00:09Z"
            ),
        ]
    )
    assert call.script == ()


def test_reports_are_immutable_values_and_a_difference_reads_as_json_in_full() -> None:
    change = Change("/Response", "added", new="<Response/>")
    difference = Difference(2, "/menu", "gather", "c-9", 200, 500, (change,), "KeyError: 'x'")
    assert difference.to_dict() == {
        "index": 2,
        "path": "/menu",
        "event_type": "gather",
        "call_id": "c-9",
        "old_status": 200,
        "new_status": 500,
        "changes": [change.to_dict()],
        "error": "KeyError: 'x'",
    }
    [call] = rebuild_calls([exchange("initiate", "/answer", MENU)])
    for value, name in ((difference, "path"), (replay([], ivr.app), "exchanges"), (call, "to")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, name, None)


def test_a_recorded_reply_that_is_not_bxml_or_an_event_that_is_not_one_is_no_input() -> None:
    odd = Exchange("t", "POST", "/odd", {"callId": CALL}, 200, "<Response/>")
    [call] = rebuild_calls(
        [
            exchange("initiate", "/answer", "<Response/>"),
            odd,
            exchange("redirect", "/next", "<Response><Gather"),
            exchange("disconnect", "/status", status=204, cause="hangup"),
        ]
    )
    assert call.script == ()  # the last reply asks for no input: nothing to hang up at
    assert call.path == (("initiate", "/answer"), ("redirect", "/next"))
