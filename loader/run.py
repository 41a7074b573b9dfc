"""One clickstream-load run: connect, migrate, list, plan against the manifest, load object by object,
record the run in ops.load_runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import psycopg
from psycopg.conninfo import conninfo_to_dict

from . import listing, manifest, migrations
from .load import ObjectOutcome, load_object
from .store import PrefetchingStore, RawObject, S3Store, StoreError, open_store

log = logging.getLogger("clickstream.loader")

CONNECT_TIMEOUT_S = 10


class LoadError(Exception):
    """A run could not start or could not go on (unreachable database or store): a clear message, exit 1."""


@dataclass
class LoadSettings:
    source: str
    dsn: str
    since: datetime
    until: datetime
    lookback_hours: int = 3
    dry_run: bool = False


@dataclass
class RunSummary:
    load_id: int | None = None
    status: str = "running"  # succeeded | partial | failed | dry-run
    listed: int = 0
    already_loaded: int = 0
    to_load: list[RawObject] = field(default_factory=list)
    objects: int = 0  # objects loaded by this run
    rows: int = 0
    rejected: int = 0
    bytes: int = 0
    quarantined: int = 0
    failed_objects: int = 0  # corrupt or refused, recorded in the manifest with their error
    skipped_locked: int = 0  # being loaded by a concurrent run
    changed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k not in ("to_load",)}
        d["pending"] = len(self.to_load)
        return d


def describe_dsn(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparsable DSN>"
    params.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in params.items()) or "(libpq PG* environment)"


def connect(dsn: str) -> psycopg.Connection:
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise LoadError(f"invalid DSN: {exc}") from None
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    params.setdefault("application_name", "clickstream-load")
    try:
        return psycopg.connect(**params, autocommit=True)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise LoadError(f"cannot connect to PostgreSQL ({describe_dsn(dsn)}): {reason}") from None


def run_load(
    settings: LoadSettings,
    on_object: Callable[[ObjectOutcome], None] | None = None,
    on_plan: Callable[[RunSummary], None] | None = None,
) -> RunSummary:
    """Load what is new in [since - lookback, until]; raises LoadError if it cannot start."""
    try:
        store = open_store(settings.source)
    except StoreError as exc:
        raise LoadError(str(exc)) from None
    summary = RunSummary()
    with connect(settings.dsn) as conn:
        if settings.dry_run:
            if migrations.pending(conn):
                log.info("dry run: the warehouse has pending migrations; treating the manifest as empty")
        else:
            try:
                for version in migrations.migrate(conn):
                    log.info("applied migration %s", version, extra={"migration": version})
            except psycopg.Error as exc:
                raise LoadError(
                    f"cannot apply the loader's migrations (run the first load as the database "
                    f"owner): {str(exc).strip()}"
                ) from None
            # Safe: rows and their manifest row commit together, so a commit lost in a server crash loses
            # both and the next run reloads the object. Saves a WAL flush per object.
            conn.execute("set synchronous_commit = off")
        hours = listing.listing_hours(settings.since, settings.until, settings.lookback_hours)
        try:
            listed = listing.list_objects(store, hours)
        except StoreError as exc:
            raise LoadError(str(exc)) from None
        if not hours or (settings.dry_run and migrations.pending(conn)):
            known = {}
        else:
            known = manifest.entries_for_hours(conn, hours[0], hours[-1])
        plan = listing.plan(listed, known)
        summary.listed, summary.already_loaded, summary.to_load = (
            len(listed),
            plan.already_loaded,
            plan.to_load,
        )
        summary.changed = [obj.key for obj in plan.changed]
        for key in summary.changed:
            summary.errors.append(
                f"{key}: already loaded, but its size/etag changed since (raw objects are write-once)"
            )
        if on_plan:
            on_plan(summary)
        if settings.dry_run:
            summary.status = "dry-run"
            return summary

        summary.load_id = manifest.start_run(conn, settings.source, settings.since, settings.until)
        log.info(
            "run %s started: %d objects to load",
            summary.load_id,
            len(plan.to_load),
            extra={"load_id": summary.load_id, "pending": len(plan.to_load), "listed": len(listed)},
        )
        source = PrefetchingStore(store, plan.to_load) if isinstance(store, S3Store) else None
        try:
            for obj in plan.to_load:
                outcome = load_object(conn, source or store, obj, summary.load_id)
                if source:
                    source.done(obj.key)
                _count(summary, outcome)
                if on_object:
                    on_object(outcome)
        except BaseException as exc:  # transient (connection lost, S3 down, Ctrl-C): stop and say why
            summary.status = "failed"
            summary.errors.append(f"{type(exc).__name__}: {exc}".strip())
            _finish(conn, settings, summary)
            if isinstance(exc, Exception):
                raise LoadError(f"run {summary.load_id} failed: {summary.errors[-1]}") from exc
            raise
        finally:
            if source:
                source.close()
        if summary.quarantined:
            summary.errors.append(
                f"{summary.quarantined} lines quarantined"
                f" (see raw.quarantine where _load_id = {summary.load_id})"
            )
        partial = summary.failed_objects or summary.quarantined or summary.changed
        summary.status = "partial" if partial else "succeeded"
        _finish(conn, settings, summary)
    return summary


def _count(summary: RunSummary, outcome: ObjectOutcome) -> None:
    obj = outcome.obj
    if outcome.status == "locked":
        summary.skipped_locked += 1
        return
    if outcome.status == "already":
        summary.already_loaded += 1
        return
    summary.objects += 1
    summary.bytes += obj.size
    summary.quarantined += outcome.quarantined
    if obj.kind == "rejected":
        summary.rejected += outcome.rows
    else:
        summary.rows += outcome.rows
    if outcome.status != "loaded":
        summary.failed_objects += 1
        summary.errors.append(f"{obj.key}: {outcome.status}: {outcome.error}")


def _finish(conn: psycopg.Connection, settings: LoadSettings, summary: RunSummary) -> None:
    """Record the run's totals; on a dead connection, a fresh one (the reaper covers the worst case)."""
    fields = dict(
        status=summary.status,
        objects=summary.objects,
        rows=summary.rows,
        bytes_=summary.bytes,
        quarantined=summary.quarantined,
        rejected=summary.rejected,
        failed_objects=summary.failed_objects,
        error="\n".join(summary.errors[:20]) or None,
    )
    try:
        manifest.finish_run(conn, summary.load_id, **fields)
    except psycopg.Error:
        try:
            with connect(settings.dsn) as fresh:
                manifest.finish_run(fresh, summary.load_id, **fields)
        except (psycopg.Error, LoadError):
            log.warning("could not record the end of run %s", summary.load_id)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
