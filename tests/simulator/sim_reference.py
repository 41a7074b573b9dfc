"""An independent Python reading of the raw store under the shared definitions (what dbt must compute).

Used to check the simulator's ground truth against the data it actually wrote: dedupe by event_id
(first received), humans only, identity stitching from identify events, 30-minute sessions in event_at,
orders deduped by order_id.
"""

from __future__ import annotations

import glob
import os
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import orjson
from isal import igzip

from lambda_ingest.segments import wait_sealed

TIMEOUT_S = 30 * 60


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def read_lines(root: str, kind: str = "events") -> tuple[list[dict], int]:
    """Every parseable line with the required keys, and the number of lines that are not (once a collector
    writing there has sealed what it answered for)."""
    wait_sealed(root)
    good, bad = [], 0
    for path in sorted(glob.glob(os.path.join(root, kind, "**", "*.ndjson.gz"), recursive=True)):
        for line in igzip.decompress(open(path, "rb").read()).splitlines():
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                bad += 1
                continue
            if kind == "events" and not all(k in record for k in ("event_id", "event_type", "event_at", "received_at", "is_bot")):
                bad += 1
                continue
            good.append(record)
    return good, bad


def warehouse_days(records: list[dict]) -> dict[str, dict]:
    first: dict[str, dict] = {}
    for r in records:
        kept = first.get(r["event_id"])
        if kept is None or r["received_at"] < kept["received_at"]:
            first[r["event_id"]] = r
    humans = [r for r in first.values() if not r["is_bot"]]
    login: dict[str, tuple[str, str]] = {}
    for r in humans:
        if r["event_type"] == "identify" and r.get("user_id"):
            prev = login.get(r["anonymous_id"])
            if prev is None or r["event_at"] > prev[0]:
                login[r["anonymous_id"]] = (r["event_at"], r["user_id"])
    by_visitor: dict[str, list[dict]] = defaultdict(list)
    for r in humans:
        if r["event_type"] == "delivery_report":
            continue
        visitor = login[r["anonymous_id"]][1] if r["anonymous_id"] in login else r["anonymous_id"]
        by_visitor[visitor].append(r)
    days: dict[str, dict] = defaultdict(lambda: {"sessions": 0, "converted_sessions": 0, "orders": 0,
                                                 "revenue": Decimal(0), "session_revenue": Decimal(0),
                                                 "page_views": 0, "engaged_sessions": 0})
    order_first: dict[str, tuple[str, float]] = {}
    for events in by_visitor.values():
        events.sort(key=lambda r: r["event_at"])
        sessions: list[list[dict]] = []
        last = None
        for r in events:
            t = _ts(r["event_at"])
            if last is None or t - last >= TIMEOUT_S:
                sessions.append([])
            sessions[-1].append(r)
            last = t
        for s in sessions:
            d = days[s[0]["event_at"][:10]]
            d["sessions"] += 1
            views = sum(1 for r in s if r["event_type"] == "view")
            d["page_views"] += views
            orders = {}
            for r in s:
                if r["event_type"] == "purchase":
                    orders.setdefault(r["ecom"]["order_id"], r["ecom"]["revenue"])
                    oid = r["ecom"]["order_id"]
                    if oid not in order_first or r["event_at"] < order_first[oid][0]:
                        order_first[oid] = (r["event_at"], r["ecom"]["revenue"])
            if orders:
                d["converted_sessions"] += 1
                d["session_revenue"] += sum(Decimal(str(v)) for v in orders.values())
            if _ts(s[-1]["event_at"]) - _ts(s[0]["event_at"]) >= 10 or views >= 2 or orders:
                d["engaged_sessions"] += 1
    for at, revenue in order_first.values():
        d = days[at[:10]]
        d["orders"] += 1
        d["revenue"] += Decimal(str(revenue))
    return dict(days)
