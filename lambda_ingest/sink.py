"""The raw store writer: gzip NDJSON objects in the contract's layout, in a local folder or on S3.

    <root>/events/year=YYYY/month=MM/day=DD/hour=HH/<received-ts>-<uuid>.ndjson.gz   (collected_event lines)
    <root>/rejected/...same layout...                                                  (rejected_event lines)

An object is durable when write() returns: a local object is written to a hidden temp file, fsync'ed,
renamed into place and its folder fsync'ed; an S3 object is one completed PutObject. Readers list only
*.ndjson.gz, so they never see a partial object.

RawSink is synchronous (the Lambda handler, the simulator's backfill). GroupCommitSink is the local
server's: concurrent requests wait on one shared flush; in a local folder it appends to open segments that
become objects every ~50 ms (segments.py), on S3 it puts one object per kind and hour per flush.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable

import orjson
from isal import igzip

from contract import layout
from lambda_ingest.segments import SegmentWriter

# A private generator seeded from os.urandom (never the global one: a seeded simulation must not repeat keys),
# reseeded in a forked child so that parent and child never draw the same object ids.
_object_ids = random.Random(os.urandom(32))
_random_bits = _object_ids.getrandbits
os.register_at_fork(after_in_child=lambda: _object_ids.seed(os.urandom(32)))


@dataclass(frozen=True, slots=True)
class RawObject:
    kind: str                 # layout.EVENTS | layout.REJECTED
    received_at: datetime     # decides the hour partition and the key's timestamp
    lines: list[bytes]        # NDJSON lines, each ending in a newline


def _line(record: bytes | dict) -> bytes:
    if isinstance(record, bytes):
        return record if record.endswith(b"\n") else record + b"\n"
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)


class RawSink:
    """RawSink(raw_uri).write(kind, records, received_at) -> the object's URI."""

    def __init__(self, raw_uri: str | None = None, compresslevel: int = 1):
        self.root = layout.raw_uri(raw_uri).rstrip("/")
        self.compresslevel = compresslevel
        self._s3 = None
        self._known_dirs: set[Path] = set()
        self.objects_written: Counter[str] = Counter()   # by kind
        self.bytes_written = 0
        self._count_lock = threading.Lock()
        if self.root.startswith("s3://"):
            self.bucket, _, prefix = self.root[5:].partition("/")
            if not self.bucket:
                raise ValueError(f"raw store URI {self.root!r} has no bucket")
            self.prefix = f"{prefix}/" if prefix else ""
            self.local_root = None
        else:
            self.local_root = Path(self.root)

    @property
    def is_s3(self) -> bool:
        return self.local_root is None

    def write(self, kind: str, records: Iterable[bytes | dict], received_at: datetime) -> str:
        return self.write_objects([RawObject(kind, received_at, [_line(r) for r in records])])[0]

    def write_objects(self, objects: list[RawObject]) -> list[str]:
        """Write every object durably; returns their URIs. Raises (and acknowledges nothing) on failure."""
        # Object ids from the process's seeded PRNG, as uuid4 from os.urandom would be: a getrandom() call drops the
        # GIL, and in the group commit's writer thread each retake waits for the busy event loop's switch interval.
        payloads = [(layout.object_key(o.kind, o.received_at, uuid.UUID(int=_random_bits(128), version=4)),
                     igzip.compress(b"".join(o.lines), self.compresslevel))
                    for o in objects if o.lines]
        uris = [self._put_s3(key, data) for key, data in payloads] if self.is_s3 else self._write_local(payloads)
        with self._count_lock:  # the group commit runs several flushes at once
            self.objects_written.update(o.kind for o in objects if o.lines)
            self.bytes_written += sum(len(data) for _, data in payloads)
        return uris

    def sweep_temp_files(self, now: datetime, hours: int = 48, min_age_s: float = 60.0) -> int:
        """Remove temp files a crash left in the recent partitions (never acknowledged, so never needed)."""
        if self.is_s3:
            return 0
        removed = 0
        start = now - timedelta(hours=hours)
        for hour in layout.hours_between(start, now):
            for kind in layout.KINDS:
                folder = self.local_root / layout.partition_prefix(kind, hour)
                if not folder.is_dir():
                    continue
                for temp in folder.glob(".*.tmp"):
                    try:
                        if time.time() - temp.stat().st_mtime >= min_age_s:
                            temp.unlink()
                            removed += 1
                    except FileNotFoundError:
                        pass
        return removed

    def _put_s3(self, key: str, data: bytes) -> str:
        if self._s3 is None:
            with self._count_lock:  # boto3's default session is not thread-safe while it builds a client
                if self._s3 is None:
                    import boto3  # imported lazily: the local path does not need it

                    self._s3 = boto3.client("s3")
        self._s3.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType="application/x-ndjson")
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def _write_local(self, payloads: list[tuple[str, bytes]]) -> list[str]:
        written, dirs = [], set()
        for key, data in payloads:
            final = self.local_root / key
            folder = final.parent
            if folder not in self._known_dirs:
                folder.mkdir(parents=True, exist_ok=True)
                self._known_dirs.add(folder)
            temp = folder / f".{final.name}.tmp"  # the final name is unique already; O_EXCL says so if not
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(temp, final)
            dirs.add(folder)
            written.append(str(final))
        for folder in dirs:  # make the renames themselves durable
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return written


