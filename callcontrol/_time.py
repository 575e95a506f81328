"""ISO 8601 timestamps as the Voice API writes them, read into timezone-aware datetimes.

``datetime.fromisoformat`` on Python 3.10 accepts neither ``Z`` nor fractions other than
3 or 6 digits, both of which the API sends, hence this small parser.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def parse_datetime(text: str) -> datetime | None:
    """Read an ISO 8601 date-time; None if ``text`` is not one.

    A timestamp without an offset is taken as UTC, which is what the API means by it.
    """
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
    """Write an aware datetime as UTC ISO 8601 with a ``Z``, and a fraction only when needed."""
    utc = value.astimezone(timezone.utc)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"
