"""What the Calls REST API needs of whatever runs the calls: two small typed protocols.

:class:`~callcontrol.emulator.api.CallsApi` turns HTTP requests into these operations and
their answers (or errors) into HTTP replies; it knows nothing of threads, engines or clocks.
The emulator implements :class:`CallsBackend` over its engine thread; any other runner of
calls (an in-process simulator answering ``client()`` requests) may implement it too and
get the same REST semantics: validation, auth, faults, paging and error bodies.

Times are whole milliseconds of the backend's own clock (the one ``enqueuedTime`` and
``endTime`` are written on); only :meth:`CallView.gone` compares them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from bxml import Bxml

from ..engine import Credentials


class CallRefused(Exception):
    """createCall refused by the account's limits (voice-api §8.3): the API answers 429.

    The message is the one the API gives, e.g. "Account concurrent call limit exceeded".
    """


class CallView(Protocol):
    """What the REST API reads of one call (an A-leg or a Transfer B-leg)."""

    @property
    def call_id(self) -> str:
        """The call's id (``callId``)."""
        ...

    @property
    def seq(self) -> int:
        """Creation order, unique and increasing across the backend (listCalls pages by it)."""
        ...

    @property
    def account_id(self) -> str:
        """The account the call belongs to."""
        ...

    @property
    def request(self) -> dict[str, Any]:
        """The validated createCall fields (empty for a call createCall did not make)."""
        ...

    @property
    def snapshot(self) -> dict[str, Any]:
        """The CallState JSON object (voice-api §4.1) as it is now; never changed in place."""
        ...

    def gone(self, now_ms: int) -> bool:
        """True when the call is past retention (voice-api §4: 7 days after it ended)."""
        ...


class CallsBackend(Protocol):
    """The operations of the Calls API (voice-api §3-§8) over the calls a backend runs.

    Every method may be called from any thread; each call is applied atomically.
    ``update`` and ``update_bxml`` raise :class:`~callcontrol.engine.CallStateConflict`
    when the call cannot be modified in its state (the API answers 409).
    """

    @property
    def queue_capacity(self) -> int:
        """``maxCallQueueSize`` of getStatistics."""
        ...

    def create_call(self, account_id: str, fields: dict[str, Any]) -> CallView:
        """Create (queue) a call from validated createCall fields.

        :raises CallRefused: the account's queue or concurrent-call limit is reached.
        """
        ...

    def find(self, call_id: str) -> CallView | None:
        """The call with this id, whatever its account, or None."""
        ...

    def update(self, call_id: str, fields: dict[str, Any]) -> None:
        """updateCall with validated fields: ``state`` "completed", or "active" + redirect."""
        ...

    def update_bxml(self, call_id: str, document: Bxml) -> None:
        """updateCallBxml with a parsed, valid ``<Bxml>`` document."""
        ...

    def calls_of(self, account_id: str, after_seq: int) -> Iterable[CallView]:
        """The account's calls created after ``after_seq``, oldest first (ended ones too)."""
        ...

    def queue_size(self) -> int:
        """``currentCallQueueSize`` of getStatistics: calls waiting to be placed."""
        ...

    def now_ms(self) -> int:
        """The backend's clock, in the milliseconds :meth:`CallView.gone` takes."""
        ...


def create_call_start(fields: dict[str, Any]) -> dict[str, Any]:
    """The :meth:`Engine.start_call` arguments that validated createCall ``fields`` give
    (voice-api §3: answer and disconnect URLs, methods, credentials, tag, application): the
    one mapping of the emulator and of ``sim.client()``. The script, destinations, call id,
    callTimeout and machine detection are the driver's to add."""
    credentials = fallback = None
    if "username" in fields:
        credentials = Credentials(fields["username"], fields["password"])
    if "fallbackUsername" in fields:
        fallback = Credentials(fields["fallbackUsername"], fields["fallbackPassword"])
    return {
        "from_": fields["from"],
        "to": fields["to"],
        "method": fields.get("answerMethod", "POST"),
        "fallback_url": fields.get("answerFallbackUrl"),
        "fallback_method": fields.get("answerFallbackMethod") or "POST",
        "disconnect_url": fields.get("disconnectUrl"),
        "disconnect_method": fields.get("disconnectMethod", "POST"),
        "tag": fields.get("tag") or None,
        "application_id": fields["applicationId"],
        "credentials": credentials,
        "fallback_credentials": fallback,
    }
