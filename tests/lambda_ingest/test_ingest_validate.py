"""Validation: the contract's examples pass, each kind of bad event gets its reason, and the per-type
validators give the same verdicts as the contract compiled as-is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import fastjsonschema
import pytest
from ingest_helpers import make_event

import contract
from lambda_ingest.validate import EventRejected, EventValidator

README = Path(contract.__file__).with_name("README.md")


@pytest.fixture(scope="module")
def validator():
    return EventValidator()


def readme_examples() -> dict[str, dict]:
    text = README.read_text()
    examples = {}
    for title, block in re.findall(r"^### (.+?)\n```json\n(.*?)\n```", text, flags=re.S | re.M):
        examples[title.strip()] = json.loads(block)
    return examples


def test_readme_has_a_valid_example_of_every_event_type(validator):
    examples = readme_examples()
    for event_type in contract.EVENT_TYPES:
        assert event_type in examples, f"contract/README.md lacks an example of {event_type}"
        assert validator.validate(examples[event_type])["event_type"] == event_type
    fastjsonschema.compile(contract.definition("batch"))(examples["A batch"])
    fastjsonschema.compile(contract.definition("collected_event"))(
        next(v for k, v in examples.items() if k.startswith("A collected_event")))
    fastjsonschema.compile(contract.definition("rejected_event"))(
        next(v for k, v in examples.items() if k.startswith("A rejected_event")))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event_type": "wishlist"}, "unknown_event_type"),
        ({"event_type": 7}, "unknown_event_type"),
        ({"event_id": "not-a-uuid"}, "schema_violation"),
        ({"surprise": 1}, "unknown_field"),
        ({"ts": "yesterday"}, "bad_timestamp"),
        ({"ts": "2026-11-22T09:15:60Z"}, "bad_timestamp"),      # passes the regex, is no time
        ({"ts": "2026-11-22T09:15:02"}, "bad_timestamp"),       # no zone
        ({"page_url": "x" * 2049}, "too_large"),
        ({"props": {f"k{i}": i for i in range(33)}}, "too_large"),
        ({"props": {"nested": {"a": 1}}}, "wrong_type"),
        ({"props": {"text": "y" * 1025}}, "too_large"),
        ({"props": {"bad key": 1}}, "schema_violation"),
        ({"session_id": ""}, "schema_violation"),
        ({"session_id": 5}, "wrong_type"),
        ({"ecom": {"price": -1}}, "schema_violation"),
        ({"ecom": {"currency": "usd"}}, "schema_violation"),
    ],
)
def test_bad_events_get_a_reason(validator, change, reason):
    with pytest.raises(EventRejected) as info:
        validator.validate(make_event(**change))
    assert info.value.reason == reason
    assert info.value.error


@pytest.mark.parametrize(
    ("event_type", "drop", "reason"),
    [
        ("view", "page_url", "missing_field"),
        ("search", "props", "missing_field"),
        ("add_to_cart", "ecom", "missing_field"),
        ("remove_from_cart", "ecom", "missing_field"),
        ("purchase", "ecom", "missing_field"),
        ("identify", "user_id", "missing_field"),
        ("delivery_report", "props", "missing_field"),
    ],
)
def test_type_specific_requirements(validator, event_type, drop, reason):
    event = make_event(event_type)
    validator.validate(event)
    del event[drop]
    with pytest.raises(EventRejected) as info:
        validator.validate(event)
    assert info.value.reason == reason


def test_purchase_needs_order_revenue_and_currency(validator):
    with pytest.raises(EventRejected, match="revenue"):
        validator.validate(make_event("purchase", ecom={"order_id": "ORD-1", "currency": "USD"}))


def test_identify_user_id_cannot_be_null(validator):
    with pytest.raises(EventRejected):
        validator.validate(make_event("identify", user_id=None))


def test_not_an_object(validator):
    for value in ([], "view", 3, None):
        with pytest.raises(EventRejected) as info:
            validator.validate(value)
        assert info.value.reason == "not_an_object"


def test_per_type_validators_agree_with_the_contract_as_written(validator):
    """The speed-up (one validator per event type) must not change a single verdict."""
    generic = fastjsonschema.compile(contract.definition("event"))
    cases = []
    for event_type in contract.EVENT_TYPES:
        good = make_event(event_type)
        cases.append(good)
        for key in ("page_url", "props", "ecom", "user_id"):
            cases.append({k: v for k, v in good.items() if k != key})
        cases.append({**good, "user_id": None})
        cases.append({**good, "props": {"search_query": "", "dropped_events": -1}})
        cases.append({**good, "ecom": {"product_id": "p", "order_id": "o"}})
        cases.append({**good, "referrer": None, "geo": {"country": "DE", "city": None}})
    for case in cases:
        try:
            generic(case)
            expected = True
        except fastjsonschema.JsonSchemaValueException:
            expected = False
        try:
            validator.validate(case)
            got = True
        except EventRejected:
            got = False
        assert got == expected, case


def test_recent_ids_expire_and_stay_bounded():
    from lambda_ingest.dedupe import RecentIds

    now = [0.0]
    recent = RecentIds(ttl_seconds=10, max_ids=3, clock=lambda: now[0])
    recent.add_many(["a", "b"])
    assert "a" in recent and "c" not in recent
    now[0] = 11
    assert "a" not in recent                      # expired
    recent.add_many(["c", "d", "e", "f"])
    assert len(recent) == 3 and "c" not in recent and "f" in recent   # oldest evicted at the cap
