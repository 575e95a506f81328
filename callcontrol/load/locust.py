"""Simulated callers as Locust users, for load from many processes and machines.

::

    # locustfile.py
    from callcontrol.load.locust import CallerUser
    from callcontrol.testing import press

    class Caller(CallerUser):
        script = [press("1")]
        speed = 10

    $ locust -f locustfile.py --host http://ivr.internal:8000 --processes 4

Each task is one whole call; every callback is a Locust request of type ``callback`` named by
its URL path (a failure when it failed or was slower than ``callback_timeout``), and every
call one of type ``call`` (its wall duration; a failure when the call failed). Needs the
``load`` extra: ``pip install 'bxml-callcontrol[load]'``. Importing this module imports
Locust, which patches the standard library for gevent: import it in locustfiles only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from locust import User, task
from locust.exception import LocustError

from ..engine import Credentials, Destination
from .caller import Caller, CallPlan, Script
from .report import INVALID_BXML, TIMEOUT
from .wire import Reply, Wire


class CallbackFailed(Exception):
    """A callback failed (its message is the kind, as Locust groups failures by message)."""


class CallFailed(Exception):
    """A call ended with a failure cause (callback-error, invalid-bxml, ...)."""


class _LocustRecorder:
    """Fires Locust request events for callbacks and calls."""

    def __init__(self, user: CallerUser) -> None:
        self.user = user
        self.started = time.perf_counter()

    def callback(self, path: str, reply: Reply, invalid: str | None) -> None:
        failure: Exception | None = None
        if reply.too_slow or reply.kind == TIMEOUT:
            timeout = self.user.callback_timeout
            failure = CallbackFailed(f"too slow: no reply within {timeout:g} s (callbackTimeout)")
        elif reply.kind is not None:
            failure = CallbackFailed(
                f"{reply.kind}: {reply.detail}" if reply.detail else reply.kind
            )
        elif invalid is not None:
            failure = CallbackFailed(f"{INVALID_BXML}: {invalid}")
        self.user.environment.events.request.fire(
            request_type="callback",
            name=path,
            response_time=(reply.seconds or 0.0) * 1000,
            response_length=len(reply.body),
            exception=failure,
            context={},
        )

    def call(self, cause: str | None) -> None:
        self.user.environment.events.request.fire(
            request_type="call",
            name="call",
            response_time=(time.perf_counter() - self.started) * 1000,
            response_length=0,
            exception=CallFailed(cause) if cause is not None else None,
            context={},
        )


def _wait(seconds: float) -> bool:
    time.sleep(seconds)  # gevent's sleep (Locust patches time); a stopped user is killed here
    return False


class CallerUser(User):
    """A Locust user whose task is one simulated inbound call to ``host``.

    Subclass it and set the class attributes: ``entry`` (the first callback's path),
    ``script`` (steps, or a function of the call number returning them), ``destinations``,
    ``speed`` (how much faster the flow's own time runs), ``callback_timeout`` (1 to 25 s),
    ``username``/``password`` for the callbacks' Basic credentials and ``disconnect``, the
    path of the disconnect callback (None: not sent).
    """

    abstract = True
    entry: ClassVar[str] = "/answer"
    script: ClassVar[Script] = ()
    destinations: ClassVar[Mapping[str, Destination] | None] = None
    speed: ClassVar[float] = 1.0
    callback_timeout: ClassVar[float] = 15.0
    username: ClassVar[str | None] = None
    password: ClassVar[str | None] = None
    disconnect: ClassVar[str | None] = None

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        if not self.host:
            raise LocustError(
                f"{type(self).__name__} needs a host: the IVR's base URL (--host, or the "
                "host class attribute)"
            )
        # Read from the class: a script function set there must not become a bound method.
        cls = type(self)
        if (cls.username is None) != (cls.password is None):
            raise LocustError("username and password go together; give both or neither")
        credentials = (
            Credentials(cls.username, cls.password)
            if cls.username is not None and cls.password is not None
            else None
        )
        plan = CallPlan(
            base_url=self.host,
            entry=cls.entry,
            script=cls.script,
            destinations=cls.destinations,
            speed=cls.speed,
            callback_timeout=cls.callback_timeout,
            credentials=credentials,
            disconnect=cls.disconnect,
        )
        self._wire = Wire(plan.base_url, plan.callback_timeout)
        self._recorder = _LocustRecorder(self)
        # Seeds (call ids) differ between users, processes and machines.
        self._caller = Caller(plan, self._wire, self._recorder, _wait, seed=random.getrandbits(40))
        self._calls = 0

    @task
    def call(self) -> None:
        """Run one call to its end."""
        self._recorder.started = time.perf_counter()
        self._caller.call(self._calls)
        self._calls += 1

    def on_stop(self) -> None:
        """Close the user's connection."""
        self._wire.close()
