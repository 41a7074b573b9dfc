"""clickstream-dashboard: serve the Shiny dashboards (shiny/app.py) on 127.0.0.1 by default."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

import clickstream
from clickstream.warehouse import resolve_dsn

APP_DIR = Path(clickstream.__file__).resolve().parents[1] / "shiny"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="CLICKSTREAM_DASHBOARD_HOST",
              help="Interface to bind; keep 127.0.0.1 unless a reverse proxy with TLS sits in front.")
@click.option("--port", default=8000, show_default=True, type=int, envvar="CLICKSTREAM_DASHBOARD_PORT",
              help="TCP port to listen on.")
@click.option("--dsn", default=None, envvar="CLICKSTREAM_DSN",
              help="PostgreSQL connection string (a read-only clickstream_reporting login in production). "
                   "Default: libpq PG* variables, else the embedded server.")
@click.option("--poll-seconds", default=30.0, show_default=True, type=float,
              envvar="CLICKSTREAM_DASHBOARD_POLL_SECONDS",
              help="How often the one shared data-version query may run; new loads show up after at most this.")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]), help="Server log level.")
def main(host: str, port: int, dsn: str | None, poll_seconds: float, log_level: str) -> None:
    """Serve the five dashboards: Traffic & Engagement, Funnels, Product Performance, Acquisition, Reliability."""
    app_file = APP_DIR / "app.py"
    if not app_file.is_file():
        raise click.ClickException(f"dashboard app not found at {app_file} (run from a clone of the repository)")
    try:
        resolved = resolve_dsn(dsn)
    except Exception as exc:  # the embedded server failed to start: say why, no traceback
        raise click.ClickException(f"cannot resolve the warehouse connection: {exc}") from exc
    # The app reads its settings from the environment (it runs in this process, imported by uvicorn).
    os.environ["CLICKSTREAM_DASHBOARD_DSN"] = resolved
    os.environ["CLICKSTREAM_DASHBOARD_POLL_SECONDS"] = str(poll_seconds)

    import shiny

    click.echo(f"clickstream-dashboard: http://{host}:{port}/", err=True)
    sys.exit(shiny.run_app("app:app", host=host, port=port, app_dir=str(APP_DIR), log_level=log_level,
                           launch_browser=False))


if __name__ == "__main__":
    main()
