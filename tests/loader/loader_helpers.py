"""Loader test helpers (imported by the tests): write raw objects in the contract's layout, run the real
commands, count rows."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import psycopg

from contract import layout

BIN = Path(sys.executable).parent


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def collected_event(received_at: datetime, **overrides) -> dict:
    """A valid collected_event line (what the collector writes)."""
    event = {
        "event_id": str(uuid.uuid4()),
        "event_type": "view",
        "ts": iso(received_at - timedelta(seconds=2)),
        "sent_at": iso(received_at - timedelta(seconds=1)),
        "received_at": iso(received_at),
        "event_at": iso(received_at - timedelta(seconds=1)),
        "clock_skew_ms": -1000,
        "session_id": "sess-1",
        "anonymous_id": "anon-1",
        "user_id": None,
        "user_id_source": None,
        "page_url": "https://shop.example/p/laptop-15?utm_source=news",
        "page_title": 'Laptop 15" \\ "Pro"\ttab',  # quotes, backslash and tab survive COPY text escaping
        "referrer": None,
        "referrer_host": None,
        "is_bot": False,
        "bot_reason": None,
        "request_id": "req-1",
        "device": {"type": "desktop", "browser": "Firefox"},
        "geo": {"country": "DE", "city": None},
        "utm": {"source": "news"},
        "ecom": {"product_id": "sku-1", "price": 999.0},
    }
    event.update(overrides)
    return event


def rejected_event(received_at: datetime) -> dict:
    return {
        "received_at": iso(received_at),
        "request_id": "req-9",
        "reason": "schema_violation",
        "error": "event_type: not one of the enum",
        "event_index": 0,
        "event_id": "not-a-uuid",
        "payload": {"event_type": "nope"},
    }


class RawStore:
    """A raw store folder written the way the collector writes it."""

    def __init__(self, root: Path):
        self.root = root

    def write(
        self, received_at: datetime, lines: list, kind: str = layout.EVENTS, key: str | None = None
    ) -> str:
        """Write one gzip NDJSON object; lines are dicts (serialized) or bytes (written as they are)."""
        key = key or layout.object_key(kind, received_at)
        body = b"".join((line if isinstance(line, bytes) else orjson.dumps(line)) + b"\n" for line in lines)
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(gzip.compress(body, compresslevel=1))
        tmp.rename(path)  # atomic, like the collector
        return key

    def write_events(self, received_at: datetime, count: int, **overrides) -> tuple[str, list[dict]]:
        events = [collected_event(received_at + timedelta(milliseconds=i), **overrides) for i in range(count)]
        return self.write(received_at, events), events


def run_cli(*args: str, env: dict | None = None, timeout: float = 120, command: str = "clickstream-load"):
    """Run an installed command for real (its own process, its real exit code)."""
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(
        [str(BIN / command), *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )


def count(dsn: str, query: str, params: tuple = ()):
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchone()[0]
