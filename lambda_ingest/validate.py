"""Per-event validation against the contract (contract.definition("event"), compiled with fastjsonschema).

Speed: the contract's allOf of `if event_type == X then ...` rules makes a generic validator try every
rule on every event. We compile one validator per event type instead, with the rules that apply to that
type folded in, local $refs inlined, and nullable `oneOf: [T, null]` turned into the equivalent `anyOf`
(the branches are disjoint by type, so both accept exactly the same values). Same contract, same
verdicts (a test checks them against the contract compiled as written), ~3x faster.

Faster still, in front of those: schema_compiler's check generated from the same per-type schema (msgspec
types + compiled patterns, ~10x faster than fastjsonschema) accepts the events it can prove valid; only the
others (the bad ones, in practice) go to fastjsonschema, which decides and explains.
"""

from __future__ import annotations

import copy
import logging
from datetime import datetime
from typing import Any, Callable

import fastjsonschema

import contract
from lambda_ingest.schema_compiler import FastCheck, Unsupported, compile_fast_check

logger = logging.getLogger("lambda_ingest.validate")

# Machine-readable reasons for a rejected event (also the `reason` of a rejected_event line).
NOT_AN_OBJECT = "not_an_object"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
MISSING_FIELD = "missing_field"
UNKNOWN_FIELD = "unknown_field"
WRONG_TYPE = "wrong_type"
TOO_LARGE = "too_large"
BAD_TIMESTAMP = "bad_timestamp"
SCHEMA_VIOLATION = "schema_violation"
COLLECTOR_ERROR = "collector_error"  # a bug of ours on this event: dead-lettered and logged, the batch goes on
REASONS = (NOT_AN_OBJECT, UNKNOWN_EVENT_TYPE, MISSING_FIELD, UNKNOWN_FIELD, WRONG_TYPE, TOO_LARGE,
           BAD_TIMESTAMP, SCHEMA_VIOLATION, COLLECTOR_ERROR)

_RULE_REASONS = {
    "required": MISSING_FIELD,
    "additionalProperties": UNKNOWN_FIELD,
    "type": WRONG_TYPE,
    "maxLength": TOO_LARGE,
    "maxItems": TOO_LARGE,
    "maxProperties": TOO_LARGE,
    "maximum": TOO_LARGE,
    "format": BAD_TIMESTAMP,
}


class EventRejected(Exception):
    def __init__(self, reason: str, error: str):
        super().__init__(error)
        self.reason = reason
        self.error = error


def parse_timestamp(value: str) -> datetime:
    """An RFC 3339 timestamp as an aware datetime (lower-case t/z allowed, as RFC 3339 does)."""
    dt = datetime.fromisoformat(value.upper())
    if dt.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return dt


def _anyof_for_nullable(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _anyof_for_nullable(v) for k, v in node.items()}
        branches = node.get("oneOf")
        if isinstance(branches, list) and any(b == {"type": "null"} for b in branches) and len(branches) == 2:
            node["anyOf"] = node.pop("oneOf")
        return node
    if isinstance(node, list):
        return [_anyof_for_nullable(v) for v in node]
    return node


def _rule_applies(condition: dict, event_type: str) -> bool | None:
    """Decide an `if` that tests only event_type; None when it tests anything else."""
    props = condition.get("properties", {})
    if set(condition) != {"properties"} or set(props) != {"event_type"}:
        return None
    test = props["event_type"]
    if "const" in test:
        return test["const"] == event_type
    if "enum" in test:
        return event_type in test["enum"]
    return None


def _merge(target: dict, extra: dict) -> dict:
    """Fold a `then` schema into the event schema (required lists add up, property schemas are and-ed)."""
    out = dict(target)
    for key, value in extra.items():
        if key == "required":
            out["required"] = list(dict.fromkeys([*out.get("required", []), *value]))
        elif key == "properties":
            props = dict(out.get("properties", {}))
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out["properties"] = props
        else:
            out.setdefault("allOf", []).append({key: value})
    return out


