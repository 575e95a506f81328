"""CallSimulator: drive a webhook app through whole calls inside a unit test, in virtual time.

::

    sim = CallSimulator(app, base_url="https://ivr.test", username="ivr", password="hunter2")
    call = sim.inbound("/answer", from_="+15551230000", to="+15553334444", script=[press("1")])
    call.assert_heard("sales")
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from bxml import Bxml

from ..callback_wire import encode
from ..contract import DEFAULT_CALLS_PER_SECOND, DEFAULT_MAX_CONCURRENT, queue_capacity
from ..engine import EPOCH, Credentials, Durations, Engine, Leg, amd
from ..engine.clock import to_ms
from ..engine.conference import EVENT_TYPES as CONFERENCE_EVENTS
from ..engine.conference import ConferenceRecord
from ..engine.core import CALLBACK_TIMEOUT
from ..engine.model import CallbackRequest, FetchResult
from ..engine.observations import Observation
from ..engine.script import LONGEST, Destination, Step, check_destinations, check_script
from ..models import MachineDetectionConfiguration
from .coverage import COVERAGE
from .faults import Faults
from .fetch import Router, WsgiApp
from .result import Callback, SimulatedCall, UnusedStepsError, path_of

if TYPE_CHECKING:
    from ..client import CallsClient
    from ..emulator.faults import Faults as EmulatorFaults
    from .voice_api import SimulatedApi

#: The longest callbackTimeout Bandwidth allows (voice-api §9.1: 1 to 25 s).
MAX_CALLBACK_TIMEOUT = 25.0


@dataclass(frozen=True)
class SimulatedConference:
    """One conference instance of a simulation (bxml-spec §4.2), read with
    :attr:`CallSimulator.conferences`.

    ``members`` holds every call id that joined, in join order, kept after it leaves (a
    call that joined twice is there twice); ``callbacks`` the conference events sent to
    the creator's conferenceEventUrl, in the order sent, as :class:`Callback` values like
    a call's (repeats and fallbacks included); ``record`` is the engine's
    :class:`~callcontrol.engine.conference.ConferenceRecord` (mute, hold, coaching,
    created and completed times, ``hears``).
    """

    name: str
    conference_id: str
    members: tuple[str, ...]
    callbacks: tuple[Callback, ...]
    record: ConferenceRecord = field(repr=False, compare=False)

    @property
    def completed(self) -> bool:
        """Whether the conference has ended (conferenceCompleted)."""
        return self.record.completed_ms is not None


class CallSimulator:
    """Runs calls against ``app`` (a WSGI or ASGI app called in process, or a base URL
    reached over HTTP).

    ``username``/``password`` are the call's own callback credentials (the application's,
    or createCall's: first callback and disconnect), sent as Bandwidth sends them: only in
    answer to a 401 with ``WWW-Authenticate`` (voice-api §9.2). A verb's callbacks carry the
    verb's own credentials. An app that raises, answers 5xx, or (``WebhookApp``) reports a
    failing handler raises :class:`~callcontrol.testing.AppError` unless
    ``raise_app_errors=False``. ``seed`` and ``start_time`` make call ids, times and
    transcripts repeat.
    ``reply_latency`` is how long (virtual seconds) the app takes to answer a synchronous
    callback; past ``callback_timeout`` (1 to 25 s) the callback fails as on Bandwidth.
    :attr:`faults` scripts failing, slow and dropped callbacks.
    ``calls_per_second`` and ``max_concurrent`` are the account's limits (voice-api §8.3),
    as :class:`~callcontrol.emulator.VoiceEmulator` takes them: createCall through
    :meth:`client` queues its calls and places them at that rate while fewer than
    ``max_concurrent`` of them are up; beyond the limits it answers 429.
    """

    def __init__(
        self,
        app: WsgiApp | str,
        *,
        base_url: str = "https://app.test",
        username: str | None = None,
        password: str | None = None,
        seed: int = 0,
        start_time: datetime = EPOCH,
        account_id: str = "9900000",
        durations: Durations | None = None,
        raise_app_errors: bool = True,
        timeout: float = 15.0,
        callback_timeout: float = CALLBACK_TIMEOUT,
        reply_latency: float = 0.0,
        calls_per_second: float = DEFAULT_CALLS_PER_SECOND,
        max_concurrent: int = DEFAULT_MAX_CONCURRENT,
    ) -> None:
        if not isinstance(app, str) and not callable(app):
            raise TypeError(
                f"app must be a WSGI or ASGI app or a base URL, not {type(app).__name__}"
            )
        if not urlsplit(base_url).scheme or not urlsplit(base_url).netloc:
            raise ValueError(
                f"base_url must be an absolute URL like https://ivr.test, not {base_url!r}"
            )
        _no_whitespace("base_url", base_url)
        if (username is None) != (password is None):
            raise ValueError("username and password go together; give both or neither")
        if (
            isinstance(reply_latency, bool)
            or not isinstance(reply_latency, (int, float))
            or not 0 <= reply_latency <= LONGEST  # nan and inf fail too
        ):
            raise ValueError(
                f"reply_latency must be 0 seconds or more, not {reply_latency!r} "
                f"(and at most {LONGEST:g}: a day)"
            )
        Engine(callback_timeout=callback_timeout)  # checks the value now, not at the first call
        #: ``maxCallQueueSize``: five minutes of calls at ``calls_per_second`` (voice-api §8.3).
        self.queue_capacity = queue_capacity(calls_per_second, max_concurrent)
        self.calls_per_second = calls_per_second
        self.max_concurrent = max_concurrent
        self.base_url = base_url.rstrip("/")
        self.credentials = (
            Credentials(username, password) if username and password is not None else None
        )
        self.seed = seed
        self.start_time = start_time
        self.account_id = account_id
        self.durations = durations
        self.router = Router(app, self.base_url, raise_app_errors, timeout)
        self.callback_timeout = callback_timeout
        self.reply_latency = float(reply_latency)
        #: Scripted callback faults (:class:`~callcontrol.testing.faults.Faults`).
        self.faults = Faults()
        #: The one engine every call of this simulator runs in, on one virtual clock. Each
        #: call keeps its own callbackTimeout (checked here), so the engine's is the most
        #: Bandwidth allows. The seed makes the first call's ids those of a lone call.
        self.engine = Engine(
            seed=seed * 1_000_003 + 1,
            start_time=start_time,
            durations=durations,
            account_id=account_id,
            callback_timeout=MAX_CALLBACK_TIMEOUT,
        )
        self._live: list[LiveCall] = []
        # The calls that may still be up (ended ones are dropped now and then).
        self._active: list[LiveCall] = []
        # Every leg id seen so far -> the call it belongs to (its A-leg's LiveCall).
        self._owners: dict[str, LiveCall] = {}
        self._seen = 0
        self._callees: dict[str, tuple[Step, ...]] = {}
        self._destinations: dict[str, Destination] = {}
        # How deep the simulator is in sending callbacks (an app's API request inside a
        # handler must not run the engine: the callback being sent is not answered yet).
        self._sending = 0
        self._api: SimulatedApi | None = None
        self._api_faults: EmulatorFaults | None = None
        # The conference events sent so far, by conferenceId, in the order sent.
        self._conference_callbacks: dict[str, list[Callback]] = {}

    def __repr__(self) -> str:
        return f"CallSimulator(base_url={self.base_url!r}, seed={self.seed})"

    @property
    def api_faults(self) -> EmulatorFaults:
        """Faults of the simulated Voice API of :meth:`client` (the emulator's
        :class:`~callcontrol.emulator.Faults`: ``sim.api_faults.next("createCall",
        status=503)``); latency faults cannot happen in virtual time and are refused."""
        if self._api_faults is None:
            from ..emulator.faults import Faults

            self._api_faults = Faults(self.seed)
        return self._api_faults

    def client(self) -> CallsClient:
        """A :class:`~callcontrol.CallsClient` answered in process by this simulation's
        Voice API, in virtual time: createCall, getCallState, listCalls, updateCall and
        updateCallBxml with the emulator's REST semantics (validation, errors, paging).

        A request made inside a callback handler happens at that virtual instant; a call
        it creates rings right after the handler returns, appears in :attr:`calls`, and
        acts as :meth:`destination` and :meth:`callee` say (it answers at once by
        default). The client never retries (a retry would wait on the wall clock).
        """
        if self._api is None:
            from .voice_api import SimulatedApi

            self._api = SimulatedApi(self, "sim-api-user", f"sim-{self.seed}")
        return self._api.client()

    def statistics(self) -> dict[str, int]:
        """The account's queue statistics, as getStatistics gives them (voice-api §8.3):
        ``currentCallQueueSize``, the calls createCall queued that are not placed yet, and
        ``maxCallQueueSize``; as the emulator's ``statistics()``."""
        size = self._api.calls.queue_size() if self._api is not None else 0
        return {"currentCallQueueSize": size, "maxCallQueueSize": self.queue_capacity}

    def callee(self, number: str, script: Iterable[Step] = ()) -> None:
        """How the person who answers a call placed to ``number`` acts: ``script`` is the
        default script of every later call placed to it (:meth:`outbound`,
        :meth:`start_outbound`, and createCall through :meth:`client`), as the emulator's
        ``callee``. ``hang_up(after=s)`` counts from that call's start."""
        self._callees[_number(number)] = check_script(script)

    def destination(self, number: str, behaviour: Destination) -> None:
        """How ``number`` answers when a call is placed or transferred to it, for every
        later call (``answers()``, ``busy()``...); a call's own ``destinations`` win."""
        self._destinations.update(check_destinations({_number(number): behaviour}))

    @property
    def calls(self) -> list[SimulatedCall]:
        """Every call started on this simulator so far, in creation order."""
        self._collect()
        return [live._snapshot() for live in self._live]

    @property
    def conferences(self) -> list[SimulatedConference]:
        """Every conference of this simulation so far, in creation order (bxml-spec §4.2:
        a name used again after its conference completed is a new instance with a new
        conference_id, so a second record)."""
        sent = self._conference_callbacks
        return [
            SimulatedConference(
                record.name,
                record.conference_id,
                record.members,
                tuple(sent.get(record.conference_id, ())),
                record,
            )
            for record in self.engine.conferences
        ]

    @property
    def now(self) -> float:
        """The simulation's virtual time, in seconds."""
        return self.engine.now / 1000

    def run(self) -> list[SimulatedCall]:
        """Run every started call until all have ended, on one virtual clock (the app
        sees the callbacks of all calls in virtual-time order); return them in creation
        order.

        :raises UnusedStepsError: a call ended with script steps left (the first such).
        """
        self._pump(None)
        return [live._finish() for live in self._live]

    def run_until(self, *, seconds: float) -> list[SimulatedCall]:
        """Run every started call up to virtual time ``seconds``; calls started later
        begin there. Returns every call so far, in creation order."""
        until = to_ms(seconds)
        if until < self.engine.now:
            raise ValueError(
                f"the simulation is at {self.engine.now / 1000:g} s already; "
                f"it cannot run until {seconds:g} s"
            )
        self._pump(until)
        self.engine.advance_to(until)
        return self.calls

    def _pump(self, until_ms: int | None) -> None:
        """Run the engine, sending each callback as it comes, until nothing is due by
        ``until_ms`` (None: until nothing is left) or the run pauses."""
        engine = self.engine
        while True:
            engine.run(until_ms)
            if not engine.outbox:
                return
            self._flush()

    def _run_call(self, live: LiveCall, until_ms: int | None = None) -> None:
        """Run the world one virtual instant at a time until ``live`` has ended, the run
        pauses, or virtual time would pass ``until_ms``; callbacks due at the end go out."""
        engine = self.engine
        leg = live.leg
        active = self._active = [other for other in self._active if other.leg.up]
        while leg.up:
            if engine.outbox:
                self._flush()
                continue
            due = engine.next_due()
            if due is None or engine.paused or (until_ms is not None and due > until_ms):
                break
            # Alone in the world, nothing else can run past this call's end: the engine
            # runs on to the next callback (a call started meanwhile, by an app's
            # createCall, joins the active calls and brings back the steps).
            engine.run(until_ms if len(active) <= 1 else due)
        while engine.outbox:
            self._flush()
        if until_ms is not None and not engine.paused and leg.up:
            engine.advance_to(until_ms)

    def _flush(self) -> None:
        """Send the callbacks waiting in the engine's outbox."""
        owners = self._owners
        self._sending += 1
        try:
            for request in self.engine.take():
                (owners.get(request.leg_id) or self._owner(request.leg_id))._send(request)
        finally:
            self._sending -= 1

    def _settle(self) -> None:
        """After an API command: run what it set off at this instant, unless a callback
        is being sent (its handler made the request; the run goes on when it returns)."""
        if not self._sending:
            self._pump(self.engine.now)

    def _place(self, fields: dict[str, Any], call_id: str, *, cancelled: bool = False) -> LiveCall:
        """Start the outbound call ``call_id`` of validated createCall ``fields`` (voice-api
        §3), now: it leaves the account's queue. ``cancelled``: it left it by updateCall
        and starts only to be cancelled, so it never reaches the callee (no script)."""
        from ..emulator.backend import create_call_start  # only sim.client() places calls

        options = create_call_start(fields)
        credentials = (options.pop("credentials"), options.pop("fallback_credentials"))
        return self._start(
            "outbound",
            fields["answerUrl"],
            **options,
            machine_detection=fields.get("machineDetection"),
            call_timeout=fields.get("callTimeout"),
            callback_timeout=fields.get("callbackTimeout"),
            credentials=credentials,
            call_id=call_id,
            callee=not cancelled,
        )

    def _collect(self) -> None:
        """Hand each new observation to the call it belongs to (done when a result is
        read, not as the calls run)."""
        engine = self.engine
        fresh = engine.observations_since(self._seen)
        self._seen += len(fresh)
        start, last = 0, None
        for index, seen in enumerate(fresh):
            if seen.call_id != last:  # runs of one leg's observations are the rule
                self._hand_over(last, fresh, start, index)
                start, last = index, seen.call_id
        self._hand_over(last, fresh, start, len(fresh))

    def _hand_over(
        self, call_id: str | None, fresh: list[Observation], start: int, end: int
    ) -> None:
        """Give ``fresh[start:end]``, observations of the leg ``call_id``, to its call;
        those of no call (the engine's own) stay in the engine's list only."""
        if call_id is None or start == end:
            return
        live = self._owners.get(call_id)
        if live is None and self.engine.find_leg(call_id) is not None:
            live = self._owner(call_id)
        if live is not None:
            live._observations.extend(fresh[start:end])

    def _owner(self, call_id: str) -> LiveCall:
        """The call the leg ``call_id`` belongs to (its A-leg's)."""
        live = self._owners.get(call_id)
        if live is None:
            live = self._owners[self.engine.leg(call_id).root.id]
            self._owners[call_id] = live
        return live

    def mount(self, url_prefix: str, app: WsgiApp | str) -> None:
        """Serve URLs that start with ``url_prefix`` (another host) from ``app``."""
        if not urlsplit(url_prefix).netloc:
            raise ValueError(f"mount needs an absolute URL prefix, not {url_prefix!r}")
        self.router.mount(url_prefix, app)

    def inbound(
        self,
        url: str = "/answer",
        *,
        from_: str = "+15551230000",
        to: str = "+15553334444",
        script: Iterable[Step] = (),
        destinations: Mapping[str, Destination] | None = None,
        disconnect_url: str | None = None,
        method: str = "POST",
        fallback_url: str | None = None,
        fallback_method: str = "POST",
        disconnect_method: str = "POST",
    ) -> SimulatedCall:
        """Run an inbound call to the end: ``initiate`` goes to ``url``.

        ``fallback_method`` and ``disconnect_method`` are the application's
        CallInitiatedFallbackMethod and CallStatusMethod (POST by default)."""
        return self.start_inbound(
            url,
            from_=from_,
            to=to,
            script=script,
            destinations=destinations,
            disconnect_url=disconnect_url,
            method=method,
            fallback_url=fallback_url,
            fallback_method=fallback_method,
            disconnect_method=disconnect_method,
        ).run()

    def outbound(
        self,
        url: str = "/answer",
        *,
        from_: str = "+15551230000",
        to: str = "+15553334444",
        script: Iterable[Step] = (),
        destinations: Mapping[str, Destination] | None = None,
        disconnect_url: str | None = None,
        method: str = "POST",
        fallback_url: str | None = None,
        fallback_method: str = "POST",
        disconnect_method: str = "POST",
        machine_detection: MachineDetectionConfiguration | dict[str, Any] | None = None,
        tag: str | None = None,
        call_timeout: float | None = None,
        callback_timeout: float | None = None,
    ) -> SimulatedCall:
        """Run an outbound call to the end: ``answer`` goes to ``url`` when ``to`` answers.

        The options are createCall's (voice-api §3): ``machine_detection`` (a
        :class:`~callcontrol.MachineDetectionConfiguration`, or its JSON object with URLs
        relative to ``base_url``) runs answering-machine detection; ``tag`` is sent with
        every callback; ``call_timeout`` (1 to 300 s, default 30) is how long ``to`` rings;
        ``callback_timeout`` (1 to 25 s) replaces the simulator's for this call;
        ``fallback_method`` (answerFallbackMethod) and ``disconnect_method`` default to POST.
        """
        return self.start_outbound(
            url,
            from_=from_,
            to=to,
            script=script,
            destinations=destinations,
            disconnect_url=disconnect_url,
            method=method,
            fallback_url=fallback_url,
            machine_detection=machine_detection,
            fallback_method=fallback_method,
            disconnect_method=disconnect_method,
            tag=tag,
            call_timeout=call_timeout,
            callback_timeout=callback_timeout,
        ).run()

    def start_inbound(
        self,
        url: str = "/answer",
        *,
        from_: str = "+15551230000",
        to: str = "+15553334444",
        script: Iterable[Step] = (),
        destinations: Mapping[str, Destination] | None = None,
        disconnect_url: str | None = None,
        method: str = "POST",
        fallback_url: str | None = None,
        fallback_method: str = "POST",
        disconnect_method: str = "POST",
    ) -> LiveCall:
        """Set up an inbound call without running it; see :class:`LiveCall`."""
        return self._start(
            "inbound",
            url,
            from_=from_,
            to=to,
            script=script,
            destinations=destinations,
            disconnect_url=disconnect_url,
            method=method,
            fallback_url=fallback_url,
            fallback_method=fallback_method,
            disconnect_method=disconnect_method,
        )

    def start_outbound(
        self,
        url: str = "/answer",
        *,
        from_: str = "+15551230000",
        to: str = "+15553334444",
        script: Iterable[Step] = (),
        destinations: Mapping[str, Destination] | None = None,
        disconnect_url: str | None = None,
        method: str = "POST",
        fallback_url: str | None = None,
        fallback_method: str = "POST",
        disconnect_method: str = "POST",
        machine_detection: MachineDetectionConfiguration | dict[str, Any] | None = None,
        tag: str | None = None,
        call_timeout: float | None = None,
        callback_timeout: float | None = None,
    ) -> LiveCall:
        """Set up an outbound call without running it; see :class:`LiveCall`."""
        return self._start(
            "outbound",
            url,
            from_=from_,
            to=to,
            script=script,
            destinations=destinations,
            disconnect_url=disconnect_url,
            method=method,
            fallback_url=fallback_url,
            machine_detection=machine_detection,
            fallback_method=fallback_method,
            disconnect_method=disconnect_method,
            tag=tag,
            call_timeout=call_timeout,
            callback_timeout=callback_timeout,
        )

    def _start(
        self,
        direction: str,
        url: str,
        *,
        from_: str = "+15551230000",
        to: str = "+15553334444",
        script: Iterable[Step] = (),
        destinations: Mapping[str, Destination] | None = None,
        disconnect_url: str | None = None,
        method: str = "POST",
        fallback_url: str | None = None,
        fallback_method: str = "POST",
        disconnect_method: str = "POST",
        machine_detection: MachineDetectionConfiguration | dict[str, Any] | None = None,
        tag: str | None = None,
        call_timeout: float | None = None,
        callback_timeout: float | None = None,
        credentials: tuple[Credentials | None, Credentials | None] | None = None,
        application_id: str | None = None,
        call_id: str | None = None,
        callee: bool = True,
    ) -> LiveCall:
        steps = check_script(script)
        if not steps and direction == "outbound" and callee:
            steps = self._callees.get(to, ())
        if isinstance(destinations, Mapping) and not isinstance(destinations, dict):
            destinations = dict(destinations)  # any read-only mapping, as the signature says
        if self._destinations:
            destinations = {**self._destinations, **(destinations or {})}
        detection = (
            None if machine_detection is None else amd.detection(machine_detection, self._absolute)
        )
        dests = check_destinations(destinations if destinations is not None else {})
        timeout = self.callback_timeout if callback_timeout is None else callback_timeout
        if timeout is not self.callback_timeout:
            Engine(callback_timeout=timeout)  # checks the call's own value (1 to 25 s)
        leg = self.engine.start_call(
            direction,
            self._absolute(url),
            from_=from_,
            to=to,
            credentials=self.credentials if credentials is None else credentials[0],
            fallback_credentials=None if credentials is None else credentials[1],
            method=method,
            fallback_url=self._absolute(fallback_url) if fallback_url else None,
            disconnect_url=self._absolute(disconnect_url) if disconnect_url else None,
            script=steps,
            destinations=dests,
            machine_detection=detection,
            fallback_method=fallback_method,
            disconnect_method=disconnect_method,
            call_timeout=call_timeout,
            tag=tag,
            application_id=application_id,
            call_id=call_id,
        )
        live = LiveCall(self, self.engine, leg, to_ms(timeout))
        self._live.append(live)
        self._active.append(live)
        self._owners[leg.id] = live
        return live

    def _absolute(self, url: str) -> str:
        return _join(self.base_url + "/", url)


