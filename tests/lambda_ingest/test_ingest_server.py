"""The local server over real HTTP: per-event results, every kind of bad input gets a clear 4xx (never a
5xx), bodies as JSON / text/plain / gzip / base64, duplicates, the raw store layout, health, metrics, OpenAPI."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime

import httpx
import pytest
from ingest_helpers import make_event, read_raw, wait_sealed

from contract import layout


def ids_in(root, kind="events"):
    return {line["event_id"] for line in read_raw(root, kind)}


def test_a_batch_with_bad_events_stores_the_good_ones(shared_collector):
    good = [make_event("view"), make_event("purchase"), make_event("search")]
    bad_type = make_event("wishlist")
    batch = {"events": [good[0], bad_type, good[1], "not an event", good[2], make_event("view", page_url=None)]}
    response = shared_collector.post(batch)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 3 and body["duplicates"] == 0
    assert [(r["index"], r["reason"]) for r in body["rejected"]] == [
        (1, "unknown_event_type"), (3, "not_an_object"), (5, "wrong_type")]
    assert body["rejected"][0]["event_id"] == bad_type["event_id"]
    assert {e["event_id"] for e in good} <= ids_in(shared_collector.raw)
    dead = {r["event_id"]: r for r in read_raw(shared_collector.raw, "rejected")}
    assert dead[bad_type["event_id"]]["payload"]["event_type"] == "wishlist"
    assert dead[bad_type["event_id"]]["reason"] == "unknown_event_type"
    assert dead[bad_type["event_id"]]["request_id"] == body["request_id"] == response.headers["x-request-id"]


def test_objects_are_in_the_received_hour_partition(shared_collector):
    shared_collector.post({"events": [make_event()]})
    assert wait_sealed(shared_collector.raw)
    for path in (shared_collector.raw / "events").rglob("*.ndjson.gz"):
        key = path.relative_to(shared_collector.raw).as_posix()
        hour = layout.partition_hour(key)
        with gzip.open(path, "rt") as f:
            for line in f:
                received = datetime.fromisoformat(json.loads(line)["received_at"].replace("Z", "+00:00"))
                assert received.replace(minute=0, second=0, microsecond=0) == hour
    assert not list(shared_collector.raw.rglob("*.tmp"))  # no partial objects left behind
    assert not list((shared_collector.raw / ".open").iterdir())  # sealed: no open segment left either


def test_single_event_text_plain_gzip_and_base64_bodies(shared_collector):
    events = [make_event() for _ in range(4)]
    c = shared_collector
    assert c.post(events[0]).json()["accepted"] == 1                                     # one event object
    assert c.post(json.dumps({"events": [events[1]]}), {"content-type": "text/plain"}).status_code == 202
    assert c.post(gzip.compress(json.dumps({"events": [events[2]]}).encode()), {"content-encoding": "gzip"}).status_code == 202
    b64 = base64.b64encode(json.dumps({"events": [events[3]]}).encode())
    assert c.post(b64, {"content-transfer-encoding": "base64"}).status_code == 202
    assert {e["event_id"] for e in events} <= ids_in(c.raw)


def test_a_retried_batch_is_not_stored_twice(shared_collector):
    batch = {"events": [make_event(), make_event()]}
    first = shared_collector.post(batch).json()
    again = shared_collector.post(batch).json()
    assert (first["accepted"], first["duplicates"]) == (2, 0)
    assert (again["accepted"], again["duplicates"]) == (2, 2)
    same_batch = shared_collector.post({"events": [batch["events"][0]] * 1 + [make_event()] * 2}).json()
    assert same_batch["duplicates"] == 2     # one seen before + one repeated within the batch
    stored = [e["event_id"] for e in read_raw(shared_collector.raw)]
    assert stored.count(batch["events"][0]["event_id"]) == 1


BIG = json.dumps({"events": [make_event(props={"pad": "x" * 1000}) for _ in range(1100)][:500]})


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        ("{not json", {}, 400, "invalid_json"),
        (b'{"events": [{"a": "\xff\xfe"}]}', {}, 400, "invalid_json"),              # bad UTF-8
        ('{"events": [{"a": "\\ud800"}]}', {}, 400, "invalid_json"),               # lone surrogate
        ("", {}, 400, "empty_body"),
        ("[1, 2]", {}, 400, "not_an_object"),
        ('"view"', {}, 400, "not_an_object"),
        ('{"events": []}', {}, 400, "invalid_envelope"),
        ('{"events": {"a": 1}}', {}, 400, "invalid_envelope"),
        ('{"events": [1], "extra": true}', {}, 400, "invalid_envelope"),
        ('{"events": [1], "sent_at": "soon"}', {}, 400, "invalid_envelope"),
        ("[" * 5000, {}, 400, "invalid_json"),                                       # deep nesting
        (json.dumps({"events": [make_event() for _ in range(501)]}), {}, 413, "too_many_events"),
        ("x" * 1_000_001, {}, 413, "body_too_large"),
        (gzip.compress(b" " * 2_000_000), {"content-encoding": "gzip"}, 413, "body_too_large"),  # a gzip bomb
        (b"\x1f\x8b not gzip", {"content-encoding": "gzip"}, 400, "bad_compression"),
        ("{}", {"content-encoding": "br"}, 415, "unsupported_content_encoding"),
        ("<events/>", {"content-type": "application/xml"}, 415, "unsupported_media_type"),
        ("{}", {"content-type": "text/plain; charset=latin-1"}, 415, "unsupported_media_type"),
        ("not base64!", {"content-transfer-encoding": "base64"}, 400, "bad_base64"),
    ],
)
def test_bad_bodies_get_a_clear_4xx(shared_collector, body, headers, status, reason):
    response = shared_collector.post(body, headers)
    assert response.status_code == status, response.text
    assert response.json()["error"] == reason
    assert response.json()["message"]


def test_a_large_valid_batch_is_fine(shared_collector):
    assert len(BIG) < 1_000_000
    assert shared_collector.post(BIG).json()["accepted"] == 500


def test_hostile_headers_are_harmless(shared_collector):
    event = make_event()
    response = shared_collector.post({"events": [event]}, {
        "x-write-key": "k" * 8000,
        "cloudfront-viewer-country": "<script>",
        "x-request-id": "bad id;<script>alert(1)</script>",
        "user-agent": b"\xff\xfe" * 1500,
        "authorization": "",
    })
    assert response.status_code == 202, response.text
    assert "<" not in response.headers["x-request-id"]
    stored = next(e for e in read_raw(shared_collector.raw) if e["event_id"] == event["event_id"])
    assert "geo" not in stored
    response = shared_collector.post({"events": [event]}, {"cloudfront-viewer-country": "de"})
    assert response.status_code == 202


def test_methods_health_metrics_openapi(shared_collector):
    url = shared_collector.url
    assert httpx.get(f"{url}/v1/events").status_code == 405
    health = httpx.get(f"{url}/healthz").json()
    assert health["status"] == "ok" and health["write_keys_required"] is False
    metrics = httpx.get(f"{url}/metrics").text
    assert "clickstream_ingest_events_accepted_total" in metrics
    assert 'clickstream_ingest_events_rejected_total{reason="unknown_event_type"}' in metrics
    accepted = next(float(line.split()[-1]) for line in metrics.splitlines()
                    if line.startswith("clickstream_ingest_events_accepted_total"))
    assert accepted >= 3
    spec = httpx.get(f"{url}/openapi.json").json()
    assert spec["openapi"].startswith("3.1") and "/v1/events" in spec["paths"]
    assert "event" in spec["components"]["schemas"]


def test_every_stored_line_matches_the_contract(shared_collector):
    """Runs last in this module: everything the tests above stored is what the loader expects."""
    import fastjsonschema

    import contract

    collected = fastjsonschema.compile(contract.definition("collected_event"))
    rejected = fastjsonschema.compile(contract.definition("rejected_event"))
    events, dead = read_raw(shared_collector.raw), read_raw(shared_collector.raw, "rejected")
    assert len(events) > 500 and dead
    for line in events:
        collected(line)
    for line in dead:
        rejected(line)


def test_a_collector_bug_on_one_event_dead_letters_it_and_keeps_the_batch(tmp_path, monkeypatch):
    """In-process (the bug is injected into this process's pipeline): the other events are still stored."""
    from datetime import datetime, timezone

    import lambda_ingest.pipeline as pipeline
    from lambda_ingest.settings import Settings

    collector = pipeline.Collector(Settings(raw_uri=str(tmp_path)))
    real_collect = pipeline.collect

    def flaky_collect(event, ctx):
        if event.get("props", {}).get("poison"):
            raise KeyError("boom")
        return real_collect(event, ctx)

    monkeypatch.setattr(pipeline, "collect", flaky_collect)
    events = [make_event(), make_event(props={"poison": True}), make_event()]
    result = collector.handle(pipeline.IngestRequest(json.dumps({"events": events}).encode(), {},
                                                     datetime.now(timezone.utc), "r-1"))
    assert result.status == 202 and result.body["accepted"] == 2
    assert result.body["rejected"][0]["reason"] == "collector_error" and len(result.rejected_lines) == 1
    assert json.loads(result.rejected_lines[0])["payload"]["props"] == {"poison": True}


def test_an_open_collector_says_so_when_it_starts(shared_collector):
    log = shared_collector.log.read_text()
    assert "CLICKSTREAM_WRITE_KEYS is not set: accepting requests WITHOUT a write key" in log
    assert "CLICKSTREAM_ALLOWED_ORIGINS is not set" in log
    assert all(json.loads(line)["level"] for line in log.splitlines() if line.startswith("{"))  # JSON log lines
