"""Load one raw object exactly once: in ONE transaction, lock it, check the manifest, COPY its rows into
raw.events / raw.rejected_events (bad lines into raw.quarantine) and insert its manifest row.

Killed at any instant, either that transaction committed (rows + manifest row) or nothing of it did, so a
rerun loads each object once. A corrupt object or rows PostgreSQL refuses roll back to a savepoint and
are recorded in the manifest with their error, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from contract import layout

from . import manifest
from .listing import same_object
from .reader import KINDS, CorruptObject, ObjectReader
from .store import RawObject, RawStore

TABLES = {layout.EVENTS: ("raw", "events"), layout.REJECTED: ("raw", "rejected_events")}


def _copy_statement(kind: str) -> sql.Composed:
    columns = [*KINDS[kind].names, "payload", "_line_no", "_load_id", "_source_key"]
    return sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(*TABLES[kind]), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


COPY_ROWS = {kind: _copy_statement(kind) for kind in layout.KINDS}
COPY_QUARANTINE = "copy raw.quarantine (_source_key, _line_no, reason, raw_line, _load_id) from stdin"


@dataclass
class ObjectOutcome:
    obj: RawObject
    status: str  # loaded | corrupt | failed | locked (another run has it) | already (loaded meanwhile)
    rows: int = 0
    quarantined: int = 0
    error: str | None = None


def _copy_object(
    conn: psycopg.Connection, store: RawStore, obj: RawObject, load_id: int, strict: bool
) -> tuple[int, int]:
    with store.open(obj.key) as stream, conn.cursor() as cur:
        reader = ObjectReader(stream, obj.kind, extra=(load_id, obj.key), strict=strict)
        with cur.copy(COPY_ROWS[obj.kind]) as copy:
            write_row = copy.write_row
            for row in reader.rows():
                write_row(row)
        rows = cur.rowcount
        if reader.quarantined:
            with cur.copy(COPY_QUARANTINE) as copy:
                for line_no, reason, text in reader.quarantined:
                    copy.write_row((obj.key, line_no, reason, text, load_id))
    return rows, len(reader.quarantined)


def load_object(conn: psycopg.Connection, store: RawStore, obj: RawObject, load_id: int) -> ObjectOutcome:
    """Load obj in its own transaction (conn must be in autocommit mode outside it)."""
    with conn.transaction():
        if not manifest.try_lock_object(conn, obj.key):
            return ObjectOutcome(obj, "locked")
        # Checked after taking the lock: a run that loaded it meanwhile has committed by now.
        existing = manifest.entry(conn, obj.key)
        if existing is not None:
            retry = existing.status == "failed" or (
                existing.status == "corrupt" and not same_object(obj, existing)
            )
            if not retry:
                return ObjectOutcome(obj, "already")
            manifest.forget(conn, obj.key)
        outcome = ObjectOutcome(obj, "loaded")
        for strict in (False, True):
            try:
                with conn.transaction():  # savepoint: a bad object's rows go, its manifest row stays
                    outcome.rows, outcome.quarantined = _copy_object(conn, store, obj, load_id, strict)
                outcome.status, outcome.error = "loaded", None
                break
            except CorruptObject as exc:
                outcome.status, outcome.error = "corrupt", str(exc)
                break
            except (psycopg.DataError, psycopg.IntegrityError) as exc:
                # A row passed the cheap checks but not PostgreSQL: retry once with the strict checks.
                outcome.status, outcome.error = "failed", f"PostgreSQL refused a row: {exc}".strip()
        manifest.record_object(
            conn,
            obj,
            load_id,
            rows=outcome.rows if outcome.status == "loaded" else 0,
            quarantined=outcome.quarantined if outcome.status == "loaded" else 0,
            status=outcome.status,
            error=outcome.error,
        )
        if outcome.status != "loaded":
            outcome.rows = outcome.quarantined = 0
        return outcome
