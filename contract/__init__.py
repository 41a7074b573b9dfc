"""The event contract: one JSON Schema (event.v1.schema.json) and what every part derives from it.

Ingest compiles its validator from `definition("event")`, the loader builds raw table columns from
`raw_columns(...)`, the SDK generates its TypeScript types from the same file, and tests check that the
dbt sources list exactly these columns.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("event.v1.schema.json")
CONTRACT_VERSION = 1
MAX_BATCH_EVENTS = 500
MAX_BODY_BYTES = 1_000_000


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The whole contract as a dict (do not mutate: it is cached)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def definition(name: str) -> dict[str, Any]:
    """A self-contained schema for one definition (event, batch, collected_event, rejected_event ...)."""
    schema = load_schema()
    if name not in schema["definitions"]:
        raise KeyError(f"the contract has no definition {name!r}")
    return {
        "$schema": schema["$schema"],
        "definitions": schema["definitions"],
        "$ref": f"#/definitions/{name}",
    }


EVENT_TYPES: tuple[str, ...] = tuple(load_schema()["definitions"]["event_type"]["enum"])


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref (and a nullable oneOf) to the node that carries the type."""
    defs = load_schema()["definitions"]
    while True:
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        elif "oneOf" in node:
            non_null = [n for n in node["oneOf"] if n.get("type") != "null"]
            if len(non_null) != 1:
                return node
            node = non_null[0]
        else:
            return node


def _pg_type(node: dict[str, Any]) -> str | None:
    """PostgreSQL type for a scalar property; None for objects and arrays (they stay in payload)."""
    node = _resolve(node)
    if "enum" in node:
        return "text"
    types = node.get("type")
    types = [types] if isinstance(types, str) else [t for t in (types or []) if t != "null"]
    if len(types) != 1:
        return None
    kind = types[0]
    if kind == "string":
        if node.get("format") == "date-time":
            return "timestamptz"
        if node is load_schema()["definitions"]["uuid"]:
            return "uuid"
        return "text"
    return {"integer": "bigint", "number": "double precision", "boolean": "boolean"}.get(kind)


def raw_columns(definition_name: str = "collected_event") -> list[tuple[str, str]]:
    """(column, PostgreSQL type) for each top-level scalar property of a raw record, in contract order.

    These are the typed columns of raw.events (collected_event) and raw.rejected_events (rejected_event);
    nested objects (device, geo, ecom, props ...) are read from the jsonb payload column in dbt staging.
    """
    spec = load_schema()["definitions"][definition_name]
    columns = []
    for name, node in spec["properties"].items():
        pg_type = _pg_type(node)
        if pg_type is not None:
            columns.append((name, pg_type))
    return columns


def required_keys(definition_name: str = "collected_event") -> tuple[str, ...]:
    return tuple(load_schema()["definitions"][definition_name]["required"])
