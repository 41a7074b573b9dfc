"""Direct mode: write what the collector would have written, straight into the raw store layout.

Flushes are rendered in received-time order into hour partitions (contract.layout); an hour is final once
the simulation has moved past it, then it is gzipped (python-isal) and written as one object (split
above MAX_LINES_PER_OBJECT), events to events/, refused events to rejected/ as `rejected_event` lines.
A few corrupt lines (a truncated line, a line that is not JSON, JSON without the required keys) go into
events objects too, because real pipelines see them and the loader must quarantine them.

Writes are atomic per object (temp file + rename locally; one PutObject on S3) and object names are
derived from the seed, so a rerun of the same command rewrites the same objects: nothing half-written
survives a crash or a full disk.
"""

from __future__ import annotations

import os
import random
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import orjson
from isal import isal_zlib

from contract import layout
from lambda_ingest.validate import EventRejected, EventValidator
from simulator.collector import CollectedRenderer, client_event, iso_ms, request_id_of

HOUR_MS = 3_600_000
MAX_LINES_PER_OBJECT = 100_000
CORRUPT_OBJECT_SHARE = 0.15  # share of events objects that carry one corrupt line
GZIP_LEVEL = 1


_VALIDATOR: EventValidator | None = None


def event_validator() -> EventValidator:
    """The collector's validator (compiled once per process: it takes about a second)."""
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = EventValidator()
    return _VALIDATOR


def warm_up() -> None:
    """Compile what every shard needs before forking workers, so each does not pay for it again."""
    from simulator.audience import BOT_AGENTS, DEVICE_SHARES
    from simulator.catalog import catalog
    from simulator.collector import classify_agent

    catalog()
    event_validator()
    for agent in BOT_AGENTS + tuple(a for _, _, agents in DEVICE_SHARES for a in agents):
        classify_agent(agent.user_agent)


def gzip_lines(lines: list[str], chunk: int = 256) -> bytes:
    """One gzip member of the lines (python-isal), fed a few hundred lines at a time.

    An hour is 100 MB of JSON: joining it into one str and encoding that into one bytes object would
    touch 200 MB of fresh memory and cost more than compressing it; chunks stay in the CPU cache.
    """
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, 16 + isal_zlib.MAX_WBITS)  # gzip framing
    join, compress = "".join, compressor.compress
    parts = [compress(join(lines[i:i + chunk]).encode()) for i in range(0, len(lines), chunk)]
    parts.append(compressor.flush())
    return b"".join(parts)


class RawStoreError(Exception):
    """Writing the raw store failed (full disk, no permission, S3 refused ...)."""


def _s3_parts(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    return bucket, prefix.strip("/")


def put_bytes(uri: str, data: bytes) -> None:
    """Write one object to s3://bucket/key (boto3 honours AWS_ENDPOINT_URL_S3)."""
    import boto3

    bucket, key = _s3_parts(uri)
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)


