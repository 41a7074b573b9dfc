"""Killed at any instant, or racing another run: each event still lands exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

import psycopg
from loader_helpers import BIN, count, run_cli

from loader import migrations

OBJECTS, EVENTS_PER_OBJECT = 24, 3000


def write_store(raw_store, now) -> int:
    for i in range(OBJECTS):
        raw_store.write_events(now - timedelta(minutes=100 - 4 * i), EVENTS_PER_OBJECT)
    return OBJECTS * EVENTS_PER_OBJECT


def start_load(raw_store, dsn) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "clickstream-load"), "--source", str(raw_store.root), "--dsn", dsn, "--since", "3h"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def loaded_objects(dsn) -> int:
    with psycopg.connect(dsn) as conn:
        if conn.execute("select to_regclass('ops.loaded_objects')").fetchone()[0] is None:
            return 0
        return conn.execute("select count(*) from ops.loaded_objects").fetchone()[0]


def test_kill_9_mid_load_then_rerun_gives_each_event_once(raw_store, pg_dsn, now):
    total = write_store(raw_store, now)
    kills = 0
    # Kill the loader three times at different points (after 2, 8 and 14 committed objects: mid-COPY of
    # the next object, or between statements), then let a run finish.
    for threshold in (2, 8, 14):
        proc = start_load(raw_store, pg_dsn)
        deadline = time.monotonic() + 60
        while loaded_objects(pg_dsn) < threshold and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=30)
    assert kills >= 2, "the loader finished before it could be killed: make the store bigger"
    assert loaded_objects(pg_dsn) < OBJECTS

    result = run_cli("--source", str(raw_store.root), "--dsn", pg_dsn, "--since", "3h")

    assert result.returncode == 0, result.stderr
    assert count(pg_dsn, "select count(*) from raw.events") == total
    assert count(pg_dsn, "select count(distinct event_id) from raw.events") == total
    assert count(pg_dsn, "select count(distinct (_source_key, _line_no)) from raw.events") == total
    assert count(pg_dsn, "select sum(rows) from ops.loaded_objects") == total
    # The killed runs are found dead and marked aborted by the next run.
    with psycopg.connect(pg_dsn) as conn:
        statuses = [r[0] for r in conn.execute("select status from ops.load_runs order by load_id")]
    assert statuses == ["aborted"] * kills + ["succeeded"]


def test_two_concurrent_runs_never_load_an_object_twice(raw_store, pg_dsn, now):
    total = write_store(raw_store, now)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        migrations.migrate(conn)  # concurrent first migrations have their own test below
    # Start both runs at the same instant: hold ops.load_runs until both wait to insert their run row.
    with psycopg.connect(pg_dsn) as gate:
        gate.execute("lock table ops.load_runs in exclusive mode")
        first, second = start_load(raw_store, pg_dsn), start_load(raw_store, pg_dsn)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            gate.execute("select pg_stat_clear_snapshot()")  # activity stats are cached per transaction
            waiting = gate.execute(
                "select count(*) from pg_stat_activity where datname = current_database()"
                " and application_name = 'clickstream-load' and wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting == 2:
                break
            time.sleep(0.05)
        assert waiting == 2, "both runs should be waiting at the gate"
    outs = [p.communicate(timeout=120) for p in (first, second)]

    assert first.returncode == 0, outs[0][1]
    assert second.returncode == 0, outs[1][1]
    assert count(pg_dsn, "select count(*) from raw.events") == total
    assert count(pg_dsn, "select count(distinct event_id) from raw.events") == total
    with psycopg.connect(pg_dsn) as conn:
        per_run = conn.execute("select objects from ops.load_runs where objects > 0").fetchall()
    assert sum(r[0] for r in per_run) == OBJECTS
    # They did race: each loaded a share and skipped what the other held.
    assert len(per_run) == 2, per_run


def test_concurrent_first_runs_migrate_once(raw_store, pg_dsn, now):
    raw_store.write_events(now, 10)
    procs = [start_load(raw_store, pg_dsn) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1][-500:] for o in outs]
    assert count(pg_dsn, "select count(*) from ops.schema_migrations") == len(migrations.available())
    assert count(pg_dsn, "select count(*) from raw.events") == 10
