"""The raw store writer (local folder and S3 on moto's server) and the Lambda handler end to end:
API Gateway v2 events in, objects in S3 out, EMF metrics and JSON logs with the request id."""

from __future__ import annotations

import base64
import gzip
import importlib
import json
from datetime import datetime, timezone

import boto3
import pytest
from ingest_helpers import CHROME_UA, make_event

from contract import layout
from lambda_ingest.sink import RawObject, RawSink

RECEIVED = datetime(2026, 11, 22, 9, 59, 59, 999000, tzinfo=timezone.utc)


def s3_lines(bucket: str, prefix: str) -> dict[str, list[dict]]:
    s3 = boto3.client("s3")
    out = {}
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        out[item["Key"]] = [json.loads(line) for line in gzip.decompress(body).splitlines()]
    return out


def test_local_sink_writes_the_layout(tmp_path):
    sink = RawSink(str(tmp_path / "raw"))
    uri = sink.write(layout.EVENTS, [{"a": 1}, b'{"b":2}'], RECEIVED)
    assert uri.startswith(str(tmp_path / "raw" / "events/year=2026/month=11/day=22/hour=09/20261122T095959999Z-"))
    assert uri.endswith(".ndjson.gz")
    assert [json.loads(x) for x in gzip.open(uri).read().splitlines()] == [{"a": 1}, {"b": 2}]
    assert sink.write_objects([RawObject(layout.REJECTED, RECEIVED, [])]) == []   # nothing to write: no object


def test_temp_files_left_by_a_crash_are_swept(tmp_path):
    import os

    sink = RawSink(str(tmp_path / "raw"))
    uri = sink.write(layout.EVENTS, [{"a": 1}], RECEIVED)
    folder = os.path.dirname(uri)
    stale, fresh = os.path.join(folder, ".x.ndjson.gz.1.tmp"), os.path.join(folder, ".y.ndjson.gz.2.tmp")
    for path in (stale, fresh):
        open(path, "w").close()
    os.utime(stale, (0, 0))
    assert sink.sweep_temp_files(RECEIVED) == 1
    assert not os.path.exists(stale) and os.path.exists(fresh) and os.path.exists(uri)


def test_s3_sink_writes_the_layout(s3_bucket):
    sink = RawSink(f"s3://{s3_bucket}/shop/prod")
    uri = sink.write(layout.REJECTED, [{"reason": "x"}], RECEIVED)
    assert uri.startswith(f"s3://{s3_bucket}/shop/prod/rejected/year=2026/month=11/day=22/hour=09/")
    objects = s3_lines(s3_bucket, "shop/prod/")
    assert list(objects.values()) == [[{"reason": "x"}]]


def test_s3_failure_raises_so_nothing_is_acknowledged(s3_endpoint):
    with pytest.raises(Exception):
        RawSink("s3://no-such-bucket-here/x").write(layout.EVENTS, [{"a": 1}], RECEIVED)


@pytest.fixture
def lambda_module(s3_bucket, monkeypatch):
    monkeypatch.setenv("CLICKSTREAM_RAW_URI", f"s3://{s3_bucket}/raw")
    monkeypatch.setenv("CLICKSTREAM_WRITE_KEYS", "site-key")
    monkeypatch.setenv("CLICKSTREAM_ALLOWED_ORIGINS", "https://shop.example")
    monkeypatch.setenv("CLICKSTREAM_PII_HMAC_KEY", "k")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "clickstream")
    import lambda_ingest.handler

    return importlib.reload(lambda_ingest.handler), s3_bucket


class LambdaContext:
    function_name = "clickstream-ingest"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-central-1:000000000000:function:clickstream-ingest"
    aws_request_id = "c0ffee00-0000-4000-8000-000000000001"


def api_event(body: bytes | str, headers: dict, *, b64: bool = False, method: str = "POST", request_id="req-1") -> dict:
    if b64:
        body = base64.b64encode(body if isinstance(body, bytes) else body.encode()).decode()
    return {
        "version": "2.0", "routeKey": f"{method} /v1/events", "rawPath": "/v1/events", "rawQueryString": "",
        "headers": {"user-agent": CHROME_UA, **headers},
        "requestContext": {"http": {"method": method, "path": "/v1/events", "protocol": "HTTP/1.1",
                                    "sourceIp": "203.0.113.9", "userAgent": CHROME_UA},
                           "requestId": request_id, "routeKey": f"{method} /v1/events", "stage": "$default"},
        "body": body, "isBase64Encoded": b64,
    }


def test_lambda_handler_end_to_end_on_s3(capfd, caplog, lambda_module):
    handler, bucket = lambda_module
    good, bad = make_event("view", page_url="https://shop.example/?mail=jane@example.com"), make_event("nope")
    body = gzip.compress(json.dumps({"events": [good, bad]}).encode())
    headers = {"content-type": "text/plain", "content-encoding": "gzip", "x-write-key": "site-key",
               "origin": "https://shop.example", "cloudfront-viewer-country": "AT"}
    response = handler.lambda_handler(api_event(body, headers, b64=True, request_id="apigw-42"), LambdaContext())
    assert response["statusCode"] == 202, response
    result = json.loads(response["body"])
    assert result["accepted"] == 1 and result["rejected"][0]["reason"] == "unknown_event_type"
    assert response["headers"]["Access-Control-Allow-Origin"] == "https://shop.example"

    objects = s3_lines(bucket, "raw/")
    events = next(v for k, v in objects.items() if k.startswith("raw/events/"))
    rejected = next(v for k, v in objects.items() if k.startswith("raw/rejected/"))
    assert events[0]["event_id"] == good["event_id"] and events[0]["geo"] == {"country": "AT"}
    assert events[0]["request_id"] == "apigw-42" and "jane@" not in json.dumps(events)
    assert rejected[0]["payload"]["event_type"] == "nope"
    assert "203.0.113.9" not in json.dumps(objects)       # the source IP is never stored

    # structured logs: one line per request with its counts, correlated with API Gateway's request id
    assert handler.logger.get_correlation_id() == "apigw-42"
    assert any(r.getMessage() == "events collected" and getattr(r, "status", None) == 202 and r.accepted == 1
               for r in caplog.records)
    out = capfd.readouterr().out.splitlines()
    emf = [json.loads(line) for line in out if line.startswith('{"_aws"')]
    assert any(entry.get("AcceptedEvents") == [1.0] for entry in emf)
    assert any(entry.get("reason") == "unknown_event_type" and "RejectedEvents" in entry for entry in emf)


