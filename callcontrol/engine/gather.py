"""<Gather> (bxml-spec §4.6): prompts, the first key interrupting them, the digit timers,
repeatCount, and the ``gather`` callback (sent with ``digits=""`` on a timeout)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import bxml
from bxml import Element

from . import caller, media, payloads
from .activities import GatherRun
from .clock import to_ms
from .model import Leg
from .observations import GatherEnded
from .script import HangUp, LeaveMessage, Press

if TYPE_CHECKING:
    from .runtime import Runtime


# Parsed documents are shared and never change, so a Gather's prompts and site are worked
# out once per (verb, serving URL, durations model).
Plan = tuple[list[tuple[int, Any]], str, tuple[str, int, int, int, int]]
_PLANS: dict[tuple[int, str, int], tuple[Any, Any, Plan]] = {}


def gather(engine: Runtime, leg: Leg, verb: bxml.Gather) -> None:
    """Gather: play the prompts and collect digits (§4.6)."""
    prompts, site, rules = _plan(engine, leg, verb)
    if prompts:
        engine.assume_once(leg, "speech-rate", "durations of speech and audio")
    run = GatherRun(verb, prompts, site, rules)
    leg.activity = run
    _gather_step(engine, leg, run, sum(ms for ms, _ in prompts))
    _gather_prompt(engine, leg, run)


def _plan(engine: Runtime, leg: Leg, verb: bxml.Gather) -> Plan:
    cursor = leg.cursor
    assert cursor is not None
    durations = engine.durations
    key = (id(verb), leg.base_url, id(durations))
    cached = _PLANS.get(key)
    if cached is not None and cached[0] is verb and cached[1] is durations:
        return cached[2]
    ordinal = len([v for v in cursor.verbs[: cursor.index] if v.TAG == "Gather"])
    prompts = [(_prompt_ms(engine, leg, p), p) for p in verb.children]
    site = f"{cursor.source} Gather[{ordinal}]"
    first, inter = verb.first_digit_timeout, verb.inter_digit_timeout
    rules = (
        verb.terminating_digits or "",
        verb.max_digits or 50,
        to_ms(first if first is not None else 5.0),
        to_ms(inter if inter is not None else 5.0),
        verb.repeat_count or 1,
    )
    if len(_PLANS) >= 1024:
        _PLANS.clear()
    _PLANS[key] = (verb, durations, (prompts, site, rules))
    return prompts, site, rules


def _prompt_ms(engine: Runtime, leg: Leg, prompt: Element) -> int:
    if isinstance(prompt, bxml.SpeakSentence):
        return engine.durations.speech_ms(prompt)
    assert isinstance(prompt, bxml.PlayAudio)
    return engine.durations.audio_ms(prompt, engine.resolve_url(leg, prompt.text.strip()))


def _gather_step(engine: Runtime, leg: Leg, run: GatherRun, prompt_total: int) -> None:
    step = caller.take_step(engine, leg, run.site)
    if isinstance(step, Press):
        gap = engine.durations.key_gap_ms
        offset = to_ms(step.barge_in) if step.barge_in is not None else prompt_total + gap
        caller.press(engine, leg, step, engine.sched.now + offset)
    elif isinstance(step, HangUp):
        caller.hang_up_at(engine, leg, engine.sched.now + prompt_total, step)
    elif isinstance(step, LeaveMessage):
        engine.note(leg, "speaks", f"{step.seconds} s into a Gather (no keys)")
        if step.then == "hang_up":
            caller.hang_up_at(
                engine, leg, engine.sched.now + prompt_total + to_ms(step.seconds), step
            )


def _gather_prompt(engine: Runtime, leg: Leg, run: GatherRun) -> None:
    if run.index < len(run.prompts):
        ms, prompt = run.prompts[run.index]
        if isinstance(prompt, bxml.SpeakSentence):
            text = engine.durations.speech(prompt)[0]
        else:
            text = f"[audio {engine.resolve_url(leg, prompt.text.strip())}]"
        media.hear(engine, leg, text)
        engine.note(leg, "prompt", text)
        engine.after(leg, ms, _gather_prompt_end, run)
        return
    run.phase = "wait"
    run.deadline = engine.sched.now + run.rules[2]
    engine.after(leg, run.rules[2], _gather_timeout, run)


def _gather_prompt_end(engine: Runtime, leg: Leg, run: GatherRun) -> None:
    run.index += 1
    _gather_prompt(engine, leg, run)


def _gather_timeout(engine: Runtime, leg: Leg, run: GatherRun) -> None:
    if not run.digits and run.round < run.rules[4] and run.prompts:
        run.round += 1
        run.index = 0
        run.phase = "prompt"
        engine.note(leg, "repeat", f"prompt {run.round} of {run.verb.repeat_count}")
        _gather_prompt(engine, leg, run)
        return
    _gather_end(engine, leg, run, "")


def gather_digit(engine: Runtime, leg: Leg, run: GatherRun, digit: str) -> None:
    """A key during a Gather: interrupt the prompt, collect, or finish."""
    if run.phase == "prompt":
        engine.note(leg, "barge-in", "first key interrupts the prompt")
    elif run.deadline == engine.sched.now:
        engine.assume(leg, "digit-tie", f"key {digit} at the timeout counts")
    run.phase = "digits"
    leg.epoch += 1
    engine.note(leg, "pressed", digit)
    terminating, max_digits, _, inter_ms, _ = run.rules
    if digit in terminating:
        _gather_end(engine, leg, run, digit)
        return
    run.digits += digit
    if len(run.digits) >= max_digits:
        _gather_end(engine, leg, run, "")
        return
    run.deadline = engine.sched.now + inter_ms
    engine.after(leg, inter_ms, _gather_end, run, "")


def _gather_end(engine: Runtime, leg: Leg, run: GatherRun, terminator: str) -> None:
    leg.activity = None
    leg.epoch += 1
    outcome = run.digits or ("terminated" if terminator else "timeout")
    engine.observe(GatherEnded(engine.sched.now, leg.label, leg.id, run.site, outcome))
    engine.note(leg, "gathered", f"digits={run.digits!r} terminatingDigit={terminator!r}")
    target, fallback = engine.targets(leg, run.verb, "gather")
    if target is None:
        engine.advance(leg)
        return
    payload = payloads.leg_event(
        "gather",
        leg,
        engine.start_time,
        engine.sched.now,
        digits=run.digits,
        terminatingDigit=terminator,
    )
    engine.send(leg, "gather", payload, target, fallback, synchronous=True)
