"""explore() treats the paths WebhookApp.host() returns as one state (issue 20 item 11)."""

from __future__ import annotations

import logging

import pytest

from bxml import Gather, Hangup, Redirect, Response, SpeakSentence
from callcontrol import WebhookApp
from callcontrol.events import GatherEvent
from callcontrol.testing import explore

AGAIN = Response(SpeakSentence("Here it is again"), Redirect(redirect_url="/answer"))


def ivr(host: bool, secret: str | None = None) -> WebhookApp:
    """A menu whose '1' plays a message and comes back: the message is hosted under a new
    path on every call (``host``), or served from a route of its own."""
    app = WebhookApp(hosting_secret=secret)

    @app.route("/answer")
    def answer(event: object) -> Response:
        return Response(
            Gather(SpeakSentence("Press one to hear it again"), gather_url="/g", max_digits=1)
        )

    @app.route("/g")
    def gathered(event: GatherEvent) -> Response:
        if event.digits != "1":
            return Response(SpeakSentence("Goodbye"), Hangup())
        return Response(Redirect(redirect_url=app.host(AGAIN) if host else "/again"))

    @app.route("/again")
    def again(event: object) -> Response:
        return AGAIN

    return app


@pytest.mark.parametrize("secret", [None, "hosting-secret-for-the-explorer-tests"])
def test_hosted_paths_are_one_state(secret, caplog):
    caplog.set_level(logging.ERROR, "callcontrol")  # the in-process hosting warning
    hosted = explore(ivr(True, secret), max_calls=200)
    routed = explore(ivr(False), max_calls=200)
    titles = sorted(node.title for node in hosted.nodes.values() if node.kind == "document")
    assert titles == [
        "/_bxml/… (redirect)",
        "/answer (initiate)",
        "/answer (redirect)",
        "/g (gather)",
        "/g (gather)",
    ]
    assert not hosted.notes and not hosted.findings
    assert (len(hosted.nodes), len(hosted.edges), hosted.states, hosted.calls) == (
        len(routed.nodes),
        len(routed.edges),
        routed.states,
        routed.calls,
    )
