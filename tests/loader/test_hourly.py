"""clickstream-hourly: load, dbt build (dbt's Python runner), dbt's results stored in ops."""

from __future__ import annotations

import shutil
from datetime import timedelta

import psycopg
import pytest
from loader_helpers import collected_event, count, run_cli

from loader.hourly import DEFAULT_DBT_PROJECT_DIR


def dbt_env(tmp_path) -> dict:
    # Our own target/log folders: other dbt runs on this machine use the project's.
    return {"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}


def test_a_failing_dbt_model_fails_the_job_and_is_recorded(raw_store, pg_dsn, now, tmp_path):
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    shutil.copy(DEFAULT_DBT_PROJECT_DIR / "profiles.yml", project / "profiles.yml")
    (project / "dbt_project.yml").write_text(
        "name: probe\nversion: '1.0'\nconfig-version: 2\nprofile: clickstream\nmodel-paths: ['models']\n"
    )
    (project / "models" / "event_count.sql").write_text("select count(*) as n from raw.events\n")
    (project / "models" / "broken.sql").write_text(
        "{{ config(materialized='table') }}\nselect 1 / 0 as boom\n"
    )
    raw_store.write_events(now, 3)

    result = run_cli(
        "--source",
        str(raw_store.root),
        "--dsn",
        pg_dsn,
        "--since",
        "1h",
        "--dbt-project-dir",
        str(project),
        env=dbt_env(tmp_path),
        command="clickstream-hourly",
    )

    assert result.returncode == 1, result.stderr[-3000:]
    assert "dbt build failed" in result.stderr and "broken" in result.stderr
    assert count(pg_dsn, "select count(*) from raw.events") == 3  # the load itself committed
    with psycopg.connect(pg_dsn) as conn:
        invocation = conn.execute("select success, load_id, error from ops.dbt_invocations").fetchone()
        assert invocation[0] is False and invocation[1] == 1 and "division by zero" in invocation[2]
        nodes = dict(conn.execute("select unique_id, status from ops.dbt_node_results").fetchall())
    assert nodes == {"model.probe.event_count": "success", "model.probe.broken": "error"}


def test_the_job_stops_before_dbt_when_the_load_cannot_start(tmp_path):
    result = run_cli(
        "--source",
        str(tmp_path / "missing"),
        "--dsn",
        "postgresql://x@127.0.0.1:1/x",
        command="clickstream-hourly",
    )
    assert result.returncode == 1
    assert "dbt not run" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_hourly_job_end_to_end_on_the_real_dbt_project(raw_store, pg_dsn, now, tmp_path):
    # GIVEN a small raw store: a visitor browses, searches, logs in and buys; a second visitor bounces
    start = now - timedelta(minutes=50)
    shopper = dict(anonymous_id="anon-shopper", session_id="s-shopper")
    lines = [
        collected_event(start, **shopper),
        collected_event(
            start + timedelta(minutes=1), **shopper, event_type="search", props={"search_query": "laptop"}
        ),
        collected_event(
            start + timedelta(minutes=2),
            **shopper,
            event_type="add_to_cart",
            ecom={"product_id": "sku-1", "category": "computers.notebook", "price": 999.0, "qty": 1},
        ),
        collected_event(
            start + timedelta(minutes=3),
            **shopper,
            event_type="identify",
            user_id="user-42",
            user_id_source="client",
        ),
        collected_event(
            start + timedelta(minutes=4),
            **shopper,
            event_type="purchase",
            user_id="user-42",
            user_id_source="client",
            ecom={
                "order_id": "o-1",
                "revenue": 999.0,
                "currency": "EUR",
                "items": [{"product_id": "sku-1", "price": 999.0, "qty": 1}],
            },
        ),
        collected_event(start + timedelta(minutes=5), anonymous_id="anon-bouncer", session_id="s-bouncer"),
    ]
    raw_store.write(start, lines)

    # WHEN the hourly job runs
    result = run_cli(
        "--source",
        str(raw_store.root),
        "--dsn",
        pg_dsn,
        "--since",
        "2h",
        env=dbt_env(tmp_path),
        command="clickstream-hourly",
        timeout=600,
    )

    # THEN the load and every dbt node succeeded, and dbt's results are in ops
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute("select success, load_id from ops.dbt_invocations").fetchone() == (True, 1)
        statuses = dict(
            conn.execute("select status, count(*) from ops.dbt_node_results group by 1").fetchall()
        )
        assert statuses.get("success", 0) > 5 and statuses.get("pass", 0) > 5, statuses
        assert set(statuses) <= {"success", "pass", "no-op", "skipped"}, statuses
    assert count(pg_dsn, "select count(*) from raw.events") == 6
    assert count(pg_dsn, "select sum(sessions) from reports.rpt_traffic_daily") == 2
    assert count(pg_dsn, "select sum(revenue) from reports.rpt_traffic_daily") == 999
    # What dbt built is readable by the reporting role (default privileges + dbt grants).
    assert count(
        pg_dsn, "select has_table_privilege('clickstream_reporting', 'reports.rpt_traffic_daily', 'select')"
    )
    assert not count(pg_dsn, "select has_table_privilege('clickstream_reporting', 'raw.events', 'select')")

    # AND an incremental table left by older models stops the next run with a clear message, until
    # --full-refresh rebuilds it
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("alter table intermediate.int_sessions_aggregated drop column closed_funnel_stage cascade")
    args = ["--source", str(raw_store.root), "--dsn", pg_dsn, "--since", "2h"]
    stale = run_cli(*args, env=dbt_env(tmp_path), command="clickstream-hourly", timeout=600)
    assert stale.returncode == 1 and "full_refresh" in stale.stderr, stale.stderr[-3000:]
    rebuilt = run_cli(*args, "--full-refresh", env=dbt_env(tmp_path), command="clickstream-hourly", timeout=600)
    assert rebuilt.returncode == 0, (rebuilt.stdout + rebuilt.stderr)[-5000:]
    assert count(pg_dsn, "select count(closed_funnel_stage) from intermediate.int_sessions_aggregated") == 2
