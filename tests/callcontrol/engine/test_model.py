"""The engine's data model: the values drivers receive are immutable; transcript lines."""

from __future__ import annotations

import dataclasses

import pytest

from callcontrol.engine.model import (
    CallbackRequest,
    Credentials,
    FetchResult,
    Target,
    TranscriptEntry,
)

TARGET = Target("https://ivr.test/answer", "POST", Credentials("ivr", "pw"))
REQUEST = CallbackRequest(1, "c-1", "initiate", {"eventType": "initiate"}, TARGET, True)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (Credentials("ivr", "pw"), "username"),
        (TARGET, "url"),
        (REQUEST, "event_type"),
        (FetchResult(200, b"<Response/>"), "status"),
    ],
)
def test_what_a_driver_receives_cannot_be_changed(value: object, name: str) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, name, None)


def test_a_request_is_first_sent_neither_as_fallback_nor_as_a_repeat() -> None:
    assert (REQUEST.fallback, REQUEST.is_fallback, REQUEST.retried) == (None, False, False)


def test_a_transcript_entry_renders_a_lazy_detail_once_and_compares_by_value() -> None:
    calls: list[int] = []

    def detail() -> str:
        calls.append(1)
        return "Press one."

    entry = TranscriptEntry(1500, "A", "speak", detail)
    assert repr(entry) == "TranscriptEntry(1500, 'A', 'speak', 'Press one.')"
    assert entry.detail == "Press one." and len(calls) == 1
    assert entry == TranscriptEntry(1500, "A", "speak", "Press one.")
    assert entry != TranscriptEntry(1500, "B", "speak", "Press one.")
    assert entry.__eq__("speak") is NotImplemented
    with pytest.raises(TypeError):
        hash(entry)


def test_credentials_never_show_their_password() -> None:
    assert repr(Credentials("ivr", "hunter2")) == "Credentials(username='ivr', password='***')"
