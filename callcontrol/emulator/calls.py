"""The emulator's :class:`~.backend.CallsBackend`: the Calls API over the engine thread.

Reads (find, list) come from the store's published snapshots; every change runs on the
engine thread through :class:`~.driver.Driver`, so HTTP threads never touch a call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from bxml import Bxml

from ..engine import Credentials
from .backend import CallRefused
from .driver import Driver
from .store import CallRecord, Store

Factory = Callable[[str, dict[str, Any]], CallRecord]


class EmulatorCalls:
    """The emulator's calls, as the REST API sees them (implements ``CallsBackend``)."""

    def __init__(self, driver: Driver, store: Store, new_call: Factory) -> None:
        self.driver = driver
        self.store = store
        self.new_call = new_call

    @property
    def queue_capacity(self) -> int:
        """``maxCallQueueSize``: five minutes of calls at the calls-per-second rate."""
        return self.driver.queue_capacity

    def create_call(self, account_id: str, fields: dict[str, Any]) -> CallRecord:
        """Queue a new call (voice-api §8.3 limits apply)."""
        record = self.new_call(account_id, fields)
        refused = self.driver.call(self.driver.enqueue, record)
        if refused is not None:
            raise CallRefused(refused)
        return record

    def find(self, call_id: str) -> CallRecord | None:
        """The record of ``call_id``, or None."""
        return self.store.get(call_id)

    def update(self, call_id: str, fields: dict[str, Any]) -> None:
        """updateCall (voice-api §6): hang up, or redirect to a new document."""
        record = self._record(call_id)
        engine = self.driver.engine
        # The leg is read when the action runs: a queued call's starts only then.
        if fields["state"] == "completed":
            action: Callable[[], None] = lambda: engine.hang_up(record.leg)  # noqa: E731
        else:
            creds = _creds(fields, "username", "password")
            fallback = _creds(fields, "fallbackUsername", "fallbackPassword")

            def action() -> None:
                engine.update_call(
                    record.leg,
                    redirect_url=fields["redirectUrl"],
                    method=fields.get("redirectMethod", "POST"),
                    credentials=creds,
                    fallback_url=fields.get("redirectFallbackUrl"),
                    fallback_method=fields.get("redirectFallbackMethod") or "POST",
                    fallback_credentials=fallback,
                    tag=fields.get("tag"),
                )

        cancels = fields["state"] == "completed"
        self.driver.call(partial(self.driver.command, queued=cancels), record, action)

    def update_bxml(self, call_id: str, document: Bxml) -> None:
        """updateCallBxml (voice-api §7): run ``document`` now."""
        record = self._record(call_id)
        engine = self.driver.engine
        action = lambda: engine.update_call_bxml(record.leg, document)  # noqa: E731
        self.driver.call(self.driver.command, record, action)

    def calls_of(self, account_id: str, after_seq: int) -> Iterable[CallRecord]:
        """The account's records created after ``after_seq``, oldest first."""
        return self.store.of_account(account_id, after_seq)

    def queue_size(self) -> int:
        """Calls waiting to be placed."""
        return self.driver.call(self.driver.queue_size)

    def now_ms(self) -> int:
        """The emulator clock."""
        return self.driver.clock.now_ms()

    def _record(self, call_id: str) -> CallRecord:
        record = self.store.get(call_id)
        if record is None:
            raise KeyError(f"no call {call_id!r} in this emulator")
        return record


def _creds(fields: dict[str, Any], user: str, password: str) -> Credentials | None:
    if user not in fields:
        return None
    return Credentials(fields[user], fields[password])
