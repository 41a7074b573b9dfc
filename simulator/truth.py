"""Ground truth: what the warehouse must report for the simulated HUMAN traffic, per UTC day.

Computed from the events that really reach the warehouse (first copies of valid events; duplicates,
malformed events and corrupt lines excluded), under the shared definitions:
- visitor = the user_id an anonymous_id logged in as, else the anonymous_id (identity stitching);
- sessions per visitor in event time, a new one after >= 30 minutes without activity
  (delivery_report is not activity); day = UTC date of the session start;
- a session is converted when it has a purchase; revenue = sum of distinct orders' revenue;
- engaged session = duration >= 10 s, or >= 2 page views, or converted;
- orders per day by the UTC date of the order's first purchase event; events per day by event date.
The sessionization here is an independent reference implementation at visit granularity (a visit's own
gaps are < 10 minutes by construction, so a visit never splits).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import orjson

from simulator.behavior import DAY_MS

SESSION_TIMEOUT_MS = 30 * 60_000
ENGAGED_MS = 10_000


def day_of(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%d")


class _VisitSummary:
    __slots__ = ("device", "first", "last", "page_views", "orders", "channel", "device_type", "country")

    def __init__(self, device, first, last, page_views, orders, channel, device_type, country):
        self.device, self.first, self.last = device, first, last
        self.page_views, self.orders = page_views, orders
        self.channel, self.device_type, self.country = channel, device_type, country


class TruthRecorder:
    def __init__(self, meta: dict):
        self.meta = meta
        self.visits: list[_VisitSummary] = []
        self.events = defaultdict(int)  # (day index, event_type) -> count, human only
        self.bot_events = defaultdict(int)  # day index -> count
        self.bot_visits = defaultdict(int)
        self.dirt = defaultdict(int)

    def human_visit(self, visit) -> None:
        counts = self.events
        first = last = None
        page_views = 0
        orders: dict[str, tuple[int, float]] = {}
        for ev in visit.events:
            t, etype = ev[0], ev[1]
            counts[(t // DAY_MS, etype)] += 1
            if etype == "delivery_report":
                continue
            if first is None:
                first = t
            last = t
            if etype == "view":
                page_views += 1
            elif etype == "purchase":
                order = ev[3][0]
                if order["order_id"] not in orders:
                    orders[order["order_id"]] = (t, order["revenue"])
        if first is None:
            return
        self.visits.append(_VisitSummary(visit.device, first, last, page_views, orders, visit.channel,
                                         visit.agent.device_type, visit.country))

    def bot_visit(self, visit) -> None:
        if visit.events:
            day = visit.events[0][0] // DAY_MS
            self.bot_visits[day] += 1
            self.bot_events[day] += len(visit.events)

    def count(self, what: str, n: int = 1) -> None:
        self.dirt[what] += n

    # --- the answer ----------------------------------------------------------------------------------
    def result(self) -> dict:
        def visitor_of(device) -> str:
            # Stitching: a browser that ever logged in belongs to its user; else it is its own visitor.
            return device.person.user_id if device.identified else device.anonymous_id

        by_visitor: dict[str, list[_VisitSummary]] = defaultdict(list)
        for v in self.visits:
            by_visitor[visitor_of(v.device)].append(v)

        days: dict[str, dict] = defaultdict(lambda: {
            "sessions": 0, "visitors": set(), "converted_sessions": 0, "engaged_sessions": 0,
            "session_revenue": Decimal("0"), "page_views": 0, "orders": 0, "revenue": Decimal("0"),
            "sessions_by_channel": defaultdict(int), "sessions_by_device": defaultdict(int),
            "sessions_by_country": defaultdict(int), "events": {},
        })
        order_days: dict[str, tuple[int, float]] = {}
        visits = 0
        for visitor, vs in by_visitor.items():
            vs.sort(key=lambda v: v.first)
            sessions: list[list[_VisitSummary]] = []
            for v in vs:
                visits += 1
                if sessions and v.first - sessions[-1][-1].last < SESSION_TIMEOUT_MS:
                    sessions[-1].append(v)
                else:
                    sessions.append([v])
            for parts in sessions:
                start, end = parts[0].first, max(p.last for p in parts)
                d = days[day_of(start)]
                orders = {}
                for p in parts:
                    for oid, (t, revenue) in p.orders.items():
                        orders.setdefault(oid, (t, revenue))
                        if oid not in order_days or t < order_days[oid][0]:
                            order_days[oid] = (t, revenue)
                views = sum(p.page_views for p in parts)
                d["sessions"] += 1
                d["visitors"].add(visitor)
                d["page_views"] += views
                d["sessions_by_channel"][parts[0].channel] += 1
                d["sessions_by_device"][parts[0].device_type] += 1
                d["sessions_by_country"][parts[0].country] += 1
                if orders:
                    d["converted_sessions"] += 1
                    d["session_revenue"] += sum(Decimal(str(r)) for _, r in orders.values())
                if end - start >= ENGAGED_MS or views >= 2 or orders:
                    d["engaged_sessions"] += 1
        for _oid, (t, revenue) in order_days.items():
            d = days[day_of(t)]
            d["orders"] += 1
            d["revenue"] += Decimal(str(revenue))
        for (day_index, etype), n in self.events.items():
            days[day_of(day_index * DAY_MS)]["events"][etype] = n
        out_days = {}
        for day in sorted(days):
            d = days[day]
            out_days[day] = {
                "sessions": d["sessions"],
                "visitors": len(d["visitors"]),
                "converted_sessions": d["converted_sessions"],
                "engaged_sessions": d["engaged_sessions"],
                "orders": d["orders"],
                "revenue": float(d["revenue"]),
                "session_revenue": float(d["session_revenue"]),
                "page_views": d["page_views"],
                "events": dict(sorted(d["events"].items())),
                "sessions_by_channel": dict(sorted(d["sessions_by_channel"].items())),
                "sessions_by_device": dict(sorted(d["sessions_by_device"].items())),
                "sessions_by_country": dict(sorted(d["sessions_by_country"].items())),
                "bot_visits": self.bot_visits.get(d_index(day), 0),
                "bot_events": self.bot_events.get(d_index(day), 0),
            }
        totals = {k: sum(v[k] for v in out_days.values())
                  for k in ("sessions", "converted_sessions", "orders", "page_views", "bot_visits", "bot_events")}
        totals["revenue"] = float(sum(Decimal(str(v["revenue"])) for v in out_days.values()))
        totals["human_visits"] = visits
        totals["human_events"] = sum(self.events.values())
        return {
            **self.meta,
            "definitions": {
                "traffic": "human only (is_bot false); bots are counted in bot_visits/bot_events",
                "session": "per stitched visitor, new after >= 30 min without activity in event_at; day = UTC date of start",
                "orders": "distinct order_id, day = UTC date of the first purchase event",
                "revenue": "sum of distinct orders' ecom.revenue (orders by order day; session_revenue by session day)",
            },
            "days": out_days,
            "totals": totals,
            "dirt": dict(sorted(self.dirt.items())),
        }


def d_index(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() * 1000) // DAY_MS


def write(result: dict, target: str) -> str:
    """Write a truth document to a local path or s3:// URI; returns where it went."""
    data = orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    if target.startswith("s3://"):
        from simulator.rawstore import put_bytes

        put_bytes(target, data)
    else:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return target


