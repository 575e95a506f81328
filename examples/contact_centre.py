"""A contact centre on WebhookApp: a queue conference, an agent called with createCall, a
whisper, and either side hanging up ends the other (tests: test_contact_centre.py, and
test_contact_centre_emulator.py end to end over HTTP).

The flow:

1. A caller rings in (``/answer``) and is put in a conference of their own, the queue
   ``queue-<callId>``, whose events come to ``/queue``. The caller's disconnect (the
   application's call status URL, ``/status``) ends what is left of the caller's queue.
2. conferenceCreated: the app answers with a message the caller hears while holding, and
   from inside that handler places a call to the next agent of the rota with createCall
   (the client is given to :func:`create_app`: nothing is patched in tests).
3. The agent answers (``/agent``) and hears a whisper: press 1 to accept.
4. Accepted (``/agent/choice``, digit 1): the agent joins the caller's queue conference,
   and both hear "You are now connected" (the reply to the agent's conferenceMemberJoin).
5. Declined (any other key, silence, no answer, busy, or the agent hanging up during the
   whisper: ``/agent/status``, the agent call's disconnect): the caller is taken out of the
   queue (updateCall redirect to ``/busy``), told no agent could take the call, and offered
   voicemail: 1 records a message; doing nothing keeps them queued and the next agent of
   the rota is rung. Once every agent of the rota has been tried, the caller goes straight
   to voicemail instead of holding on forever, as a real centre would do.
6. Connected, whichever side hangs up first ends the other: the conferenceMemberExit
   handler ends the remaining call with updateCall ``state=completed``. A caller who hangs
   up while still queued cancels the agent's call the same way.

Why a conference join rather than ``<Bridge>``: the caller already waits in a conference,
so the agent joining it connects them without interrupting the caller's BXML (no redirect,
no gap of silence); the conference's events are one place to learn that either side left
(a bridge reports that with bridgeComplete on one call and bridgeTargetComplete on the
other); and a supervisor could join the same conference later to coach (callIdsToCoach).

What the queue knows (which agent is ringing, how many were tried) is kept in memory, in
this process; a centre served by several processes keeps it in a shared store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from bxml import Conference, Gather, Hangup, Record, Response, SpeakSentence
from callcontrol import (
    CallEvent,
    CallsClient,
    ConferenceCreatedEvent,
    ConferenceEvent,
    ConferenceMemberExitEvent,
    ConferenceMemberJoinEvent,
    DisconnectEvent,
    GatherEvent,
    WebhookApp,
)
from callcontrol.exceptions import ConflictError, NotFoundError

log = logging.getLogger("contact-centre")

#: The agents' numbers, rung in this order.
AGENTS = ("+15550002222", "+15550003333")
#: The number the centre calls its agents from.
CENTRE = "+15553334444"
QUEUE_PREFIX = "queue-"

WELCOME = "Thank you for calling. All our agents are busy; please hold."
WHISPER = "A caller is waiting. Press 1 to accept the call, or 2 to decline."
CONNECTED = "You are now connected."
NO_AGENT = (
    "Sorry, no agent could take your call. Press 1 to leave a message, "
    "or stay on the line to keep holding."
)
LEAVE_MESSAGE = "Please leave a message after the tone."
THANKS = "Thank you. We will call you back."
#: How long an agent's phone rings before the agent counts as not answering (seconds).
RING_SECONDS = 20


@dataclass
class Caller:
    """A caller's place in the queue: how many agents were rung, the agent being rung
    (``ringing``) and the agent talking to them (``agent``)."""

    call_id: str
    attempts: int = 0
    ringing: str | None = None
    agent: str | None = None


class ContactCentre:
    """The queue's state and the Voice API requests the flow makes."""

    def __init__(
        self,
        calls: CallsClient,
        *,
        base_url: str,
        application_id: str,
        agents: Sequence[str] = AGENTS,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        if not agents:
            raise ValueError("a contact centre needs at least one agent number")
        self.calls = calls
        self.base_url = base_url.rstrip("/")
        self.application_id = application_id
        self.agents = tuple(agents)
        self.username = username
        self.password = password
        self.callers: dict[str, Caller] = {}
        self._lock = threading.Lock()  # a threaded server runs handlers at once

    def caller(self, call_id: str) -> Caller:
        """The queue entry of ``call_id`` (made on first use)."""
        with self._lock:
            return self.callers.setdefault(call_id, Caller(call_id))

    def find(self, call_id: str | None) -> Caller | None:
        """The queue entry of ``call_id``, None once the caller's call has ended."""
        with self._lock:
            return self.callers.get(str(call_id))

    def forget(self, call_id: str | None) -> Caller | None:
        """Drop the queue entry of a caller whose call ended; return it."""
        with self._lock:
            return self.callers.pop(str(call_id), None)

    def ring_next_agent(self, caller: Caller) -> None:
        """Place a call to the next agent of the rota; its tag is the caller's call id."""
        number = self.agents[caller.attempts % len(self.agents)]
        caller.attempts += 1
        created = self.calls.create_call(
            to=number,
            from_=CENTRE,
            application_id=self.application_id,
            answer_url=f"{self.base_url}/agent",
            disconnect_url=f"{self.base_url}/agent/status",
            call_timeout=RING_SECONDS,
            tag=caller.call_id,
            username=self.username,
            password=self.password,
        )
        caller.ringing = created.call_id
        log.info("ringing agent %s for caller %s", number, caller.call_id)

    def end(self, call_id: str) -> None:
        """Hang up ``call_id`` (updateCall state=completed); a call that has ended already
        is left alone (409 or 404)."""
        try:
            self.calls.update_call(call_id, state="completed")
        except (ConflictError, NotFoundError):
            log.info("call %s had ended already", call_id)

    def offer_voicemail(self, caller: Caller) -> None:
        """No agent took the call: take the caller out of the queue to the voicemail offer."""
        caller.ringing = None
        try:
            # The redirect callback carries updateCall's own credentials, not the call's
            # (voice-api §6, §9.2): without them the app would refuse it with 401.
            self.calls.redirect(
                caller.call_id,
                f"{self.base_url}/busy",
                username=self.username,
                password=self.password,
            )
        except (ConflictError, NotFoundError):
            log.info("caller %s left before the voicemail offer", caller.call_id)


def queue(call_id: str) -> Conference:
    """The caller's queue conference; its events come to ``/queue``."""
    return Conference(f"{QUEUE_PREFIX}{call_id}", conference_event_url="/queue")


def join(call_id: str) -> Conference:
    """The agent joins the caller's queue conference (the events go where the caller's
    <Conference>, its creator, said: bxml-spec §4.2)."""
    return Conference(f"{QUEUE_PREFIX}{call_id}")


def create_app(
    calls: CallsClient,
    *,
    base_url: str,
    application_id: str,
    agents: Sequence[str] = AGENTS,
    username: str | None = None,
    password: str | None = None,
) -> WebhookApp:
    """The contact centre's webhook app, placing calls with ``calls``.

    ``base_url`` is where Bandwidth reaches this app (the agents' calls are placed with
    absolute URLs under it); ``username``/``password`` are the Basic credentials every
    callback must carry (set on the verbs and on the agents' calls too)."""
    app = WebhookApp(
        username=username, password=password, credentials_on_verbs=username is not None
    )
    install(
        app,
        calls,
        base_url=base_url,
        application_id=application_id,
        agents=agents,
        username=username,
        password=password,
    )
    return app


def install(
    app: WebhookApp,
    calls: CallsClient,
    *,
    base_url: str,
    application_id: str,
    agents: Sequence[str] = AGENTS,
    username: str | None = None,
    password: str | None = None,
) -> ContactCentre:
    """Add the contact centre's routes to ``app``; return the centre (its queue state).

    For a test whose client is made from the simulator or emulator that serves ``app``:
    build the ``WebhookApp`` first, then the simulator, then install with its client."""
    centre = ContactCentre(
        calls,
        base_url=base_url,
        application_id=application_id,
        agents=agents,
        username=username,
        password=password,
    )

    @app.route("/answer")
    def answer(event: CallEvent) -> Response:
        """A caller rings in: into their queue conference."""
        caller = centre.caller(str(event.call_id))
        return Response(queue(caller.call_id))

    @app.route("/queue")
    def queue_event(event: ConferenceEvent) -> Response | None:
        """The queue conference's events (sent to the caller's conferenceEventUrl)."""
        caller = centre.find(str(event.name).removeprefix(QUEUE_PREFIX))
        if caller is None:  # the caller's call has ended: nothing left to do
            return None
        if isinstance(event, ConferenceCreatedEvent):
            centre.ring_next_agent(caller)
            return Response(SpeakSentence(WELCOME))
        if isinstance(event, ConferenceMemberJoinEvent) and event.call_id == caller.agent:
            return Response(SpeakSentence(CONNECTED))
        if isinstance(event, ConferenceMemberExitEvent):
            member_left(caller, str(event.call_id))
        return None

    def member_left(caller: Caller, call_id: str) -> None:
        """One side left the conference: end the other side's call."""
        if call_id == caller.agent:  # the agent hung up first
            caller.agent = None
            centre.end(caller.call_id)
            return
        if call_id != caller.call_id:
            return
        other = caller.agent or caller.ringing  # the caller hung up (or was taken out)
        caller.agent = caller.ringing = None
        if other is not None:
            centre.end(other)

    @app.route("/agent")
    def whisper(event: CallEvent) -> Response:
        """The agent answered: the whisper, one key to accept."""
        prompt = SpeakSentence(WHISPER)
        return Response(
            Gather(prompt, gather_url="/agent/choice", max_digits=1, first_digit_timeout=5)
        )

    @app.route("/agent/choice")
    def agent_choice(event: GatherEvent) -> Response:
        """1 joins the caller's conference; anything else (or silence) declines."""
        caller = centre.find(event.tag)
        if caller is not None and event.digits == "1" and caller.ringing == event.call_id:
            caller.agent, caller.ringing = caller.ringing, None
            return Response(join(caller.call_id))
        return Response(SpeakSentence("The caller stays in the queue. Goodbye."), Hangup())

    @app.route("/agent/status")
    def agent_gone(event: DisconnectEvent) -> None:
        """The agent's call ended: if it never accepted, no agent took the caller."""
        caller = centre.find(event.tag)
        if caller is not None and caller.ringing == event.call_id:
            log.info("agent call %s ended unaccepted: %s", event.call_id, event.cause)
            centre.offer_voicemail(caller)

    @app.route("/busy")
    def busy(event: CallEvent) -> Response:
        """No agent took the call: voicemail, or hold on for the next agent."""
        caller = centre.find(event.call_id) or Caller(str(event.call_id))
        if caller.attempts >= len(centre.agents):
            return leave_message()
        offer = SpeakSentence(NO_AGENT)
        return Response(
            Gather(offer, gather_url="/busy/choice", max_digits=1, first_digit_timeout=5)
        )

    @app.route("/busy/choice")
    def busy_choice(event: GatherEvent) -> Response:
        """1 leaves a message; anything else (or silence) goes back into the queue."""
        if event.digits == "1":
            return leave_message()
        return Response(queue(str(event.call_id)))

    @app.route("/status")
    def caller_gone(event: DisconnectEvent) -> None:
        """The caller's call ended (its disconnect, which may come before the conference's
        memberExit): forget the caller, and end an agent's call still up for them."""
        caller = centre.forget(event.call_id)
        other = None if caller is None else caller.agent or caller.ringing
        if other is not None:
            centre.end(other)

    @app.route("/voicemail")
    def voicemail(event: CallEvent) -> Response:
        """The message is recorded."""
        return Response(SpeakSentence(THANKS), Hangup())

    return centre


def leave_message() -> Response:
    """Record a voicemail of up to two minutes."""
    return Response(
        SpeakSentence(LEAVE_MESSAGE), Record(record_complete_url="/voicemail", max_duration=120)
    )
