"""explore: walk every branch of a webhook app with the call engine, breadth first.

Each simulated call replays a script prefix, then stays silent: the silent continuation is
walked in the same call, and at every input opportunity not seen before (a document, the
Gather or Record in it) the other caller actions are queued as new calls. Transfer and
Forward numbers are tried as answered, busy and not answering. States are de-duplicated by
the document served (URL path, event type, a digest of the reply) and the place in it.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import bxml
from bxml import BxmlError, Element
from bxml.lint import element_end

from ..contract import DIAL_OUTCOMES
from ..engine import CallbackRequest, CallStateConflict, Engine, FetchResult, Leg
from ..engine.conference import EVENT_TYPES as CONFERENCE_EVENTS
from ..engine.dialing import CAUSES
from ..engine.observations import (
    BridgeEnded,
    BridgeMade,
    CallbackSent,
    ConferenceJoined,
    ConferenceLeft,
    ConferenceReplyRejected,
    Dialled,
    DocumentInstalled,
    InputTaken,
    Noted,
    Observation,
)
from ..engine.script import (
    Destination,
    LeaveMessage,
    Press,
    Silence,
    Step,
    check_destinations,
)
from ..hosting import HOSTED_PREFIX
from .fetch import AppError, WsgiApp
from .flowgraph import Edge, Finding, FindingKind, FlowGraph, Node, shorten
from .simulator import CallSimulator, LiveCall
from .steps import answers, busy, hang_up, leave_message, no_answer, press, silence

KEYS = "1234567890*#"
#: Callback URLs a one-call exploration never calls (no bridge target or Connect events):
#: a note, not an unreached-url finding.
NOT_SIMULATED = frozenset({"bridge_target_complete_url", "event_callback_url"})
MAX_DOCUMENTS_PER_CALL = 200
#: transferComplete causes as the caller lives them, in the dial-outcome words of
#: :data:`callcontrol.contract.DIAL_OUTCOMES` (hangup: they talked, then it ended).
TRANSFER_OUTCOMES = {"hangup": DIAL_OUTCOMES[0], **{c: o for o, c in CAUSES.items()}}
_SITE = re.compile(r"Gather\[(\d+)\]$")
_END_TITLES = {
    "hangup": "call ends",
    "caller": "caller hangs up",
    "app-error": "app error",
    "invalid-bxml": "invalid BXML",
    "callback-error": "callback failed",
    "error": "call stopped",
    "held": "held (conference)",
}

ERROR_KINDS = frozenset({"app-error", "invalid-bxml", "callback-error"})

State = tuple[str, str, int]


@dataclass(frozen=True)
class _Job:
    steps: tuple[Step, ...]
    dests: tuple[tuple[str, Destination], ...]
    #: End the first conference the call joins at once (as updateConference
    #: status=completed does): the call goes on after its <Conference> (bxml-spec §3.1).
    conference_ends: bool = False


def explore(
    app: WsgiApp | str,
    entry: str = "/answer",
    *,
    base_url: str = "https://app.test",
    username: str | None = None,
    password: str | None = None,
    max_depth: int = 12,
    max_calls: int = 2000,
    destinations: dict[str, Destination] | None = None,
    disconnect_url: str | None = None,
    from_: str = "+15551230000",
    to: str = "+15553334444",
) -> FlowGraph:
    """Walk every branch of ``app`` from an inbound call to ``entry``; return the FlowGraph.

    ``max_depth`` caps the caller's inputs per call and ``max_calls`` the simulated calls;
    what they cut is written into ``graph.notes``. Numbers in ``destinations`` keep the
    behaviour given; every other number dialled is tried as answered, busy and no answer.
    """
    if not isinstance(entry, str) or not entry:
        raise TypeError(f"entry must be a URL path like '/answer', not {entry!r}")
    for name, value in (("max_depth", max_depth), ("max_calls", max_calls)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of 1 or more, not {value!r}")
    fixed = check_destinations(destinations if destinations is not None else {})
    sim = CallSimulator(app, base_url=base_url, username=username, password=password)
    options = {"from_": from_, "to": to, "disconnect_url": disconnect_url}
    return _Walker(sim, app, entry, (max_depth, max_calls), fixed, options).walk()


def assert_no_dead_ends(
    app: WsgiApp | str, entry: str = "/answer", *, ignore: Iterable[str] = (), **options: Any
) -> FlowGraph:
    """Explore ``app`` and fail with every finding (and how to reach it) unless none.

    ``ignore`` names finding kinds to accept (e.g. ``("dead-verb",)``); ``options`` go to
    :func:`explore`. Returns the graph when it passes.
    """
    ignored = set(ignore)
    graph = explore(app, entry, **options)
    found = [f for f in graph.findings if f.kind not in ignored]
    if found:
        lines = [f"{len(found)} dead end(s) in the IVR from {entry}:"]
        lines += [str(finding) for finding in found]
        lines += [f"note: {note}" for note in graph.notes]
        raise AssertionError("\n".join(lines))
    return graph


def _actions(kind: str, verb: Element | None) -> list[Step]:
    """The caller actions to try at an input opportunity, silence aside."""
    if kind == "Record":
        return [leave_message(5), hang_up()]
    if kind != "Gather" or not isinstance(verb, bxml.Gather):
        return [press("1"), hang_up()]
    max_digits = verb.max_digits or 50
    terminating = verb.terminating_digits or ""
    entries = list(KEYS)
    if max_digits > 1:
        entries.append("1234567890"[: min(max_digits, 10)])
        if terminating:
            entries.append("1" + terminating[0])
    unique = [press(digits) for digits in dict.fromkeys(entries)]
    return [*unique, hang_up()]


def _label(step: Step) -> str:
    if isinstance(step, Press):
        return step.digits
    if isinstance(step, Silence):
        return "timeout"
    if isinstance(step, LeaveMessage):
        return "message"
    return "hang up"


def _trim(steps: Iterable[Step]) -> list[Step]:
    """The steps without trailing silences (no step left means silence)."""
    out = list(steps)
    while out and isinstance(out[-1], Silence):
        out.pop()
    return out


class _Walker:
    """The breadth-first walk over calls; owns the graph being built."""

    def __init__(
        self,
        sim: CallSimulator,
        app: WsgiApp | str,
        entry: str,
        limits: tuple[int, int],
        fixed: dict[str, Destination],
        call_options: dict[str, Any],
    ) -> None:
        self.sim = sim
        self.app = app
        self.entry = entry
        self.max_depth, self.max_calls = limits
        self.fixed = fixed
        self.call_options = call_options
        self.graph = FlowGraph(entry)
        self.queue: deque[_Job] = deque([_Job((), ())])
        self.expanded: set[State] = set()
        self.transfer_points: set[tuple[str, str]] = set()
        self.conference_points: set[str] = set()
        self.node_ids: dict[tuple[str, str, str], str] = {}
        self.documents: dict[str, tuple[str, Any]] = {}
        self.edges: set[tuple[str, str, str]] = set()
        self.finding_keys: dict[tuple[Any, ...], str | None] = {}
        self.called: set[str] = set()
        self.depth_cut = 0
        self.errors = 0
        self.first_paths: dict[str, tuple[list[Step], dict[str, Destination]]] = {}

    def walk(self) -> FlowGraph:
        while self.queue and self.graph.calls < self.max_calls:
            job = self.queue.popleft()
            self.graph.calls += 1
            _Call(self, job).run()
        if self.queue:
            self.graph.notes.append(
                f"max_calls={self.max_calls} reached: {len(self.queue)} branches not explored"
            )
        if self.depth_cut:
            self.graph.notes.append(
                f"max_depth={self.max_depth} reached: {self.depth_cut} calls cut after "
                f"{self.max_depth} caller inputs"
            )
        self._unreached()
        self.graph.states = len(self.expanded)
        return self.graph

    # -- building the graph ---------------------------------------------------------------

    def node(self, url: str, event: str, body: bytes, path: list[Step], dests: Any) -> str:
        digest = hashlib.sha1(_HOSTED_PATH.sub(_HOSTED, body)).hexdigest()[:10]
        key = (_state_path(url), event, digest)
        found = self.node_ids.get(key)
        if found is not None:
            return found
        node_id = f"n{len(self.node_ids) + 1}"
        self.node_ids[key] = node_id
        try:
            doc: Any = bxml.parse(body) if body.strip() else bxml.Response()
        except BxmlError:
            doc = None
        heard = " / ".join(_heard(doc)) if doc is not None else ""
        self.graph.nodes[node_id] = Node(node_id, f"{key[0]} ({event})", heard, "document", *key)
        self.documents[node_id] = (url, doc)
        if doc is not None:
            self._dead_verbs(node_id, key[0], doc, path, dests)
        return node_id

    def end(self, what: str) -> str:
        node_id = f"end_{what.replace('-', '_')}"
        if node_id not in self.graph.nodes:
            self.graph.nodes[node_id] = Node(node_id, _END_TITLES.get(what, what), kind="end")
        return node_id

    def edge(self, source: str | None, target: str, label: str) -> None:
        if source is None or (source, target, label) in self.edges:
            return
        self.edges.add((source, target, label))
        self.graph.edges.append(Edge(source, target, label))

    def find(
        self,
        kind: FindingKind,
        message: str,
        key: tuple[Any, ...],
        path: Iterable[Step],
        dests: dict[str, Destination],
        node: str | None,
    ) -> str | None:
        """Record a finding once per ``(kind, *key)``; return the node it is drawn on.

        Errors get an end node of their own, so the picture shows each one.
        """
        full_key = (kind, *key)
        if full_key in self.finding_keys:
            return self.finding_keys[full_key]
        if kind in ERROR_KINDS:
            self.errors += 1
            node = f"e{self.errors}"
            short = shorten(message.replace(self.sim.base_url, ""), 60)
            self.graph.nodes[node] = Node(node, _END_TITLES[kind], short, "end")
        self.finding_keys[full_key] = node
        self.graph.findings.append(Finding(kind, message, _trim(path), dict(dests), node))
        return node

    def verb_at(self, node_id: str, where: str) -> tuple[str, Element | None]:
        """The kind of input opportunity ``where`` and its Gather, when it is one."""
        match = _SITE.search(where)
        if match is None:
            return ("Record" if where == "Record" else "StartGather"), None
        doc = self.documents.get(node_id, ("", None))[1]
        gathers = [v for v in (doc.children if doc is not None else []) if v.TAG == "Gather"]
        # the engine counts the Gather itself: Gather[1] is the first one
        index = int(match.group(1)) - 1
        return "Gather", gathers[index] if 0 <= index < len(gathers) else None

    def _dead_verbs(self, node_id: str, path: str, doc: Any, steps: list[Step], dests: Any) -> None:
        verbs = list(doc.children)
        for index, verb in enumerate(verbs[:-1]):
            end = element_end(verb)
            if end is None:
                continue
            dead = ", ".join(f"<{v.TAG}>" for v in verbs[index + 1 :])
            self.find(
                "dead-verb",
                f"{path}: {dead} after <{verb.TAG}> never run: it {end[1]} (bxml-spec §3.1)",
                (node_id,),
                steps,
                dests,
                node_id,
            )
            return

    def _unreached(self) -> None:
        for node_id, (url, doc) in self.documents.items():
            if doc is None:
                continue
            node = self.graph.nodes[node_id]
            for element in doc.iter():
                for name, value in element.attributes.items():
                    if not name.endswith("_url") or "fallback" in name or not value:
                        continue
                    target = urljoin(url, str(value))
                    if target in self.called:
                        continue
                    if name in NOT_SIMULATED:
                        note = f"{target} ({element.TAG}.{name}) is not called by the simulation"
                        if note not in self.graph.notes:
                            self.graph.notes.append(note)
                        continue
                    self.find(
                        "unreached-url",
                        f"{target} ({element.TAG}.{name} in {node.url}) was never fetched",
                        (target,),
                        self.first_paths.get(node_id, ([], {}))[0],
                        self.first_paths.get(node_id, ([], {}))[1],
                        node_id,
                    )


# A path from WebhookApp.host() is new on every call (a random key or a signed token), and a
# document that redirects to one changes with it: both stand for one state.
_HOSTED = HOSTED_PREFIX.encode() + "…".encode()
_HOSTED_PATH = re.compile(re.escape(HOSTED_PREFIX.encode()) + rb"[A-Za-z0-9_.\-]+")


def _state_path(url: str) -> str:
    """The path of ``url``, with the unguessable part of a hosted document's path cut."""
    path = urlsplit(url).path or "/"
    cut = path.find(HOSTED_PREFIX)
    return path if cut < 0 else path[: cut + len(HOSTED_PREFIX)] + "…"


