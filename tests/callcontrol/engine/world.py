"""A small driver for engine tests with several calls on one clock.

Callbacks are answered in process by a WSGI app through :class:`callcontrol.testing.fetch.
Router` (a :class:`RoutesApp` built from a dict of path -> reply, or any WSGI app), so the
engine's conference and bridge rules can be tested without the simulator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from callcontrol.engine import CallbackRequest, Engine, Leg, Step
from callcontrol.testing.fetch import Router

from .apps import Reply, RoutesApp

BASE = "https://app.test"


class World:
    """An :class:`Engine` whose callbacks are answered by ``app`` (or by ``routes``)."""

    def __init__(
        self,
        routes: Mapping[str, Reply] | None = None,
        *,
        app: Any = None,
        latency: Mapping[str, float] | None = None,
        **engine: Any,
    ) -> None:
        self.app = app if app is not None else RoutesApp(routes or {})
        self.engine = Engine(**engine)
        self.router = Router(self.app, BASE, raise_app_errors=False, timeout=30.0)
        #: Virtual seconds the reply to a path takes.
        self.latency = dict(latency or {})
        self.sent: list[CallbackRequest] = []
        self._numbers = 0

    def call(
        self,
        path: str = "/answer",
        *,
        script: Iterable[Step] = (),
        tag: str | None = None,
        from_: str | None = None,
    ) -> Leg:
        """Start an inbound call whose initiate goes to ``path``."""
        self._numbers += 1
        return self.engine.start_call(
            "inbound",
            BASE + path,
            from_=from_ or f"+1555123{self._numbers:04d}",
            to="+15553334444",
            script=script,
            tag=tag,
        )

    def run(self, until: float | None = None) -> None:
        """Run every call, answering callbacks, until nothing is left (or ``until`` s)."""
        until_ms = None if until is None else round(until * 1000)
        while True:
            self.engine.run(until_ms)
            requests = self.engine.take()
            if not requests:
                return
            for request in requests:
                self.sent.append(request)
                result = self.router.send(request).result
                if request.synchronous:
                    path = request.target.url.removeprefix(BASE)
                    latency = self.latency.get(path, 0.0)
                    self.engine.fetch_done(request, result, latency=latency)
                else:
                    self.engine.delivered(request, result)

    def events(self, prefix: str = "conference") -> list[str]:
        """The eventTypes sent so far that start with ``prefix``, in order."""
        return [r.event_type for r in self.sent if r.event_type.startswith(prefix)]
