"""clickstream-ingest: serve POST /v1/events on this machine (the same core as the Lambda handler)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

import click

from lambda_ingest.settings import Settings

_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with whatever `extra=` fields (request_id ...) the call passed."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("lambda_ingest")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


@click.command(context_settings={"show_default": True})
@click.option("--host", default="127.0.0.1", envvar="CLICKSTREAM_INGEST_HOST", help="Interface to listen on.")
@click.option("--port", default=8080, type=int, envvar="CLICKSTREAM_INGEST_PORT", help="TCP port.")
@click.option("--raw-uri", envvar="CLICKSTREAM_RAW_URI", default=None,
              help="Raw store root: a folder or s3://bucket/prefix (default: $CLICKSTREAM_HOME/raw).")
@click.option("--write-keys", envvar="CLICKSTREAM_WRITE_KEYS", default=None,
              help="Comma-separated write keys; unset: requests without a key are accepted.")
@click.option("--allowed-origins", envvar="CLICKSTREAM_ALLOWED_ORIGINS", default=None,
              help="Comma-separated browser origins (https://shop.example, https://*.shop.example); unset: any.")
@click.option("--flush-interval-ms", type=float, envvar="CLICKSTREAM_FLUSH_INTERVAL_MS", default=None,
              help="Longest a request waits for others to share its raw store object [default: 50].")
@click.option("--log-level", default="info", envvar="CLICKSTREAM_LOG_LEVEL",
              type=click.Choice(["debug", "info", "warning", "error"]), help="Log level (JSON lines on stderr).")
def main(host: str, port: int, raw_uri: str | None, write_keys: str | None, allowed_origins: str | None,
         flush_interval_ms: float | None, log_level: str) -> None:
    """Serve the clickstream collector: POST /v1/events, /healthz, /metrics, /openapi.json."""
    import os

    import uvicorn

    from lambda_ingest.server import create_app

    env = dict(os.environ)
    if write_keys is not None:
        env["CLICKSTREAM_WRITE_KEYS"] = write_keys
    if allowed_origins is not None:
        env["CLICKSTREAM_ALLOWED_ORIGINS"] = allowed_origins
    try:
        settings = Settings.from_env(env, raw_uri=raw_uri, flush_interval_ms=flush_interval_ms)
        app = create_app(settings)
        if not app.raw_sink.is_s3:
            app.raw_sink.local_root.mkdir(parents=True, exist_ok=True)  # fail now, not at the first request
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"cannot start the collector: {exc}") from exc
    configure_logging(log_level)
    click.echo(f"clickstream-ingest: POST http://{host}:{port}/v1/events -> {app.raw_sink.root}", err=True)
    # proxy_headers off: the collector never reads the client address (it must not store the IP), so
    # uvicorn's X-Forwarded-For middleware is pure per-request cost here.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                timeout_graceful_shutdown=10, proxy_headers=False, server_header=False)


if __name__ == "__main__":
    main()
