"""The simulated Voice API: a :class:`~callcontrol.CallsClient` answered in process, in
virtual time, by the calls of a :class:`~callcontrol.testing.CallSimulator`.

The REST semantics (auth, validation, error bodies, faults, ``Link`` paging) are the
emulator's own :class:`~callcontrol.emulator.api.CallsApi`; this module gives it the
simulator's calls as its :class:`~callcontrol.emulator.backend.CallsBackend`, and reaches
it through a :mod:`requests` transport adapter that calls it directly: no socket, no
thread, no wall clock. A request an app makes from inside a callback handler happens at
that virtual instant; a call it creates starts right after the handler returns, unless the
account's limits queue it (voice-api §8.3, :mod:`~callcontrol.testing.call_queue`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from ..client import CallsClient
from ..contract import call_url
from ..emulator.api import Account, CallsApi
from ..emulator.backend import CallRefused
from ..emulator.store import RETENTION_MS, call_state_fields
from ..engine import CallStateConflict, Credentials, Leg
from ..engine.payloads import timestamp
from .call_queue import CallQueue, QueuedCall

if TYPE_CHECKING:
    from bxml import Bxml

    from ..emulator.faults import Faults
    from ..engine import Engine


class Placed(Protocol):
    """A call the simulation placed."""

    @property
    def call_id(self) -> str:
        """Its id."""


class Simulation(Protocol):
    """What the simulated Voice API needs of the simulator whose calls it answers for
    (a :class:`~callcontrol.testing.CallSimulator`)."""

    engine: Engine
    account_id: str
    calls_per_second: float
    max_concurrent: int
    queue_capacity: int

    @property
    def api_faults(self) -> Faults:
        """The scripted faults of the Voice API's operations."""

    def _place(self, fields: dict[str, Any], call_id: str, *, cancelled: bool = False) -> Placed:
        """Start the call ``call_id`` that a createCall's validated ``fields`` describe
        (``cancelled``: only to cancel it, so its callee's script does not apply)."""

    def _settle(self) -> None:
        """Run what a request made due at this instant."""


class SimulatedApi:
    """The Voice API of one simulator: its :class:`CallsApi`, backend, user and faults."""

    def __init__(self, sim: Simulation, username: str, password: str) -> None:
        self.sim = sim
        self.username = username
        self.password = password
        self.base_url = sim.engine.api_base
        self.calls = SimulatedCalls(sim)
        self.api = CallsApi(
            users={username: Account(password, sim.account_id)},
            calls=self.calls,
            faults=sim.api_faults,
            base_url=self.base_url,
        )

    def client(self) -> CallsClient:
        """A :class:`CallsClient` whose every request this API answers, in process."""
        session = requests.Session()
        session.adapters.clear()  # nothing this session sends may leave the process
        adapter = InProcessAdapter(self.api)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return CallsClient(
            self.sim.account_id,
            username=self.username,
            password=self.password,
            base_url=self.base_url,
            session=session,
            retry=None,  # a retry would wait on the wall clock; virtual time stands still
        )