class GroupCommitSink:
    """Concurrent requests share one flush: a flush starts when no other request is mid-way (so waiting
    longer gains nothing), after `interval` at the latest, or at `max_bytes`. A request's store() returns
    only once its lines are durable, and raises if the flush failed (nothing of it was acknowledged).

    A flush to a local folder appends to open segments on the event loop (the loop waits for the fdatasync;
    requests gather in the sockets meanwhile), sealed into objects `interval` after they were opened or at
    `max_bytes` (segments.py). A flush to S3 puts one object per kind and hour from a worker thread; those
    are pipelined: up to `max_in_flight` run at once, so a request never waits behind another request's
    PutObject for a slot it does not need; while every slot is busy, new requests gather into the next
    flush (the batch grows with the load)."""

    def __init__(self, sink: RawSink, interval: float = 0.05, max_bytes: int = 5_000_000,
                 on_flush: Callable[[float], None] | None = None, max_in_flight: int = 4):
        self.sink = sink
        self.segments = None if sink.is_s3 else SegmentWriter(sink.local_root, interval, max_bytes, sink.compresslevel)
        self.interval = interval
        self.max_bytes = max_bytes
        self.on_flush = on_flush
        self.max_in_flight = max_in_flight
        self.busy_requests = 0            # requests being read or processed, not yet waiting here
        self._pending: dict[tuple[str, datetime], RawObject] = {}
        self._pending_bytes = 0
        self._first_at = 0.0
        self._waiters: list[asyncio.Future] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._flushes: set[asyncio.Task] = set()
        self._seals: set[asyncio.Task] = set()
        self._seal_timer: asyncio.TimerHandle | None = None
        self._closing = False

    @property
    def writer(self) -> RawSink | SegmentWriter:
        """What writes the files (and counts objects_written / bytes_written)."""
        return self.segments or self.sink

    def recover(self) -> int:
        """Seal the open segments a collector that stopped left behind (at start-up, before serving)."""
        return self.segments.recover() if self.segments is not None else 0

    def _add(self, kind: str, received_at: datetime, lines: list[bytes]) -> None:
        hour = received_at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        obj = self._pending.get((kind, hour))
        if obj is None:
            self._pending[(kind, hour)] = RawObject(kind, received_at, list(lines))
        else:
            obj.lines.extend(lines)
        self._pending_bytes += sum(map(len, lines))

    def store(self, event_lines: list[bytes], rejected_lines: list[bytes], received_at: datetime) -> asyncio.Future:
        """Add a request's lines to the next flush; await the result: it is done once they are durable, and raises
        if the flush failed. (A plain method returning the future: one coroutine less per request.)"""
        if self._task is None or self._task.done():
            self._start()
        if not self._pending:
            self._first_at = time.monotonic()
        if event_lines:
            self._add(layout.EVENTS, received_at, event_lines)
        if rejected_lines:
            self._add(layout.REJECTED, received_at, rejected_lines)
        waiter = self._loop.create_future()  # the loop kept: get_running_loop() is a getpid() syscall each time
        self._waiters.append(waiter)
        if len(self._flushes) < self.max_in_flight:  # else the flusher waits for a slot: _flush_done wakes it
            self._wake.set()
        return waiter

    def poke(self) -> None:
        """A request finished without storing anything: the flusher may not need to wait for it."""
        if self._wake is not None and self._pending:
            self._wake.set()

    def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="raw-store-flusher")

    async def _run(self) -> None:
        while True:
            if not self._pending or len(self._flushes) >= self.max_in_flight:
                if self._closing and not self._pending:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            # Gather more requests while some are still on their way, up to the interval / size cap.
            while not self._closing and self.busy_requests > 0 and self._pending_bytes < self.max_bytes:
                remaining = self._first_at + self.interval - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(self._wake.wait(), remaining)
                except TimeoutError:
                    break
                self._wake.clear()
            objects, waiters = list(self._pending.values()), self._waiters
            self._pending, self._waiters, self._pending_bytes = {}, [], 0
            if self.segments is not None:  # one step on the event loop (SegmentWriter.append says why): no task
                self._flush_local(objects, waiters)
                continue
            flush = self._loop.create_task(self._flush_s3(objects, waiters))
            self._flushes.add(flush)
            flush.add_done_callback(self._flush_done)

    def _seal_later(self, segments: list) -> None:
        """Seal in the background (the segments' lines are durable and answered for already)."""
        if segments:
            seal = self._loop.create_task(asyncio.to_thread(self.segments.seal, segments))
            self._seals.add(seal)
            seal.add_done_callback(self._sealed)

    def _sealed(self, seal: asyncio.Task) -> None:
        self._seals.discard(seal)
        if not seal.cancelled():
            seal.exception()  # logged by SegmentWriter.seal; the segment waits in the open folder for the next start

    def _flush_done(self, flush: asyncio.Task) -> None:
        self._flushes.discard(flush)
        self._wake.set()  # a slot is free: whatever gathered meanwhile can go

    async def _flush_s3(self, objects: list[RawObject], waiters: list[asyncio.Future]) -> None:
        started = time.perf_counter()
        try:
            await asyncio.to_thread(self.sink.write_objects, objects)
        except Exception as exc:  # noqa: BLE001 - every waiter must hear about it
            self._answer(waiters, exc)
            return
        self._answer(waiters, None, started)

    def _flush_local(self, objects: list[RawObject], waiters: list[asyncio.Future]) -> None:
        """Append the flush's lines to open segments, durably; seal those that are due in a worker thread."""
        started = time.perf_counter()
        segments = self.segments
        batch = [(segments.take(o.kind, o.received_at), o.lines) for o in objects if o.lines]
        try:
            segments.append(batch)
        except Exception as exc:  # noqa: BLE001 - every waiter must hear about it
            self._answer(waiters, exc)
            return
        finally:
            segments.give_back([segment for segment, _ in batch])
            self._arm_seal_timer()
        self._answer(waiters, None, started)

    def _arm_seal_timer(self) -> None:
        """Seal the open segments when the oldest comes due (then again for the next), unless a timer is set."""
        due_at = self.segments.next_due_at()
        if due_at is not None and self._seal_timer is None:
            self._seal_timer = self._loop.call_later(max(0.0, due_at - time.monotonic()), self._seal_due)

    def _seal_due(self) -> None:
        self._seal_timer = None
        self._seal_later(self.segments.take_due(time.monotonic()))
        self._arm_seal_timer()

    def _answer(self, waiters: list[asyncio.Future], error: Exception | None, started: float = 0.0) -> None:
        if error is None and self.on_flush is not None:
            try:
                self.on_flush(time.perf_counter() - started)
            except Exception:  # noqa: BLE001 - bookkeeping must never fail a durable write
                pass
        for waiter in waiters:
            if not waiter.done():
                if error is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(error)

    async def close(self) -> None:
        """Flush what is pending, seal every open segment and stop the flusher."""
        self._closing = True
        if self._task is not None and not self._task.done():
            self._wake.set()
            await self._task
        while self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)
        if self.segments is not None:
            if self._seal_timer is not None:
                self._seal_timer.cancel()
                self._seal_timer = None
            self._seal_later(self.segments.take_all())
        while self._seals:
            await asyncio.gather(*self._seals, return_exceptions=True)