def merge(documents: list[dict]) -> dict[str, dict]:
    """Per-day sums over several truth documents (e.g. every demo run): sessions, orders, revenue ..."""
    out: dict[str, dict] = {}
    for doc in documents:
        for day, d in doc["days"].items():
            agg = out.setdefault(day, {"sessions": 0, "orders": 0, "revenue": Decimal("0"), "converted_sessions": 0,
                                       "session_revenue": Decimal("0"), "page_views": 0, "engaged_sessions": 0})
            for key in ("sessions", "orders", "converted_sessions", "page_views", "engaged_sessions"):
                agg[key] += d[key]
            agg["revenue"] += Decimal(str(d["revenue"]))
            agg["session_revenue"] += Decimal(str(d["session_revenue"]))
    return out


def combine(results: list[dict]) -> dict:
    """One truth document from the documents of disjoint shards of the same run (counts and sums add up)."""

    def add(into: dict, other: dict) -> None:
        for key, value in other.items():
            if isinstance(value, dict):
                add(into.setdefault(key, {}), value)
            elif isinstance(value, bool) or isinstance(value, str) or value is None:
                into.setdefault(key, value)
            elif isinstance(value, float):
                into[key] = float(Decimal(str(into.get(key, 0))) + Decimal(str(value)))
            else:
                into[key] = into.get(key, 0) + value

    out: dict = {}
    for doc in results:
        add(out, doc)
    out["days"] = {day: out["days"][day] for day in sorted(out.get("days", {}))}
    for d in out["days"].values():
        for key in ("events", "sessions_by_channel", "sessions_by_device", "sessions_by_country"):
            d[key] = dict(sorted(d.get(key, {}).items()))
    out["dirt"] = dict(sorted(out.get("dirt", {}).items()))
    return out
