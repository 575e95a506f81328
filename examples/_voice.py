"""Where the examples send their Voice API requests: Bandwidth, or a local emulator.

With any ``BW_*`` variable set, :func:`voice_api` gives ``CallsClient.from_env()`` (which
names whatever is missing). With none, it starts a :class:`VoiceEmulator` in this process,
serving the IVR of webhook_server.py, says so on stderr, and gives a client bound to it, so
that every example runs on a fresh machine without an account.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from webhook_server import app as ivr_app

from callcontrol import CallsClient
from callcontrol.emulator import VoiceEmulator
from callcontrol.testing import SimulatedCall, press

ENV_VARIABLES = (
    "BW_ACCOUNT_ID",
    "BW_USERNAME",
    "BW_PASSWORD",
    "BW_CLIENT_ID",
    "BW_CLIENT_SECRET",
    "BW_VOICE_BASE_URL",
)
#: The numbers of the emulator's calls: ours, and a customer who answers.
OUR_NUMBER = "+15551230000"
CUSTOMER = "+15553334444"
#: Virtual seconds per wall second on the emulator: a minute-long call takes under a second.
SPEED = 100.0


@dataclass
class Voice:
    """A client, and the emulator behind it (None when it talks to Bandwidth)."""

    client: CallsClient
    emulator: VoiceEmulator | None = None

    @property
    def app_url(self) -> str:
        """Where the emulator serves webhook_server.py's ``app``."""
        return str(self._emulator().app_url)

    @property
    def answer_url(self) -> str:
        """The emulator's IVR answer URL (webhook_server.py's ``/answer``)."""
        return f"{self.app_url}/answer"

    def place_call(self, *, keys: Iterable[str] = (), hold: bool = False) -> str:
        """Place a call to the emulator's customer, who presses ``keys``; return its id.

        With ``hold``, wait until the IVR's menu plays and keep the call there, live, so
        that the caller can act on it.
        """
        emulator = self._emulator()
        emulator.callee(CUSTOMER, script=[press(key) for key in keys])
        created = self.client.create_call(
            to=CUSTOMER,
            from_=OUR_NUMBER,
            answer_url=self.answer_url,
            application_id="examples",
            # the credentials webhook_server.py requires, when it does
            username=os.environ.get("WEBHOOK_USERNAME"),
            password=os.environ.get("WEBHOOK_PASSWORD"),
        )
        if hold:
            emulator.wait_for(created.call_id, verb="Gather")
        return created.call_id

    def finish(self, call_id: str) -> SimulatedCall:
        """Wait for the emulator's call to end; its timeline (what the caller heard...)."""
        emulator = self._emulator()
        emulator.wait_for(call_id, state="disconnected")
        return emulator.timeline(call_id)

    def _emulator(self) -> VoiceEmulator:
        if self.emulator is None:
            raise RuntimeError("only the local emulator can place example calls")
        return self.emulator


def has_credentials() -> bool:
    """True when any ``BW_*`` variable is set: then the examples talk to that API."""
    return any(os.environ.get(name) for name in ENV_VARIABLES)


@contextmanager
def voice_api() -> Iterator[Voice]:
    """Bandwidth's Voice API with ``BW_*`` credentials, else a local emulator."""
    if has_credentials():
        with CallsClient.from_env() as client:
            yield Voice(client)
        return
    with VoiceEmulator(app=ivr_app, speed=SPEED) as emulator:
        print(
            f"no BW_* credentials set: using the local Voice API emulator at {emulator.base_url}",
            file=sys.stderr,
        )
        with emulator.client() as client:
            yield Voice(client, emulator)
