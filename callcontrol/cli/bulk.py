"""``callcontrol calls bxml --all-active FILE``: replace the BXML of every active call.

The matching calls are listed first (every page), then changed by ``--workers`` threads
at most. Each PUT honours 429 ``Retry-After`` through the client's retry policy. A call
that ended in the meantime (404, 409) is reported as ended, not as a failure. A PUT that
may have been applied without an answer saying so (a timeout or dropped connection after
sending, a 5xx) is reported as unknown: the client never sends it again, since Bandwidth
starts the document over on every PUT. Any other error counts as a failure, by its type.
Failed or unknown calls make the exit status 1.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

from . import EXIT_INVALID, EXIT_OK, Context, UsageError
from ._client import make_client

if TYPE_CHECKING:
    from ..client import CallsClient
    from ..models import CallState

#: CallState.state values of a call that runs BXML and has not ended.
ACTIVE_STATES = frozenset({"initiated", "answered"})
#: The most requests in flight at once (the client's connection pool holds 16).
MAX_WORKERS = 16
DEFAULT_WORKERS = 4

REPLACED = "replaced"
ENDED = "ended"
UNKNOWN = "unknown"
FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    """What happened to one call: ``kind`` is replaced, ended, unknown or failed.

    Unknown: the PUT may have reached Bandwidth and been applied, but no answer said so.
    """

    call_id: str
    kind: str
    error_type: str | None = None
    detail: str = ""

    def line(self) -> str:
        """One line for the terminal."""
        if self.kind == REPLACED:
            return f"{self.call_id}: BXML replaced"
        if self.kind == ENDED:
            return f"{self.call_id}: ended or not modifiable, left alone ({self.detail})"
        if self.kind == UNKNOWN:
            return (
                f"{self.call_id}: unknown, the BXML may have been applied (not sent again; "
                f"check the call): {self.error_type}: {self.detail}"
            )
        return f"{self.call_id}: failed: {self.error_type}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        """The outcome as a JSON object."""
        return {
            "callId": self.call_id,
            "outcome": self.kind,
            "errorType": self.error_type,
            "detail": self.detail or None,
        }


class Progress(Protocol):
    """A progress display (a tqdm bar, or nothing)."""

    def update(self, n: int = 1) -> object:
        """Count ``n`` more finished calls."""

    def close(self) -> None:
        """Stop drawing."""


def configure_bxml(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``calls bxml``."""
    parser.add_argument(
        "targets",
        nargs="+",
        metavar="[ID] FILE",
        help="the call and the <Bxml> file (- reads stdin); with --all-active, the file only",
    )
    parser.add_argument(
        "--all-active",
        action="store_true",
        help="replace the BXML of every active call (state initiated or answered, no end time)",
    )
    parser.add_argument("--to", help="with --all-active: only calls to this number")
    parser.add_argument(
        "--from", dest="from_", help="with --all-active: only calls from this number"
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=DEFAULT_WORKERS,
        help=f"with --all-active: calls changed at once, 1-{MAX_WORKERS} "
        f"(default {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --all-active: list the calls, change nothing"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per call")


def resolve_targets(args: argparse.Namespace) -> None:
    """Set ``args.call_id`` and ``args.file`` from the positionals, or raise UsageError."""
    targets: list[str] = args.targets
    if args.all_active:
        if len(targets) != 1:
            raise UsageError("calls bxml --all-active takes one FILE and no call id")
        args.call_id, args.file = None, targets[0]
        return
    if len(targets) != 2:
        raise UsageError("calls bxml takes a call ID and a FILE (or --all-active FILE)")
    given = [flag for flag, on in (("--to", args.to), ("--from", args.from_)) if on is not None]
    if args.dry_run:
        given.append("--dry-run")
    if given:
        verb = "applies" if len(given) == 1 else "apply"
        raise UsageError(f"{', '.join(given)} {verb} only with --all-active")
    args.call_id, args.file = targets


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not allowed; give a whole number 1 to {MAX_WORKERS}"
        )
    return value


def is_active(call: CallState) -> bool:
    """Whether a call still runs BXML: no end time, state initiated or answered."""
    return call.end_time is None and call.state in ACTIVE_STATES


