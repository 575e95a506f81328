"""Answering-machine detection on an outbound call (voice-api §3.2 and §9.4).

createCall's ``machineDetection`` becomes a :class:`Detection`; the callee's destination
decides what the detector finds (:func:`verdict`): a ``machine(result=...)`` destination
gives its result, a ``voicemail()`` an answering machine, anyone else who answers a human.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .._wire import field_specs
from ..models import MachineDetectionConfiguration
from .clock import to_ms
from .model import Credentials, Target
from .payloads import iso_duration
from .script import Destination, Machine, Voicemail

#: The results of the contract's machineDetectionResult.value. ``tone-detected`` is left
#: out: Bandwidth sends it only when tone detection is enabled on the account.
RESULTS = ("human", "answering-machine", "silence", "timeout", "error")
#: How long a person who answers speaks ("Hello?") before falling silent.
HUMAN_SPEECH_MS = 1000


@dataclass(frozen=True)
class Detection:
    """createCall's machineDetection as the engine uses it: mode, times in ms, targets."""

    mode: Literal["sync", "async"]
    detection_timeout_ms: int
    silence_timeout_ms: int
    speech_threshold_ms: int
    speech_end_threshold_ms: int
    machine_speech_end_threshold_ms: int
    delay_result: bool
    target: Target | None
    fallback: Target | None


@dataclass(frozen=True)
class Verdict:
    """What the detector reports (``value``) and how long it took (``ms``)."""

    value: str
    ms: int


def detection(
    config: MachineDetectionConfiguration | Mapping[str, Any],
    resolve: Callable[[str], str] = str,
) -> Detection:
    """The engine's :class:`Detection` for ``config`` (the model, or its JSON object).

    ``resolve`` turns callbackUrl/fallbackUrl of a JSON object into absolute URLs first.

    :raises ValueError: a field is invalid or unknown, or async mode has no callbackUrl.
    """
    if isinstance(config, Mapping):
        data = dict(config)
        for name in ("callbackUrl", "fallbackUrl"):
            if isinstance(data.get(name), str):
                data[name] = resolve(data[name])
        config = MachineDetectionConfiguration.from_dict(data)
    if not isinstance(config, MachineDetectionConfiguration):
        raise TypeError(
            "machine_detection must be a MachineDetectionConfiguration or its JSON object, "
            f"not {type(config).__name__}"
        )
    if config.extra:
        known = ", ".join(field_specs(MachineDetectionConfiguration))
        raise ValueError(
            f"machineDetection has an unknown field {next(iter(config.extra))!r}; the fields are "
            f"[{known}]"
        )
    mode = config.mode or "async"
    if mode == "async" and config.callback_url is None:
        raise ValueError("machineDetection.callbackUrl is required when mode is async")
    speech_end = _ms(config.speech_end_threshold, 5)
    return Detection(
        mode=mode,
        detection_timeout_ms=_ms(config.detection_timeout, 15),
        silence_timeout_ms=_ms(config.silence_timeout, 10),
        speech_threshold_ms=_ms(config.speech_threshold, 10),
        speech_end_threshold_ms=speech_end,
        machine_speech_end_threshold_ms=(
            speech_end
            if config.machine_speech_end_threshold is None
            else to_ms(config.machine_speech_end_threshold)
        ),
        delay_result=bool(config.delay_result),
        target=_target(
            config.callback_url, config.callback_method, config.username, config.password
        ),
        fallback=_target(
            config.fallback_url,
            config.fallback_method,
            config.fallback_username,
            config.fallback_password,
        ),
    )


def _ms(seconds: float | None, default: float) -> int:
    return to_ms(default if seconds is None else seconds)


def _target(
    url: str | None, method: str | None, username: str | None, password: str | None
) -> Target | None:
    if url is None:
        return None
    creds = Credentials(username, password or "") if username is not None else None
    return Target(url, "GET" if method == "GET" else "POST", creds)


def verdict(config: Detection, callee: Destination | None) -> Verdict:
    """What the detector finds on ``callee`` and when, counted from the answer.

    A result that would take longer than detectionTimeout is ``timeout`` at detectionTimeout.
    """
    if isinstance(callee, Machine):
        value = callee.result
        took = to_ms(callee.detected_after) if callee.detected_after is not None else None
    elif isinstance(callee, Voicemail):
        value, took = "answering-machine", None
    else:
        value, took = "human", None
    if took is None:
        took = _default_time(config, value, callee)
    if took > config.detection_timeout_ms:
        return Verdict("timeout", config.detection_timeout_ms)
    return Verdict(value, took)


def _default_time(config: Detection, value: str, callee: Destination | None) -> int:
    if value == "human":
        return HUMAN_SPEECH_MS + config.speech_end_threshold_ms
    if value == "answering-machine":
        if not config.delay_result:
            return config.speech_threshold_ms
        threshold = config.speech_threshold_ms
        if threshold > config.detection_timeout_ms:
            return threshold  # undecided when detectionTimeout passes: a timeout
        greeting = to_ms(callee.greeting) if isinstance(callee, Voicemail) else threshold
        delayed = max(greeting, threshold) + config.machine_speech_end_threshold_ms
        return min(delayed, config.detection_timeout_ms)
    if value == "silence":
        return config.silence_timeout_ms
    if value == "timeout":
        return config.detection_timeout_ms
    return 0


def result_field(found: Verdict) -> dict[str, str]:
    """The webhook's ``machineDetectionResult`` object."""
    return {"value": found.value, "duration": iso_duration(found.ms)}
