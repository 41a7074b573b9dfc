"""The view materialization (dbt/macros/view_materialization.sql): a view made from the same SQL and grants is
left as it is on the next run; a changed, foreign, dropped or fully refreshed one is made again."""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg

from dbt_runner import MODELS_AND_SEEDS, run_dbt
from raw_events import Loader, synthetic_shoppers

VIEWS = ("staging.stg_clickstream__events", "intermediate.int_events_stitched", "marts.fct_events",
         "marts.fct_sessions")


def view_oids(dsn: str) -> dict[str, int]:
    """Each view's pg_class oid: a view dropped and made again gets a new one."""
    with psycopg.connect(dsn) as conn:
        return {name: conn.execute("select %s::regclass::oid", (name,)).fetchone()[0] for name in VIEWS}


def test_unchanged_views_are_left_as_they_are(warehouse):
    Loader(warehouse).insert(synthetic_shoppers(visitors=8, days=1, seed=3),
                             loaded_at=datetime(2026, 11, 3, tzinfo=timezone.utc))
    run_dbt(warehouse, *MODELS_AND_SEEDS)
    first = view_oids(warehouse)

    run_dbt(warehouse, *MODELS_AND_SEEDS)
    assert view_oids(warehouse) == first, "a view with unchanged SQL was made again"

    # other SQL (the bot rule is compiled into fct_events and fct_sessions), a view without the fingerprint
    # (made by dbt's own materialization or by hand)
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("comment on view staging.stg_clickstream__events is null")
    run_dbt(warehouse, *MODELS_AND_SEEDS, "--vars", "{clickstream__include_bots: true}")
    changed = view_oids(warehouse)
    assert changed["intermediate.int_events_stitched"] == first["intermediate.int_events_stitched"]
    for name in ("staging.stg_clickstream__events", "marts.fct_events", "marts.fct_sessions"):
        assert changed[name] != first[name], f"{name} was left as it was"
    with psycopg.connect(warehouse) as conn:
        bots = conn.execute("select count(*) from marts.fct_events where is_bot").fetchone()[0]
        assert bots > 0, "fct_events still has the old bot rule"

    # a table it reads rebuilt alone drops the view with it (cascade): the next run makes it again
    run_dbt(warehouse, "run", "--full-refresh", "--select", "int_events_sessionized")
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select to_regclass('marts.fct_events')").fetchone()[0] is None
    run_dbt(warehouse, "run", "--select", "fct_events")
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from marts.fct_events").fetchone()[0] > 0

    before_refresh = view_oids(warehouse)
    run_dbt(warehouse, *MODELS_AND_SEEDS, "--full-refresh")
    refreshed = view_oids(warehouse)
    assert all(refreshed[name] != before_refresh[name] for name in VIEWS), "--full-refresh left a view"
