"""The contract is one file every part derives from: these checks keep the derived pieces honest."""

from datetime import datetime, timezone
from pathlib import Path

import fastjsonschema
import psycopg
import pytest

import contract
from contract import layout

MIGRATION = Path(contract.__file__).parents[1] / "loader" / "migrations" / "0001_raw_and_ops.sql"


def test_schema_compiles_for_every_definition():
    for name in ("event", "batch", "collected_event", "rejected_event"):
        fastjsonschema.compile(contract.definition(name))


def test_unknown_definition_is_a_clear_error():
    with pytest.raises(KeyError, match="no definition"):
        contract.definition("nope")


def test_raw_table_columns_match_the_contract(pg_dsn):
    with psycopg.connect(pg_dsn) as conn:
        conn.execute(MIGRATION.read_text())
        for table, definition in (("events", "collected_event"), ("rejected_events", "rejected_event")):
            rows = conn.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'raw' and table_name = %s and column_name not like '\\_%%'"
                " and column_name <> 'payload' order by ordinal_position",
                (table,),
            ).fetchall()
            expected = [(c, "timestamp with time zone" if t == "timestamptz" else t) for c, t in contract.raw_columns(definition)]
            assert rows == expected


def test_layout_round_trips_the_partition_hour():
    received = datetime(2026, 11, 22, 9, 59, 59, 999000, tzinfo=timezone.utc)
    key = layout.object_key(layout.EVENTS, received)
    assert key.startswith("events/year=2026/month=11/day=22/hour=09/20261122T095959999Z-")
    assert key.endswith(".ndjson.gz")
    assert layout.partition_hour(key) == datetime(2026, 11, 22, 9, tzinfo=timezone.utc)
    assert layout.partition_hour("events/elsewhere/x.ndjson.gz") is None
