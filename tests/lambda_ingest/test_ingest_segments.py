"""The local collector's open segments (lambda_ingest/segments.py) and the group commit that appends to them: every
line durable before its request is answered, segments sealed into objects when due and at once when idle, and the
segments a crashed collector left sealed by the next one, up to their last whole gzip member."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import resource
import signal
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from isal import igzip

from contract import layout
from lambda_ingest.segments import OPEN_FOLDER, SegmentWriter, whole_members_length
from lambda_ingest.sink import GroupCommitSink, RawSink

RECEIVED = datetime(2026, 11, 22, 9, 59, 59, 999000, tzinfo=timezone.utc)


def line(i: int, size: int = 0) -> bytes:
    return json.dumps({"id": f"e{i}", "pad": "x" * size}).encode() + b"\n"


def object_ids(root: Path) -> list[str]:
    """The ids in the objects of the layout (what a loader reads)."""
    return [json.loads(text)["id"] for kind in layout.KINDS for path in sorted((root / kind).rglob("*.ndjson.gz"))
            for text in gzip.open(path).read().splitlines()]


def open_segments(root: Path) -> list[Path]:
    return sorted((root / OPEN_FOLDER).glob("*")) if (root / OPEN_FOLDER).is_dir() else []


def durable_ids(root: Path) -> set[str]:
    """The ids in objects and in the whole members of open segments (what survives a crash)."""
    ids = set(object_ids(root))
    for path in open_segments(root):
        data = path.read_bytes()
        ids |= {json.loads(text)["id"] for text in gzip.decompress(data[:whole_members_length(data)]).splitlines()}
    return ids


def append(writer: SegmentWriter, segment, lines: list[bytes]) -> None:
    """One flush's lines for one segment, durable on return."""
    writer.append([(segment, lines)])


class _SlowSegments(SegmentWriter):
    """The real segment writer, each append held a little longer (a slow disk), counting the appends."""

    def __init__(self, root: Path, hold: float):
        super().__init__(root, seal_after=0.5)
        self.hold, self.calls = hold, 0

    def append(self, batch):
        self.calls += 1
        time.sleep(self.hold)
        super().append(batch)


def test_group_commit_acknowledges_only_durable_lines_and_gathers_while_the_disk_is_slow(tmp_path):
    """GIVEN requests arriving while each append waits for a slow disk, THEN the requests that came meanwhile
    share the next append, every store() returns only once its own lines are durable, and close() leaves every
    line in an object."""
    root = tmp_path / "raw"
    group = GroupCommitSink(RawSink(str(root)), interval=0.5)   # a segment lives 0.5 s
    group.segments = segments = _SlowSegments(root, hold=0.02)

    async def request(i: int) -> None:
        await asyncio.sleep(i * 0.002)
        await group.store([line(i)], [], RECEIVED)
        assert f"e{i}" in durable_ids(root)          # durable before the answer

    async def main() -> None:
        await asyncio.gather(*(request(i) for i in range(60)))
        await group.close()

    asyncio.run(main())
    assert sorted(object_ids(root)) == sorted(f"e{i}" for i in range(60))
    assert open_segments(root) == []
    assert segments.calls < 20                   # requests shared flushes
    assert sum(segments.objects_written.values()) < segments.calls   # and flushes shared objects


def test_a_segment_is_sealed_when_due_and_at_once_when_the_collector_is_idle(tmp_path):
    root = tmp_path / "raw"
    writer = SegmentWriter(root, seal_after=0.2)
    first = writer.take(layout.EVENTS, RECEIVED)
    append(writer, first, [line(1)])
    writer.give_back([first])
    assert writer.take_due(time.monotonic()) == []
    again = writer.take(layout.EVENTS, RECEIVED)
    assert again is first                        # the next flush of the hour appends to the same segment
    append(writer, again, [line(2), line(3)])
    writer.give_back([again])
    assert object_ids(root) == [] and len(open_segments(root)) == 1
    due = writer.take_due(time.monotonic() + 0.3)
    assert due == [first]
    writer.seal(due)
    assert object_ids(root) == ["e1", "e2", "e3"]          # two gzip members, one object, in order
    assert (root / first.key).is_file() and open_segments(root) == []
    assert writer.objects_written == {layout.EVENTS: 1}

    # Through the group commit: a request is answered once its lines are durable, and they are in an object
    # `interval` later (the flusher's timer seals the segment), or at once when the sink closes.
    group = GroupCommitSink(RawSink(str(root)), interval=0.1)

    async def requests() -> None:
        await group.store([line(4)], [line(5)], RECEIVED)
        assert durable_ids(root) == {"e1", "e2", "e3", "e4", "e5"} and len(open_segments(root)) == 2
        await asyncio.sleep(0.3)
        assert sorted(object_ids(root)) == ["e1", "e2", "e3", "e4", "e5"] and open_segments(root) == []
        await group.store([line(6)], [], RECEIVED)
        await group.close()
        assert "e6" in object_ids(root) and open_segments(root) == []

    asyncio.run(requests())


def test_recovery_seals_the_whole_members_a_crash_left_and_cuts_the_torn_tail(tmp_path):
    root = tmp_path / "raw"
    crashed = SegmentWriter(root)
    segment = crashed.take(layout.EVENTS, RECEIVED)
    append(crashed, segment, [line(1)])
    append(crashed, segment, [line(2)])
    os.write(segment.fd, igzip.compress(line(3))[:-6])   # killed mid-write: a member without its trailer
    os.close(segment.fd)                                 # the process is gone: so is its lock
    assert durable_ids(root) == {"e1", "e2"}

    assert SegmentWriter(root).recover() == 1
    assert object_ids(root) == ["e1", "e2"]
    assert (root / segment.key).is_file() and open_segments(root) == []
    assert SegmentWriter(root).recover() == 0            # nothing left to do


def test_recovery_leaves_a_live_segment_alone_and_drops_one_that_holds_nothing(tmp_path):
    root = tmp_path / "raw"
    live = SegmentWriter(root)
    segment = live.take(layout.EVENTS, RECEIVED)
    append(live, segment, [line(1)])
    empty = root / OPEN_FOLDER / "events~year=2026~month=11~day=22~hour=09~20261122T095959999Z-x.ndjson.gz.open"
    empty.write_bytes(b"\x1f\x8b")                       # a crash right after the segment was made

    assert SegmentWriter(root).recover() == 0            # another collector starting on the same root
    assert not empty.exists() and open_segments(root) != []
    live.seal([segment])
    assert object_ids(root) == ["e1"] and open_segments(root) == []


def test_a_failed_append_raises_and_seals_only_what_was_durable(tmp_path):
    """GIVEN a write the kernel refuses half-way (a file size limit: EFBIG), THEN append raises (the flush's
    requests get 503), and the segment is cut back to its durable members and sealed: nothing acknowledged is
    lost, nothing half-written is published."""
    root = tmp_path / "raw"
    writer = SegmentWriter(root)
    segment = writer.take(layout.EVENTS, RECEIVED)
    append(writer, segment, [line(1)])
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (segment.size + 64, hard))
    try:
        with pytest.raises(OSError):
            append(writer, segment, [line(i, size=200) for i in range(2, 50)])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert segment.fd is None
    writer.give_back([segment])                          # a salvaged segment is not handed out again
    assert writer.take(layout.EVENTS, RECEIVED) is not segment
    assert object_ids(root) == ["e1"] and open_segments(root) == []
