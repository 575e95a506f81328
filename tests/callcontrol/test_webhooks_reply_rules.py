"""WebhookApp reports valid BXML that Bandwidth refuses for its event (bxml-spec §6): a
conference event's reply with a verb other than PlayAudio, SpeakSentence or the recording
verbs (§4.2: the whole reply is rejected), a transferAnswer reply with Bridge, Conference,
Forward or Transfer."""

from __future__ import annotations

import pytest

from bxml import (
    Conference,
    Hangup,
    PhoneNumber,
    Response,
    SpeakSentence,
    StartRecording,
    Transfer,
)
from callcontrol import WebhookApp, contract
from callcontrol.testing import AppError, CallSimulator, answers, hang_up


def conference_app(reply: Response) -> WebhookApp:
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: object) -> Response:
        return Response(Conference("room", conference_event_url="/conf"))

    @app.route("/conf")
    def conf(event: object) -> Response | None:
        return reply

    return app


def test_a_conference_reply_with_a_call_verb_fails_the_test() -> None:
    sim = CallSimulator(conference_app(Response(Hangup())))
    sim.start_inbound("/answer", script=[hang_up(after=5)])
    with pytest.raises(AppError) as caught:
        sim.run()
    assert caught.value.kind == "invalid-bxml"
    assert caught.value.request.event_type == "conferenceCreated"
    assert "not <Hangup>; Bandwidth rejects the whole reply" in str(caught.value)


def test_conference_verbs_in_a_conference_reply_pass() -> None:
    reply = Response(SpeakSentence("Welcome."), StartRecording())
    sim = CallSimulator(conference_app(reply))
    sim.start_inbound("/answer", script=[hang_up(after=5)])
    [call] = sim.run()
    call.assert_heard("Welcome.")


def test_without_raising_bandwidth_rejects_the_reply_and_the_call_goes_on() -> None:
    sim = CallSimulator(conference_app(Response(Hangup())), raise_app_errors=False)
    sim.start_inbound("/answer", script=[hang_up(after=5)])
    [call] = sim.run()
    assert call.duration == 5.0 and call.disconnect_cause == "hangup"


def test_a_transfer_answer_reply_that_transfers_again_fails_the_test() -> None:
    app = WebhookApp()

    @app.route("/answer")
    def answer(event: object) -> Response:
        return Response(Transfer(PhoneNumber("+15550001111", transfer_answer_url="/whisper")))

    @app.route("/whisper")
    def whisper(event: object) -> Response:
        return Response(Transfer(PhoneNumber("+15550002222")))

    sim = CallSimulator(app)
    sim.start_inbound("/answer", destinations={"+15550001111": answers(after=1, hangs_up_after=5)})
    with pytest.raises(AppError) as caught:
        sim.run()
    assert caught.value.kind == "invalid-bxml"
    assert "a transferAnswer reply may not hold <Transfer>" in str(caught.value)


@pytest.mark.parametrize(
    ("event_type", "verbs", "bad"),
    [
        ("conferenceMemberJoin", ["SpeakSentence", "Gather"], "<Gather>"),
        ("conferenceMemberExit", ["Redirect"], "<Redirect>"),
        ("conferenceRedirect", ["Pause"], "<Pause>"),
        ("transferAnswer", ["SpeakSentence", "Bridge"], "<Bridge>"),
    ],
)
def test_each_restricted_event_names_the_verbs_it_refuses(
    event_type: str, verbs: list[str], bad: str
) -> None:
    problem = contract.reply_restriction(event_type, verbs)
    assert problem is not None and bad in problem
    assert "<SpeakSentence>" not in problem


@pytest.mark.parametrize(
    ("event_type", "verbs"),
    [
        ("conferenceCreated", sorted(contract.CONFERENCE_REPLY_VERBS)),
        ("transferAnswer", ["SpeakSentence", "Gather", "Hangup"]),
        ("answer", ["Transfer", "Conference", "Hangup"]),
        ("conferenceCompleted", ["Hangup"]),  # asynchronous: its reply is never read
    ],
)
def test_what_each_event_allows_passes(event_type: str, verbs: list[str]) -> None:
    assert contract.reply_restriction(event_type, verbs) is None
