"""clickstream-load: load new raw objects into PostgreSQL exactly once; `clickstream-load status`.

Exit codes: 0 clean run, 1 failed (nothing or not everything could be tried: database or store
unreachable, connection lost), 3 partial (corrupt objects, quarantined lines or changed objects: the rest
loaded).
"""

from __future__ import annotations

import functools
import logging
import sys
from datetime import datetime, timedelta

import click
import orjson
import psycopg

from clickstream.warehouse import resolve_dsn
from contract import layout

from . import listing, logs, manifest, migrations
from .load import ObjectOutcome
from .run import LoadError, LoadSettings, RunSummary, connect, now_utc, run_load
from .store import StoreError, open_store
from .timespec import parse_instant

EXIT_OK, EXIT_FAILED, EXIT_PARTIAL = 0, 1, 3
EXIT_CODES = {"succeeded": EXIT_OK, "dry-run": EXIT_OK, "partial": EXIT_PARTIAL, "failed": EXIT_FAILED}

log = logging.getLogger("clickstream.loader")


def _instant(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_instant(value, now_utc())
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def source_options(fn):
    """--source, --dsn, --lookback-hours: shared by load, status and clickstream-hourly."""

    @click.option(
        "--source",
        envvar="CLICKSTREAM_RAW_URI",
        default=None,
        show_envvar=True,
        help=f"Raw store: a folder or s3://bucket/prefix. Default: {layout.DEFAULT_RAW_URI}.",
    )
    @click.option(
        "--dsn",
        envvar="CLICKSTREAM_DSN",
        default=None,
        show_envvar=True,
        help="PostgreSQL DSN. Default: libpq PG* variables if set, else the embedded server under "
        "$CLICKSTREAM_HOME/pg.",
    )
    @click.option(
        "--lookback-hours",
        envvar="CLICKSTREAM_LOOKBACK_HOURS",
        type=click.IntRange(0, 24 * 366),
        default=3,
        show_default=True,
        show_envvar=True,
        help="Also re-list this many hours before --since, for objects that land late in old partitions.",
    )
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def window_options(fn):
    @click.option(
        "--since",
        default="2h",
        show_default=True,
        callback=_instant,
        envvar="CLICKSTREAM_LOAD_SINCE",
        help="Load objects received since: an ISO time (UTC unless it has an offset) or a span back "
        "from now (90m, 2h, 3d).",
    )
    @click.option(
        "--until",
        default="now",
        show_default=True,
        callback=_instant,
        help="Load objects received until this time (same forms as --since).",
    )
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def fail(message: str, code: int = EXIT_FAILED):
    click.echo(f"clickstream-load: error: {message}", err=True)
    sys.exit(code)


def load_settings(source, dsn, since, until, lookback_hours, dry_run=False) -> LoadSettings:
    return LoadSettings(
        source=layout.raw_uri(source),
        dsn=resolve_dsn(dsn),
        since=since,
        until=until,
        lookback_hours=lookback_hours,
        dry_run=dry_run,
    )


def execute_load(settings: LoadSettings) -> RunSummary:
    """Run a load with a progress bar (terminal) or one JSON log line per object; LoadError propagates."""
    json_logs = logs.setup()
    bar = None

    def on_plan(summary: RunSummary) -> None:
        nonlocal bar
        if not json_logs and not settings.dry_run and summary.to_load:
            from tqdm import tqdm

            bar = tqdm(
                total=sum(o.size for o in summary.to_load),
                unit="B",
                unit_scale=True,
                desc="loading",
                file=sys.stderr,
            )

    def on_object(outcome: ObjectOutcome) -> None:
        if bar is not None:
            bar.update(outcome.obj.size)
            if outcome.status not in ("loaded", "already", "locked"):
                bar.write(f"{outcome.obj.key}: {outcome.status}: {outcome.error}", file=sys.stderr)
        else:
            level = logging.INFO if outcome.status in ("loaded", "already", "locked") else logging.ERROR
            log.log(
                level,
                "object %s",
                outcome.status,
                extra={
                    "key": outcome.obj.key,
                    "status": outcome.status,
                    "rows": outcome.rows,
                    "quarantined": outcome.quarantined,
                    "bytes": outcome.obj.size,
                    "error": outcome.error,
                },
            )

    try:
        return run_load(settings, on_object=on_object, on_plan=on_plan)
    finally:
        if bar is not None:
            bar.close()


def print_summary(summary: RunSummary, dry_run: bool) -> None:
    if dry_run:
        for obj in summary.to_load:
            click.echo(f"would load {obj.key} ({obj.size} bytes)")
        click.echo(
            f"{len(summary.to_load)} objects would load, {summary.already_loaded} already loaded "
            f"({summary.listed} listed)"
        )
        return
    if not logs.on_terminal():
        click.echo(orjson.dumps(summary.as_dict(), default=str).decode())
        return
    click.echo(
        f"run {summary.load_id} {summary.status}: {summary.objects} objects, {summary.rows} events, "
        f"{summary.rejected} rejected, {summary.quarantined} quarantined lines, "
        f"{summary.failed_objects} unloadable objects, {summary.already_loaded} already loaded, "
        f"{summary.skipped_locked} left to a concurrent run"
    )
    for error in summary.errors:
        click.echo(f"  {error}", err=True)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@source_options
@window_options
@click.option("--dry-run", is_flag=True, help="Print what would load; write nothing.")
@click.pass_context
def main(ctx, source, dsn, lookback_hours, since, until, dry_run):
    """Load raw clickstream objects into PostgreSQL (raw.events, raw.rejected_events), each exactly once."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        settings = load_settings(source, dsn, since, until, lookback_hours, dry_run)
        summary = execute_load(settings)
    except LoadError as exc:
        fail(str(exc))
    except psycopg.Error as exc:  # e.g. a login without the loader role's privileges
        fail(f"PostgreSQL: {str(exc).strip()}")
    print_summary(summary, dry_run)
    sys.exit(EXIT_CODES[summary.status])


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    seconds = max(0, int((now - moment).total_seconds()))
    return str(timedelta(seconds=seconds))


@main.command()
@source_options
@click.option(
    "--since",
    default=None,
    callback=_instant,
    help="List from here for pending objects. Default: the watermark hour, else 24h.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def status(source, dsn, lookback_hours, since, as_json):
    """Print the watermark, pending objects and lag."""
    now = now_utc()
    source = layout.raw_uri(source)
    try:
        conn = connect(resolve_dsn(dsn))
    except LoadError as exc:
        fail(str(exc))
    with conn:
        if migrations.pending(conn) and not migrations.applied(conn):
            fail("the warehouse has no loader tables yet: run clickstream-load first")
        newest_hour, last_loaded_at = manifest.watermark(conn)
        start = since or newest_hour or now - timedelta(hours=24)
        try:
            store = open_store(source)
            hours = listing.listing_hours(start, now, lookback_hours)
            listed = listing.list_objects(store, hours)
        except StoreError as exc:
            fail(str(exc))
        known = manifest.entries_for_hours(conn, hours[0], hours[-1]) if hours else {}
        plan = listing.plan(listed, known)
        runs = manifest.last_runs(conn, 1)
        unloadable = manifest.unloadable_objects(conn)
    oldest_pending = min((o.last_modified for o in plan.to_load), default=None)
    report = {
        "source": source,
        "watermark_hour": newest_hour,
        "last_loaded_at": last_loaded_at,
        "pending_objects": len(plan.to_load),
        "pending_bytes": sum(o.size for o in plan.to_load),
        "lag_seconds": int((now - oldest_pending).total_seconds()) if oldest_pending else 0,
        "listed_from": hours[0] if hours else None,
        "unloadable_objects": len(unloadable),
        "last_run": dict(
            zip(
                (
                    "load_id",
                    "status",
                    "started_at",
                    "finished_at",
                    "objects",
                    "rows",
                    "quarantined",
                    "failed_objects",
                    "error",
                ),
                runs[0],
            )
        )
        if runs
        else None,
    }
    if as_json:
        click.echo(orjson.dumps(report, default=str).decode())
        return
    click.echo(f"source:      {source}")
    click.echo(
        f"watermark:   {newest_hour.isoformat() if newest_hour else '-'} (newest hour partition loaded; "
        f"last object loaded {_age(last_loaded_at, now)} ago)"
    )
    click.echo(
        f"pending:     {report['pending_objects']} objects, {report['pending_bytes']} bytes "
        f"(listed from {report['listed_from'].isoformat() if hours else '-'})"
    )
    click.echo(f"lag:         {_age(oldest_pending, now) if oldest_pending else '0:00:00 (nothing pending)'}")
    click.echo(f"unloadable:  {len(unloadable)} objects (corrupt or refused; see ops.loaded_objects.error)")
    if runs:
        r = report["last_run"]
        click.echo(
            f"last run:    {r['load_id']} {r['status']}, started {r['started_at'].isoformat()}, "
            f"{r['objects']} objects, {r['rows']} events, {r['quarantined']} quarantined"
        )
    else:
        click.echo("last run:    -")
