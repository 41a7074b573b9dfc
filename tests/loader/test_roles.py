"""The three roles of the migration: the reporting role reads marts/reports only and writes nowhere."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from loader import migrations


@pytest.fixture
def warehouse(pg_dsn):
    """A migrated database with a dbt-built mart and report, built as the transform role (as dbt would)."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        migrations.migrate(conn)
        conn.execute("insert into ops.load_runs (status) values ('succeeded')")
        conn.execute("set role clickstream_transform")
        conn.execute("create table marts.fct_sessions as select 1 as session_count")
        conn.execute("create view reports.rpt_traffic_daily as select * from marts.fct_sessions")
        conn.execute("reset role")
        # dbt in the embedded setup runs as the owner, not the transform role: covered too.
        conn.execute("create table reports.rpt_load_runs as select load_id from ops.load_runs")
    return pg_dsn


def login_member_of(dsn: str, group: str):
    """A LOGIN user in group (password auth is not needed on the local socket: trust)."""
    name = f"u_{group.removeprefix('clickstream_')}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create role {} login in role {}").format(sql.Identifier(name), sql.Identifier(group))
        )
    return name, psycopg.conninfo.make_conninfo(dsn, user=name)


def drop_role(dsn: str, name: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def refused(conn: psycopg.Connection, statement: str) -> bool:
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_reporting_role_reads_marts_and_reports_only_and_writes_nowhere(warehouse):
    name, dsn = login_member_of(warehouse, "clickstream_reporting")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            # reads what dbt builds for the dashboards (tables and views, whoever built them)
            assert conn.execute("select session_count from marts.fct_sessions").fetchone() == (1,)
            assert conn.execute("select count(*) from reports.rpt_traffic_daily").fetchone() == (1,)
            assert conn.execute("select count(*) from reports.rpt_load_runs").fetchone() == (1,)
            # never raw payloads or the books
            for statement in (
                "select payload from raw.events",
                "select raw_line from raw.quarantine",
                "select payload from raw.rejected_events",
                "select * from ops.load_runs",
            ):
                assert refused(conn, statement), statement
            # and writes nowhere
            for statement in (
                "insert into raw.events (event_id) values (gen_random_uuid())",
                "insert into marts.fct_sessions values (2)",
                "delete from reports.rpt_load_runs",
                "update marts.fct_sessions set session_count = 0",
                "truncate marts.fct_sessions",
                "create table marts.mine (x int)",
                "create table reports.mine (x int)",
                "create table public.mine (x int)",
                "create schema mine",
                "drop table marts.fct_sessions",
            ):
                assert refused(conn, statement), statement
    finally:
        drop_role(warehouse, name)


def test_loader_role_writes_raw_and_ops_and_can_run_a_load(warehouse, raw_store, now):
    from loader_helpers import count, run_cli

    raw_store.write_events(now, 4)
    name, dsn = login_member_of(warehouse, "clickstream_loader")
    try:
        result = run_cli("--source", str(raw_store.root), "--dsn", dsn, "--since", "1h")
        assert result.returncode == 0, result.stderr
        assert count(warehouse, "select count(*) from raw.events") == 4
        with psycopg.connect(dsn, autocommit=True) as conn:
            assert refused(conn, "select * from marts.fct_sessions")
            assert refused(conn, "create table marts.mine (x int)")
    finally:
        drop_role(warehouse, name)


def test_transform_role_reads_raw_and_builds_in_its_schemas(warehouse):
    name, dsn = login_member_of(warehouse, "clickstream_transform")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("select count(*), max(payload::text) from raw.events")
            conn.execute("select count(*) from ops.load_runs")
            conn.execute("create table staging.stg_probe as select 1 as x")
            conn.execute("create schema dbt_test__audit")  # dbt's store_failures schema
            assert refused(conn, "insert into raw.events (event_id) values (gen_random_uuid())")
            assert refused(conn, "delete from ops.load_runs")
    finally:
        with psycopg.connect(warehouse, autocommit=True) as conn:
            conn.execute("drop schema if exists dbt_test__audit cascade")
        drop_role(warehouse, name)


def test_reporting_login_cannot_run_a_load(warehouse, raw_store, now):
    from loader_helpers import run_cli

    raw_store.write_events(now, 2)
    name, dsn = login_member_of(warehouse, "clickstream_reporting")
    try:
        result = run_cli("--source", str(raw_store.root), "--dsn", dsn, "--since", "1h")
        assert result.returncode == 1
        assert "permission denied" in result.stderr and "Traceback" not in result.stderr
    finally:
        drop_role(warehouse, name)
