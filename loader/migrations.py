"""Versioned schema migrations for raw.* and ops.*: loader/migrations/NNNN_name.sql, applied in order.

Each file runs in its own transaction together with its row in ops.schema_migrations, under an advisory
lock, so concurrent loaders (or a crash half-way) never apply a file twice or half.
"""

from __future__ import annotations

from importlib import resources

import psycopg

# Advisory lock "class" ids (first key of the two-key form) owned by the loader.
LOCK_MIGRATIONS = 0x636C6B00  # 'clk\0'


def available() -> list[tuple[str, str]]:
    """(version, sql) of every migration shipped with the package, in order."""
    folder = resources.files("loader") / "migrations"
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


def applied(conn: psycopg.Connection) -> set[str]:
    """Versions already applied (empty on a fresh database)."""
    exists = conn.execute("select to_regclass('ops.schema_migrations') is not null").fetchone()[0]
    if not exists:
        return set()
    return {row[0] for row in conn.execute("select version from ops.schema_migrations")}


def pending(conn: psycopg.Connection) -> list[str]:
    done = applied(conn)
    return [version for version, _ in available() if version not in done]


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply the pending migrations; return the versions applied now. conn must be in autocommit mode."""
    if not pending(conn):  # the common case: no lock, no writes (the loader role may not own the schema)
        return []
    newly = []
    for version, script in available():
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s, 0)", (LOCK_MIGRATIONS,))
            conn.execute("create schema if not exists ops")
            conn.execute(
                "create table if not exists ops.schema_migrations ("
                " version text primary key, applied_at timestamptz not null default now())"
            )
            if conn.execute("select 1 from ops.schema_migrations where version = %s", (version,)).fetchone():
                continue  # applied meanwhile by a concurrent loader
            conn.execute(script)
            conn.execute("insert into ops.schema_migrations (version) values (%s)", (version,))
            newly.append(version)
    return newly
