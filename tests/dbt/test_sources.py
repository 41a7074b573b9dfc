"""The dbt source for raw.events derives from the event contract, like the raw table itself."""

from pathlib import Path

import yaml

import contract

SOURCES = Path(__file__).resolve().parents[2] / "dbt" / "models" / "staging" / "_clickstream__sources.yml"
SYSTEM_COLUMNS = ["_load_id", "_loaded_at", "_source_key", "_line_no"]


def source_columns(table: str) -> list[str]:
    spec = yaml.safe_load(SOURCES.read_text())
    (clickstream,) = [s for s in spec["sources"] if s["name"] == "clickstream"]
    (found,) = [t for t in clickstream["tables"] if t["name"] == table]
    return [c["name"] for c in found["columns"]]


def test_raw_events_source_columns_are_the_contract_columns():
    expected = [name for name, _ in contract.raw_columns("collected_event")] + ["payload"] + SYSTEM_COLUMNS
    assert source_columns("events") == expected


def test_rejected_events_source_columns_are_the_contract_columns():
    expected = [name for name, _ in contract.raw_columns("rejected_event")] + ["payload"] + SYSTEM_COLUMNS
    assert source_columns("rejected_events") == expected


def test_raw_source_declares_loader_and_freshness():
    spec = yaml.safe_load(SOURCES.read_text())
    (clickstream,) = [s for s in spec["sources"] if s["name"] == "clickstream"]
    assert clickstream["loader"] == "clickstream-load"
    assert clickstream["loaded_at_field"] == "_loaded_at"
    assert clickstream["freshness"]["error_after"]["count"] > clickstream["freshness"]["warn_after"]["count"]
