"""Replay recorded callbacks against a new version of an app and report what it answers
differently (by :func:`bxml.diff`).

::

    from callcontrol.testing import replay

    report = replay("callbacks.jsonl", app, username="ivr", password="hunter2")
    assert not report.differences, str(report)

Each exchange of the cassette (see :mod:`callcontrol.recording`) is sent to the app
in-process, as it was recorded: a GET with the event in the query, else a POST with the event
as JSON. An exchange that was answered (not refused with 401) is sent first without
credentials and, when the app challenges it with 401, again with ``username``/``password``
as Bandwidth does (voice-api.md §9: Basic credentials after a 401 challenge). Both replies
have their credential attributes masked before they are compared, so a cassette needs no
secret.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bxml.diff import Change

from ..engine.script import Destination, Step
from ..recording import Exchange, mask_credentials, read_cassette
from .result import SimulatedCall, UnusedStepsError, path_of

__all__ = [
    "Difference",
    "PathChange",
    "RecordedCall",
    "ReplayReport",
    "changed_paths",
    "compare_replies",
    "load_exchanges",
    "rebuild_calls",
    "replay",
    "replay_calls",
    "send",
]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Cassette = str | os.PathLike[str] | Sequence[Exchange]


@dataclass(frozen=True)
class Difference:
    """One exchange the app now answers differently.

    ``index`` is the exchange's 1-based position in the cassette; ``changes`` are the
    :class:`bxml.Change` s from the recorded reply to the new one (empty when only the
    status changed); ``error`` names the exception when the app raised (answered as 500).
    """

    index: int
    path: str
    event_type: str
    call_id: str
    old_status: int
    new_status: int
    changes: tuple[Change, ...] = ()
    error: str | None = None

    def __str__(self) -> str:
        head = f"#{self.index} {self.event_type or '(no eventType)'} {self.path}"
        if self.call_id:
            head += f" (call {self.call_id})"
        lines = [head]
        if self.old_status != self.new_status:
            lines.append(f"  status: {self.old_status} -> {self.new_status}")
        if self.error:
            lines.append(f"  the app raised {self.error}")
        lines.extend(f"  {change}" for change in self.changes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The difference as a JSON object."""
        return {
            "index": self.index,
            "path": self.path,
            "event_type": self.event_type,
            "call_id": self.call_id,
            "old_status": self.old_status,
            "new_status": self.new_status,
            "changes": [change.to_dict() for change in self.changes],
            "error": self.error,
        }


@dataclass(frozen=True)
class ReplayReport:
    """What replaying a cassette found: ``differences`` lists only the changed exchanges."""

    exchanges: int
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the app answered every exchange as recorded."""
        return not self.differences

    def __str__(self) -> str:
        if self.ok:
            return f"{self.exchanges} exchanges replayed: every reply is the same"
        lines = [
            f"{self.exchanges} exchanges replayed: {len(self.differences)} answered differently"
        ]
        lines.extend(str(difference) for difference in self.differences)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON object."""
        return {
            "exchanges": self.exchanges,
            "same": self.ok,
            "differences": [difference.to_dict() for difference in self.differences],
        }


def load_exchanges(cassette: Cassette) -> list[Exchange]:
    """The exchanges of a cassette file (with its rotated files), or the list given."""
    if isinstance(cassette, (str, os.PathLike)):
        return read_cassette(cassette)
    found = list(cassette)
    for index, item in enumerate(found):
        if not isinstance(item, Exchange):
            raise TypeError(f"cassette item {index + 1} is a {type(item).__name__}, not Exchange")
    return found


def replay(
    cassette: Cassette,
    app: WsgiApp,
    *,
    username: str | None = None,
    password: str | None = None,
) -> ReplayReport:
    """Send every recorded callback to ``app`` and compare its replies with the recorded ones.

    :param cassette: a cassette file, or a list of :class:`~callcontrol.recording.Exchange`.
    :param username: with ``password``, the answer to the app's 401 challenges.
    """
    if (username is None) != (password is None):
        raise ValueError("username and password go together; give both or neither")
    if not callable(app):
        raise TypeError(f"app must be a WSGI callable, not {type(app).__name__}")
    exchanges = load_exchanges(cassette)
    credentials = (username, password) if username is not None and password is not None else None
    differences = []
    for index, exchange in enumerate(exchanges, 1):
        challenge = credentials if exchange.status != 401 else None
        error = None
        try:
            status, body = send(app, exchange, challenge)
        except Exception as exc:  # a WSGI server answers a crash with 500; so does this
            status, body, error = 500, b"", f"{type(exc).__name__}: {exc}"
        if status >= 400 and status == exchange.status:
            changes = []  # Bandwidth reads nothing of a refusal but its status
        else:
            changes = compare_replies(exchange.reply, body.decode("utf-8", "replace"))
        if changes or status != exchange.status or error:
            differences.append(
                Difference(
                    index,
                    exchange.path,
                    exchange.event_type,
                    exchange.call_id,
                    exchange.status,
                    status,
                    tuple(changes),
                    error,
                )
            )
    return ReplayReport(len(exchanges), differences)