def test_lambda_handler_refusals(capfd, lambda_module):
    handler, bucket = lambda_module
    event = json.dumps(make_event())
    cases = [
        ({"content-type": "application/json"}, event, 401),
        ({"x-write-key": "wrong"}, event, 401),
        ({"x-write-key": "site-key", "origin": "https://evil.example"}, event, 403),
        ({"x-write-key": "site-key"}, "{broken", 400),
        ({"x-write-key": "site-key"}, json.dumps({"events": [make_event()] * 501}), 413),
    ]
    for headers, body, status in cases:
        response = handler.lambda_handler(api_event(body, headers), LambdaContext())
        assert response["statusCode"] == status, (headers, response)
        assert json.loads(response["body"])["error"]
    preflight = handler.lambda_handler(api_event("", {"origin": "https://shop.example"}, method="OPTIONS"), LambdaContext())
    assert preflight["statusCode"] == 204
    assert preflight["headers"]["Access-Control-Allow-Origin"] == "https://shop.example"
    assert s3_lines(bucket, "raw/") == {}
    assert "RefusedRequests" in capfd.readouterr().out


def test_lambda_storage_failure_is_503_and_retryable(lambda_module, monkeypatch):
    handler, bucket = lambda_module
    boto3.client("s3").delete_bucket(Bucket=bucket)   # the real S3 API now answers NoSuchBucket
    event = make_event()
    response = handler.lambda_handler(api_event(json.dumps(event), {"x-write-key": "site-key"}), LambdaContext())
    assert response["statusCode"] == 503 and response["headers"]["Retry-After"] == "1"
    boto3.client("s3").create_bucket(Bucket=bucket)
    retry = handler.lambda_handler(api_event(json.dumps(event), {"x-write-key": "site-key"}), LambdaContext())
    assert json.loads(retry["body"])["duplicates"] == 0     # not marked as seen by the failed attempt
    assert len(s3_lines(bucket, "raw/events/")) == 1


def test_the_local_server_writes_to_s3(start_collector, s3_bucket, tmp_path):
    # AWS_ENDPOINT_URL_S3 (set by the s3_endpoint fixture) reaches the server through its environment.
    collector = start_collector(args=["--raw-uri", f"s3://{s3_bucket}/site"], raw=tmp_path / "unused")
    events = [make_event() for _ in range(3)] + [make_event("nope")]
    response = collector.post({"events": events})
    assert response.status_code == 202 and response.json()["accepted"] == 3
    objects = s3_lines(s3_bucket, "site/")   # answered only after PutObject completed
    stored = [line["event_id"] for key, lines in objects.items() if key.startswith("site/events/") for line in lines]
    assert sorted(stored) == sorted(e["event_id"] for e in events[:3])
    assert any(key.startswith("site/rejected/year=") for key in objects)


class _SlowObservedSink(RawSink):
    """A real S3 RawSink (moto's server) that holds each write a little and records how many run at once."""

    def __init__(self, root: str, hold: float):
        super().__init__(root)
        import threading

        self.hold, self.running, self.peak, self.calls = hold, 0, 0, 0
        self._lock = threading.Lock()

    def write_objects(self, objects):
        import time

        with self._lock:
            self.running += 1
            self.calls += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(self.hold)
            return super().write_objects(objects)
        finally:
            with self._lock:
                self.running -= 1


@pytest.mark.parametrize("in_flight", [1, 2])
def test_group_commit_to_s3_pipelines_puts_and_acknowledges_only_stored_lines(s3_bucket, in_flight):
    """GIVEN requests arriving while PutObjects are slow, THEN at most `in_flight` flushes run at once, the others
    gather into few objects, and every store() returns only once its own lines are in an object."""
    import asyncio

    from lambda_ingest.sink import GroupCommitSink

    sink = _SlowObservedSink(f"s3://{s3_bucket}/site", hold=0.05)
    group = GroupCommitSink(sink, interval=0.05, max_in_flight=in_flight)

    def stored_ids() -> set[str]:
        return {line["id"] for lines in s3_lines(s3_bucket, "site/").values() for line in lines}

    async def request(i: int) -> None:
        await asyncio.sleep(i * 0.002)
        await group.store([json.dumps({"id": f"e{i}"}).encode() + b"\n"], [], RECEIVED)
        assert f"e{i}" in await asyncio.to_thread(stored_ids)   # stored before the answer

    async def main() -> None:
        await asyncio.gather(*(request(i) for i in range(60)))
        await group.close()

    asyncio.run(main())
    assert stored_ids() == {f"e{i}" for i in range(60)}
    assert sink.peak == in_flight             # pipelined up to the limit, never beyond
    assert sink.calls < 60                    # requests shared flushes
