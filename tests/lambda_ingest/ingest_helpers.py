"""Helpers for the ingest tests: events, a real collector process on 127.0.0.1, raw store readers."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from lambda_ingest.segments import wait_sealed

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CHROME_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/131.0.0.0 Safari/537.36")


def make_event(event_type: str = "view", **fields) -> dict:
    event = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "ts": "2026-11-22T09:15:02.120Z",
        "session_id": "s-1",
        "anonymous_id": "a-1",
        "page_url": "https://shop.example/p/1005115",
    }
    if event_type == "search":
        event["props"] = {"search_query": "laptop"}
    if event_type in ("add_to_cart", "remove_from_cart"):
        event["ecom"] = {"product_id": "1005115", "price": 949.0, "currency": "USD"}
    if event_type == "purchase":
        event["ecom"] = {"order_id": "ORD-1", "revenue": 949.0, "currency": "USD"}
    if event_type == "identify":
        event["user_id"] = "user-42"
    if event_type == "delivery_report":
        event["props"] = {"dropped_events": 2}
    event.update(fields)
    return event


def read_raw(root: Path, kind: str = "events") -> list[dict]:
    """Every line of every object of one kind in a local raw store (once its open segments are sealed)."""
    wait_sealed(root)
    lines = []
    for path in sorted((root / kind).rglob("*.ndjson.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            lines.extend(json.loads(line) for line in f)
    return lines


def raw_text(root: Path) -> str:
    """All decompressed text in a raw store (events and rejected), for 'nothing personal survives' checks."""
    wait_sealed(root)
    return "".join(gzip.open(p, "rt", encoding="utf-8").read() for p in sorted(root.rglob("*.ndjson.gz")))


class Collector:
    """A clickstream-ingest process on 127.0.0.1 (the real CLI entry point)."""

    def __init__(self, raw: Path, env: dict[str, str] | None = None, args: list[str] | None = None):
        self.raw = raw
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
        self.log = raw.parent / f"collector-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lambda_ingest.cli", "--host", "127.0.0.1", "--port", str(self.port),
             "--raw-uri", str(raw), *(args or [])],
            cwd=REPO_ROOT, env={**base, **(env or {})}, stdout=subprocess.DEVNULL, stderr=open(self.log, "wb"),
        )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"collector exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("collector did not start in 30 s")
            time.sleep(0.1)

    def post(self, body, headers: dict | None = None, **kwargs) -> httpx.Response:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        return httpx.post(f"{self.url}/v1/events", content=body,
                          headers={"content-type": "application/json", "user-agent": CHROME_UA, **(headers or {})},
                          timeout=10, **kwargs)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