class SimulatedCalls:
    """The simulator's calls as the REST API sees them (implements ``CallsBackend``)."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self._requests: dict[str, dict[str, Any]] = {}
        self._views: dict[str, LegView] = {}
        self._order: list[str] = []
        # How many of the engine's call ids have a view.
        self._synced = 0
        #: When each createCall was accepted (virtual ms): its enqueuedTime.
        self.enqueued: dict[str, int] = {}
        #: Calls removed from the queue by updateCall before they were placed.
        self.cancelled: set[str] = set()
        self.queue = CallQueue(
            sim.engine,
            self._start,
            calls_per_second=sim.calls_per_second,
            max_concurrent=sim.max_concurrent,
            capacity=sim.queue_capacity,
        )

    @property
    def queue_capacity(self) -> int:
        """``maxCallQueueSize`` of getStatistics: five minutes of calls at the rate."""
        return self.queue.capacity

    def create_call(self, account_id: str, fields: dict[str, Any]) -> LegView:
        """Queue the call (voice-api §8.3 limits apply); it is placed at its slot (a lone
        call right after the request returns) and follows ``sim.destination`` /
        ``sim.callee`` for its number.

        :raises CallRefused: the concurrent-call limit is reached or the queue is full.
        """
        self._sync()
        engine = self.sim.engine
        call_id = engine.new_call_id()
        self._requests[call_id] = fields
        self.enqueued[call_id] = engine.now
        stand_in = Leg(
            id=call_id,
            label="A",
            direction="outbound",
            from_=fields["from"],
            to=fields["to"],
            start_ms=engine.now,
            account_id=account_id,
            application_id=fields["applicationId"],
            call_url=call_url(engine.api_base, account_id, call_id),
        )
        view = self._views[call_id] = LegView(self, stand_in, len(self._order) + 1)
        self._order.append(call_id)
        refused = self.queue.add(call_id, fields)
        if refused is not None:
            del self._views[call_id], self._requests[call_id], self.enqueued[call_id]
            self._order.pop()
            raise CallRefused(refused)
        return view

    def _start(self, queued: QueuedCall) -> Leg:
        """Place a call that leaves the queue: it starts ringing in the engine now."""
        self.sim._place(queued.fields, queued.call_id, cancelled=queued.cancelled)
        view = self._views[queued.call_id]
        view._leg = self.sim.engine.leg(queued.call_id)
        return view._leg

    def find(self, call_id: str) -> LegView | None:
        """Any leg of the simulation by its call id (Transfer B-legs too), or None."""
        self._sync()
        return self._views.get(call_id)

    def update(self, call_id: str, fields: dict[str, Any]) -> None:
        """updateCall (voice-api §6): hang up, or redirect to a new document."""
        engine = self.sim.engine
        if self.queue.queued(call_id) is not None:
            if fields["state"] != "completed":
                raise CallStateConflict(f"Call [{call_id}] cannot be modified while queued")
            # Removed from the queue: the call starts only to be cancelled, as in the
            # emulator (voice-api §6: completed cancels an unanswered outbound call).
            self.cancelled.add(call_id)
            self._start(self.queue.cancel(call_id))
        leg = self._leg(call_id)
        if fields["state"] == "completed":
            engine.hang_up(leg)
        else:
            engine.update_call(
                leg,
                redirect_url=fields["redirectUrl"],
                method=fields.get("redirectMethod", "POST"),
                credentials=_creds(fields, "username", "password"),
                fallback_url=fields.get("redirectFallbackUrl"),
                fallback_method=fields.get("redirectFallbackMethod") or "POST",
                fallback_credentials=_creds(fields, "fallbackUsername", "fallbackPassword"),
                tag=fields.get("tag"),
            )
        self.sim._settle()

    def update_bxml(self, call_id: str, document: Bxml) -> None:
        """updateCallBxml (voice-api §7): run ``document`` now."""
        if self.queue.queued(call_id) is not None:
            raise CallStateConflict(f"Call [{call_id}] cannot be modified while queued")
        self.sim.engine.update_call_bxml(self._leg(call_id), document)
        self.sim._settle()

    def calls_of(self, account_id: str, after_seq: int) -> Iterator[LegView]:
        """The account's legs created after ``after_seq``, oldest first."""
        self._sync()
        if account_id != self.sim.account_id:
            return iter(())
        return (self._views[call_id] for call_id in self._order[after_seq:])

    def queue_size(self) -> int:
        """Calls waiting to be placed."""
        return len(self.queue)

    def now_ms(self) -> int:
        """The simulation's virtual time."""
        return self.sim.engine.now

    def _leg(self, call_id: str) -> Leg:
        return self.sim.engine.leg(call_id)

    def _sync(self) -> None:
        """Give every leg created since the last look its view and sequence number (a call
        createCall queued has had its own since it was created)."""
        ids = self.sim.engine.call_ids
        for call_id in ids[self._synced :]:
            if call_id in self._views:
                continue
            self._order.append(call_id)
            leg = self.sim.engine.leg(call_id)
            self._views[call_id] = LegView(self, leg, len(self._order))
        self._synced = len(ids)


