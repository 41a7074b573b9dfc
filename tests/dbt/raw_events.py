"""Write collected_event rows straight into raw.events, as clickstream-load would, for dbt tests.

An Event is one line of a raw object (the contract's collected_event); insert_events stamps the loader's
system columns (_load_id, _loaded_at, _source_key, _line_no) and keeps the whole line as payload.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg

import contract

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
SHOP = "https://shop.example"
TYPED_COLUMNS = [name for name, _ in contract.raw_columns("collected_event")]


def at(minutes: float, base: datetime = T0) -> datetime:
    return base + timedelta(minutes=minutes)


def event(
    event_type: str,
    when: datetime,
    anonymous_id: str,
    *,
    session_id: str | None = None,
    user_id: str | None = None,
    page: str | None = "/",
    referrer: str | None = None,
    utm: dict[str, str] | None = None,
    ecom: dict[str, Any] | None = None,
    props: dict[str, Any] | None = None,
    is_bot: bool = False,
    device_type: str = "desktop",
    country: str | None = "DE",
    received_delay: timedelta = timedelta(seconds=2),
    event_id: str | None = None,
) -> dict[str, Any]:
    """One collected_event line (the collector's output) with sensible defaults."""
    received = when + received_delay
    referrer_host = None
    if referrer:
        referrer_host = referrer.split("/")[2].lower().removeprefix("www.")
    line = {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "ts": when.isoformat(),
        "sent_at": received.isoformat(),
        "received_at": received.isoformat(),
        "event_at": when.isoformat(),
        "clock_skew_ms": 0,
        "session_id": session_id or f"cs-{anonymous_id}",
        "anonymous_id": anonymous_id,
        "user_id": user_id,
        "user_id_source": "token" if user_id else None,
        "page_url": SHOP + page if page else None,
        "page_title": page,
        "referrer": referrer,
        "referrer_host": referrer_host,
        "is_bot": is_bot,
        "bot_reason": "crawler_ua" if is_bot else None,
        "request_id": uuid.uuid4().hex,
        "device": {"type": device_type, "browser": "Firefox", "os": "Linux"},
        "geo": {"country": country},
        "utm": utm or {},
    }
    if ecom is not None:
        line["ecom"] = ecom
    if props is not None:
        line["props"] = props
    return line


@dataclass
class Loader:
    """Stamps rows like one clickstream-load run per insert (a load run row, then COPY-like inserts)."""

    dsn: str
    loaded_at: datetime = field(default_factory=lambda: datetime(2026, 11, 3, tzinfo=timezone.utc))

    def insert(self, lines: list[dict[str, Any]], loaded_at: datetime | None = None) -> int:
        loaded_at = loaded_at or self.loaded_at
        with psycopg.connect(self.dsn) as conn:
            load_id = conn.execute(
                "insert into ops.load_runs (started_at, finished_at, status, objects, rows)"
                " values (%s, %s, 'succeeded', 1, %s) returning load_id",
                (loaded_at, loaded_at + timedelta(seconds=5), len(lines)),
            ).fetchone()[0]
            source_key = f"events/test/{uuid.uuid4()}.ndjson.gz"
            partition = min((datetime.fromisoformat(x["received_at"]) for x in lines), default=loaded_at)
            conn.execute(
                "insert into ops.loaded_objects (source_key, kind, partition_hour, size_bytes, load_id, loaded_at, rows)"
                " values (%s, 'events', date_trunc('hour', %s::timestamptz), 0, %s, %s, %s)",
                (source_key, partition, load_id, loaded_at, len(lines)),
            )
            columns = TYPED_COLUMNS + ["payload", "_load_id", "_loaded_at", "_source_key", "_line_no"]
            with conn.cursor().copy(
                f"copy raw.events ({', '.join(columns)}) from stdin"
            ) as copy:
                for line_no, line in enumerate(lines, start=1):
                    copy.write_row(
                        [line.get(name) for name in TYPED_COLUMNS]
                        + [json.dumps(line), load_id, loaded_at, source_key, line_no]
                    )
        return load_id
