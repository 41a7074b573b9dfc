"""Where the warehouse is: a DSN or libpq PG* variables if configured, else an embedded PostgreSQL.

Every command (loader, hourly job, dashboard, demo) and the tests resolve their connection here, so the
rule is stated once: explicit --dsn > $CLICKSTREAM_DSN > libpq PG* variables > embedded pgserver
under $CLICKSTREAM_HOME/pg (default .clickstream/pg).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from contract.layout import HOME

# libpq variables whose presence means "a PostgreSQL is configured, use it".
_LIBPQ_SIGNALS = ("PGHOST", "PGHOSTADDR", "PGSERVICE", "PGDATABASE", "PGPORT")
# conninfo key -> libpq environment variable (what dbt's profiles.yml reads).
_CONNINFO_TO_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


def embedded_pgdata() -> Path:
    return Path(HOME, "pg").absolute()


def start_embedded(pgdata: Path | str | None = None, *, keep_running: bool = True) -> str:
    """Start (or reuse) the embedded PostgreSQL 16 in pgdata and return its DSN.

    keep_running=True leaves the server up after this process exits, so the loader, dbt and the
    dashboard (separate processes) share one server; the demo and tests stop it explicitly.
    """
    pgdata = Path(pgdata) if pgdata else embedded_pgdata()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        import pgserver  # imported late (only the embedded path needs it), inside the filter (it warns on import)

        server = pgserver.get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    return server.get_uri()


def stop_embedded(pgdata: Path | str | None = None) -> None:
    """Stop the embedded server if it runs (pg_ctl stop, fast mode)."""
    import subprocess

    from pgserver._commands import POSTGRES_BIN_PATH

    pgdata = Path(pgdata) if pgdata else embedded_pgdata()
    if not (pgdata / "postmaster.pid").exists():
        return
    args = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:  # pgserver runs postgres as the 'pgserver' system user when we are root
        args = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(args)]
    subprocess.run(args, check=False, capture_output=True)


def configured_dsn(dsn: str | None = None) -> str | None:
    """The configured connection, or None when nothing is configured (then use the embedded server).

    An empty string means "libpq PG* variables": psycopg.connect("") reads them itself.
    """
    if dsn:
        return dsn
    if os.environ.get("CLICKSTREAM_DSN"):
        return os.environ["CLICKSTREAM_DSN"]
    if any(os.environ.get(name) for name in _LIBPQ_SIGNALS):
        return ""
    return None


def resolve_dsn(dsn: str | None = None) -> str:
    """The DSN to connect with, starting the embedded server if nothing is configured."""
    configured = configured_dsn(dsn)
    return configured if configured is not None else start_embedded()


def libpq_env(dsn: str) -> dict[str, str]:
    """PG* environment variables equivalent to dsn, for tools that read libpq variables (dbt)."""
    env = {}
    for key, value in conninfo_to_dict(dsn).items():
        name = _CONNINFO_TO_ENV.get(key)
        if name and value is not None:
            env[name] = str(value)
    return env