class LegView:
    """One leg as the REST API reads it (implements ``CallView``)."""

    def __init__(self, calls: SimulatedCalls, leg: Leg, seq: int) -> None:
        self._calls = calls
        self._leg = leg
        self.seq = seq

    @property
    def call_id(self) -> str:
        """The leg's call id."""
        return self._leg.id

    @property
    def account_id(self) -> str:
        """The simulator's account."""
        return self._leg.account_id

    @property
    def request(self) -> dict[str, Any]:
        """The createCall fields of a call the API created, else empty."""
        return self._calls._requests.get(self._leg.id, {})

    @property
    def snapshot(self) -> dict[str, Any]:
        """The CallState (voice-api §4.1) at the present virtual instant."""
        calls = self._calls
        call_id = self._leg.id
        return call_state(
            calls.sim.engine.start_time,
            self._leg,
            calls.enqueued.get(call_id),
            queued=calls.queue.queued(call_id) is not None,
            placed=call_id not in calls.cancelled,
        )

    def gone(self, now_ms: int) -> bool:
        """True 7 days (virtual) after the leg ended."""
        end = self._leg.end_ms
        return end is not None and now_ms - end > RETENTION_MS


def call_state(
    start: Any, leg: Leg, enqueued_ms: int | None, *, queued: bool = False, placed: bool = True
) -> dict[str, Any]:
    """The CallState JSON object of ``leg`` (voice-api §4.1), as the emulator answers it.

    ``enqueued_ms``: when createCall queued it (its enqueuedTime); inbound calls and
    Transfer legs have none: only queued outbound calls do (voice-api §9.3). ``queued``:
    it still waits (state ``queued``, no startTime); ``placed`` False: it was cancelled
    while queued, so it never had a startTime either.
    """
    return call_state_fields(
        leg,
        "queued" if queued else leg.state,
        lambda ms: None if ms is None else timestamp(start, ms),
        enqueued_ms=enqueued_ms,
        start_ms=leg.start_ms if placed and not queued else None,
        end_ms=leg.end_ms,
    )


class InProcessAdapter(BaseAdapter):
    """A :mod:`requests` transport that hands each request to ``api.handle`` in process."""

    def __init__(self, api: CallsApi) -> None:
        super().__init__()
        self.api = api

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: None | float | tuple[float, float] | tuple[float, None] = None,
        verify: bool | str = True,
        cert: None | bytes | str | tuple[bytes | str, bytes | str] = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Answer ``request`` with the API's reply (a dropped connection raises, as over
        the network)."""
        url = request.url or ""
        parts = urlsplit(url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {name.lower(): value for name, value in request.headers.items()}
        reply = self.api.handle(request.method or "GET", parts.path, parts.query, headers, body)
        if reply.drop is not None:
            raise requests.ConnectionError(
                f"connection dropped {reply.drop} the request was handled (api_faults)",
                request=request,
            )
        if reply.latency:
            raise ValueError(
                "sim.client() requests take no virtual time: a latency fault cannot be "
                "simulated here (use the emulator for wall-clock latency)"
            )
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(reply.body),
            headers=urllib3.HTTPHeaderDict(reply.headers),
            status=reply.status,
            preload_content=False,
            decode_content=False,
        )
        response = requests.Response()
        response.status_code = reply.status
        response.headers = CaseInsensitiveDict(dict(reply.headers))
        response.raw = raw
        response.url = url
        response.request = request
        response.reason = _reason(reply.status)
        response.encoding = get_encoding_from_headers(response.headers)
        return response

    def close(self) -> None:
        """Nothing to release: no connection was opened."""


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _creds(fields: dict[str, Any], user: str, password: str) -> Credentials | None:
    if user not in fields:
        return None
    return Credentials(fields[user], fields[password])
