"""Session-wide IVR coverage: documents served, verbs run, Gather and transfer outcomes."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from bxml import Element

    from ..engine import Engine

GATHER_OUTCOMES = ("timeout",)
TRANSFER_OUTCOMES = ("answered", "busy", "no-answer")


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

    def record(self, engine: Engine) -> None:
        """Add what one finished call reached (a no-op unless enabled)."""
        if not self.enabled:
            return
        # imported here: pytest loads this module in every session (the plugin stays light)
        from ..engine.observations import (
            CallbackSent,
            Dialled,
            DocumentInstalled,
            GatherEnded,
            VerbStarted,
        )

        for seen in engine.observations:
            if isinstance(seen, VerbStarted):
                self.verbs[seen.verb] += 1
            elif isinstance(seen, CallbackSent) and seen.request is not None:
                self.fetched.add(seen.request.target.url)
            elif isinstance(seen, DocumentInstalled) and seen.document is not None:
                self._installed(seen.url, seen.event_type, seen.document)
            elif isinstance(seen, GatherEnded):
                self.gathers[seen.site][seen.outcome] += 1
            elif isinstance(seen, Dialled) and seen.outcome != "not-sent":
                self.transfers[seen.number][seen.outcome] += 1

    def _installed(self, base: str, event_type: str | None, document: Element) -> None:
        if event_type is None:
            return  # an updateCallBxml body is not served by the app
        self.served[(_path(base), event_type)] += 1
        for element in document.iter():
            for name, value in element.attributes.items():
                if name.endswith("_url") and isinstance(value, str):
                    self.mentioned.setdefault(urljoin(base, value), f"{element.TAG}.{name}")

    def never_fetched(self) -> list[str]:
        """Callback URLs that appeared in served BXML but were never called."""
        return sorted(url for url in self.mentioned if url not in self.fetched)

    def percent(self) -> float:
        """Share of Gather outcomes, transfer outcomes and mentioned URLs that were reached."""
        reached, total = 0, 0
        for outcomes in self.gathers.values():
            total += len(set(outcomes) | set(GATHER_OUTCOMES))
            reached += len(outcomes)
        for outcomes in self.transfers.values():
            total += len(set(outcomes) | set(TRANSFER_OUTCOMES))
            reached += len(outcomes)
        total += len(self.mentioned)
        reached += len(self.mentioned) - len(self.never_fetched())
        return 100.0 if total == 0 else 100.0 * reached / total

    def report(self) -> list[str]:
        """The report as lines of text."""
        lines = ["documents served:"]
        lines += [f"  {path} ({event}): {n}" for (path, event), n in sorted(self.served.items())]
        lines.append("verbs run: " + ", ".join(f"{v} {n}" for v, n in sorted(self.verbs.items())))
        for site, outcomes in sorted(self.gathers.items()):
            never = [o for o in GATHER_OUTCOMES if o not in outcomes]
            line = f"{site}: seen {', '.join(sorted(outcomes))}"
            lines.append(line + (f"; never: {', '.join(never)}" if never else ""))
        for number, outcomes in sorted(self.transfers.items()):
            never = [o for o in TRANSFER_OUTCOMES if o not in outcomes]
            line = f"transfer {number}: seen {', '.join(sorted(outcomes))}"
            lines.append(line + (f"; never: {', '.join(never)}" if never else ""))
        missing = self.never_fetched()
        if missing:
            lines.append("callback URLs never fetched:")
            lines += [f"  {url} ({self.mentioned[url]})" for url in missing]
        lines.append(f"coverage: {self.percent():.1f}%")
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


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


#: The process-wide recorder the pytest plugin enables with ``--ivr-coverage``.
COVERAGE = Coverage()
