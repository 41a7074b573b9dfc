"""Run the real dbt project (dbt/) against a test database, the way the hourly job does."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from clickstream.warehouse import libpq_env
from loader import migrations

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = REPO_ROOT / "dbt"
# the models and seeds without their tests: what the incremental runs and full refreshes in these tests build
MODELS_AND_SEEDS = ("build", "--resource-type", "seed", "--resource-type", "model")


def prepare_warehouse(dsn: str) -> None:
    """Apply the loader's migrations (raw, ops, roles) to a fresh database."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrations.migrate(conn)


def run_dbt(dsn: str, *args: str, expect_success: bool = True):
    """dbt <args> --project-dir dbt --profiles-dir dbt with PG* from dsn; returns dbt's result object."""
    from dbt.cli.main import dbtRunner

    saved = dict(os.environ)
    for name in [k for k in os.environ if k.startswith("PG")]:
        os.environ.pop(name)
    os.environ.update(libpq_env(dsn))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    try:
        result = dbtRunner().invoke(
            [*args, "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
             "--log-level", "warn"]
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if expect_success:
        failed = []
        if result.result is not None and hasattr(result.result, "results"):
            failed = [f"{r.node.unique_id}: {r.status} {r.message}" for r in result.result.results
                      if str(r.status) not in ("success", "pass", "skipped", "warn")]
        assert result.success, f"dbt {' '.join(args)} failed: {result.exception or failed}"
    return result


def snapshot(dsn: str, relation: str, order_by: str) -> list[tuple]:
    """All rows of relation without its system (underscore-prefixed) columns, in a stable order."""
    schema, table = relation.split(".")
    with psycopg.connect(dsn) as conn:
        columns = [row[0] for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
            " and column_name not like '\\_%%' order by ordinal_position", (schema, table))]
        assert columns, f"{relation} has no columns (does it exist?)"
        query = f"select {', '.join(columns)} from {relation} order by {order_by}"
        return conn.execute(query).fetchall()
