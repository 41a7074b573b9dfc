"""The generated fast validation path (lambda_ingest.schema_compiler) against the contract as written.

GIVEN the JSON Schema compiled as-is by fastjsonschema (the oracle) and a corpus of events: the contract's
README examples, a full event of every type, and every one of them mutated at every path (each value
replaced by probes of every JSON type and of every length bound, each key dropped, an unknown key added),
plus property-based cases from hypothesis,
THEN
  * the generated check never accepts an event the contract rejects (it is the only way an event skips
    fastjsonschema, so this is what keeps the verdicts exact),
  * it accepts the valid events too (else it would be slow, not wrong): all but the documented spots where
    msgspec is stricter (an integer written as 1.0),
  * and EventValidator's verdict is the contract's on every case.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import make_event

import contract
from lambda_ingest.schema_compiler import Unsupported, compile_fast_check
from lambda_ingest.validate import EventRejected, EventValidator, fast_check

README = Path(contract.__file__).with_name("README.md")
ORACLE = fastjsonschema.compile(contract.definition("event"))

PROBES = [
    None, True, False, 0, -1, 1, 7, 1.5, 1.0, -0.5, 10**9, 10**9 + 1, 10**20, 100000, 100001, 1000, 1001,
    "", "x", " ", "a b", "abc\n", "\n", "ÄÖü€😀", "%40", "USD", "usd", "US", "DE", "de",
    "2026-11-22T09:15:02.120Z", "2026-11-22t09:15:02z", "2026-02-30T00:00:00Z", "2026-11-22T09:15:02+01:00",
    "2026-11-22T09:15:02", "2026-11-22T09:15:02.120Z\n", "0a1b2c3d-0000-4000-8000-00000000abcd",
    "0a1b2c3d-0000-4000-8000-00000000abcd\n", "desktop", "mobile", "robot", "view", "purchase",
    {}, [], {"a": 1}, ["x"], [{"product_id": "p1"}], {"product_id": "p1"},
]
LENGTHS = (1, 2, 3, 35, 36, 40, 41, 63, 64, 65, 128, 129, 256, 257, 512, 513, 1024, 1025, 2048, 2049)
PROBES += ["a" * n for n in LENGTHS] + [c * n for c in ("é", "😀") for n in (128, 129, 1024, 1025)]
PROP_KEYS = ["ok", "_x", "a" * 64, "a" * 65, "1abc", "bad key", "search_query", "dropped_events", "email", ""]


def oracle(event) -> bool:
    try:
        ORACLE(event)
        return True
    except fastjsonschema.JsonSchemaValueException:
        return False


def full_event(event_type: str) -> dict:
    """An event of the type with every optional part filled in."""
    event = make_event(event_type)
    event.update({
        "sent_at": "2026-11-22T09:15:03.000Z",
        "user_id": event.get("user_id", "user-7"),
        "page_title": "Notebooks | Shop",
        "referrer": "https://www.google.com/search?q=notebook",
        "device": {"type": "mobile", "screen_width": 390, "screen_height": 844},
        "geo": {"country": "DE", "city": "Berlin"},
        "context": {"library": "clickstream-js/0.1.0", "locale": "de-DE", "timezone": "Europe/Berlin",
                    "user_agent": "Mozilla/5.0", "webdriver": False},
    })
    ecom = {"product_id": "1005115", "product_name": "Laptop", "brand": "acme", "category": "computers.notebook",
            "currency": "EUR", "price": 949.5, "qty": 1, "order_id": "ORD-1", "revenue": 949.5,
            "items": [{"product_id": "1005115", "product_name": "Laptop", "brand": "acme",
                       "category": "computers.notebook", "price": 949.5, "qty": 2}]}
    event["ecom"] = {**ecom, **event.get("ecom", {})}
    event["props"] = {**event.get("props", {}), "position": 3, "list": "search", "ratio": 0.5, "flag": True,
                      "nothing": None}
    return event


def readme_events() -> list[dict]:
    text = README.read_text()
    blocks = dict(re.findall(r"^### (.+?)\n```json\n(.*?)\n```", text, flags=re.S | re.M))
    return [json.loads(blocks[t]) for t in contract.EVENT_TYPES]


def paths(value, prefix=()):
    """Every (path, value) inside a JSON value, the root excluded."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*prefix, key), sub
            yield from paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield (*prefix, i), sub
            yield from paths(sub, (*prefix, i))


def replaced(event, path, value):
    out = copy.deepcopy(event)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def dropped(event, path):
    out = copy.deepcopy(event)
    target = out
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return out


