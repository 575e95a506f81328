"""Load-test an IVR the way Bandwidth calls it: many simulated callers over real HTTP.

::

    from callcontrol.load import run
    from callcontrol.testing import press

    report = run("http://127.0.0.1:8000", calls=200, concurrency=50, script=[press("1")])
    print(report.table())

Each caller runs the call engine (the simulator's, so the next callback depends on the BXML
the last one returned) and sends its callbacks over HTTP; :class:`LoadReport` has the reply
times per URL path and every error. :mod:`callcontrol.load.locust` runs the same callers in
Locust, for load from several machines.
"""

from .report import LoadReport, PathStats
from .runner import run

__all__ = ["LoadReport", "PathStats", "run"]
