"""--since / --until: an ISO 8601 time (UTC if it has no offset) or a span back from now (90m, 2h, 3d)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_SPAN_RE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_instant(text: str, now: datetime) -> datetime:
    """'2h' -> now - 2 hours; '2026-11-22T09:00' -> that time in UTC; 'now' -> now."""
    if text.strip().lower() == "now":
        return now
    span = _SPAN_RE.match(text)
    if span:
        return now - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO time (2026-11-22T09:00Z) nor a span (90m, 2h, 3d)"
        ) from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
