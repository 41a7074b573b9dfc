"""Fixtures for the dbt tests: a fresh database with the loader's migrations applied."""

from __future__ import annotations

import psycopg
import pytest

from dbt_runner import prepare_warehouse


@pytest.fixture
def warehouse(pg_dsn):
    """DSN of a fresh database with raw.*, ops.* and the roles, as clickstream-load leaves it."""
    prepare_warehouse(pg_dsn)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:  # roles are cluster-wide; 0002 creates them
        assert conn.execute("select count(*) from pg_roles where rolname like 'clickstream\\_%'").fetchone()[0] >= 3
    return pg_dsn
