"""The interface the verb runners use: what a runner may ask of the engine.

The runners (media, gather, record, dialing, refer, background, caller, keys) receive the
engine typed as :class:`Runtime`, so they depend on this declaration and not on
:mod:`callcontrol.engine.core`, which imports them: no import circle, and the engine's
private state stays private.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from bxml import Element

from .activities import Rooms
from .clock import Scheduler
from .durations import Durations
from .model import CallbackRequest, FetchResult, Leg, Target


class Runtime(Protocol):
    """What the engine offers the verb runners (implemented by ``Engine``)."""

    sched: Scheduler
    start_time: datetime
    durations: Durations
    rooms: Rooms
    callback_timeout_ms: int

    def uuid(self) -> str:
        """A new id from the engine's seeded generator."""

    def note(self, leg: Leg, kind: str, detail: str | Callable[[], str]) -> None:
        """Add a transcript line for ``leg``."""

    def observe(self, observation: Any) -> None:
        """Record a typed observation (see :mod:`callcontrol.engine.observations`)."""

    def assume(self, leg: Leg, assumption: str, detail: str = "") -> None:
        """Apply the register entry ``assumption`` (noted every time)."""

    def assume_once(self, leg: Leg, assumption: str, detail: str = "") -> None:
        """Apply the register entry ``assumption``, noted the first time only."""

    def send(
        self,
        leg: Leg,
        event_type: str,
        payload: dict[str, Any],
        target: Target,
        fallback: Target | None = None,
        *,
        synchronous: bool,
    ) -> None:
        """Queue a callback; a synchronous one makes the leg wait for its reply."""

    def send_detached(
        self,
        leg: Leg,
        event_type: str,
        payload: dict[str, Any],
        target: Target,
        fallback: Target | None = None,
        *,
        synchronous: bool,
        on_reply: Callable[[CallbackRequest, FetchResult], None],
        timeout_ms: int | None = None,
        is_fallback: bool = False,
        retried: bool = False,
    ) -> CallbackRequest:
        """Queue a callback about ``leg`` that does not hold it (a conference event): its
        result goes to ``on_reply`` (after the driver's latency, at most ``timeout_ms``)."""

    def end_leg(self, leg: Leg, cause: str, error: str | None = None) -> None:
        """End ``leg`` with ``cause`` (and the errorMessage ``error``)."""

    def target(
        self, leg: Leg, verb: Element, url_attr: str, method_attr: str, *, fallback: bool = False
    ) -> Target | None:
        """The callback target a verb's URL attribute names, resolved against the leg."""

    def targets(self, leg: Leg, verb: Element, stem: str) -> tuple[Target | None, Target | None]:
        """The primary and fallback targets of the verb's ``stem`` URL."""

    def resolve_url(self, leg: Leg, value: str) -> str:
        """``value`` made absolute against the URL that served the leg's document."""

    def after(self, leg: Leg, ms: int, action: Callable[..., None], *args: Any) -> None:
        """Run ``action(engine, leg, *args)`` in ``ms`` unless the leg moves on first."""

    def finish_activity(self, leg: Leg) -> None:
        """The leg's blocking verb is over: go on with the next verb."""

    def timed(self, leg: Leg, ms: int, media: bool = False) -> None:
        """Block the leg for ``ms`` (a verb that takes time), then go on."""

    def advance(self, leg: Leg) -> None:
        """Run the leg's verbs until one blocks, waits for a callback, or the leg ends."""

    def answer(self, leg: Leg) -> None:
        """Answer the leg (once)."""

    def set_tag(self, leg: Leg, value: str) -> None:
        """Set the leg's sticky tag (blank clears it)."""

    def new_leg(self, label: str, direction: str, from_: str, to: str) -> Leg:
        """Create a leg with a new call id."""

    def find_leg(self, call_id: str) -> Leg | None:
        """The leg with this call id in this engine, if any."""

    def interrupt(self, leg: Leg) -> None:
        """Stop what the leg runs and drop the rest of its document."""

    def digit(self, leg: Leg, digit: str) -> None:
        """A key reaches the leg now."""
