"""Open segments: the local collector's raw objects, appended to flush by flush and sealed after ~50 ms.

Creating a file costs far more than appending to one: on this machine's ext4 a new inode takes ~0.6 ms of
CPU, an fdatasync ~0.1 ms. One object per flush made a busy collector create hundreds of files a second, and
that, not the fsync, was most of what durability cost it. So a flush appends one gzip member per (kind, hour)
to an open segment and makes it durable with fdatasync before its requests are answered; the segment becomes
an object of the layout (renamed into its hour partition) once it is `seal_after` seconds old or `seal_bytes`
large. An answered line is durable at once and in an object (what a loader lists) ~50 ms later; a segment
that cannot be sealed stays in the open folder, durable, for recover().

    <root>/.open/events~year=YYYY~month=MM~day=DD~hour=HH~<received-ts>-<uuid>.ndjson.gz.open   open: no reader lists it
    <root>/events/year=YYYY/month=MM/day=DD/hour=HH/<received-ts>-<uuid>.ndjson.gz          sealed: an object

Readers of concatenated gzip members get the lines of all of them (gzip, isal and the loader all read
multi-member streams). A collector that dies leaves its open segments: acknowledged lines in whole members,
maybe followed by a torn member nobody was answered for. The next collector seals them when it starts
(recover()), after cutting the torn tail. A writer holds an flock on each segment it has open, so a second
collector on the same root never seals another's live segment.

Threads: take / give_back / take_due / take_all and append run on the event loop, which decides who holds a
segment (one flush, or the sealer, at a time); seal and recover run in a worker thread, on the segments they
were handed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from isal import igzip

from contract import layout

logger = logging.getLogger("lambda_ingest.segments")

OPEN_FOLDER = ".open"
OPEN_SUFFIX = ".open"  # an open segment's name never ends in .ndjson.gz: no glob for objects finds it
_SEPARATOR = "~"       # stands for "/" in an open segment's name: object keys never hold it


@dataclass(eq=False)
class Segment:
    kind: str
    hour: datetime           # its partition
    key: str                 # the object key it is sealed under
    created_at: float        # time.monotonic()
    fd: int | None = None    # the open file; None until the first append creates it
    size: int = 0            # bytes made durable (whole members)


class SegmentWriter:
    def __init__(self, root: Path, seal_after: float = 0.05, seal_bytes: int = 5_000_000, compresslevel: int = 1):
        self.root = Path(root)
        self.open_folder = self.root / OPEN_FOLDER
        self.seal_after = seal_after
        self.seal_bytes = seal_bytes
        self.compresslevel = compresslevel
        self._free: dict[tuple[str, datetime], list[Segment]] = {}
        self._known_folders: set[Path] = set()
        self.objects_written: Counter[str] = Counter()   # sealed objects, by kind
        self.bytes_written = 0                           # compressed bytes made durable
        self._count_lock = threading.Lock()              # seals run in worker threads, several at once

    # -- on the event loop: who holds which segment ------------------------------------------------------

    def take(self, kind: str, received_at: datetime) -> Segment:
        """A segment for lines of this kind received at received_at, held by the caller until give_back."""
        hour = received_at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        free = self._free.get((kind, hour))
        if free:
            return free.pop()
        return Segment(kind, hour, layout.object_key(kind, received_at), time.monotonic())

    def give_back(self, segments: list[Segment]) -> None:
        for segment in segments:
            if segment.fd is not None:  # an append that failed closed it (and sealed what it could)
                self._free.setdefault((segment.kind, segment.hour), []).append(segment)

    def take_due(self, now: float) -> list[Segment]:
        """The free segments old or large enough to seal."""
        due = []
        for free in self._free.values():
            for segment in [s for s in free if s.created_at + self.seal_after <= now or s.size >= self.seal_bytes]:
                free.remove(segment)
                due.append(segment)
        return due

    def take_all(self) -> list[Segment]:
        every = [segment for free in self._free.values() for segment in free]
        self._free.clear()
        return every

    def next_due_at(self) -> float | None:
        """When the oldest free segment is due (time.monotonic()), or None when there is none."""
        return min((s.created_at + self.seal_after for free in self._free.values() for s in free), default=None)

    # -- the files ------------------------------------------------------------------------------------------

    def append(self, batch: list[tuple[Segment, list[bytes]]]) -> None:
        """One flush: each segment's lines as one gzip member, durable (fdatasync) when this returns. Raises if
        they are not, after salvage(): none of the batch's lines may then be acknowledged.

        The collector calls this on its event loop, which waits for the disk meanwhile (an fdatasync takes
        ~0.1-0.3 ms here; the next flush's requests gather in the sockets). Handing the fdatasync to a worker
        thread cost more than it saved: the thread took the GIL back and forth with the busy loop, ~65 futex
        calls per flush, and single-event requests got 0.43x the reference's rate against 0.53x inline
        (interleaved runs, bench_ingest.py's reference)."""
        created, members = False, []
        try:
            for segment, lines in batch:
                member = igzip.compress(b"".join(lines), self.compresslevel)
                if segment.fd is None:
                    self._create(segment)
                    created = True
                _write_all(segment.fd, member)
                members.append((segment, member))
            if created:  # the new names themselves must survive a crash before anything in them is answered
                _fsync_folder(self.open_folder)
            for segment, _ in members:
                os.fdatasync(segment.fd)
        except Exception:
            self.salvage([segment for segment, _ in batch])
            raise
        for segment, member in members:
            segment.size += len(member)
            self.bytes_written += len(member)

    def salvage(self, segments: list[Segment]) -> None:
        """After a failed write or sync: cut each segment back to its durable members and seal it (or leave it
        closed for recover(), which cuts any torn member itself). Nothing half-written is ever sealed, and
        nothing acknowledged is lost."""
        for segment in segments:
            self._salvage(segment)

    def seal(self, segments: list[Segment]) -> None:
        """Make each segment an object of the layout (its durable bytes), or drop it if it holds none. A segment
        that cannot be sealed stays in the open folder for recover(); the first such error is raised once every
        segment has been tried."""
        error = None
        for segment in segments:
            fd, segment.fd = segment.fd, None
            if fd is None:
                continue
            try:
                if segment.size == 0:
                    os.unlink(self._open_path(segment.key))
                else:
                    self._publish(self._open_path(segment.key), segment.key)
                    self._count_sealed(segment.kind)
            except OSError as exc:
                logger.error("cannot seal a raw store segment; the next start will",
                             extra={"segment": segment.key, "error": repr(exc)})
                error = error or exc
            finally:
                os.close(fd)  # after the rename: the flock guards the segment until it is an object
        if error is not None:
            raise error

    def recover(self) -> int:
        """Seal the segments a collector that stopped left open (their whole gzip members); returns how many."""
        try:
            names = [entry.name for entry in os.scandir(self.open_folder) if entry.is_file()]
        except FileNotFoundError:
            return 0
        sealed = 0
        for name in names:
            key = name.removesuffix(OPEN_SUFFIX).replace(_SEPARATOR, "/")
            if not name.endswith(OPEN_SUFFIX) or layout.partition_hour(key) is None:
                continue
            try:
                sealed += self._recover_file(self.open_folder / name, key)
            except OSError as exc:
                logger.error("cannot recover a raw store segment", extra={"segment": name, "error": repr(exc)})
        return sealed

    # -- helpers ---------------------------------------------------------------------------------------------

    def _open_path(self, key: str) -> Path:
        return self.open_folder / (key.replace("/", _SEPARATOR) + OPEN_SUFFIX)

    def _create(self, segment: Segment) -> None:
        self.open_folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._open_path(segment.key), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours alone: recover() elsewhere leaves it be
        segment.fd = fd

    def _salvage(self, segment: Segment) -> None:
        fd, segment.fd = segment.fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, segment.size)
            os.fdatasync(fd)
        except OSError:
            pass
        os.close(fd)
        try:
            self._recover_file(self._open_path(segment.key), segment.key)
        except OSError as exc:
            logger.error("cannot seal a raw store segment after a failed write; the next start will",
                         extra={"segment": segment.key, "error": repr(exc)})

    def _recover_file(self, path: Path, key: str) -> int:
        fd = os.open(path, os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # a live collector is still appending to it
            data = os.read(fd, os.fstat(fd).st_size) if os.fstat(fd).st_size else b""
            whole = whole_members_length(data)
            if whole == 0:
                os.unlink(path)
                _fsync_folder(self.open_folder)
                return 0
            if whole < len(data):
                os.ftruncate(fd, whole)
            os.fsync(fd)
            self._publish(path, key)
            self._count_sealed(key.split("/", 1)[0])
            return 1
        finally:
            os.close(fd)

    def _count_sealed(self, kind: str) -> None:
        with self._count_lock:
            self.objects_written[kind] += 1

    def _publish(self, path: Path, key: str) -> None:
        """Rename an open segment (already durable) into its partition, durably."""
        final = self.root / key
        folder = final.parent
        if folder not in self._known_folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._known_folders.add(folder)
        os.rename(path, final)
        _fsync_folder(folder)
        _fsync_folder(self.open_folder)  # the name gone from here too: recover() must not find it again


def wait_sealed(root: str | Path, timeout: float = 5.0) -> bool:
    """Wait, at most `timeout` seconds, until a running collector has sealed every open segment under root (each
    is sealed ~50 ms after it was opened); True when none is left. For a reader that must see every line
    answered so far, right away (the demo's check against its ground truth, tests)."""
    folder = Path(root) / OPEN_FOLDER
    deadline = time.monotonic() + timeout
    while True:
        if not folder.is_dir() or not any(name.endswith(OPEN_SUFFIX) for name in os.listdir(folder)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def whole_members_length(data: bytes) -> int:
    """How many leading bytes of data are complete gzip members (checked to their CRC and length)."""
    offset, view = 0, memoryview(data)
    while offset < len(data):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            inflater.decompress(view[offset:])
        except zlib.error:
            break
        if not inflater.eof:
            break
        offset = len(data) - len(inflater.unused_data)
    return offset


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
