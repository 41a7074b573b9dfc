"""The commands as a user meets them: a DSN that points nowhere, status, dry run, a missing store."""

from __future__ import annotations

import socket
from datetime import timedelta

import orjson
from loader_helpers import count, run_cli


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_dsn_that_points_nowhere_is_a_clear_error(raw_store, now):
    raw_store.write_events(now, 3)
    dsn = f"postgresql://loader:secret-pw@127.0.0.1:{free_port()}/clickstream"

    result = run_cli("--source", str(raw_store.root), "--dsn", dsn, "--since", "1h", timeout=60)

    assert result.returncode == 1
    assert "clickstream-load: error: cannot connect to PostgreSQL" in result.stderr
    assert "127.0.0.1" in result.stderr and "secret-pw" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_source_folder_is_a_clear_error(pg_dsn, tmp_path):
    result = run_cli("--source", str(tmp_path / "nope"), "--dsn", pg_dsn)
    assert result.returncode == 1
    assert "raw store folder" in result.stderr and "does not exist" in result.stderr


def test_a_bad_since_is_a_usage_error(raw_store, pg_dsn):
    result = run_cli("--source", str(raw_store.root), "--dsn", pg_dsn, "--since", "last tuesday")
    assert result.returncode == 2
    assert "neither an ISO time" in result.stderr


def test_dry_run_prints_what_would_load_and_writes_nothing(raw_store, pg_dsn, now):
    key, _ = raw_store.write_events(now, 3)

    result = run_cli("--source", str(raw_store.root), "--dsn", pg_dsn, "--since", "1h", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert f"would load {key}" in result.stdout
    assert "1 objects would load, 0 already loaded" in result.stdout
    assert count(pg_dsn, "select count(*) from pg_namespace where nspname in ('raw', 'ops')") == 0


def test_status_prints_watermark_pending_and_lag(raw_store, pg_dsn, now):
    raw_store.write_events(now - timedelta(hours=1), 5)
    assert run_cli("--source", str(raw_store.root), "--dsn", pg_dsn, "--since", "3h").returncode == 0
    pending_key, _ = raw_store.write_events(now, 7)

    text = run_cli("status", "--source", str(raw_store.root), "--dsn", pg_dsn)
    as_json = run_cli("status", "--source", str(raw_store.root), "--dsn", pg_dsn, "--json")

    assert text.returncode == 0, text.stderr
    hour = (now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    assert f"watermark:   {hour.isoformat()}" in text.stdout
    assert "pending:     1 objects" in text.stdout
    assert "lag:         0:00:0" in text.stdout  # the pending object landed seconds ago
    assert "last run:    1 succeeded" in text.stdout
    report = orjson.loads(as_json.stdout)
    assert report["pending_objects"] == 1 and report["unloadable_objects"] == 0
    assert report["last_run"]["rows"] == 5 and report["lag_seconds"] < 60


def test_status_on_an_empty_warehouse_says_what_to_do(raw_store, pg_dsn):
    result = run_cli("status", "--source", str(raw_store.root), "--dsn", pg_dsn)
    assert result.returncode == 1
    assert "run clickstream-load first" in result.stderr
