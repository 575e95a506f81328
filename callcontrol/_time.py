"""ISO 8601 timestamps and durations as the Voice API writes them (private).

The one place where callcontrol reads and writes times: request and response models, callback
events and the client's query parameters all use these four functions.

``datetime.fromisoformat`` on Python 3.10 accepts neither ``Z`` nor fractions other than
3 or 6 digits, both of which the API sends, hence this small parser.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal

__all__ = ["format_datetime", "format_duration", "parse_datetime", "parse_duration"]

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)
_NUMBER = r"([0-9]+(?:[.,][0-9]+)?)"
_DURATION = re.compile(
    rf"(-)?P(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_UNIT_MICROS = (604_800_000_000, 86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000)
# The form the API writes every timestamp in: UTC, milliseconds, a "Z".
_API_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")

if sys.version_info >= (3, 11):
    _from_api_form = datetime.fromisoformat
else:  # pragma: no cover - 3.10's fromisoformat does not read a "Z"

    def _from_api_form(text: str) -> datetime:
        return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)


def parse_datetime(text: str) -> datetime | None:
    """Read an ISO 8601 date-time into an aware datetime; None if ``text`` is not one.

    A timestamp without an offset is taken as UTC, which is what the API means by it.
    Fractions beyond microseconds are truncated.
    """
    if len(text) == 24 and _API_FORM.fullmatch(text) is not None:
        try:
            return _from_api_form(text)
        except ValueError:  # a day or hour out of range
            return None
    return _parse_any_datetime(text)


def _parse_any_datetime(text: str) -> datetime | None:
    """:func:`parse_datetime` for every form (the API's own form has a fast path)."""
    match = _ISO.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _z, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = timezone.utc
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError:
        return None


def format_datetime(value: datetime) -> str:
    """Write a datetime as UTC ISO 8601 with a ``Z``, the way the API writes its own.

    Milliseconds (``2019-06-20T15:56:11.554Z``), microseconds when they are needed, and no
    fraction for a whole second. A naive datetime is taken to be UTC already.
    """
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    micro = value.microsecond
    if micro == 0:
        fraction = ""
    elif micro % 1000 == 0:
        fraction = f".{micro // 1000:03d}"
    else:
        fraction = f".{micro:06d}"
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}{fraction}Z"
    )


def parse_duration(text: str) -> timedelta | None:
    """Read an ISO 8601 duration such as ``PT4.9891287S`` or ``P1DT2H``; None if it is not one.

    Years and months have no fixed length and are refused; sub-microsecond digits are dropped.
    """
    match = _DURATION.fullmatch(text)
    parts = match.groups()[1:] if match else ()
    if match is None or all(part is None for part in parts) or text.endswith("T"):
        return None
    pairs = zip(parts, _UNIT_MICROS, strict=True)
    micros = sum(
        (Decimal(part.replace(",", ".")) * unit for part, unit in pairs if part), Decimal(0)
    )
    try:
        result = timedelta(microseconds=int(micros))
    except OverflowError:
        return None
    return -result if match.group(1) else result


def format_duration(value: timedelta) -> str:
    """Write a timedelta as an ISO 8601 duration in seconds, e.g. ``PT4.98S``."""
    micros = abs(value) // timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    text = f"{seconds}.{fraction:06d}".rstrip("0").rstrip(".")
    return f"{'-' if value < timedelta(0) else ''}PT{text}S"
