"""Replies with attributes or values the BXML pages do not define are invalid BXML, and the
transcript names the strict-attributes assumption (docs/engine-assumptions.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from callcontrol.testing import CallSimulator


def replying(document: bytes) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/xml")])
        return [document]

    return app


@pytest.mark.parametrize(
    "document",
    [
        b'<Response><Gather maxDigits="2.0"/></Response>',
        b'<Response><Redirect redirectUrl="/x" redirectMethod="post"/></Response>',
        b'<Response><Record transcribe="True"/></Response>',
        b'<Response><SpeakSentence colour="blue">Hi</SpeakSentence></Response>',
    ],
    ids=["integer-2.0", "post-lowercase", "True", "unknown-attribute"],
)
def test_undocumented_attribute_values_are_invalid_bxml(document: bytes) -> None:
    call = CallSimulator(replying(document)).inbound("/answer")
    assert call.state == "disconnected" and call.disconnect_cause == "invalid-bxml"
    assert "[strict-attributes]" in str(call)


def test_a_reply_that_is_not_xml_is_invalid_without_that_assumption() -> None:
    call = CallSimulator(replying(b"<Response>")).inbound("/answer")
    assert call.disconnect_cause == "invalid-bxml"
    assert "[strict-attributes]" not in str(call)