class ObjectWriter:
    """Writes finished objects under a root (local folder or s3://bucket/prefix), atomically."""

    def __init__(self, root: str):
        self.root = root
        self.s3 = root.startswith("s3://")
        if self.s3:
            import boto3

            self.client = boto3.client("s3")
            self.bucket, self.prefix = _s3_parts(root)
        else:
            Path(root).mkdir(parents=True, exist_ok=True)

    def put(self, key: str, data: bytes) -> None:
        try:
            if self.s3:
                full = f"{self.prefix}/{key}" if self.prefix else key
                self.client.put_object(Bucket=self.bucket, Key=full, Body=data)
                return
            path = Path(self.root, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise RawStoreError(f"cannot write {key} under {self.root}: {exc.strerror or exc}") from exc
        except Exception as exc:  # botocore errors
            raise RawStoreError(f"cannot write {key} under {self.root}: {exc}") from exc


class _Hour:
    __slots__ = ("events", "rejected", "last_received")

    def __init__(self):
        self.events: list[str] = []
        self.rejected: list[str] = []
        self.last_received = 0


class RawStoreSink:
    """Receives visits in start order, writes hour partitions as they become final."""

    def __init__(self, root: str, seed: int, truth, corrupt_share: float = CORRUPT_OBJECT_SHARE):
        self.writer = ObjectWriter(root)
        self.rng = random.Random(f"raw-store-{seed}")  # own stream: sink choices never shift the traffic
        self.truth = truth
        self.corrupt_share = corrupt_share
        self.renderer = CollectedRenderer()
        self.requests = 0
        self.request_prefix = "%08x" % self.rng.getrandbits(32)
        self.next_final = 0
        self.hours: dict[int, _Hour] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-writer")
        self.pending: list[Future] = []
        self.objects = 0
        self.lines = 0
        self.bytes = 0

    # --- input -------------------------------------------------------------------------------------------
    def visit(self, v, watermark_ms: int) -> None:
        """Render a visit's flushes into their received-hour partitions.

        watermark_ms is the start of this visit: later visits only send at or after it, so every hour
        partition that ends before it is final and can be written.
        """
        self.renderer.visit_fragments(v)
        flushes = v.flushes
        first = self.requests + 1
        self.requests += len(flushes)
        self.renderer.render(v, flushes, first, self.request_prefix, self.hours, self._new_hour)
        for serial, f in enumerate(flushes if v.dirty else (), start=first):
            if f.malformed:
                received = f.send_ms + f.latency_ms
                bucket = self.hours[received - received % HOUR_MS]
                request_id = request_id_of(self.request_prefix, serial)
                for index, bad in enumerate(f.malformed, start=len(f.events)):
                    bucket.rejected.append(self._rejected_line(bad, received, request_id, index))
        if watermark_ms >= self.next_final:
            self._release(watermark_ms)

    def _new_hour(self, hour_start: int) -> "_Hour":
        bucket = self.hours[hour_start] = _Hour()
        return bucket

    def _release(self, watermark_ms: int) -> None:
        for hour_start in sorted(h for h in self.hours if h + HOUR_MS <= watermark_ms):
            self._finalize(hour_start, self.hours.pop(hour_start))
        self.next_final = watermark_ms - watermark_ms % HOUR_MS + HOUR_MS

    def _rejected_line(self, payload: dict, received: int, request_id: str, index: int) -> str:
        """The dead-letter line the collector writes for a refused event (its own validator and wording)."""
        try:
            event_validator().validate(payload)
            reason, error = "accepted", "the contract accepts this event"  # malformed events are built to fail
        except EventRejected as exc:
            reason, error = exc.reason, exc.error
        record = {"received_at": iso_ms(received), "request_id": request_id, "reason": reason,
                  "error": error, "event_index": index,
                  "event_id": payload.get("event_id") if isinstance(payload.get("event_id"), str) else None,
                  "payload": payload}
        return orjson.dumps(record).decode() + "\n"

    # --- output ------------------------------------------------------------------------------------------
    def _corrupt_line(self, lines: list[str]) -> str:
        kind = self.rng.randrange(3)
        if kind == 0:
            sample = lines[self.rng.randrange(len(lines))]
            return sample[: self.rng.randint(20, max(21, len(sample) // 2))] + "\n"  # a torn write
        if kind == 1:
            return "\x00\x00\x00 not json at all\n"
        return '{"event_type":"view","note":"required keys missing"}\n'

    def _finalize(self, hour_start: int, bucket: _Hour) -> None:
        when = datetime.fromtimestamp(bucket.last_received / 1000, timezone.utc)
        if bucket.events:
            lines = bucket.events
            if self.rng.random() < self.corrupt_share:
                lines.insert(self.rng.randrange(len(lines) + 1), self._corrupt_line(lines))
                self.truth.count("corrupt_lines")
            for i in range(0, len(lines), MAX_LINES_PER_OBJECT):
                self._submit(layout.object_key(layout.EVENTS, when, self._object_id()), lines[i:i + MAX_LINES_PER_OBJECT])
        if bucket.rejected:
            self._submit(layout.object_key(layout.REJECTED, when, self._object_id()), bucket.rejected)

    def _object_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _submit(self, key: str, lines: list[str]) -> None:
        self.objects += 1
        self.lines += len(lines)
        # Bound memory: at most two objects in flight; surface a writer error at the next object.
        while len(self.pending) >= 2:
            self.pending.pop(0).result()
        self.pending.append(self.pool.submit(self._write, key, lines))

    def _write(self, key: str, lines: list[str]) -> None:
        data = gzip_lines(lines)
        self.bytes += len(data)
        self.writer.put(key, data)

    def close(self) -> None:
        try:
            self._release(1 << 62)
            for f in self.pending:
                f.result()
        finally:
            self.pool.shutdown(wait=True)


__all__ = ["RawStoreSink", "RawStoreError", "ObjectWriter", "put_bytes", "client_event"]