def send(
    app: WsgiApp, exchange: Exchange, credentials: tuple[str, str] | None = None
) -> tuple[int, bytes]:
    """Call ``app`` with the recorded request; answer a challenge with ``credentials``.

    As Bandwidth (voice-api.md §9): only a 401 with ``WWW-Authenticate`` is a challenge.
    """
    status, challenged, body = _call(app, exchange, None)
    if status == 401 and challenged and credentials is not None:
        token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode("ascii")
        status, _, body = _call(app, exchange, f"Basic {token}")
    return status, body


def _call(app: WsgiApp, exchange: Exchange, authorization: str | None) -> tuple[int, bool, bytes]:
    """Status, whether the reply challenges for credentials, and the body."""
    if exchange.method == "GET":
        body, query = b"", urlencode(exchange.event)
    else:
        body, query = json.dumps(exchange.event).encode("utf-8"), exchange.query
    path, _, inline = exchange.path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": exchange.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query or inline,
        "SERVER_NAME": "replay.test",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json" if body else "",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_USER_AGENT": "BandwidthAPI/v2",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if authorization is not None:
        environ["HTTP_AUTHORIZATION"] = authorization
    seen: list[str] = []
    challenge: list[bool] = [False]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen[:] = [status]
        challenge[0] = any(name.lower() == "www-authenticate" for name, _ in headers)
        return lambda data: None

    result = app(environ, start_response)
    try:
        reply = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    code = seen[0].split(" ", 1)[0] if seen else "0"
    return (int(code) if code.isdigit() else 0), challenge[0], reply


def compare_replies(old: str, new: str) -> list[Change]:
    """What changed from one reply body to another, credentials masked on both sides.

    Two BXML documents are compared by :func:`bxml.diff`; a document against an empty body
    is the whole root added or removed; other bodies must be equal as text.
    """
    from bxml import BxmlError, diff, parse

    old, new = mask_credentials(old), mask_credentials(new)
    if old.strip() == new.strip():
        return []
    documents = []
    for text in (old, new):
        try:
            documents.append(parse(text, strict=False) if text.strip() else None)
        except BxmlError:
            documents.append(None)
    before, after = documents
    if before is not None and after is not None:
        return diff(before, after)
    if before is None and after is not None and not old.strip():
        return [Change("/" + after.element_name, "added", new=new.strip())]
    if after is None and before is not None and not new.strip():
        return [Change("/" + before.element_name, "removed", old=old.strip())]
    return [Change("/", "text", old.strip() or None, new.strip() or None)]


# -- a real call as a unit test -------------------------------------------------------------


