"""Logging for the loader's commands: JSON lines when not on a terminal (cron, EventBridge, CloudWatch),
plain lines plus a progress bar on a terminal."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import orjson

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def on_terminal() -> bool:
    return sys.stderr.isatty()


def setup(json_logs: bool | None = None, level: int = logging.INFO) -> bool:
    """Log to stderr; returns whether the logs are JSON."""
    json_logs = (not on_terminal()) if json_logs is None else json_logs
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger("clickstream")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    return json_logs