@functools.lru_cache(maxsize=1024)
def _join(base: str, url: str) -> str:
    _no_whitespace("a call's URL", url)
    return urljoin(base, url)


def _no_whitespace(what: str, url: str) -> None:
    """Bandwidth's URLs hold no whitespace (a BXML URL with one is refused as well)."""
    if any(char.isspace() for char in url):
        raise ValueError(f"{what} must not hold whitespace (write a space as %20), not {url!r}")


class LiveCall:
    """One call of a simulation, run step by step: stop at a verb or a time, intervene,
    then run on. Every call of the simulator shares its engine and its virtual clock, so
    running one call runs the others too, as they would run."""

    def __init__(
        self, simulator: CallSimulator, engine: Engine, leg: Leg, callback_timeout_ms: int
    ) -> None:
        self._sim = simulator
        self.engine = engine
        self.leg = leg
        self.result = SimulatedCall(leg.id)
        # What happened on this call (its legs' observations), handed over by _collect.
        self._observations: list[Observation] = []
        self._callback_timeout_ms = callback_timeout_ms
        self._recorded = False

    def __repr__(self) -> str:
        return (
            f"LiveCall({self.leg.id!r}, state={self.leg.state!r}, at={self.engine.now / 1000:g}s)"
        )

    @property
    def call_id(self) -> str:
        """The call id of the call's A-leg."""
        return self.leg.id

    def run_until(self, *, verb: str | None = None, seconds: float | None = None) -> SimulatedCall:
        """Run the simulation until ``verb`` starts on this call (or one of its Transfer
        legs), or virtual time reaches ``seconds``, or this call ends."""
        if (verb is None) == (seconds is None):
            raise ValueError("run_until needs exactly one of verb= or seconds=")
        if verb is not None:
            self.engine.pause_at(verb, self.leg.id)
            try:
                self._sim._run_call(self)
            finally:
                self.engine.resume()
        else:
            until = to_ms(seconds) if seconds is not None else 0
            self._sim._run_call(self, until)
        return self._snapshot()

    @property
    def call_ids(self) -> list[str]:
        """The call ids of this call's legs: the A-leg first, then each Transfer B-leg."""
        return [leg.id for leg in self.engine.call_legs(self.leg.id)]

    def _leg(self, call_id: str | None) -> Leg:
        """The leg an update is for: the A-leg, or any leg by its call id (voice-api §6)."""
        if call_id is None:
            return self.leg
        if call_id not in self.call_ids:
            raise KeyError(f"no leg {call_id!r} in this call; its legs are {self.call_ids}")
        return self.engine.leg(call_id)

    def update_call_bxml(self, document: Bxml | str | bytes, *, call_id: str | None = None) -> None:
        """updateCallBxml: interrupt what runs and run ``document`` instead.

        ``call_id`` picks another leg of the call (a Transfer B-leg) instead of the A-leg."""
        self.engine.update_call_bxml(self._leg(call_id), document)
        self._sim._pump(self.engine.now)

    def redirect(
        self,
        url: str,
        *,
        method: str = "POST",
        username: str | None = None,
        password: str | None = None,
        tag: str | None = None,
        call_id: str | None = None,
    ) -> None:
        """updateCall with a redirectUrl (relative to the simulator's base URL).

        ``call_id`` picks another leg of the call (a Transfer B-leg) instead of the A-leg.

        The ``redirect`` callback carries ``username``/``password`` when given, and no
        credentials otherwise, as on Bandwidth (voice-api §6, §9.2: updateCall's own
        credentials, not the call's); ``tag`` sets (``""`` clears) the call's tag first.
        """
        if (username is None) != (password is None):
            raise ValueError("username and password go together; give both or neither")
        credentials = None
        if username is not None and password is not None:
            credentials = Credentials(username, password)
        self.engine.update_call(
            self._leg(call_id),
            redirect_url=self._sim._absolute(url),
            method=method,
            credentials=credentials,
            tag=tag,
        )
        self._sim._pump(self.engine.now)

    def hang_up(self, *, call_id: str | None = None) -> None:
        """updateCall with state=completed (of the leg ``call_id``, by default the A-leg)."""
        self.engine.hang_up(self._leg(call_id))
        self._sim._pump(self.engine.now)

    def run(self) -> SimulatedCall:
        """Run the simulation until this call has ended (the other calls run meanwhile, as
        they would); raises :class:`UnusedStepsError` if its script steps are left."""
        self._sim._run_call(self)
        return self._finish()

    def _ended(self) -> bool:
        """Whether the call has ended: its A-leg has (which ends its Transfer legs)."""
        return not self.leg.up

    def _finish(self) -> SimulatedCall:
        call = self._snapshot()
        if not self._recorded and self._ended():
            self._recorded = True
            COVERAGE.record(self._observations)
        unused = [*self.leg.script, *self.leg.timed_steps]
        if unused:
            steps = ", ".join(repr(s) for s in unused)
            end = self.leg.end_ms if self.leg.end_ms is not None else self.engine.now
            raise UnusedStepsError(
                f"script steps never used: {steps}; the call ended at {end / 1000:g} s "
                f"with cause {self.leg.cause!r}"
                + (f" ({self.leg.error_message})" if self.leg.error_message else ""),
                call,
            )
        return call

    def _send(self, request: CallbackRequest) -> None:
        sim = self._sim
        engine = self.engine
        fault = sim.faults.take(request.target.url) if sim.faults else None
        latency = sim.reply_latency
        if fault is None or fault.kind == "slow":
            exchange = sim.router.send(request)
            url, result = exchange.url, exchange.result
            for kind, message in exchange.failures:
                # raise_app_errors=False: Bandwidth gets the app's fallback reply, and the
                # transcript keeps what it covers up.
                engine.annotate(request.leg_id, kind, message)
            latency = fault.seconds if fault is not None else latency
            limit = self._callback_timeout_ms
            if latency and to_ms(latency) > limit and request.synchronous:
                result = FetchResult(None, b"", "no reply within callbackTimeout", timed_out=True)
                latency = limit / 1000
        else:
            url = encode(request)[0]
            result = (
                FetchResult(fault.status)
                if fault.kind == "fail"
                else FetchResult(None, b"", "connection dropped (faults.drop)")
            )
        if fault is not None:
            engine.annotate(request.leg_id, "fault", repr(fault))
        callback = Callback.sent(request, url, result, engine.now)
        self.result.callbacks.append(callback)
        if request.event_type in CONFERENCE_EVENTS:
            conference_id = str(request.payload.get("conferenceId"))
            sim._conference_callbacks.setdefault(conference_id, []).append(callback)
        if request.synchronous:
            self.result.visited.append(path_of(request.target.url))
            engine.fetch_done(request, result, latency=latency)
        else:
            engine.delivered(request, result)

    def _snapshot(self) -> SimulatedCall:
        self._sim._collect()
        return self.result.update_from(
            self.engine, self.leg, self.leg.state, observations=self._observations
        )


def _number(number: object) -> str:
    if not isinstance(number, str) or not number:
        raise TypeError(f"number must be a phone number or SIP URI string, not {number!r}")
    return number
