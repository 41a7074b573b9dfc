"""clickstream-load against a real PostgreSQL: exactly once, bad input quarantined, late objects, rejects."""

from __future__ import annotations

import json
from datetime import timedelta

import orjson
import psycopg
import pytest
from loader_helpers import collected_event, count, rejected_event, run_cli

from contract import layout
from loader import migrations


def load(raw_store, dsn, *extra):
    return run_cli("--source", str(raw_store.root), "--dsn", dsn, *extra)


def test_rerun_loads_nothing_twice(raw_store, pg_dsn, now):
    # GIVEN three event objects in two hour partitions and one dead-letter object
    written = []
    for minutes in (70, 20, 5):
        _, events = raw_store.write_events(now - timedelta(minutes=minutes), 250)
        written += events
    raw_store.write(now - timedelta(minutes=5), [rejected_event(now)] * 3, kind=layout.REJECTED)

    # WHEN the loader runs twice
    first = load(raw_store, pg_dsn, "--since", "3h")
    second = load(raw_store, pg_dsn, "--since", "3h")

    # THEN every line is loaded exactly once and the second run had nothing to do
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    summary = orjson.loads(second.stdout)
    assert summary["objects"] == 0 and summary["already_loaded"] == 4
    assert count(pg_dsn, "select count(*) from raw.events") == 750
    assert count(pg_dsn, "select count(distinct event_id) from raw.events") == 750
    assert count(pg_dsn, "select count(*) from raw.rejected_events") == 3
    with psycopg.connect(pg_dsn) as conn:
        runs = conn.execute(
            "select status, objects, rows, rejected from ops.load_runs order by load_id"
        ).fetchall()
        assert runs == [("succeeded", 4, 750, 3), ("succeeded", 0, 0, 0)]
        # The typed columns and the payload hold exactly what the collector wrote.
        sample = written[0]
        row = conn.execute(
            "select event_type, page_title, is_bot, clock_skew_ms, received_at, payload, _line_no,"
            " _source_key, _load_id from raw.events where event_id = %s",
            (sample["event_id"],),
        ).fetchone()
        assert row[0] == "view" and row[1] == sample["page_title"] and row[2] is False and row[3] == -1000
        assert row[4].isoformat(timespec="milliseconds").replace("+00:00", "Z") == sample["received_at"]
        assert row[5] == sample
        assert row[6] == 1 and row[7].startswith("events/year=") and row[8] == 1
        reject = conn.execute(
            "select reason, event_index, event_id, payload from raw.rejected_events limit 1"
        ).fetchone()
        assert reject == ("schema_violation", 0, "not-a-uuid", {"event_type": "nope"})


def test_invalid_lines_go_to_quarantine_and_the_rest_loads(raw_store, pg_dsn, now):
    good = [collected_event(now) for _ in range(5)]
    bad = [
        b"this is not json",
        b"[1, 2, 3]",
        orjson.dumps({k: v for k, v in collected_event(now).items() if k != "event_type"}),
        orjson.dumps(collected_event(now, is_bot="no")),
        orjson.dumps(collected_event(now, event_id="123")),
        orjson.dumps(collected_event(now, ts="yesterday")),
        orjson.dumps(collected_event(now, page_title={"nested": True})),
        json.dumps(collected_event(now, clock_skew_ms=2**70)).encode(),
        orjson.dumps(collected_event(now, page_title="nul \u0000 byte")),
        b"\xff\xfe not utf-8",
    ]
    # Passes the cheap checks, but PostgreSQL refuses month 13: the strict reread quarantines it.
    out_of_range = orjson.dumps(collected_event(now, event_at="2026-13-01T00:00:00Z"))
    key = raw_store.write(
        now, [good[0], *bad[:5], good[1], b"", good[2], *bad[5:], good[3], out_of_range, good[4]]
    )

    result = load(raw_store, pg_dsn, "--since", "1h")

    assert result.returncode == 3, result.stderr  # partial: something did not make it to raw.events
    assert count(pg_dsn, "select count(*) from raw.events") == 5
    with psycopg.connect(pg_dsn) as conn:
        quarantined = conn.execute(
            "select _line_no, reason, raw_line, _source_key from raw.quarantine order by 1"
        ).fetchall()
        assert [q[0] for q in quarantined] == [2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 16]  # line 8 is blank
        reasons = " | ".join(q[1] for q in quarantined)
        for expected in (
            "not JSON",
            "not a JSON object",
            "missing required key event_type",
            "is_bot: expected a boolean",
            "event_id: not a uuid",
            "ts: not an RFC 3339",
            "page_title: expected a string",
            "64-bit integer",
            "\\u0000",
            "event_at: timestamp out of range",
        ):
            assert expected in reasons
        assert quarantined[0][2] == "this is not json" and {q[3] for q in quarantined} == {key}
        run = conn.execute("select status, quarantined, error from ops.load_runs").fetchone()
        assert run[0] == "partial" and run[1] == 11 and "quarantined" in run[2]
        assert conn.execute("select status, rows, quarantined from ops.loaded_objects").fetchone() == (
            "loaded",
            5,
            11,
        )


