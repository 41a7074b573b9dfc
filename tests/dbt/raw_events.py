"""Write collected_event rows straight into raw.events, as clickstream-load would, for dbt tests.

An Event is one line of a raw object (the contract's collected_event); insert_events stamps the loader's
system columns (_load_id, _loaded_at, _source_key, _line_no) and keeps the whole line as payload.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
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


REES46_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "rees46-2019-10-01-first-1000.csv"


def rees46_events(path: Path | None = None) -> list[dict[str, Any]]:
    """The real REES46 shopper sample (1,000 rows of 2019-10-01) as collected events.

    Real: times, event types, products, categories, brands, prices, users and their sessions. Derived (the
    sample has none): page URLs (/product/<id>), anonymous_id (rees46-<user_id>), order ids (one order per
    purchase row), device and country (left unknown).
    """
    import csv

    path = path or Path(os.environ.get("CLICKSTREAM_REES46_SAMPLE", REES46_SAMPLE))
    kinds = {"view": "view", "cart": "add_to_cart", "purchase": "purchase"}
    lines = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            when = datetime.strptime(row["event_time"], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=timezone.utc)
            product = {
                "product_id": row["product_id"],
                "brand": row["brand"] or None,
                "category": row["category_code"] or None,
                "price": float(row["price"]),
                "qty": 1,
            }
            product = {k: v for k, v in product.items() if v is not None}
            kind = kinds[row["event_type"]]
            ecom = dict(product)
            if kind == "purchase":
                ecom = {
                    "order_id": f"rees46-{row['user_session']}-{row['product_id']}",
                    "revenue": float(row["price"]),
                    "currency": "USD",
                    "items": [product],
                }
            line = event(kind, when, f"rees46-{row['user_id']}", session_id=row["user_session"],
                         page=f"/product/{row['product_id']}", ecom=ecom, country=None, device_type="other")
            line.pop("device")
            line.pop("geo")
            lines.append(line)
    return lines


def synthetic_shoppers(visitors: int = 60, days: int = 3, seed: int = 7) -> list[dict[str, Any]]:
    """Shoppers over a few days: landings from every channel, product views, searches, carts, checkouts,
    purchases (some sent twice), logins, heartbeats, SDK delivery reports and a crawler."""
    import random

    rng = random.Random(seed)
    referrers = [None, "https://www.google.com/search", "https://chatgpt.com/", "https://t.co/x",
                 "https://blog.example.org/best-laptops", "https://www.perplexity.ai/search"]
    utms = [None, {"source": "newsletter", "medium": "email", "campaign": "black-friday"},
            {"source": "google", "medium": "cpc", "campaign": "notebooks"}, {"source": "facebook", "medium": "paid_social"}]
    products = [("p-nb-1", "computers.notebook"), ("p-nb-2", "computers.notebook"), ("p-ph-1", "electronics.smartphone"),
                ("p-tv-1", "electronics.video.tv"), ("p-ms-1", "computers.peripherals.mouse")]
    lines = []
    for v in range(visitors):
        anon = f"anon-{v:04d}"
        device = rng.choice(["desktop", "mobile", "tablet"])
        country = rng.choice(["DE", "AT", "CH", "FR", None])
        user = f"user-{v:04d}" if v % 4 == 0 else None
        for s in range(rng.randint(1, 3)):
            t = T0 + timedelta(days=rng.randrange(days), hours=rng.randint(0, 20), minutes=rng.randint(0, 59))
            cs = f"{anon}-cs{s}"
            utm = rng.choice(utms)
            kw = dict(session_id=cs, device_type=device, country=country)
            lines.append(event("view", t, anon, page="/?utm=1" if utm else "/", referrer=rng.choice(referrers), utm=utm, **kw))
            logged_in = None
            for step in range(rng.randint(0, 8)):
                t += timedelta(seconds=rng.randint(3, 400))
                pid, cat = rng.choice(products)
                r = rng.random()
                if r < 0.4:
                    lines.append(event("view", t, anon, user_id=logged_in, page=f"/product/{pid}",
                                       ecom={"product_id": pid, "category": cat, "price": 499.0, "product_name": pid.upper()}, **kw))
                elif r < 0.55:
                    lines.append(event("search", t, anon, user_id=logged_in, page="/search", props={"search_query": rng.choice(["Laptop", "laptop ", "USB-C hub", "tv"])}, **kw))
                elif r < 0.7:
                    lines.append(event("heartbeat", t, anon, user_id=logged_in, **kw))
                elif r < 0.8:
                    lines.append(event("add_to_cart", t, anon, user_id=logged_in, page=f"/product/{pid}", ecom={"product_id": pid, "price": 499.0, "qty": 1}, **kw))
                elif r < 0.85 and user:
                    logged_in = user
                    lines.append(event("identify", t, anon, user_id=user, page="/login", **kw))
                elif r < 0.9:
                    lines.append(event("checkout", t, anon, user_id=logged_in, page="/checkout", **kw))
                    t += timedelta(seconds=30)
                    order = {"order_id": f"o-{anon}-{s}", "revenue": 998.0, "currency": "EUR",
                             "items": [{"product_id": pid, "category": cat, "price": 499.0, "qty": 2}]}
                    lines.append(event("purchase", t, anon, user_id=logged_in, page="/thanks", ecom=order, **kw))
                    if rng.random() < 0.3:  # the SDK resent the purchase as a new event
                        lines.append(event("purchase", t + timedelta(seconds=1), anon, user_id=logged_in, page="/thanks", ecom=order, **kw))
                else:
                    lines.append(event("click", t, anon, user_id=logged_in, **kw))
            if rng.random() < 0.1:
                lines.append(event("delivery_report", t, anon, page=None, props={"dropped_events": 3}, **kw))
    for i in range(40):  # a crawler, every 2 minutes
        lines.append(event("view", T0 + timedelta(minutes=2 * i), "crawler-1", page=f"/product/p-{i}", is_bot=True,
                           device_type="other", country="US"))
    return lines