def _raised_at(exc: BaseException | None) -> tuple[str, str]:
    """The exception's type and the line that raised it: one bug, whatever the input."""
    if exc is None:
        return ("", "")
    frames = traceback.extract_tb(exc.__traceback__)
    line = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else str(exc)
    return (type(exc).__name__, line)


def _called(observations: Iterable[Observation]) -> set[str]:
    """The URLs of every callback sent."""
    return {
        seen.request.target.url
        for seen in observations
        if isinstance(seen, CallbackSent) and seen.request is not None
    }


def _installed(observations: Iterable[Observation]) -> bool:
    """Whether a callback's reply became a leg's document."""
    return any(isinstance(seen, DocumentInstalled) and seen.event_type for seen in observations)


def _heard(doc: Any) -> list[str]:
    out = []
    for element in doc.iter():
        if isinstance(element, bxml.SpeakSentence):
            out.append(" ".join(element.text.split()))
        elif isinstance(element, bxml.PlayAudio):
            out.append(f"[audio {element.text.strip().rsplit('/', 1)[-1]}]")
    return out


class _Call:
    """One simulated call of the walk: replay ``job``, then follow the silent branch."""

    def __init__(self, walker: _Walker, job: _Job) -> None:
        self.walker = walker
        self.job = job
        self.dests = {**dict(job.dests)}
        pad = max(0, walker.max_depth - len(job.steps))
        self.script = [*job.steps, *[silence()] * pad]
        sim = CallSimulator(
            walker.app,
            base_url=walker.sim.base_url,
            username=walker.sim.credentials.username if walker.sim.credentials else None,
            password=walker.sim.credentials.password if walker.sim.credentials else None,
        )
        self.live: LiveCall = sim.start_inbound(
            walker.entry,
            script=self.script,
            destinations={**walker.fixed, **self.dests},
            **walker.call_options,
        )
        self.sim = sim
        self.engine: Engine = self.live.engine
        self.leg: Leg = self.live.leg
        self.seen = 0
        self.taken = 0
        self.node: str | None = None
        self.pending: tuple[str | None, str] = (None, "")
        self.since_input: list[str] = []
        self.chain: dict[State, int] = {}
        self.occurrences: dict[tuple[str, str], int] = {}
        self.stopped: str | None = None
        self.error_end: str | None = None
        self.last_silence: State | None = None
        self.input_mark: tuple[int, int, Step] | None = None
        self.documents = 0
        #: The conference this call is in (typed observations), and whether it was bridged.
        self.conference: str | None = None
        self.conference_id = ""
        self.bridged = False
        #: The numbers dialled so far with their outcomes (read from the observations,
        #: up to ``dials_seen``).
        self.dials: list[tuple[str, str]] = []
        self.dials_seen = 0

    @property
    def path(self) -> list[Step]:
        return self.script[: self.taken]

    def finding_dests(self) -> dict[str, Destination]:
        tried: dict[str, Destination] = {}
        for number, _ in self.dialled_so_far():
            if number in self.walker.fixed:
                continue
            tried[number] = self.dests.get(number, no_answer())
        return tried

    def find(
        self, kind: FindingKind, message: str, key: tuple[Any, ...], node: str | None = None
    ) -> str | None:
        return self.walker.find(kind, message, key, self.path, self.finding_dests(), node)

    # -- driving ----------------------------------------------------------------------------

    def run(self) -> None:
        engine = self.engine
        if self.job.conference_ends:
            engine.pause_at("Conference", self.leg.id)
        while self.stopped is None:
            engine.run()
            self.observe()
            if engine.paused:
                self.end_conference()
                continue
            if self.stopped is not None or not engine.outbox:
                break
            for request in engine.take():
                if self.stopped is not None:
                    break
                self.send(request)
        self.walker.called.update(_called(engine.observations))
        self.finish()

    def send(self, request: CallbackRequest) -> None:
        if request.synchronous:
            self.before_fetch(request)
        mark = len(self.engine.observations)
        try:
            exchange = self.sim.router.send(request)
        except AppError as exc:
            self.app_error(request, exc)
            return
        result = exchange.result
        self.check_result(request, result)
        if not request.synchronous:
            self.engine.delivered(request, result)
            return
        self.engine.fetch_done(request, result)
        if request.event_type in CONFERENCE_EVENTS:
            self.conference_reply(request, result)
        elif _installed(self.engine.observations_since(mark)):
            self.installed(request, result.body)
        self.observe()

    def conference_reply(self, request: CallbackRequest, result: FetchResult) -> None:
        """A reply to a conference event: a document played into the conference."""
        if not result.body.strip() or result.status is None or not 200 <= result.status < 300:
            return
        fresh = self.engine.observations_since(self.seen)
        if any(isinstance(seen, ConferenceReplyRejected) for seen in fresh):
            return  # rejected whole: a finding, not a document (bxml-spec §6)
        walker = self.walker
        dests = self.finding_dests()
        node = walker.node(request.target.url, request.event_type, result.body, self.path, dests)
        walker.first_paths.setdefault(node, (_trim(self.path), dests))
        walker.edge(self.node, node, request.event_type)

    def before_fetch(self, request: CallbackRequest) -> None:
        payload = request.payload
        handled = request.event_type == "recordComplete" or (
            request.event_type == "gather"
            and bool(payload.get("digits") or payload.get("terminatingDigit"))
        )
        step = self.script[self.taken - 1] if self.taken else None
        if handled and step is not None and not isinstance(step, Silence):
            self.input_mark = (len(self.leg.heard), len(self.answered()), step)

    def dialled_so_far(self) -> list[tuple[str, str]]:
        """Every number dialled by Transfer, Forward or Refer so far, with its outcome."""
        fresh = self.engine.observations_since(self.dials_seen)
        self.dials_seen += len(fresh)
        self.dials += [
            (seen.number, seen.outcome)
            for seen in fresh
            if isinstance(seen, Dialled) and seen.how != "createCall" and seen.outcome != "not-sent"
        ]
        return self.dials

    def answered(self) -> list[tuple[str, str]]:
        return [o for o in self.dialled_so_far() if o[1] == "answered"]

    def check_result(self, request: CallbackRequest, result: FetchResult) -> None:
        status = result.status
        if result.error is None and status is not None and 200 <= status < 300:
            return
        where = f"{request.target.method} {urlsplit(request.target.url).path or '/'}"
        what = f"{where} ({request.event_type})"
        if status is not None and status >= 500:
            message = f"{what} answered HTTP {status}"
            node = self.find("app-error", message, (where, request.event_type, status))
        else:
            problem = result.error or f"HTTP {status}"
            message = f"{request.event_type} callback to {request.target.url} failed: {problem}"
            node = self.find("callback-error", message, (where, request.event_type, problem))
        self.failed(request, node)

    def failed(self, request: CallbackRequest, node: str | None) -> None:
        if node is None:
            return
        if request.synchronous:
            self.error_end = node
        else:
            self.walker.edge(self.node, node, request.event_type)

    def app_error(self, request: CallbackRequest, exc: AppError) -> None:
        where = urlsplit(request.target.url).path or "/"
        # An invalid reply is one finding per message; an exception one per raising line;
        # a 5xx one per path, event and status.
        kind: FindingKind = "invalid-bxml" if exc.kind == "invalid-bxml" else "app-error"
        message = str(exc)
        if exc.status is not None:
            message = (
                f"{request.target.method} {where} ({request.event_type}) answered HTTP {exc.status}"
            )
            cause: tuple[Any, ...] = (exc.status,)
        elif kind == "invalid-bxml":
            cause = (message,)
        else:
            cause = _raised_at(exc.__cause__)
        node = self.find(kind, message, (where, request.event_type, *cause))
        self.failed(request, node)
        if request.event_type in CONFERENCE_EVENTS:
            return  # the conference goes on without this event's reply
        if request.synchronous and node is not None:
            self.walker.edge(self.pending[0] or self.node, node, self.pending[1])
            self.stopped = kind

    # -- what happened ------------------------------------------------------------------------

    def installed(self, request: CallbackRequest, body: bytes) -> None:
        walker = self.walker
        leg = self.engine.leg(request.leg_id)
        dests = self.finding_dests()
        node = walker.node(request.target.url, request.event_type, body, _trim(self.path), dests)
        walker.first_paths.setdefault(node, (_trim(self.path), dests))
        if leg is not self.leg:
            walker.edge(self.node, node, "answered")
            return
        source, label = self.pending
        if request.event_type == "transferComplete":
            cause = str(request.payload.get("cause", ""))
            label = f"transfer {TRANSFER_OUTCOMES.get(cause, cause)}".strip()
        elif request.event_type == "bridgeComplete":
            label = "bridge ended" if self.bridged else "bridge failed"
        elif request.event_type == "bridgeTargetComplete":
            label = "bridge ended"
        walker.edge(source if source is not None else self.node, node, label or request.event_type)
        self.pending = (None, "")
        self.documents += 1
        self.occurrences = {}
        if node in self.since_input:
            cycle = " -> ".join(walker.graph.nodes[n].url for n in self.since_input)
            self.find(
                "endless-loop",
                f"{cycle} -> {walker.graph.nodes[node].url} repeats without waiting for input",
                (frozenset(self.since_input),),
                node,
            )
            self.stopped = "endless-loop"
        elif self.documents > MAX_DOCUMENTS_PER_CALL:
            walker.graph.notes.append(
                f"a call was cut after {MAX_DOCUMENTS_PER_CALL} documents (script {self.path!r})"
            )
            self.stopped = "limit"
        self.since_input.append(node)
        self.node = node

    def observe(self) -> None:
        seen = self.engine.observations_since(self.seen)
        self.seen += len(seen)
        for event in seen:
            if self.stopped is not None:
                break
            if isinstance(event, InputTaken) and event.call_id == self.leg.id:
                self.opportunity(event.site)
            elif (
                isinstance(event, Dialled)
                and event.how != "createCall"
                and event.outcome != "not-sent"
            ):
                self.dialled(event.number)
            elif event.call_id == self.leg.id:
                self.conference_or_bridge(event)

    def conference_or_bridge(self, event: object) -> None:
        """Follow this call into and out of conferences and bridges, and find replies the
        conference rejected (bxml-spec §6)."""
        if isinstance(event, ConferenceJoined):
            self.conference = event.name
            self.conference_id = event.conference_id
            self.conference_branch()
        elif isinstance(event, ConferenceLeft) and event.how != "hangup":
            self.conference = None  # the call goes on (when it ended, it ended held)
        elif isinstance(event, BridgeMade):
            self.bridged = True
        elif isinstance(event, BridgeEnded):
            self.pending = (self.node, "bridge ended")
        elif isinstance(event, ConferenceReplyRejected):
            self.find(
                "invalid-bxml",
                f"conference {event.name}: {event.event_type} {event.reason}",
                (event.event_type, event.reason),
                self.node,
            )

    def opportunity(self, where: str) -> None:
        walker = self.walker
        index = self.taken
        step = self.script[index]
        self.taken += 1
        node = self.node or "?"
        count = self.occurrences.get((node, where), 0)
        self.occurrences[(node, where)] = count + 1
        state: State = (node, where, count)
        self.since_input = []
        self.pending = (node, _label(step))
        self.last_silence = state if isinstance(step, Silence) else None
        if index < len(self.job.steps):
            return
        if state in self.chain:
            self.no_timeout_branch(state)
            return
        if state in walker.expanded:
            self.stopped = "known"
            return
        if self.taken >= walker.max_depth:
            walker.depth_cut += 1
            self.stopped = "depth"
            return
        walker.expanded.add(state)
        self.chain[state] = index
        kind, verb = walker.verb_at(node, where)
        prefix = tuple(self.script[:index])
        for action in _actions(kind, verb):
            walker.queue.append(_Job((*prefix, action), self.job.dests, self.job.conference_ends))

    def conference_branch(self) -> None:
        """Also walk the call as it goes on when the conference it joined is ended."""
        walker = self.walker
        point = self.node or "?"
        if self.job.conference_ends or point in walker.conference_points:
            return
        walker.conference_points.add(point)
        prefix = tuple(self.script[: self.taken])
        walker.queue.append(_Job(prefix, self.job.dests, True))

    def end_conference(self) -> None:
        """The job's branch where the conference ends: the call goes on after its
        <Conference> (bxml-spec §3.1); later conferences hold the call."""
        self.engine.resume()
        if self.conference is None:
            return
        self.engine.end_conference(self.conference_id)
        self.pending = (self.node, "conference ends")

    def no_timeout_branch(self, state: State) -> None:
        walker = self.walker
        node = walker.graph.nodes.get(state[0])
        where = state[1].rsplit(" ", 1)[-1]
        self.find(
            "no-timeout-branch",
            f"{node.url if node else state[0]}: silence at {where} leads back to the same "
            "prompt forever",
            (state,),
            state[0],
        )
        self.stopped = "no-timeout-branch"

    def dialled(self, number: str) -> None:
        walker = self.walker
        if number in walker.fixed or number in self.dests:
            return
        point = (self.node or "?", number)
        if point in walker.transfer_points:
            return
        walker.transfer_points.add(point)
        prefix = tuple(self.script[: self.taken])
        for outcome in (answers(), busy()):
            dests = (*self.job.dests, (number, outcome))
            walker.queue.append(_Job(prefix, dests, self.job.conference_ends))

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> None:
        if self.stopped is not None:
            if self.leg.up:
                self.hang_up()
            if self.stopped in ERROR_KINDS:
                self.timeout_error(self.stopped)
            return
        cause = self.leg.cause or "hangup"
        if self.ended_by_error(cause):
            self.timeout_error(cause)

    def ended_by_error(self, cause: str) -> bool:
        """Draw how the call ended; report an error ending; True when it was one."""
        leg, walker = self.leg, self.walker
        source, label = self.pending
        source = source if source is not None else self.node
        if cause in ("invalid-bxml", "application-error"):
            message = leg.error_message or cause
            node = self.find("invalid-bxml", message, (message,))
            walker.edge(source, node or walker.end("error"), label)
        elif cause == "callback-error":
            walker.edge(source, self.error_end or walker.end("error"), label)
        elif cause == "error" and (
            self.conference is not None or "connect-holds" in self.leg.assumptions
        ):
            walker.edge(source, walker.end("held"), label)
            return False
        elif cause == "error":
            message = leg.error_message or "the call was stopped"
            self.find("endless-loop", message, (self.node, "engine"), self.node)
            walker.edge(source, walker.end("error"), label)
        elif self.caller_hung_up():
            walker.edge(source, walker.end("caller"), label)
            return False
        else:
            walker.edge(source, walker.end("hangup"), label)
            self.check_silence()
            return False
        return True

    def timeout_error(self, cause: str) -> None:
        """A Gather's timeout that led straight to an error has no timeout branch."""
        state = self.last_silence
        if state is None or state[1] == "Record":
            return
        nodes = self.walker.graph.nodes
        where = nodes[state[0]].url if state[0] in nodes else "?"
        verb = state[1].rsplit(" ", 1)[-1]
        message = f"{where}: the timeout of {verb} leads to an error ({cause})"
        self.find("no-timeout-branch", message, (state,), state[0])

    def caller_hung_up(self) -> bool:
        return any(
            isinstance(event, Noted) and event.kind == "hangs-up" and event.call_id == self.leg.id
            for event in self.engine.observations
        )

    def check_silence(self) -> None:
        mark = self.input_mark
        if mark is None or len(self.leg.heard) > mark[0] or len(self.answered()) > mark[1]:
            return
        last = self.node or "?"
        node = self.walker.graph.nodes.get(last)
        where = f"{node.url} ({node.event})" if node else last
        self.find(
            "silence",
            f"after {mark[2]!r}, {where} ends the call without a word to the caller",
            (last,),
            last,
        )

    def hang_up(self) -> None:
        engine = self.engine
        try:
            engine.hang_up(self.leg)
        except CallStateConflict:
            return
        for _ in range(MAX_DOCUMENTS_PER_CALL):
            engine.run()
            if not engine.outbox:
                break
            for request in engine.take():
                if not request.synchronous:
                    try:
                        exchange = self.sim.router.send(request)
                    except AppError as exc:
                        self.app_error(request, exc)
                        continue
                    self.check_result(request, exchange.result)
                    engine.delivered(request, exchange.result)
        self.walker.called.update(_called(engine.observations))