def test_corrupt_gzip_is_recorded_and_the_run_goes_on(raw_store, pg_dsn, now):
    good_key, _ = raw_store.write_events(now - timedelta(minutes=3), 100)
    truncated_key, _ = raw_store.write_events(now - timedelta(minutes=2), 2000)
    path = raw_store.root / truncated_key
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    not_gzip_key = layout.object_key(layout.EVENTS, now - timedelta(minutes=1))
    # its own hour's folder when the test runs in the first minutes of an hour
    (raw_store.root / not_gzip_key).parent.mkdir(parents=True, exist_ok=True)
    (raw_store.root / not_gzip_key).write_bytes(b'{"event_id": "plain text, not gzip"}\n')

    result = load(raw_store, pg_dsn, "--since", "1h")

    assert result.returncode == 3, result.stderr
    assert count(pg_dsn, "select count(*) from raw.events") == 100  # nothing of the half object
    with psycopg.connect(pg_dsn) as conn:
        manifest = dict(conn.execute("select source_key, status from ops.loaded_objects").fetchall())
        assert manifest == {good_key: "loaded", truncated_key: "corrupt", not_gzip_key: "corrupt"}
        errors = conn.execute("select error from ops.loaded_objects where status = 'corrupt'").fetchall()
        assert all(e[0] for e in errors)
        assert conn.execute("select status, failed_objects from ops.load_runs").fetchone() == ("partial", 2)

    # A rerun does not retry the same corrupt bytes ...
    again = load(raw_store, pg_dsn, "--since", "1h")
    assert again.returncode == 0, again.stderr
    # ... but loads the object once it is replaced with good bytes.
    path.write_bytes(whole)
    fixed = load(raw_store, pg_dsn, "--since", "1h")
    assert fixed.returncode == 0, fixed.stderr
    assert count(pg_dsn, "select count(*) from raw.events") == 2100
    assert (
        count(pg_dsn, "select status from ops.loaded_objects where source_key = %s", (truncated_key,))
        == "loaded"
    )


def test_late_objects_inside_the_lookback_are_loaded(raw_store, pg_dsn, now):
    raw_store.write_events(now - timedelta(minutes=10), 10)
    assert load(raw_store, pg_dsn, "--since", "1h", "--lookback-hours", "3").returncode == 0

    # GIVEN objects that land late in old partitions: 2.5 h back (inside the lookback), 9 h back (outside)
    raw_store.write_events(now - timedelta(hours=2, minutes=30), 20)
    raw_store.write_events(now - timedelta(hours=9), 40)

    result = load(raw_store, pg_dsn, "--since", "1h", "--lookback-hours", "3")

    assert result.returncode == 0, result.stderr
    assert count(pg_dsn, "select count(*) from raw.events") == 30
    # A wider window (a backfill) picks up the rest, still once.
    assert load(raw_store, pg_dsn, "--since", "12h").returncode == 0
    assert count(pg_dsn, "select count(*) from raw.events") == 70


def test_objects_outside_the_layout_are_ignored(raw_store, pg_dsn, now):
    key, _ = raw_store.write_events(now, 5)
    (raw_store.root / key).with_name("half-written.tmp").write_bytes(b"\x1f\x8b")
    (raw_store.root / "events" / "README").write_text("not a partition")
    assert load(raw_store, pg_dsn, "--since", "1h").returncode == 0
    assert count(pg_dsn, "select count(*) from ops.loaded_objects") == 1


def test_big_object_streams_in_chunks(raw_store, pg_dsn, now, monkeypatch):
    """Lines cut across decompressed chunks keep their numbers and bytes (reader unit check, real COPY)."""
    from loader import reader
    from loader.load import load_object
    from loader.run import connect
    from loader.store import LocalStore

    monkeypatch.setattr(reader, "CHUNK_BYTES", 1000)
    key, events = raw_store.write_events(now, 300)
    store = LocalStore(str(raw_store.root))
    obj = next(store.list_prefix(layout.partition_prefix(layout.EVENTS, now)))
    with connect(pg_dsn) as conn:
        migrations.migrate(conn)
        from loader import manifest

        load_id = manifest.start_run(conn, str(raw_store.root), now, now)
        outcome = load_object(conn, store, obj, load_id)
        assert (outcome.status, outcome.rows, outcome.quarantined) == ("loaded", 300, 0)
        rows = conn.execute("select _line_no, event_id::text from raw.events order by _line_no").fetchall()
    assert rows == [(i + 1, e["event_id"]) for i, e in enumerate(events)]


def test_migrations_apply_once(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        first = migrations.migrate(conn)
        assert first == [v for v, _ in migrations.available()] and "0002_roles" in first
        assert migrations.migrate(conn) == []
        assert migrations.pending(conn) == []


@pytest.mark.parametrize("since", ["2026-11-22T09:00:00Z", "90m", "3d"])
def test_since_accepts_iso_times_and_spans(since):
    from datetime import datetime, timezone

    from loader.timespec import parse_instant

    now = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
    expected = {
        "2026-11-22T09:00:00Z": datetime(2026, 11, 22, 9, tzinfo=timezone.utc),
        "90m": datetime(2026, 11, 22, 10, 30, tzinfo=timezone.utc),
        "3d": datetime(2026, 11, 19, 12, tzinfo=timezone.utc),
    }[since]
    assert parse_instant(since, now) == expected
    with pytest.raises(ValueError, match="neither an ISO time"):
        parse_instant("yesterday", now)
