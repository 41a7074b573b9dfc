"""The books: ops.loaded_objects (one row per raw object, written in the object's own transaction) and
ops.load_runs (one row per run).

Locks (two-key advisory locks; the first key says what kind of thing is locked):
  LOCK_OBJECT, hashtext(key)  transaction-scoped, held while one object loads: a concurrent run skips it
  LOCK_RUN, load_id           session-scoped, held for a whole run: a run row whose lock is free is dead
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from .store import RawObject

LOCK_OBJECT = 0x636C6B01
LOCK_RUN = 0x636C6B02


@dataclass(frozen=True)
class ManifestEntry:
    source_key: str
    etag: str | None
    size_bytes: int
    status: str  # loaded | corrupt | failed


def _run_lock_key(load_id: int) -> int:
    return load_id % 2**31


# --- runs -------------------------------------------------------------------------------------------------


def reap_dead_runs(conn: psycopg.Connection) -> list[int]:
    """Mark runs that still say 'running' but whose process is gone (killed, crashed) as 'aborted'."""
    reaped = []
    for (load_id,) in conn.execute("select load_id from ops.load_runs where status = 'running'").fetchall():
        key = (LOCK_RUN, _run_lock_key(load_id))
        if conn.execute("select pg_try_advisory_lock(%s, %s)", key).fetchone()[0]:
            conn.execute(
                "update ops.load_runs set status = 'aborted', finished_at = now(),"
                " error = 'the run ended before finishing (killed or lost its connection)'"
                " where load_id = %s and status = 'running'",
                (load_id,),
            )
            conn.execute("select pg_advisory_unlock(%s, %s)", key)
            reaped.append(load_id)
    return reaped


def start_run(conn: psycopg.Connection, source_uri: str, since_at: datetime, until_at: datetime) -> int:
    """Insert the run row and hold its liveness lock for as long as conn lives. conn is in autocommit."""
    reap_dead_runs(conn)
    load_id = conn.execute(
        "insert into ops.load_runs (source_uri, since_at, until_at) values (%s, %s, %s) returning load_id",
        (source_uri, since_at, until_at),
    ).fetchone()[0]
    conn.execute("select pg_advisory_lock(%s, %s)", (LOCK_RUN, _run_lock_key(load_id)))
    return load_id


def finish_run(
    conn: psycopg.Connection,
    load_id: int,
    *,
    status: str,
    objects: int,
    rows: int,
    bytes_: int,
    quarantined: int,
    rejected: int,
    failed_objects: int,
    error: str | None,
) -> None:
    conn.execute(
        "update ops.load_runs set finished_at = clock_timestamp(), status = %s, objects = %s, rows = %s,"
        " bytes = %s, quarantined = %s, rejected = %s, failed_objects = %s, error = %s where load_id = %s",
        (status, objects, rows, bytes_, quarantined, rejected, failed_objects, error, load_id),
    )
    conn.execute("select pg_advisory_unlock(%s, %s)", (LOCK_RUN, _run_lock_key(load_id)))


# --- objects ----------------------------------------------------------------------------------------------


def entries_for_hours(
    conn: psycopg.Connection, first_hour: datetime, last_hour: datetime
) -> dict[str, ManifestEntry]:
    """Manifest rows of the partitions in [first_hour, last_hour], by key."""
    rows = conn.execute(
        "select source_key, etag, size_bytes, status from ops.loaded_objects"
        " where partition_hour between %s and %s",
        (first_hour, last_hour),
    ).fetchall()
    return {row[0]: ManifestEntry(*row) for row in rows}


def try_lock_object(conn: psycopg.Connection, key: str) -> bool:
    """Lock one object for the current transaction; False if another run is loading it right now."""
    return conn.execute("select pg_try_advisory_xact_lock(%s, hashtext(%s))", (LOCK_OBJECT, key)).fetchone()[
        0
    ]


def entry(conn: psycopg.Connection, key: str) -> ManifestEntry | None:
    row = conn.execute(
        "select source_key, etag, size_bytes, status from ops.loaded_objects where source_key = %s", (key,)
    ).fetchone()
    return ManifestEntry(*row) if row else None


def forget(conn: psycopg.Connection, key: str) -> None:
    """Drop the record of a corrupt/failed object whose bytes were replaced, so the new bytes can load."""
    conn.execute("delete from ops.loaded_objects where source_key = %s and status <> 'loaded'", (key,))


def record_object(
    conn: psycopg.Connection,
    obj: RawObject,
    load_id: int,
    *,
    rows: int,
    quarantined: int,
    status: str,
    error: str | None,
) -> None:
    conn.execute(
        "insert into ops.loaded_objects"
        " (source_key, kind, partition_hour, etag, size_bytes, load_id, rows, quarantined, status, error)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            obj.key,
            obj.kind,
            obj.partition_hour,
            obj.etag,
            obj.size,
            load_id,
            rows,
            quarantined,
            status,
            error,
        ),
    )


# --- status -----------------------------------------------------------------------------------------------


def watermark(conn: psycopg.Connection) -> tuple[datetime | None, datetime | None]:
    """(newest partition hour with a loaded object, when the last object was loaded)."""
    return conn.execute(
        "select max(partition_hour), max(loaded_at) from ops.loaded_objects where status = 'loaded'"
    ).fetchone()


def last_runs(conn: psycopg.Connection, limit: int = 5) -> list[tuple]:
    return conn.execute(
        "select load_id, status, started_at, finished_at, objects, rows, quarantined, failed_objects, error"
        " from ops.load_runs order by load_id desc limit %s",
        (limit,),
    ).fetchall()


def unloadable_objects(conn: psycopg.Connection) -> list[tuple[str, str, str | None]]:
    """(key, status, error) of objects recorded as corrupt or failed."""
    return conn.execute(
        "select source_key, status, error from ops.loaded_objects"
        " where status <> 'loaded' order by source_key"
    ).fetchall()
