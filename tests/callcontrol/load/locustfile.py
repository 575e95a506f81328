"""The Locust users of test_locust.py: callers of the example IVR who leave a message."""

from __future__ import annotations

from callcontrol.load.locust import CallerUser
from callcontrol.testing import press


class MessageCaller(CallerUser):
    """Presses 2 and leaves a message; the flow's own time runs 100 times faster."""

    script = (press("2"),)
    speed = 100.0
