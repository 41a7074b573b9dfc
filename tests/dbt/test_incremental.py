"""The property of the incremental models: after late, out-of-order and duplicate events, and logins that
restate earlier anonymous sessions, an incremental run produces exactly what a full refresh produces."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from dbt_runner import MODELS_AND_SEEDS, run_dbt, snapshot
from raw_events import Loader, at, event, synthetic_shoppers

pytestmark = pytest.mark.slow

L1 = datetime(2026, 11, 3, 0, 0, tzinfo=timezone.utc)
L2 = L1 + timedelta(hours=5)

RELATIONS = {
    "intermediate.int_events_deduped": "event_id",
    "intermediate.int_anonymous_ids_stitched": "anonymous_id",
    "intermediate.int_events_sessionized": "event_id",
    "intermediate.int_sessions_aggregated": "session_id",
    "intermediate.int_session_products": "session_id, product_id, date_day",
    "intermediate.int_session_searches": "session_id, search_term, date_day",
    "reports.rpt_search_terms_daily": "date_day, search_term, device_type, country, channel, is_bot",
    "marts.fct_events": "event_id",
    "marts.fct_sessions": "session_id",
    "marts.fct_orders": "order_id",
    "marts.dim_visitors": "visitor_id",
    "marts.dim_product": "product_id",
    "reports.rpt_traffic_daily": "date_day, device_type, country, channel, is_bot",
    "reports.rpt_active_visitors_daily": "date_day, visitor_id, device_type, country, channel, is_bot",
    "reports.rpt_funnel_daily": "date_day, device_type, country, channel, is_bot",
    "reports.rpt_product_daily": "date_day, product_id, device_type, country, channel, is_bot",
    "reports.rpt_acquisition_daily": "date_day, channel, source, medium, campaign, referrer_host, device_type, country, is_bot",
    "reports.rpt_pipeline_health": "date_day",
    "reports.rpt_active_visitor_counts_daily": "device_type, country, channel, is_bot, date_day",
    "reports.rpt_acquisition_rollup_daily": "date_day, breakdown, breakdown_value, device_type, country, channel, is_bot",
    "reports.rpt_product_rollup_daily": "date_day, product_id, device_type, country, channel, is_bot",
    "reports.rpt_search_terms_rollup_daily": "date_day, search_term, device_type, country, channel, is_bot",
}


def first_batch() -> list[dict]:
    return [
        # a1 browses anonymously (it logs in, in the second batch)
        event("view", at(0), "a1", referrer="https://www.google.com/search"),
        event("view", at(10), "a1", page="/product/p1", ecom={"product_id": "p1", "category": "computers.notebook"}),
        event("view", at(120), "a1"),
        # u1 shopped before on another browser, logged in
        event("view", at(-600), "b1", user_id="u1"),
        # a2: two sessions 45 minutes apart (a late event will bridge them)
        event("view", at(0), "a2", utm={"source": "newsletter", "medium": "email"}),
        event("view", at(45), "a2", page="/product/p2", ecom={"product_id": "p2", "category": "electronics.tv"}),
        # a3: buys
        event("view", at(0), "a3", event_id="00000000-0000-4000-8000-0000000000a3"),
        event("add_to_cart", at(1), "a3", ecom={"product_id": "p1", "price": 10.0, "qty": 1}),
        event("checkout", at(2), "a3"),
        event("purchase", at(3), "a3", ecom={"order_id": "o3", "revenue": 10.0, "currency": "EUR",
                                            "items": [{"product_id": "p1", "price": 10.0, "qty": 1}]}),
        # a8 is active for 26 hours without a pause: the 24 h cap cuts its run into two sessions
        *[event("heartbeat", at(20 * i), "a8") for i in range(79)],
        # a9 buys, and comes back 99 minutes later
        event("view", at(0), "a9"),
        event("purchase", at(1), "a9", ecom={"order_id": "o9", "revenue": 20.0, "currency": "EUR"}),
        event("view", at(100), "a9"),
        # r1 has come back for months (70, 45, 33 and 20 days ago, on another device once): the visitor counts
        # of its new visit below redo only the days within 30 days of it
        *[event("view", at(-days * 24 * 60), "r1", device_type=device)
          for days, device in ((70, "desktop"), (45, "desktop"), (33, "mobile"), (20, "desktop"))],
        # a5 and a crawler are untouched by the second batch
        event("view", at(0), "a5", device_type="mobile"),
        event("view", at(0), "crawler", is_bot=True),
    ]


def second_batch() -> list[dict]:
    return [
        # late: bridges a2's two sessions into one
        event("heartbeat", at(22), "a2", received_delay=timedelta(hours=4)),
        # out of order: a5's earlier activity arrives after its later one, 10 minutes before it
        event("view", at(-10), "a5", referrer="https://chatgpt.com/", device_type="mobile", received_delay=timedelta(hours=4)),
        # a1 logs in as u1: its anonymous sessions are restated to u1, merged with b1's history
        event("identify", at(130), "a1", user_id="u1"),
        event("purchase", at(131), "a1", user_id="u1", ecom={"order_id": "o1", "revenue": 50.0, "currency": "EUR"}),
        # the SDK resent the purchase as a new event: one order
        event("purchase", at(131.5), "a1", user_id="u1", ecom={"order_id": "o1", "revenue": 50.0, "currency": "EUR"}),
        # a copy of a3's first event that the collector received earlier than the loaded one replaces it
        event("view", at(0), "a3", event_id="00000000-0000-4000-8000-0000000000a3", received_delay=timedelta(seconds=1)),
        # r1 comes back
        event("view", at(5), "r1", device_type="desktop"),
        # a new visitor on a new day
        event("view", at(60 * 24), "a6", country="FR"),
        event("delivery_report", at(60 * 24), "a6", page=None, props={"dropped_events": 2}),
    ]


def test_incremental_run_equals_full_refresh(warehouse):
    loader = Loader(warehouse)
    # loaded 10 hours before the first batch: outside the lookback of the second run, which so leaves these
    # shoppers alone and must take back only what it replaces
    loader.insert(synthetic_shoppers(visitors=25, days=2, seed=11), loaded_at=L1 - timedelta(hours=10))
    loader.insert(first_batch(), loaded_at=L1)
    run_dbt(warehouse, *MODELS_AND_SEEDS)
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from intermediate.int_sessions_aggregated where visitor_id = 'a2'").fetchone()[0] == 2

    loader.insert(second_batch() + synthetic_shoppers(visitors=10, days=2, seed=12), loaded_at=L2)
    with psycopg.connect(warehouse) as conn:
        before_second_run = int(conn.execute("select pg_current_xact_id()::text").fetchone()[0])
    run_dbt(warehouse, *MODELS_AND_SEEDS)
    assert_updated_not_rebuilt(warehouse, before_second_run)
    # the first incremental run after a full build (the replaced rows' table is made during the run)
    assert_equals_full_refresh(warehouse)
    with psycopg.connect(warehouse) as conn:
        second_stamp = conn.execute("select max(_sessionized_at) from intermediate.int_events_sessionized").fetchone()[0]
    # a load that committed late with an older _loaded_at (within clickstream__lookback_hours) is still seen
    loader.insert([event("click", at(46), "a2"), event("view", at(5), "a7"),
                   # u1 and a8 go on: only their last sessions are redone
                   event("view", at(140), "a1", user_id="u1"), event("heartbeat", at(20 * 79), "a8"),
                   # the SDK resends a9's purchase in its second session: still one order, in the first session
                   event("purchase", at(101), "a9", ecom={"order_id": "o9", "revenue": 20.0, "currency": "EUR"})],
                  loaded_at=L2 - timedelta(hours=1))
    with psycopg.connect(warehouse) as conn:
        before_third_run = int(conn.execute("select pg_current_xact_id()::text").fetchone()[0])
    run_dbt(warehouse, "build", "--exclude", "test_type:unit")

    with psycopg.connect(warehouse) as conn:
        one = lambda q: conn.execute(q).fetchone()  # noqa: E731
        # the last run was incremental: a visitor it had no new events for kept its earlier sessionization
        assert one("select min(_sessionized_at) from intermediate.int_events_sessionized where visitor_id = 'crawler'")[0] == second_stamp
        assert one("select min(_sessionized_at) from intermediate.int_events_sessionized where visitor_id = 'a2'")[0] > second_stamp
        # a visitor with new events was redone from the session before its first change, not from its start
        assert conn.execute("select max(_sessionized_at) from intermediate.int_events_sessionized where visitor_id = 'u1' and event_at < %s",
                            (at(-500),)).fetchone()[0] == second_stamp
        assert conn.execute("select max(_sessionized_at) from intermediate.int_events_sessionized where visitor_id = 'a8' and event_at < %s",
                            (at(24 * 60),)).fetchone()[0] < conn.execute(
            "select max(_sessionized_at) from intermediate.int_events_sessionized where visitor_id = 'a8'").fetchone()[0]
        assert one("select count(*) from intermediate.int_sessions_aggregated where visitor_id = 'a8'")[0] == 2
        assert one("select count(*), sum(orders), sum(revenue) from intermediate.int_sessions_aggregated where visitor_id = 'a9'") == (2, 1, 20)
        # and did what the late data asks
        assert one("select count(*) from intermediate.int_sessions_aggregated where visitor_id = 'a2'")[0] == 1
        assert one("select count(*) from intermediate.int_sessions_aggregated where visitor_id = 'a1'")[0] == 0
        assert one("select count(*) from intermediate.int_events_sessionized where anonymous_id = 'a1' and visitor_id <> 'u1'")[0] == 0
        assert one("select channel from intermediate.int_sessions_aggregated where visitor_id = 'a5'")[0] == "ai_assistants"
        assert one("select received_at from intermediate.int_events_deduped where event_id = '00000000-0000-4000-8000-0000000000a3'")[0] == at(0) + timedelta(seconds=1)
        assert one("select count(*), sum(revenue) from marts.fct_orders where order_id = 'o1'") == (1, 50)
        assert one("select count(*) from intermediate.int_events_sessionized where visitor_id = 'a7'")[0] == 1
        # the reports took back the replaced sessions and added the new ones; the rows nothing changed stayed
        assert conn.execute("select count(*) from intermediate.int_sessions_aggregated__replaced where _replaced_at > %s",
                            (second_stamp,)).fetchone()[0] > 0
    assert_updated_not_rebuilt(warehouse, before_third_run)

    assert_equals_full_refresh(warehouse)


def assert_updated_not_rebuilt(warehouse: str, before_run: int) -> None:
    """The reports took back the replaced sessions and added the new ones: the rows nothing changed stayed."""
    with psycopg.connect(warehouse) as conn:
        for report in ("rpt_traffic_daily", "rpt_active_visitor_counts_daily", "rpt_product_rollup_daily"):
            untouched = conn.execute(f"select count(*) from reports.{report} where xmin::text::bigint < %s",
                                     (before_run,)).fetchone()[0]
            assert untouched > 0, f"{report} was rebuilt, not updated"


def assert_equals_full_refresh(warehouse: str) -> None:
    """Every relation as the incremental runs left it equals what a full refresh builds (which it then leaves)."""
    incremental = {name: snapshot(warehouse, name, order) for name, order in RELATIONS.items()}
    run_dbt(warehouse, *MODELS_AND_SEEDS, "--full-refresh")
    for name, order in RELATIONS.items():
        full = snapshot(warehouse, name, order)
        assert incremental[name] == full, f"{name}: incremental differs from full refresh"


def test_report_rebuilds_itself_after_its_source_was_rebuilt(warehouse):
    """A report that sums sessions cannot take back rows of a table that was rebuilt since its last run (nothing
    was kept): it sums the new table whole instead of adding its changes onto old sums."""
    loader = Loader(warehouse)
    loader.insert(synthetic_shoppers(visitors=15, days=2, seed=21), loaded_at=L1)
    run_dbt(warehouse, *MODELS_AND_SEEDS)
    # the sessions are rebuilt alone, with a definition that makes every session engaged
    run_dbt(warehouse, "run", "--full-refresh", "--select", "int_sessions_aggregated",
            "--vars", "{clickstream__engaged_min_page_views: 1}")
    run_dbt(warehouse, "run", "--select", "rpt_traffic_daily", "rpt_active_visitor_counts_daily")
    with psycopg.connect(warehouse) as conn:
        one = lambda q: conn.execute(q).fetchone()  # noqa: E731
        assert one("select sum(sessions), sum(engaged_sessions) from reports.rpt_traffic_daily") == \
            one("select count(*), count(*) from intermediate.int_sessions_aggregated")
        # two days of traffic: every visitor is in the week of the last day
        assert one("select weekly_visitors from reports.rpt_active_visitor_counts_daily where device_type is null"
                   " and country is null and channel is null and is_bot is null and visitors > 0 order by date_day desc limit 1") == \
            one("select count(distinct visitor_id) from intermediate.int_sessions_aggregated")