@dataclass(frozen=True)
class RecordedCall:
    """One call of a cassette, rebuilt as a simulator script.

    ``path`` is the route the call took through the IVR: ``(eventType, path)`` of each
    synchronous callback of the call, in order.
    """

    call_id: str
    direction: str
    entry: str
    from_: str
    to: str
    script: tuple[Step, ...]
    destinations: dict[str, Destination]
    disconnect_url: str | None
    path: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PathChange:
    """A call whose route through the IVR changed when it was run against the new app."""

    call_id: str
    recorded: tuple[tuple[str, str], ...]
    replayed: tuple[tuple[str, str], ...]
    call: SimulatedCall

    def __str__(self) -> str:
        def shown(path: tuple[tuple[str, str], ...]) -> str:
            return " -> ".join(f"{event} {url}" for event, url in path) or "(nothing)"

        return (
            f"call {self.call_id}:\n  recorded: {shown(self.recorded)}\n"
            f"  replayed: {shown(self.replayed)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The change as a JSON object."""
        return {
            "call_id": self.call_id,
            "recorded": [list(step) for step in self.recorded],
            "replayed": [list(step) for step in self.replayed],
        }


def rebuild_calls(cassette: Cassette) -> list[RecordedCall]:
    """Every call of a cassette with its caller script, in the order the calls began.

    The script is read from the callbacks: a ``gather`` with digits is ``press`` (with the
    terminating digit), without is ``silence``; a ``recordComplete`` is ``leave_message``
    of its duration; each ``transferComplete`` makes its number ``busy``, ``no_answer``,
    ``rejects`` or ``answers`` (hanging up when its ``transferDisconnect`` came); a caller
    who hung up while an input was pending is ``hang_up()`` there, else at the recorded
    time since the call started. Calls whose first callback is not in the cassette (rotated
    away) are left out. Not rebuilt (yet): answering-machine detection results, conference
    members, and what a transferred party does once it answered.
    """
    calls: dict[str, list[Exchange]] = {}
    for exchange in load_exchanges(cassette):
        if exchange.status == 401:  # Bandwidth's first try before the credentials
            continue
        owner = str(exchange.event.get("parentCallId") or exchange.call_id)
        calls.setdefault(owner, []).append(exchange)
    return [
        _rebuild(call_id, exchanges)
        for call_id, exchanges in calls.items()
        if call_id and _begins(call_id, exchanges)
    ]


def _begins(call_id: str, exchanges: list[Exchange]) -> bool:
    """Whether the cassette holds the call from its start (its first callback, initiate or
    answer); a call whose start was rotated away cannot be run again."""
    mine = [e for e in exchanges if e.call_id == call_id]
    return bool(mine) and mine[0].event_type in ("initiate", "answer")


def _rebuild(call_id: str, exchanges: list[Exchange]) -> RecordedCall:
    from .steps import answers, busy, hang_up, leave_message, no_answer, press, rejects, silence

    mine = [e for e in exchanges if e.call_id == call_id]
    first = mine[0] if mine else exchanges[0]
    direction = "outbound" if first.event_type == "answer" else "inbound"
    script: list[Step] = []
    destinations: dict[str, Destination] = {}
    answered: dict[str, tuple[float, float | None]] = {}  # B-leg id -> (answer, disconnect)
    pending_input = False
    disconnect: Exchange | None = None
    for exchange in exchanges:
        event, kind = exchange.event, exchange.event_type
        if exchange.call_id != call_id:  # a B-leg of this call's Transfer
            moment = _seconds(event.get("eventTime"))
            start, _ = answered.get(exchange.call_id, (moment, None))
            if kind == "transferAnswer":
                answered[exchange.call_id] = (moment, None)
            elif kind == "transferDisconnect":
                answered[exchange.call_id] = (start, moment)
            continue
        if kind == "gather":
            digits = str(event.get("digits") or "") + str(event.get("terminatingDigit") or "")
            script.append(press(digits) if digits else silence())
        elif kind == "recordComplete":
            seconds = _duration(event.get("duration"))
            script.append(leave_message(seconds if seconds > 0 else 0.1))
        elif kind == "transferComplete":
            number = str(event.get("transferTo") or "")
            destinations[number] = _destination(
                str(event.get("cause") or ""), answered, answers, busy, no_answer, rejects
            )
        elif kind == "disconnect":
            disconnect = exchange
            continue
        if exchange.reply.strip():
            pending_input = _waits_for_input(exchange.reply)
    if disconnect is not None and disconnect.event.get("cause") == "hangup" and pending_input:
        script.append(hang_up())
    elif disconnect is not None and disconnect.event.get("cause") == "hangup":
        ended = _seconds(disconnect.event.get("endTime") or disconnect.event.get("eventTime"))
        started = _seconds(first.event.get("startTime") or first.event.get("eventTime"))
        if ended > started and not _app_hung_up(exchanges):
            script.append(hang_up(after=round(ended - started, 3)))
    path = tuple((e.event_type, e.path) for e in mine if _synchronous(e) and e.reply.strip())
    return RecordedCall(
        call_id,
        direction,
        first.path,
        str(first.event.get("from") or "+15551230000"),
        str(first.event.get("to") or "+15553334444"),
        tuple(script),
        destinations,
        disconnect.path if disconnect is not None else None,
        path,
    )


def _destination(
    cause: str,
    answered: dict[str, tuple[float, float | None]],
    answers: Callable[..., Destination],
    busy: Callable[[], Destination],
    no_answer: Callable[[], Destination],
    rejects: Callable[[], Destination],
) -> Destination:
    """How a transfer destination behaved, from ``transferComplete``'s cause (voice-api §9.4)."""
    if cause == "busy":
        return busy()
    if cause == "timeout":
        return no_answer()
    if cause == "rejected":
        return rejects()
    for start, end in answered.values():
        if end is not None and end > start:
            return answers(hangs_up_after=round(end - start, 3))
    return answers()


def _waits_for_input(reply: str) -> bool:
    """Whether a reply asks the caller for input whose callback would come next."""
    from bxml import BxmlError, Gather, Record, parse

    try:
        document = parse(reply, strict=False)
    except BxmlError:
        return False
    for verb in document.children:
        if isinstance(verb, Gather) and verb.gather_url:
            return True
        if isinstance(verb, Record) and verb.record_complete_url:
            return True
    return False


def _app_hung_up(exchanges: list[Exchange]) -> bool:
    """Whether the call's last document ends the call itself: a Hangup at its end, or only
    verbs that run out (bxml-spec.md §1: an implicit Hangup ends a document)."""
    import bxml

    replies = [e.reply for e in exchanges if e.reply.strip() and e.event_type != "disconnect"]
    if not replies:
        return False
    try:
        verbs = bxml.parse(replies[-1], strict=False).children
    except bxml.BxmlError:
        return False
    going_on = (
        bxml.Bridge,
        bxml.Conference,
        bxml.Forward,
        bxml.Gather,
        bxml.Pause,
        bxml.Record,
        bxml.Redirect,
        bxml.Ring,
        bxml.Transfer,
    )
    if verbs and isinstance(verbs[-1], bxml.Hangup):
        return True
    return not any(isinstance(verb, going_on) for verb in verbs)


def _synchronous(exchange: Exchange) -> bool:
    from ..events import parse_event

    try:
        return parse_event(exchange.event).is_synchronous
    except (ValueError, TypeError):
        return False


def _seconds(text: object) -> float:
    from .._time import parse_datetime

    moment = parse_datetime(text) if isinstance(text, str) else None
    return moment.timestamp() if moment is not None else 0.0


def _duration(text: object) -> float:
    from .._time import parse_duration

    value = parse_duration(text) if isinstance(text, str) else None
    return value.total_seconds() if value is not None else 0.0


def replay_calls(
    cassette: Cassette,
    app: WsgiApp,
    *,
    username: str | None = None,
    password: str | None = None,
    base_url: str = "https://app.test",
) -> list[SimulatedCall]:
    """Run every call of the cassette again in the simulator against ``app``.

    Each call's caller script is rebuilt from its callbacks (see :func:`rebuild_calls`);
    a call that leaves steps unused (the new app asked for less input) is returned as far
    as it went. A crash of the app is answered as Bandwidth would (a 500), not raised.
    """
    return [call for _, call in _run_calls(cassette, app, username, password, base_url)]


def changed_paths(
    cassette: Cassette,
    app: WsgiApp,
    *,
    username: str | None = None,
    password: str | None = None,
    base_url: str = "https://app.test",
) -> list[PathChange]:
    """The calls whose route through the IVR differs when replayed against ``app``."""
    found = []
    for recorded, call in _run_calls(cassette, app, username, password, base_url):
        replayed = tuple(
            (cb.event_type, path_of(cb.url))
            for cb in call.callbacks
            if cb.synchronous and cb.payload.get("callId") == call.call_id and cb.reply.strip()
        )
        if replayed != recorded.path:
            found.append(PathChange(recorded.call_id, recorded.path, replayed, call))
    return found


def _run_calls(
    cassette: Cassette,
    app: WsgiApp,
    username: str | None,
    password: str | None,
    base_url: str,
) -> list[tuple[RecordedCall, SimulatedCall]]:
    from .simulator import CallSimulator

    sim = CallSimulator(
        app, base_url=base_url, username=username, password=password, raise_app_errors=False
    )
    found = []
    for recorded in rebuild_calls(cassette):
        start = sim.outbound if recorded.direction == "outbound" else sim.inbound
        try:
            call = start(
                recorded.entry,
                from_=recorded.from_,
                to=recorded.to,
                script=recorded.script,
                destinations=recorded.destinations,
                disconnect_url=recorded.disconnect_url,
            )
        except UnusedStepsError as exc:
            call = exc.call
        found.append((recorded, call))
    return found
