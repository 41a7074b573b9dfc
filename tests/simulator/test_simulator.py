"""The simulator: contract-valid raw lines, determinism, ground truth that matches its own data."""

from __future__ import annotations

import glob
import hashlib
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import fastjsonschema
import orjson
import pytest

from contract import definition
from simulator.audience import SHARDS
from simulator.run import Settings, simulate
from simulator.traffic import Simulation, check_invariants
from simulator.truth import TruthRecorder
from sim_reference import read_lines, warehouse_days  # tests/simulator/sim_reference.py

START = "2026-11-10T00:00:00+00:00"
SIMULATE = [sys.executable, "-m", "simulator.cli"]


def _run(out: Path, seed: int = 7, days: float = 1.0, visitors: int = 1500, **kw) -> dict:
    from datetime import datetime

    settings = Settings(days=days, seed=seed, visitors_per_day=visitors, start=datetime.fromisoformat(START),
                        out=str(out), **kw)
    summary = simulate(settings)
    if summary["truth"].startswith("s3://"):
        import boto3

        bucket, _, key = summary["truth"][5:].partition("/")
        return orjson.loads(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    return orjson.loads(Path(summary["truth"]).read_bytes())


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    root = tmp_path_factory.mktemp("raw")
    truth = _run(root)
    return root, truth


def _digest(root: Path) -> dict[str, str]:
    """sha256 of every raw object (the truth file names its own path, so it is compared apart)."""
    return {os.path.relpath(p, root): hashlib.sha256(Path(p).read_bytes()).hexdigest()
            for p in sorted(glob.glob(str(root / "**" / "*.ndjson.gz"), recursive=True))}


def test_direct_mode_lines_are_collected_events(day):
    """GIVEN a simulated day WHEN its raw lines are read THEN every sound line is a valid collected_event,
    every dead-letter line a valid rejected_event, and the corrupt lines are exactly the planted ones."""
    root, truth = day
    validate_event = fastjsonschema.compile(definition("collected_event"))
    validate_rejected = fastjsonschema.compile(definition("rejected_event"))
    lines, bad = read_lines(str(root))
    assert len(lines) > 10_000
    for record in lines:
        validate_event(record)
    rejected, _ = read_lines(str(root), "rejected")
    assert rejected, "a day of traffic has some malformed events"
    for record in rejected:
        validate_rejected(record)
        assert record["reason"] != "accepted"
    assert len(rejected) == truth["dirt"]["malformed_events"]
    assert bad == truth["dirt"].get("corrupt_lines", 0)


def test_dirt_is_present(day):
    root, truth = day
    lines, _ = read_lines(str(root))
    ids = [r["event_id"] for r in lines]
    assert len(ids) - len(set(ids)) == truth["dirt"]["duplicate_events"] > 0
    assert any(r["is_bot"] and r["bot_reason"] == "crawler_ua" for r in lines)
    assert any(r["is_bot"] and r["bot_reason"] == "headless" for r in lines)
    assert any(abs(r["clock_skew_ms"]) > 60_000 for r in lines), "some clients have skewed clocks"
    late = [r for r in lines if (_ms(r["received_at"]) - _ms(r["event_at"])) > 600_000]
    assert len(late) >= truth["dirt"]["late_events"] * 0.9
    assert {r["event_type"] for r in lines} >= {"view", "click", "search", "add_to_cart", "remove_from_cart",
                                                "checkout", "purchase", "identify", "heartbeat"}
    assert any(r.get("utm", {}).get("source") == "chatgpt.com" for r in lines)
    assert any(r.get("referrer_host") == "perplexity.ai" for r in lines)


def _ms(text: str) -> int:
    from simulator.collector import parse_iso_ms

    return parse_iso_ms(text)


def test_truth_matches_an_independent_reading_of_the_raw_store(day):
    """The ground truth equals what the shared definitions compute from the raw lines themselves."""
    root, truth = day
    lines, _ = read_lines(str(root))
    computed = warehouse_days(lines)
    assert set(computed) == set(truth["days"])
    for d, got in computed.items():
        want = truth["days"][d]
        for key in ("sessions", "converted_sessions", "orders", "page_views", "engaged_sessions"):
            assert got[key] == want[key], (d, key)
        assert got["revenue"] == Decimal(str(want["revenue"])), d
        assert got["session_revenue"] == Decimal(str(want["session_revenue"])), d
    totals = truth["totals"]
    assert totals["sessions"] == totals["human_visits"], "every visit is one session"
    assert 0.01 < totals["converted_sessions"] / totals["sessions"] < 0.06, "a few percent convert"


def test_same_seed_same_bytes_other_seed_other_traffic(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    ta = _run(a, seed=3, days=0.25)
    tb = _run(b, seed=3, days=0.25)
    _run(c, seed=4, days=0.25)
    assert _digest(a) == _digest(b)
    assert {**ta, "target": None} == {**tb, "target": None}
    da, dc = _digest(a), _digest(c)
    assert not set(da.values()) & set(dc.values())


def test_visits_keep_the_invariants_the_truth_relies_on():
    class Check:
        visits = 0

        def visit(self, v, watermark):
            check_invariants(v)
            Check.visits += 1

        def close(self):
            pass

    start = 1_762_905_600_000 - 3_600_000  # start an hour before midnight: visits cross it
    for shard in range(len(SHARDS)):
        Simulation(11, start, start + 6 * 3_600_000, 6000, shard=shard).run(Check(), TruthRecorder({}))
    assert Check.visits > 1000


def test_clean_mode_has_no_dirt(tmp_path):
    truth = _run(tmp_path, days=0.2, clean=True)
    lines, bad = read_lines(str(tmp_path))
    assert bad == 0 and not any(r["is_bot"] for r in lines)
    assert not glob.glob(str(tmp_path / "rejected" / "**" / "*.gz"), recursive=True)
    assert len({r["event_id"] for r in lines}) == len(lines)
    assert truth["dirt"].get("duplicate_events", 0) == 0


def test_s3_direct_mode_writes_the_layout(s3_bucket):
    import boto3

    settings_out = f"s3://{s3_bucket}/shop"
    truth = _run(settings_out, days=0.1)
    keys = [o["Key"] for page in boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=s3_bucket)
            for o in page.get("Contents", [])]
    events = [k for k in keys if k.startswith("shop/events/year=2026/month=11/day=10/hour=")]
    assert events and all(k.endswith(".ndjson.gz") for k in events)
    assert any(k.startswith("shop/truth/") for k in keys)
    assert truth["totals"]["sessions"] > 0


def test_cli_bad_input_exits_non_zero_with_a_message(tmp_path):
    unknown = subprocess.run(SIMULATE + ["--bogus"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "No such option" in unknown.stderr
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    unwritable = subprocess.run(SIMULATE + ["--days", "0.05", "--start", START, "--out", str(blocker / "raw")],
                                capture_output=True, text=True)
    assert unwritable.returncode == 1 and "Error:" in unwritable.stderr
    future = subprocess.run(SIMULATE + ["--start", "2999-01-01", "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert future.returncode == 1 and "future" in future.stderr


def test_full_disk_is_a_clear_error_and_a_rerun_repairs(tmp_path):
    """Objects are written through a temp file: point one at /dev/full, the run fails cleanly, rerun fixes it."""
    root = tmp_path / "raw"
    args = SIMULATE + ["--days", "0.1", "--seed", "5", "--start", START, "--out", str(root), "-q"]
    assert subprocess.run(args, capture_output=True).returncode == 0
    good = _digest(root)
    victim = Path(root, next(k for k in good if k.startswith("events/")))
    victim.unlink()
    tmp = victim.with_name(f".{victim.name}.tmp")
    tmp.symlink_to("/dev/full")
    failed = subprocess.run(args, capture_output=True, text=True)
    assert failed.returncode == 1 and "No space left on device" in failed.stderr
    assert not victim.exists()
    tmp.unlink(missing_ok=True)
    assert subprocess.run(args, capture_output=True).returncode == 0
    assert _digest(root) == good
