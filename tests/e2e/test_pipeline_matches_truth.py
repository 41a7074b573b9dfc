"""End to end: simulated shop traffic through the REAL local collector, the loader and dbt, checked against
the simulator's ground truth. Human sessions, orders and revenue per day must match exactly.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import orjson
import psycopg
import pytest

from clickstream.demo import entry_point, free_port, start_ingest, stop_process
from simulator.run import Settings, simulate

pytestmark = pytest.mark.slow


def test_one_day_through_the_collector_matches_the_ground_truth(pg_dsn, tmp_path):
    raw = tmp_path / "raw"
    # GIVEN the real collector on a free 127.0.0.1 port
    ingest = start_ingest(str(raw), free_port(), tmp_path / "ingest.log")
    try:
        # WHEN a full UTC day of dirty shop traffic (bots, retries, late, skewed, malformed) is POSTed to it
        yesterday = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        port = ingest.args[ingest.args.index("--port") + 1]
        summary = simulate(Settings(days=1, seed=2026, visitors_per_day=700, start=yesterday,
                                    endpoint=f"http://127.0.0.1:{port}/v1/events", concurrency=32,
                                    truth_path=str(tmp_path / "truth.json")))
    finally:
        stop_process(ingest)
    truth = orjson.loads((tmp_path / "truth.json").read_bytes())
    assert truth["endpoint"]["unexpected_rejections"] == 0
    assert truth["dirt"]["duplicate_events"] > 0 and truth["dirt"]["malformed_events"] > 0

    # AND the hourly job loads the raw store and runs dbt build
    job = subprocess.run([entry_point("clickstream-hourly"), "--since", "3h", "--source", str(raw), "--dsn", pg_dsn],
                         capture_output=True, text=True, env={**os.environ, "CLICKSTREAM_DSN": pg_dsn}, timeout=1800)
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]

    # THEN the marts agree with the ground truth, day by day, for human traffic
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("set time zone 'UTC'")
        sessions = {d: (n, conv, rev, views) for d, n, conv, rev, views in conn.execute(
            "select session_date::text, count(*), count(*) filter (where is_converted),"
            " coalesce(sum(revenue), 0), sum(page_views) from marts.fct_sessions group by 1").fetchall()}
        orders = {d: (n, rev) for d, n, rev in conn.execute(
            "select order_date::text, count(*), sum(revenue) from marts.fct_orders group by 1").fetchall()}
        bot_sessions = conn.execute("select count(*) from marts.fct_sessions where is_bot").fetchone()[0]
        rejected = conn.execute("select count(*) from raw.rejected_events").fetchone()[0]
    assert bot_sessions == 0
    assert rejected == truth["dirt"]["malformed_events"]
    expected_days = {d: v for d, v in truth["days"].items() if v["sessions"] or v["orders"]}
    assert set(sessions) == set(expected_days)
    for day, want in expected_days.items():
        n, converted, session_revenue, views = sessions[day]
        assert n == want["sessions"], f"{day}: sessions"
        assert converted == want["converted_sessions"], f"{day}: converted sessions"
        assert Decimal(str(session_revenue)).quantize(Decimal("0.01")) == Decimal(str(want["session_revenue"])).quantize(Decimal("0.01"))
        assert views == want["page_views"], f"{day}: page views"
        got_orders, got_revenue = orders.get(day, (0, 0))
        assert got_orders == want["orders"], f"{day}: orders"
        assert Decimal(str(got_revenue)).quantize(Decimal("0.01")) == Decimal(str(want["revenue"])).quantize(Decimal("0.01")), f"{day}: revenue"
    assert summary["totals"]["sessions"] > 500