def run_bulk(args: argparse.Namespace, context: Context, payload: str) -> int:
    """Replace the BXML of every matching active call; the exit status."""
    with make_client(args, context.environ) as client:
        listed = list(client.list_calls(to=args.to, from_=args.from_))
        active = [call for call in listed if is_active(call) and call.call_id]
        print(
            f"{len(active)} active call(s) match; {len(listed) - len(active)} other(s) "
            "ended or not answered are left alone",
            file=context.stderr,
        )
        if args.dry_run:
            for call in active:
                where = f"{call.state}, {call.from_ or '-'} -> {call.to or '-'}"
                line = f"{call.call_id}: would replace BXML ({where})"
                _emit(args, context, line, {"callId": call.call_id, "outcome": "dry-run"})
            return EXIT_OK
        outcomes: list[Outcome] = []
        try:
            _replace_all(client, args, context, [str(c.call_id) for c in active], payload, outcomes)
        except KeyboardInterrupt:
            left = len(active) - len(outcomes)
            print(f"{summary(outcomes)}; {left} not attempted (interrupted)", file=context.stderr)
            raise
    print(summary(outcomes), file=context.stderr)
    return EXIT_INVALID if any(o.kind in (FAILED, UNKNOWN) for o in outcomes) else EXIT_OK


def _replace_all(
    client: CallsClient,
    args: argparse.Namespace,
    context: Context,
    ids: list[str],
    payload: str,
    outcomes: list[Outcome],
) -> None:
    progress = make_progress(len(ids), context.stderr)
    pool = ThreadPoolExecutor(max_workers=args.workers)
    futures: list[Future[Outcome]] = []
    reported: set[Future[Outcome]] = set()

    def record(future: Future[Outcome]) -> None:
        reported.add(future)
        outcome = future.result()
        outcomes.append(outcome)
        _emit(args, context, outcome.line(), outcome.to_json(), progress)
        progress.update(1)

    try:
        futures = [pool.submit(replace_one, client, call_id, payload) for call_id in ids]
        for future in as_completed(futures):
            record(future)
    finally:
        # On an interrupt, calls not started yet are left alone; those in flight finish,
        # and are reported.
        pool.shutdown(wait=True, cancel_futures=True)
        for future in futures:
            if future not in reported and not future.cancelled() and not future.exception():
                record(future)
        progress.close()


def replace_one(client: CallsClient, call_id: str, payload: str) -> Outcome:
    """PUT the BXML on one call and say what happened.

    404 and 409 mean the call ended: the client sent no earlier attempt that may have
    arrived (it never repeats a PUT after that), so nothing was changed.
    """
    from ..exceptions import (
        CallControlError,
        ConflictError,
        NotFoundError,
        ServerError,
        TransportError,
    )

    try:
        client.update_call_bxml(call_id, payload)
    except (NotFoundError, ConflictError) as exc:
        reason = exc.description or exc.error_type or "no description"
        return Outcome(call_id, ENDED, type(exc).__name__, f"{exc.status}: {reason}")
    except CallControlError as exc:
        detail = " ".join(str(exc).split())
        maybe_applied = isinstance(exc, ServerError) or (
            isinstance(exc, TransportError) and exc.maybe_sent
        )
        return Outcome(call_id, UNKNOWN if maybe_applied else FAILED, type(exc).__name__, detail)
    return Outcome(call_id, REPLACED)


def summary(outcomes: Iterable[Outcome]) -> str:
    """One line: how many calls were replaced, ended meanwhile, unknown and failed, by error
    type (unknown only when there are some)."""
    outcomes = list(outcomes)
    kinds = Counter(o.kind for o in outcomes)
    parts = [f"{len(outcomes)} call(s): {kinds[REPLACED]} replaced"]
    labels = [(ENDED, "ended or not modifiable")]
    if kinds[UNKNOWN]:
        labels.append((UNKNOWN, "unknown, may have been applied"))
    labels.append((FAILED, "failed"))
    for kind, label in labels:
        types = Counter(o.error_type for o in outcomes if o.kind == kind)
        if types:
            detail = ", ".join(f"{name}: {count}" for name, count in sorted(types.items()))
            parts.append(f"{kinds[kind]} {label} ({detail})")
        else:
            parts.append(f"0 {label}")
    return "; ".join(parts)


def make_progress(total: int, stream: IO[str]) -> Progress:
    """A tqdm progress bar on a terminal; nothing otherwise (tqdm is imported only then)."""
    if not stream.isatty():
        return _NoProgress()
    from tqdm import tqdm

    bar: Progress = tqdm(total=total, file=stream, unit="call", desc="replacing BXML")
    return bar


class _NoProgress:
    def update(self, n: int = 1) -> object:
        return None

    def close(self) -> None:
        pass


def _emit(
    args: argparse.Namespace,
    context: Context,
    line: str,
    data: dict[str, Any],
    progress: Progress | None = None,
) -> None:
    text = json.dumps(data, ensure_ascii=False) if args.json else line
    if progress is not None and not isinstance(progress, _NoProgress):
        from tqdm import tqdm

        tqdm.write(text, file=context.stdout)
    else:
        print(text, file=context.stdout)
