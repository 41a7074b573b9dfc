"""Durability: kill -9 the collector under concurrent load; every event it acknowledged (202) must be durable,
and in complete, readable objects once a collector starts again on the same root (it seals the open segments
the killed one left). Also: concurrent requests share objects (group commit)."""

from __future__ import annotations

import asyncio
import gzip
import json
import signal
import time

import httpx
from ingest_helpers import CHROME_UA, make_event, read_raw, wait_sealed


async def hammer(url: str, workers: int, batch: int, seconds: float, acked: list[str], stop: asyncio.Event) -> int:
    """Closed-loop load: each worker posts batches until `stop` is set, an error happens, or time runs out."""
    deadline = time.monotonic() + seconds
    sent = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while not stop.is_set() and time.monotonic() < deadline:
            events = [make_event() for _ in range(batch)]
            try:
                response = await client.post("/v1/events", json={"events": events})
            except httpx.HTTPError:
                return                      # the server is gone: whatever was not acknowledged may be lost
            sent += 1
            if response.status_code == 202:
                acked.extend(e["event_id"] for e in events)

    async with httpx.AsyncClient(base_url=url, timeout=10, headers={"user-agent": CHROME_UA},
                                 limits=httpx.Limits(max_connections=workers)) as client:
        await asyncio.gather(*(worker(client) for _ in range(workers)))
    return sent


def test_every_acknowledged_event_survives_kill_9(start_collector):
    collector = start_collector()
    acked: list[str] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        load = asyncio.create_task(hammer(collector.url, workers=16, batch=5, seconds=20, acked=acked, stop=stop))
        while len(acked) < 300 and not load.done():   # well into the run, with requests in flight
            await asyncio.sleep(0.05)
        collector.proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(load, timeout=30)

    asyncio.run(scenario())
    collector.proc.wait(timeout=10)
    assert collector.proc.returncode == -signal.SIGKILL
    assert len(acked) >= 300

    # A new collector on the same root seals what the killed one left open, then writes next to it.
    again = start_collector(raw=collector.raw)
    assert not list((collector.raw / ".open").iterdir())
    stored = [e["event_id"] for e in read_raw(collector.raw)]      # every object reads to the end
    missing = set(acked) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events lost"
    assert len(stored) == len(set(stored))
    assert again.post({"events": [make_event()]}).status_code == 202


def test_concurrent_requests_share_objects(start_collector):
    collector = start_collector()
    acked: list[str] = []

    async def burst() -> None:
        async with httpx.AsyncClient(base_url=collector.url, timeout=10) as client:
            responses = await asyncio.gather(*(client.post("/v1/events", json={"events": [make_event()]})
                                               for _ in range(60)))
        for response in responses:
            assert response.status_code == 202
            acked.append(response.json()["request_id"])

    asyncio.run(burst())
    assert wait_sealed(collector.raw)
    objects = list((collector.raw / "events").rglob("*.ndjson.gz"))
    assert len(read_raw(collector.raw)) == 60
    assert len(objects) < 60, "group commit should put concurrent requests into shared objects"
    for path in objects:
        lines = gzip.open(path, "rt").read().splitlines()
        assert all(json.loads(line)["event_type"] == "view" for line in lines)


def test_a_failed_write_is_503_and_the_retry_is_stored(start_collector, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    collector = start_collector(raw=raw)
    (raw / ".open").write_text("a file where the open segments should be")   # the raw store cannot be written
    batch = {"events": [make_event(), make_event()]}
    failed = collector.post(batch)
    assert failed.status_code == 503 and failed.headers["retry-after"] == "1"
    assert failed.json()["error"] == "storage_unavailable"
    (raw / ".open").unlink()
    retry = collector.post(batch).json()
    assert (retry["accepted"], retry["duplicates"]) == (2, 0)   # the failed attempt did not mark them as seen
    assert {e["event_id"] for e in read_raw(raw)} == {e["event_id"] for e in batch["events"]}


def test_the_cli_refuses_an_unusable_raw_folder(tmp_path):
    import subprocess
    import sys

    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = subprocess.run([sys.executable, "-m", "lambda_ingest.cli", "--port", "1", "--raw-uri", str(blocker / "raw")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "cannot start the collector" in result.stderr
