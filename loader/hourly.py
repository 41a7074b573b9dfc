"""clickstream-hourly: the scheduled job (EventBridge, or cron). Load new raw objects, then `dbt build`
through dbt's Python runner, then store dbt's results in ops.dbt_invocations / ops.dbt_node_results.

Exit codes: 0 everything succeeded, 1 the load or dbt failed, 3 the load was partial (bad objects or
lines; dbt still ran on what loaded).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import click
import psycopg

from clickstream.warehouse import libpq_env

from . import logs
from .cli import (
    EXIT_CODES,
    EXIT_FAILED,
    execute_load,
    fail,
    load_settings,
    print_summary,
    source_options,
    window_options,
)
from .run import LoadError, connect

log = logging.getLogger("clickstream.hourly")

DEFAULT_DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt"
LOCK_DBT = 0x636C6B03  # one dbt build at a time per warehouse (a slow hour must not overlap the next)


@dataclass
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    failures: int | None
    message: str | None
    execution_time_s: float | None


@dataclass
class DbtOutcome:
    invocation_id: str
    command: str
    started_at: datetime
    finished_at: datetime
    success: bool
    error: str | None = None
    nodes: list[NodeResult] = field(default_factory=list)


def dbt_build(dsn: str, project_dir: Path, json_logs: bool, full_refresh: bool = False) -> DbtOutcome:
    """Run `dbt build` in this process against dsn; never raises for dbt's own failures."""
    from dbt.cli.main import dbtRunner
    from dbt_common.invocation import get_invocation_id

    os.environ.update(libpq_env(dsn))  # dbt/profiles.yml reads libpq variables (empty dsn: they are set)
    # --no-write-json: the node results go to ops.dbt_node_results; rewriting manifest.json (twice) and
    # run_results.json each hour would be read by nobody and costs ~10% of a one-hour run's CPU.
    args = ["build", "--no-write-json", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if full_refresh:
        args.append("--full-refresh")
    if json_logs:
        args = ["--log-format", "json", *args]  # one JSON log stream for the whole job
    started = datetime.now(timezone.utc)
    try:
        result = dbtRunner().invoke(args)
        success, error, run = result.success, result.exception, result.result
    except Exception as exc:  # dbt raising instead of reporting: still record it
        success, error, run = False, exc, None
    finished = datetime.now(timezone.utc)
    nodes = []
    for r in getattr(run, "results", None) or []:
        nodes.append(
            NodeResult(
                unique_id=r.node.unique_id,
                resource_type=str(r.node.resource_type),
                status=str(r.status),
                failures=r.failures,
                message=r.message,
                execution_time_s=r.execution_time,
            )
        )
    if error is None and not success:
        failed = [n for n in nodes if n.status in ("error", "fail", "runtime error")]
        error = (
            "; ".join(f"{n.unique_id}: {n.status}: {n.message}" for n in failed[:10]) or "dbt build failed"
        )
    return DbtOutcome(
        get_invocation_id(), "build", started, finished, success, None if error is None else str(error), nodes
    )


def store_dbt_results(conn: psycopg.Connection, load_id: int | None, outcome: DbtOutcome) -> None:
    with conn.transaction():
        conn.execute(
            "insert into ops.dbt_invocations"
            " (invocation_id, load_id, command, started_at, finished_at, success, error)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            (
                outcome.invocation_id,
                load_id,
                outcome.command,
                outcome.started_at,
                outcome.finished_at,
                outcome.success,
                outcome.error,
            ),
        )
        with conn.cursor() as cur:
            cur.executemany(
                "insert into ops.dbt_node_results (invocation_id, unique_id, resource_type, status, failures,"
                " message, execution_time_s) values (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        outcome.invocation_id,
                        n.unique_id,
                        n.resource_type,
                        n.status,
                        n.failures,
                        n.message,
                        n.execution_time_s,
                    )
                    for n in outcome.nodes
                ],
            )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@source_options
@window_options
@click.option(
    "--dbt-project-dir",
    envvar="CLICKSTREAM_DBT_PROJECT_DIR",
    show_envvar=True,
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DBT_PROJECT_DIR,
    show_default=True,
    help="The dbt project (its profiles.yml reads libpq PG* variables).",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Rebuild the incremental models from scratch (after upgrading the dbt models or changing a var).",
)
def main(source, dsn, lookback_hours, since, until, dbt_project_dir, full_refresh):
    """Load new raw objects, then dbt build, then record dbt's results in ops (the hourly job)."""
    if not (dbt_project_dir / "dbt_project.yml").is_file():
        fail(f"no dbt project at {dbt_project_dir} (set --dbt-project-dir)")
    try:
        settings = load_settings(source, dsn, since, until, lookback_hours)
        summary = execute_load(settings)
    except (LoadError, psycopg.Error) as exc:
        fail(f"{str(exc).strip()} (dbt not run)")
    print_summary(summary, dry_run=False)
    load_code = EXIT_CODES[summary.status]

    json_logs = not logs.on_terminal()
    try:
        with connect(settings.dsn) as conn:
            conn.execute("select pg_advisory_lock(%s, 0)", (LOCK_DBT,))
            outcome = dbt_build(settings.dsn, dbt_project_dir, json_logs, full_refresh)
            store_dbt_results(conn, summary.load_id, outcome)
    except LoadError as exc:
        fail(f"{exc} (before or after dbt build)")
    failed_nodes = [n for n in outcome.nodes if n.status in ("error", "fail", "runtime error")]
    log.log(
        logging.INFO if outcome.success else logging.ERROR,
        "dbt build %s: %d nodes, %d failed",
        "succeeded" if outcome.success else "failed",
        len(outcome.nodes),
        len(failed_nodes),
        extra={"invocation_id": outcome.invocation_id, "load_id": summary.load_id, "error": outcome.error},
    )
    if not outcome.success:
        click.echo(f"clickstream-hourly: dbt build failed: {outcome.error}", err=True)
        sys.exit(EXIT_FAILED)
    sys.exit(load_code)
