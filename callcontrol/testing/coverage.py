"""Session-wide IVR coverage: documents served, verbs run, Gather and transfer outcomes.

The percentage counts three kinds of branch, each reached or not:

- each Gather (by document and position): every outcome the tests produced (the digits
  pressed) plus ``timeout`` (no input), which every Gather has;
- each Transfer destination: ``answered``, ``busy`` and ``no-answer``;
- each callback URL named in a served document: fetched by some call, or never.

Keys never pressed at a Gather are listed in the report, not counted: which keys matter
is the app's choice, which only the app knows (``callcontrol explore`` tries every key).
Under pytest-xdist each worker's data is merged (:meth:`Coverage.merge`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from ..engine.observations import DocumentInstalled, Observation

GATHER_OUTCOMES = ("timeout",)
TRANSFER_OUTCOMES = ("answered", "busy", "no-answer")
#: The keys of a phone keypad, in the order the report lists them.
KEYS = "123456789*0#"
#: Digits after the point the percentage is shown and compared with a limit.
PRECISION = 1
#: What the report says the percentage counts.
EXPLANATION = (
    "counts, reached or not: each Gather's outcomes seen plus timeout, each transfer "
    "destination's answered/busy/no-answer, each callback URL named in a served document"
)


class Coverage:
    """Collects what simulated calls reached; :meth:`report` renders it."""

    def __init__(self) -> None:
        self.enabled = False
        self.served: Counter[tuple[str, str]] = Counter()
        self.verbs: Counter[str] = Counter()
        self.gathers: dict[str, Counter[str]] = defaultdict(Counter)
        self.transfers: dict[str, Counter[str]] = defaultdict(Counter)
        self.mentioned: dict[str, str] = {}
        self.fetched: set[str] = set()

    def reset(self) -> None:
        """Forget everything collected."""
        self.__init__()  # type: ignore[misc]

    def record(self, observations: Iterable[Observation]) -> None:
        """Add what one finished call reached, read from its observations (a no-op unless
        enabled)."""
        if not self.enabled:
            return
        # Imported here: the pytest plugin imports this module in every session.
        from ..engine.observations import (
            CallbackSent,
            Dialled,
            DocumentInstalled,
            GatherEnded,
            VerbStarted,
        )

        for seen in observations:
            if isinstance(seen, VerbStarted):
                self.verbs[seen.verb] += 1
            elif isinstance(seen, CallbackSent) and seen.request is not None:
                self.fetched.add(seen.request.target.url)
            elif isinstance(seen, GatherEnded):
                self.gathers[seen.site][seen.outcome] += 1
            elif isinstance(seen, Dialled) and seen.how in _DIALS:
                if seen.outcome != "not-sent":
                    self.transfers[seen.number][seen.outcome] += 1
            elif isinstance(seen, DocumentInstalled) and seen.event_type is not None:
                self.served[(_path(seen.url), seen.event_type)] += 1
                self._mention(seen)

    def _mention(self, installed: DocumentInstalled) -> None:
        """Note the callback URLs a served document names, with where."""
        if installed.document is None:
            return
        for element in installed.document.iter():
            for name, value in element.attributes.items():
                if name.endswith("_url") and isinstance(value, str):
                    url = urljoin(installed.url, value)
                    self.mentioned.setdefault(url, f"{element.TAG}.{name}")

    def never_fetched(self) -> list[str]:
        """Callback URLs that appeared in served BXML but were never called."""
        return sorted(url for url in self.mentioned if url not in self.fetched)

    def counts(self) -> tuple[int, int]:
        """(reached, total) over the branches :func:`percent` counts (see the module doc)."""
        reached, total = 0, 0
        for outcomes in self.gathers.values():
            total += len(set(outcomes) | set(GATHER_OUTCOMES))
            reached += len(outcomes)
        for outcomes in self.transfers.values():
            total += len(set(outcomes) | set(TRANSFER_OUTCOMES))
            reached += len(outcomes)
        total += len(self.mentioned)
        reached += len(self.mentioned) - len(self.never_fetched())
        return reached, total

    def percent(self) -> float:
        """Share of Gather outcomes, transfer outcomes and mentioned URLs that were reached."""
        reached, total = self.counts()
        return 100.0 if total == 0 else 100.0 * reached / total

    def below(self, limit: float) -> bool:
        """Whether the percentage, as the report shows it, is below ``limit``.

        Exactly at the limit passes: 2 of 3 branches shows as 66.7%, which meets 66.7.
        """
        return round(self.percent(), PRECISION) < limit

    def state(self) -> dict[str, Any]:
        """Everything collected, as JSON-ready values that :meth:`merge` takes back."""
        return {
            "served": [[path, event, n] for (path, event), n in self.served.items()],
            "verbs": dict(self.verbs),
            "gathers": {site: dict(c) for site, c in self.gathers.items()},
            "transfers": {number: dict(c) for number, c in self.transfers.items()},
            "mentioned": dict(self.mentioned),
            "fetched": sorted(self.fetched),
        }

    def merge(self, state: dict[str, Any]) -> None:
        """Add what another recorder collected (a pytest-xdist worker's :meth:`state`)."""
        for path, event, n in state["served"]:
            self.served[(path, event)] += n
        self.verbs.update(state["verbs"])
        for site, outcomes in state["gathers"].items():
            self.gathers[site].update(outcomes)
        for number, outcomes in state["transfers"].items():
            self.transfers[number].update(outcomes)
        for url, where in state["mentioned"].items():
            self.mentioned.setdefault(url, where)
        self.fetched.update(state["fetched"])

    def report(self) -> list[str]:
        """The report as lines of text."""
        lines = ["documents served:"]
        lines += [f"  {path} ({event}): {n}" for (path, event), n in sorted(self.served.items())]
        lines.append("verbs run: " + ", ".join(f"{v} {n}" for v, n in sorted(self.verbs.items())))
        for site, outcomes in sorted(self.gathers.items()):
            never = [o for o in GATHER_OUTCOMES if o not in outcomes]
            line = f"{site}: seen {', '.join(sorted(outcomes))}"
            line += f"; never: {', '.join(never)}" if never else ""
            # The first key of each outcome ("timeout" and "terminated" start with no key).
            first = {outcome[0] for outcome in outcomes}
            unpressed = [key for key in KEYS if key not in first]
            if unpressed:
                line += f"; keys never pressed first: {' '.join(unpressed)}"
            lines.append(line)
        for number, outcomes in sorted(self.transfers.items()):
            never = [o for o in TRANSFER_OUTCOMES if o not in outcomes]
            line = f"transfer {number}: seen {', '.join(sorted(outcomes))}"
            lines.append(line + (f"; never: {', '.join(never)}" if never else ""))
        missing = self.never_fetched()
        if missing:
            lines.append("callback URLs never fetched:")
            lines += [f"  {url} ({self.mentioned[url]})" for url in missing]
        reached, total = self.counts()
        lines.append(f"coverage: {self.percent():.{PRECISION}f}% ({reached} of {total} branches)")
        lines.append(f"  ({EXPLANATION})")
        return lines

    def to_json(self) -> dict[str, Any]:
        """The collected data as JSON-ready values."""
        return {
            "served": [{"path": p, "event": e, "count": n} for (p, e), n in self.served.items()],
            "verbs": dict(self.verbs),
            "gathers": {site: dict(c) for site, c in self.gathers.items()},
            "transfers": {num: dict(c) for num, c in self.transfers.items()},
            "never_fetched": self.never_fetched(),
            "percent": self.percent(),
        }


#: The ways of dialling whose outcomes count as transfer branches (not createCall).
_DIALS = frozenset({"Transfer", "Forward", "Refer"})


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


#: The process-wide recorder the pytest plugin enables with ``--ivr-coverage``.
COVERAGE = Coverage()
