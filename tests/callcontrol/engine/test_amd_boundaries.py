"""Answering-machine detection (voice-api §3.2, §9.4) at its edges: the whole message for an
unknown field, and verdicts that cannot change once made."""

from __future__ import annotations

import dataclasses

import pytest

from callcontrol.engine import amd

FIELDS = (
    "mode, detectionTimeout, silenceTimeout, speechThreshold, speechEndThreshold, "
    "machineSpeechEndThreshold, delayResult, callbackUrl, callbackMethod, username, password, "
    "fallbackUrl, fallbackMethod, fallbackUsername, fallbackPassword"
)


def test_an_unknown_field_is_named_with_every_field_allowed():
    # The project's rule: a bad input names what, where and what is allowed.
    with pytest.raises(ValueError) as caught:
        amd.detection({"mode": "sync", "machineDetectionTimeout": 3})
    assert str(caught.value) == (
        f"machineDetection has an unknown field 'machineDetectionTimeout'; the fields are "
        f"[{FIELDS}]"
    )


def test_a_verdict_and_a_detection_cannot_be_changed():
    found = amd.verdict(amd.detection({"mode": "sync"}), None)
    assert found == amd.Verdict("human", 6000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.value = "silence"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        amd.detection({"mode": "sync"}).mode = "async"  # type: ignore[misc]
