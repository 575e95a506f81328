"""Small WSGI apps for engine and simulator tests: routes map a path to a reply."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from bxml import Response
from callcontrol.engine import CallbackRequest, Dialled, Engine, FetchResult, Leg

Reply = Response | str | bytes | tuple[int, bytes] | Callable[[dict[str, Any]], Any]


@dataclass
class Seen:
    """One request the app received."""

    method: str
    path: str
    query: dict[str, str]
    event: dict[str, Any]
    authorization: str | None


@dataclass
class RoutesApp:
    """Answers each path from ``routes``; unknown paths get 204. Records every request.

    A request to a ``protected`` path without an Authorization header gets 401 with
    ``WWW-Authenticate`` (the challenge Bandwidth answers with credentials, voice-api §9.2);
    it is listed in ``challenged``, not in ``seen``.
    """

    routes: Mapping[str, Reply]
    default: Reply | None = None
    protected: Collection[str] = ()
    seen: list[Seen] = field(default_factory=list)
    challenged: list[str] = field(default_factory=list)
    closed: int = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] in self.protected and not environ.get("HTTP_AUTHORIZATION"):
            self.challenged.append(environ["PATH_INFO"])
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="test"')])
            return [b""]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size)
        event = json.loads(body) if body else {}
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        path = environ["PATH_INFO"]
        self.seen.append(
            Seen(
                environ["REQUEST_METHOD"],
                path,
                query,
                event or query,
                environ.get("HTTP_AUTHORIZATION"),
            )
        )
        reply = self.routes.get(path, self.default)
        if path == "/status" and path not in self.routes:
            reply = None
        if callable(reply) and not isinstance(reply, Response):
            reply = reply(event or query)
        status, data = 204, b""
        if isinstance(reply, tuple):
            status, data = reply
        elif isinstance(reply, Response):
            status, data = 200, reply.to_bytes()
        elif isinstance(reply, str):
            status, data = 200, reply.encode()
        elif isinstance(reply, bytes):
            status, data = 200, reply
        start_response(f"{status} X", [("Content-Type", "application/xml")])
        return _Body(self, data)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """The events of that type the app received, in order."""
        return [s.event for s in self.seen if s.event.get("eventType") == event_type]


class _Body:
    def __init__(self, app: RoutesApp, data: bytes) -> None:
        self.app = app
        self.data = data

    def __iter__(self) -> Any:
        yield self.data

    def close(self) -> None:
        self.app.closed += 1


#: Where :class:`Replies` serves its documents.
REPLY_BASE = "https://app.test"


def xml(body: str) -> str:
    """A <Response> around ``body``."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


def dial_outcomes(engine: Engine) -> list[tuple[str, str]]:
    """What IVR coverage counts: each number dialled (Transfer, Forward, Refer) and how it
    turned out, read from the typed observations."""
    return [
        (seen.number, seen.outcome)
        for seen in engine.observations
        if isinstance(seen, Dialled)
        and seen.how in ("Transfer", "Forward", "Refer")
        and seen.outcome != "not-sent"
    ]


class Replies:
    """Calls of one engine, each synchronous callback answered from ``replies`` by its path
    under :data:`REPLY_BASE` (``<Response/>`` for any other), every asynchronous one 204."""

    def __init__(self, replies: dict[str, str] | None = None) -> None:
        self.engine = Engine()
        self.replies = dict(replies or {})
        self.sent: list[CallbackRequest] = []

    def start(self, path: str, **kwargs: Any) -> Leg:
        """An inbound call whose initiate goes to ``path``."""
        return self.engine.start_call(
            "inbound", REPLY_BASE + path, from_="+15551230000", to="+1555", **kwargs
        )

    def drive(self, until_ms: int | None = None) -> None:
        """Run the engine, answering what it sends, until nothing is left (or ``until_ms``)."""
        while True:
            self.engine.run(until_ms)
            requests = self.engine.take()
            if not requests:
                return
            for request in requests:
                self.sent.append(request)
                if not request.synchronous:
                    self.engine.delivered(request, FetchResult(204))
                    continue
                body = self.replies.get(request.target.url.removeprefix(REPLY_BASE), "<Response/>")
                self.engine.fetch_done(request, FetchResult(200, body.encode()))
