"""Schemathesis against a running collector's /openapi.json: generated valid and invalid requests (bodies,
headers, query) must never get a 5xx, and every answer must match the documented statuses and schemas."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from ingest_helpers import Collector
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# negative_data_rejection is left out on purpose: a schema-invalid *event* inside a valid envelope gets a
# 202 with that event listed as rejected (one bad event never fails the batch), not a 4xx.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def collector_url(tmp_path_factory):
    collector = Collector(tmp_path_factory.mktemp("schemathesis") / "raw")
    yield collector.url
    collector.stop()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
def test_no_5xx_and_documented_answers(collector_url, mode):
    schema = schemathesis.openapi.from_url(f"{collector_url}/openapi.json")
    statuses: list[int] = []

    @given(case=schema["/v1/events"]["POST"].as_strategy(generation_mode=mode))
    @settings(max_examples=20, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    def post_events(case):
        response = case.call_and_validate(base_url=collector_url, checks=CHECKS)
        statuses.append(response.status_code)

    post_events()
    assert statuses and max(statuses) < 500
    if mode is GenerationMode.POSITIVE:
        assert 202 in statuses
    else:
        assert any(400 <= s < 500 for s in statuses)
