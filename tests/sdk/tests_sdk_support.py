"""Helpers for tests/sdk: paths, a free port, reading the raw store."""

from __future__ import annotations

import gzip
import json
import socket
from collections import Counter
from pathlib import Path

from lambda_ingest.segments import wait_sealed

REPO_ROOT = Path(__file__).resolve().parents[2]
SDK_DIR = REPO_ROOT / "sdk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_lines(root: Path, kind: str = "events") -> list[dict]:
    """Every line of every gzip NDJSON object under <root>/<kind>/ (hour partitions), once the collector writing
    there has sealed what it answered for."""
    wait_sealed(root)
    lines = []
    for obj in sorted((root / kind).rglob("*.ndjson.gz")):
        with gzip.open(obj, "rt", encoding="utf-8") as f:
            lines.extend(json.loads(line) for line in f if line.strip())
    return lines


def event_id_counts(root: Path) -> Counter:
    return Counter(line["event_id"] for line in raw_lines(root))


def collector_metrics(base_url: str) -> dict[str, float]:
    """The collector's /metrics (Prometheus text) as {name{labels}: value}."""
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as r:
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples
