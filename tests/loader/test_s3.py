"""The same loader against a real S3 API (moto server on 127.0.0.1): paginated listings, ETags."""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3
import orjson
from loader_helpers import collected_event, count, rejected_event, run_cli

from contract import layout


def test_s3_listing_of_more_than_1000_objects_loads_each_once(s3_bucket, pg_dsn, now):
    s3 = boto3.client("s3")
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    # 1,050 tiny objects in ONE hour partition (one LIST page holds 1,000), one more in the current hour,
    # and a dead-letter object, under a prefix.
    bodies = {}
    for i in range(1010):
        received = hour + timedelta(seconds=i)
        bodies[layout.object_key(layout.EVENTS, received)] = [collected_event(received)]
    bodies[layout.object_key(layout.EVENTS, now)] = [collected_event(now), collected_event(now)]
    bodies[layout.object_key(layout.REJECTED, now)] = [rejected_event(now)]

    def upload(item):
        key, lines = item
        body = gzip.compress(b"".join(orjson.dumps(line) + b"\n" for line in lines), compresslevel=1)
        s3.put_object(Bucket=s3_bucket, Key=f"shop/prod/{key}", Body=body)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(upload, bodies.items()))
    source = f"s3://{s3_bucket}/shop/prod"

    first = run_cli(
        "--source", source, "--dsn", pg_dsn, "--since", "2h", "--lookback-hours", "0", timeout=300
    )
    second = run_cli(
        "--source", source, "--dsn", pg_dsn, "--since", "2h", "--lookback-hours", "0", timeout=300
    )

    assert first.returncode == 0, first.stderr[-2000:]
    assert second.returncode == 0, second.stderr[-2000:]
    assert orjson.loads(first.stdout)["objects"] == 1012
    assert orjson.loads(second.stdout)["objects"] == 0
    assert count(pg_dsn, "select count(*) from raw.events") == 1012
    assert count(pg_dsn, "select count(distinct event_id) from raw.events") == 1012
    assert count(pg_dsn, "select count(*) from raw.rejected_events") == 1
    # S3 ETags are kept in the manifest; keys are relative to the root (no bucket, no prefix).
    assert (
        count(
            pg_dsn,
            "select count(*) from ops.loaded_objects where etag is not null and source_key like 'events/%%'",
        )
        == 1011
    )


def test_missing_bucket_is_a_clear_error(s3_endpoint, pg_dsn):
    result = run_cli("--source", "s3://no-such-bucket-here/raw", "--dsn", pg_dsn, "--since", "1h")
    assert result.returncode == 1
    assert "cannot list s3://no-such-bucket-here/raw/events/" in result.stderr
    assert "Traceback" not in result.stderr