def corpus() -> list:
    bases = [*readme_events()] + [full_event(t) for t in contract.EVENT_TYPES]
    cases = [*bases, *(make_event(t) for t in contract.EVENT_TYPES)]
    for base in bases:
        for path, value in list(paths(base)):
            cases += [replaced(base, path, probe) for probe in PROBES]
            if isinstance(path[-1], str):
                cases.append(dropped(base, path))
            if isinstance(value, dict):
                cases.append(replaced(base, path, {**value, "surprise": 1}))
                if path[-1] == "props":
                    cases += [replaced(base, path, {**value, key: "v"}) for key in PROP_KEYS]
                    cases.append(replaced(base, path, {f"k{i}": i for i in range(32)}))
                    cases.append(replaced(base, path, {f"k{i}": i for i in range(33)}))
        cases.append({**base, "surprise": 1})
        cases += [{**base, "event_type": t} for t in contract.EVENT_TYPES]
        cases += [{**base, "ecom": {**base.get("ecom", {}), "items": [base.get("ecom", {}).get("items", [{}])[0]] * n}}
                  for n in (100, 101)]
    return cases


CORPUS = corpus()
CHECKS = {t: fast_check(t) for t in contract.EVENT_TYPES}


@pytest.fixture(scope="module")
def verdicts() -> list[bool]:
    return [oracle(case) for case in CORPUS]
# Valid by the contract, refused by the fast path: msgspec takes no float where the schema says integer
# (JSON Schema draft 6+ counts 1.0 as an integer). Such events still pass, through fastjsonschema.
STRICTER = re.compile(r"\b1\.0\b")


@pytest.fixture(scope="module")
def validator():
    return EventValidator()


def test_every_event_type_has_a_fast_path():
    for event_type in contract.EVENT_TYPES:
        assert fast_check(event_type) is not None, event_type


def test_the_corpus_is_big_and_mixed(verdicts):
    assert len(CORPUS) > 5000
    assert 0.1 < sum(verdicts) / len(verdicts) < 0.9


def test_fast_path_never_accepts_what_the_contract_rejects_and_takes_the_rest(verdicts):
    laxer, slower = [], []
    for case, expected in zip(CORPUS, verdicts):
        check = CHECKS.get(case.get("event_type")) if isinstance(case.get("event_type"), str) else None
        fast = bool(check and check(case))
        if fast and not expected:
            laxer.append(case)
        if expected and not fast and not STRICTER.search(json.dumps(case)):
            slower.append(case)
    assert not laxer, f"{len(laxer)} events accepted by the fast path but not by the contract, e.g. {laxer[:2]}"
    assert not slower, f"{len(slower)} valid events miss the fast path, e.g. {slower[:2]}"


def test_validator_verdicts_are_the_contracts(validator, verdicts):
    for case, expected in zip(CORPUS, verdicts):
        try:
            validator.validate(case, False)
            got = True
        except EventRejected:
            got = False
        assert got == expected, case


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=70),
                         st.sampled_from([p for p in PROBES if isinstance(p, str)]))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(PROP_KEYS + ["product_id", "type"]), inner, max_size=3)),
    max_leaves=6)


@st.composite
def mutated_events(draw):
    event = full_event(draw(st.sampled_from(contract.EVENT_TYPES)))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        candidates = list(paths(event))
        if not candidates:
            break
        path, _ = draw(st.sampled_from(candidates))
        action = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if action == "replace":
            event = replaced(event, path, draw(json_values))
        elif action == "drop" and isinstance(path[-1], str):
            event = dropped(event, path)
        elif action == "add":
            parent = event
            for step in path[:-1]:
                parent = parent[step]
            if isinstance(parent, dict):
                parent[draw(st.sampled_from(PROP_KEYS + ["surprise"]))] = draw(json_values)
    return event


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_events())
def test_property_based_cases_agree(validator, event):
    check = CHECKS.get(event["event_type"]) if isinstance(event.get("event_type"), str) else None
    expected = oracle(event)
    if check is not None and check(event):
        assert expected, event
    try:
        validator.validate(event, False)
        got = True
    except EventRejected:
        got = False
    assert got == expected, event


def test_unknown_keywords_are_refused_not_ignored():
    for schema in ({"type": "string", "multipleOf": 2}, {"type": "object", "patternProperties": {}},
                   {"not": {"type": "null"}}, {"type": "string", "format": "email-ish"},
                   {"oneOf": [{"type": "string"}, {"type": "integer"}]}):
        with pytest.raises(Unsupported):
            compile_fast_check(schema)


def test_dollar_means_end_of_string_as_in_the_contract():
    check = compile_fast_check({"type": "string", "pattern": "^[a-z]+$"})
    assert check("abc") and not check("abc\n")
