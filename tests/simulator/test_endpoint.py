"""Endpoint mode against the real local collector (clickstream-ingest on a free 127.0.0.1 port)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest

from clickstream.demo import free_port, start_ingest, stop_process
from simulator.run import Settings, SimulationError, simulate
from sim_reference import read_lines

START = datetime.fromisoformat("2026-11-10T06:00:00+00:00")
TIMING = {"received_at", "sent_at", "event_at", "clock_skew_ms", "request_id"}


@pytest.fixture
def collector(tmp_path):
    started = []

    def start(env=None):
        port = free_port()
        proc = start_ingest(str(tmp_path / f"collected-{port}"), port, tmp_path / f"ingest-{port}.log", env=env)
        started.append(proc)
        return f"http://127.0.0.1:{port}/v1/events", tmp_path / f"collected-{port}"

    yield start
    for proc in started:
        stop_process(proc)


def test_direct_mode_writes_what_the_collector_writes(collector, tmp_path):
    """GIVEN the same seed and window WHEN sent through the collector and written directly THEN every event
    line is identical except the request timing fields, and so are the dead-letter reasons."""
    url, collected = collector()
    common = dict(days=0.2, seed=9, visitors_per_day=3000, start=START)
    sent = simulate(Settings(endpoint=url, truth_path=str(tmp_path / "t1.json"), **common))
    direct = simulate(Settings(out=str(tmp_path / "direct"), **common))
    assert sent["events"] == direct["events"]
    via_collector, _ = read_lines(str(collected))
    written, _ = read_lines(str(tmp_path / "direct"))
    a = {r["event_id"]: r for r in via_collector}
    b = {r["event_id"]: r for r in written}
    assert set(a) == set(b) and len(a) > 2000
    for event_id, record in a.items():
        other = b[event_id]
        assert {k: v for k, v in record.items() if k not in TIMING} == {k: v for k, v in other.items() if k not in TIMING}
        # the skew correction recovers the same true time up to network latency
        from simulator.collector import parse_iso_ms

        assert abs(parse_iso_ms(record["event_at"]) - parse_iso_ms(other["event_at"])) < 30_000
    rej_a, _ = read_lines(str(collected), "rejected")
    rej_b, _ = read_lines(str(tmp_path / "direct"), "rejected")
    assert sorted((r["reason"], r["error"]) for r in rej_a) == sorted((r["reason"], r["error"]) for r in rej_b)


def test_write_key_is_sent_and_a_wrong_one_is_a_clear_error(collector, tmp_path):
    url, collected = collector(env={"CLICKSTREAM_WRITE_KEYS": "demo-key"})
    common = dict(days=0.02, seed=1, visitors_per_day=2000, start=START, endpoint=url)
    with pytest.raises(SimulationError, match="HTTP 401"):
        simulate(Settings(write_key="wrong", truth_path=str(tmp_path / "a.json"), **common))
    ok = simulate(Settings(write_key="demo-key", truth_path=str(tmp_path / "b.json"), **common))
    assert ok["events"] > 0 and read_lines(str(collected))[0]


def test_unreachable_endpoint_exits_non_zero_with_a_message(tmp_path):
    port = free_port()
    proc = subprocess.run([sys.executable, "-m", "simulator.cli", "--days", "0.01", "--start", START.isoformat(),
                           "--endpoint", f"http://127.0.0.1:{port}/v1/events", "--truth", str(tmp_path / "t.json")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "cannot deliver" in proc.stderr and "clickstream-ingest" in proc.stderr
    assert not (tmp_path / "t.json").exists(), "no truth for traffic that was not delivered"