def specialised_schema(event_type: str) -> dict:
    """The event schema for one event type, its conditional rules resolved."""
    schema = copy.deepcopy(contract.definition("event"))
    event = schema["definitions"]["event"]
    remaining = []
    for rule in event.pop("allOf", []):
        applies = _rule_applies(rule.get("if", {}), event_type) if set(rule) <= {"if", "then", "else"} else None
        if applies is None:
            remaining.append(rule)
        elif applies and "then" in rule:
            event = _merge(event, rule["then"])
        elif not applies and "else" in rule:
            event = _merge(event, rule["else"])
    if remaining:
        event.setdefault("allOf", []).extend(remaining)
    event["properties"] = {**event["properties"], "event_type": {"const": event_type}}
    inlined = _inline_refs(event, schema["definitions"])
    inlined["$schema"] = schema["$schema"]
    return _anyof_for_nullable(inlined)


def _inline_refs(node: Any, definitions: dict) -> Any:
    """Replace local $refs by their definitions (the event schema is not recursive): fastjsonschema then
    generates straight-line code instead of a function call and a name concatenation per reference."""
    if isinstance(node, dict):
        if "$ref" in node:  # draft-07: siblings of $ref are ignored (here they are only descriptions)
            return _inline_refs(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
        return {k: _inline_refs(v, definitions) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, definitions) for v in node]
    return node


def fast_check(event_type: str) -> FastCheck | None:
    """The generated fast acceptance test for one event type; None if the contract outgrew the compiler."""
    try:
        return compile_fast_check(specialised_schema(event_type), event_type)
    except Unsupported as exc:
        logger.warning("no fast validation path for %s events: %s", event_type, exc)
        return None


def _fast_acceptor(checks: dict[str, Callable[[Any], bool]]) -> Callable[[Any], bool]:
    """accepts(event) -> True when the event is surely valid; False: let fastjsonschema decide."""
    get_check = checks.get

    def accepts(event: Any) -> bool:
        if type(event) is dict:
            event_type = event.get("event_type")
            if type(event_type) is str:
                check = get_check(event_type)
                return check is not None and check(event)
        return False

    return accepts


class EventValidator:
    """validate(event) returns the event or raises EventRejected(reason, error).

    An event the generated fast check accepts is valid (the check is never laxer than the contract);
    any other event is judged, and its rejection explained, by fastjsonschema."""

    def __init__(self) -> None:
        self._generic: Callable[[Any], Any] = fastjsonschema.compile(contract.definition("event"))
        self._by_type = {t: fastjsonschema.compile(specialised_schema(t)) for t in contract.EVENT_TYPES}
        self._fast = {t: fast_check(t) for t in contract.EVENT_TYPES}
        # event_type -> the generated check (types without one are absent): the pipeline's loop calls it directly.
        self.fast_checks: dict[str, Callable[[Any], bool]] = {t: c.accepts for t, c in self._fast.items() if c is not None}
        self.accepts = _fast_acceptor(self.fast_checks)

    def validate(self, event: Any, check_timestamps: bool = True) -> dict:
        """check_timestamps=False when the caller parses ts/sent_at itself (enrich.collect does)."""
        if not isinstance(event, dict):
            raise EventRejected(NOT_AN_OBJECT, f"an event must be a JSON object, not {_json_type(event)}")
        if not self.accepts(event):
            event_type = event.get("event_type")
            check = self._by_type.get(event_type) if isinstance(event_type, str) else None
            try:
                (check or self._generic)(event)
            except fastjsonschema.JsonSchemaValueException as exc:
                raise EventRejected(_reason(exc), _describe(exc)) from None
        for name in ("ts", "sent_at") if check_timestamps else ():
            if name in event:
                try:
                    parse_timestamp(event[name])
                except ValueError as exc:
                    raise EventRejected(BAD_TIMESTAMP, f"data.{name} is not a valid RFC 3339 timestamp: {exc}") from None
        return event


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)


def _reason(exc: fastjsonschema.JsonSchemaValueException) -> str:
    if exc.path[1:] == ["event_type"] and exc.rule in ("enum", "const", "type"):
        return UNKNOWN_EVENT_TYPE
    return _RULE_REASONS.get(exc.rule, SCHEMA_VIOLATION)


def _describe(exc: fastjsonschema.JsonSchemaValueException) -> str:
    message = exc.message
    if exc.rule == "enum" and exc.path[1:] == ["event_type"]:
        message = f"data.event_type must be one of {', '.join(contract.EVENT_TYPES)}"
    return message[:2048]
