"""The raw store layout, shared by the collector (writer), the simulator and the loader (reader).

    <root>/events/year=YYYY/month=MM/day=DD/hour=HH/<received-ts>-<uuid>.ndjson.gz
    <root>/rejected/year=YYYY/month=MM/day=DD/hour=HH/<received-ts>-<uuid>.ndjson.gz

Partitions are by *received* hour in UTC, so a partition is final once its hour has passed (plus the
flush interval). <root> is a local folder (the embedded default) or s3://bucket/prefix.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import datetime, timedelta, timezone

EVENTS = "events"
REJECTED = "rejected"
KINDS = (EVENTS, REJECTED)
OBJECT_SUFFIX = ".ndjson.gz"

# Where the embedded defaults live (relative to the working directory unless absolute).
HOME = os.environ.get("CLICKSTREAM_HOME", ".clickstream")
DEFAULT_RAW_URI = os.path.join(HOME, "raw")

_PARTITION_RE = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})/")


def raw_uri(explicit: str | None = None) -> str:
    """The raw store root: explicit value, else $CLICKSTREAM_RAW_URI, else the embedded folder."""
    return explicit or os.environ.get("CLICKSTREAM_RAW_URI") or DEFAULT_RAW_URI


def partition_prefix(kind: str, hour: datetime) -> str:
    """Relative prefix of one hour partition, e.g. events/year=2026/month=11/day=22/hour=09/."""
    if kind not in KINDS:
        raise ValueError(f"unknown raw kind {kind!r}")
    h = hour.astimezone(timezone.utc)
    return f"{kind}/year={h:%Y}/month={h:%m}/day={h:%d}/hour={h:%H}/"


def object_key(kind: str, received_at: datetime, object_id: uuid.UUID | None = None) -> str:
    """Relative key of a new object received at received_at (UTC)."""
    r = received_at.astimezone(timezone.utc)
    stamp = r.strftime("%Y%m%dT%H%M%S") + f"{r.microsecond // 1000:03d}Z"
    return f"{partition_prefix(kind, r)}{stamp}-{object_id or uuid.uuid4()}{OBJECT_SUFFIX}"


def partition_hour(key: str) -> datetime | None:
    """The UTC hour a key's partition stands for, or None if the key is not in the layout."""
    m = _PARTITION_RE.search(key)
    if not m:
        return None
    y, mo, d, h = map(int, m.groups())
    return datetime(y, mo, d, h, tzinfo=timezone.utc)


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    """Every UTC hour whose partition can hold objects received in [start, end]."""
    first = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    last = end.astimezone(timezone.utc)
    hours = []
    while first <= last:
        hours.append(first)
        first += timedelta(hours=1)
    return hours
