"""<Refer> on a call that is not a SIP call (register refer-sip-call): nothing is dialled."""

from __future__ import annotations

from callcontrol.engine import Engine, FetchResult
from callcontrol.testing import answers

APP = "https://app.test"
ALICE = "sip:alice@pbx.example.com"
REFER = f"<Response><Refer><SipUri>{ALICE}</SipUri></Refer><Hangup/></Response>"


def test_a_refer_that_is_not_sent_is_no_dial_outcome_and_says_why():
    engine = Engine()
    engine.start_call(
        "inbound",
        APP + "/answer",
        from_="+15551230000",
        to="+15553334444",
        destinations={ALICE: answers()},
    )
    while True:
        engine.run()
        requests = engine.take()
        if not requests:
            break
        for request in requests:
            if request.synchronous:
                engine.fetch_done(request, FetchResult(200, REFER.encode()))
            else:
                engine.delivered(request, FetchResult(204))
    # Nothing was dialled, so IVR coverage has no outcome to count for the SIP URI.
    assert engine.transfer_outcomes == []
    details = [e.detail for e in engine.transcript if e.kind == "assume"]
    assert "[refer-sip-call] +15551230000 -> +15553334444 is not a SIP call" in details
