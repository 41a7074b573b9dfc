"""Read one raw object: stream-decompress (isal's igzip), split lines, parse (orjson), check, yield COPY rows.

The checks are the cheap ones that keep a COPY from failing on one bad line: JSON object, required keys,
and per typed column the JSON type plus the shape of uuids and timestamps. A line that fails goes to the
quarantine list (line number, reason, raw text) and the rest of the object goes on. If PostgreSQL still
refuses a row, the loader rereads the object with strict=True, which also parses every timestamp and
looks for NUL characters. Values stay the strings JSON gave us: building Python datetimes/UUIDs per
row would halve the load rate, and PostgreSQL parses them anyway.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from typing import BinaryIO, Iterator

import orjson
from isal import igzip, isal_zlib

import contract
from contract import layout

CHUNK_BYTES = 1 << 20  # decompressed bytes per read: memory stays flat whatever the object size
BIGINT = 2**63

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)")

# Errors that mean "these bytes are not a (complete) gzip stream": the object is corrupt, not the network.
CORRUPT_GZIP_ERRORS = (EOFError, igzip.BadGzipFile, isal_zlib.error, zlib.error)


class CorruptObject(Exception):
    """The object is not a readable gzip stream (truncated, not gzip, bad CRC)."""


class RawKind:
    """What the loader needs to know about one kind of raw line (events or rejected)."""

    def __init__(self, kind: str):
        definition = {layout.EVENTS: "collected_event", layout.REJECTED: "rejected_event"}[kind]
        self.kind = kind
        self.columns = contract.raw_columns(definition)
        self.names = [name for name, _ in self.columns]
        typed = set(self.names)
        self.required = [self.names.index(k) for k in contract.required_keys(definition) if k in typed]
        self.required_untyped = [k for k in contract.required_keys(definition) if k not in typed]
        by_type: dict[str, list[int]] = {}
        for i, (_, pg_type) in enumerate(self.columns):
            by_type.setdefault(pg_type, []).append(i)
        self.text_idx = by_type.get("text", [])
        self.uuid_idx = by_type.get("uuid", [])
        self.timestamp_idx = by_type.get("timestamptz", [])
        self.bigint_idx = by_type.get("bigint", [])
        self.boolean_idx = by_type.get("boolean", [])
        # raw.events keeps the whole line as payload; raw.rejected_events keeps the rejected event's payload.
        self.payload_is_line = kind == layout.EVENTS


KINDS = {kind: RawKind(kind) for kind in layout.KINDS}


def iter_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without its newline) of a gzip stream, decompressed chunk by chunk."""
    gz = igzip.IGzipFile(fileobj=stream, mode="rb")
    line_no = 0
    rest = b""
    try:
        while True:
            chunk = gz.read(CHUNK_BYTES)
            if not chunk:
                break
            lines = (rest + chunk).split(b"\n") if rest else chunk.split(b"\n")
            rest = lines.pop()
            for line in lines:
                line_no += 1
                yield line_no, line
    except CORRUPT_GZIP_ERRORS as exc:
        raise CorruptObject(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from exc
    if rest:
        yield line_no + 1, rest


def _shape_error(spec: RawKind, vals: list, strict: bool) -> str | None:
    """Why these typed values would make COPY fail, or None."""
    for i in spec.required:
        if vals[i] is None:
            return f"missing required key {spec.names[i]}"
    for i in spec.text_idx:
        v = vals[i]
        if v is not None and type(v) is not str:
            return f"{spec.names[i]}: expected a string, got {type(v).__name__}"
    for i in spec.uuid_idx:
        v = vals[i]
        if v is not None and (type(v) is not str or not _UUID_RE.fullmatch(v)):
            return f"{spec.names[i]}: not a uuid"
    for i in spec.timestamp_idx:
        v = vals[i]
        if v is not None and (type(v) is not str or not _TIMESTAMP_RE.fullmatch(v)):
            return f"{spec.names[i]}: not an RFC 3339 timestamp"
    for i in spec.bigint_idx:
        v = vals[i]
        if v is not None and (type(v) is not int or not -BIGINT <= v < BIGINT):
            return f"{spec.names[i]}: not a 64-bit integer"
    for i in spec.boolean_idx:
        v = vals[i]
        if v is not None and type(v) is not bool:
            return f"{spec.names[i]}: not a boolean"
    if strict:
        return _strict_error(spec, vals)
    return None


def _strict_error(spec: RawKind, vals: list) -> str | None:
    """The slow checks, for an object PostgreSQL refused on the fast path."""
    for i in spec.timestamp_idx:
        if vals[i] is not None:
            try:
                datetime.fromisoformat(vals[i])
            except ValueError:
                return f"{spec.names[i]}: timestamp out of range"
    for i in spec.text_idx:
        if vals[i] is not None and "\x00" in vals[i]:
            return f"{spec.names[i]}: contains a NUL character"
    return None


class ObjectReader:
    """Rows of one raw object for COPY; bad lines collect in .quarantined as (line_no, reason, raw_text).

    A row is (typed columns in contract order..., payload, _line_no, *extra); extra are the caller's
    per-object constants (load id, source key).
    """

    def __init__(self, stream: BinaryIO, kind: str, *, extra: tuple = (), strict: bool = False):
        self.stream = stream
        self.spec = KINDS[kind]
        self.extra = extra
        self.strict = strict
        self.quarantined: list[tuple[int, str, str]] = []
        self.lines = 0

    def _quarantine(self, line_no: int, reason: str, line: bytes) -> None:
        text = line.decode("utf-8", errors="replace").replace("\x00", "\\u0000")
        self.quarantined.append((line_no, reason, text))

    def rows(self) -> Iterator[tuple]:
        spec, extra, strict, loads = self.spec, self.extra, self.strict, orjson.loads
        names, payload_is_line = spec.names, spec.payload_is_line
        for line_no, line in iter_lines(self.stream):
            if not line or line.isspace():
                continue
            self.lines += 1
            try:
                obj = loads(line)
            except orjson.JSONDecodeError as exc:
                self._quarantine(line_no, f"not JSON: {exc}", line)
                continue
            if type(obj) is not dict:
                self._quarantine(line_no, f"not a JSON object: {type(obj).__name__}", line)
                continue
            if b"\\u0000" in line:  # PostgreSQL text and jsonb cannot hold NUL
                self._quarantine(line_no, "contains \\u0000, which PostgreSQL cannot store", line)
                continue
            vals = list(map(obj.get, names))
            reason = _shape_error(spec, vals, strict)
            if reason is None and spec.required_untyped:
                missing = [k for k in spec.required_untyped if k not in obj]
                reason = f"missing required key {missing[0]}" if missing else None
            if reason is not None:
                self._quarantine(line_no, reason, line)
                continue
            if payload_is_line:
                vals.append(line.decode().rstrip("\r"))
            else:
                vals.append(orjson.dumps(obj["payload"]).decode())
            vals.append(line_no)
            vals.extend(extra)
            yield vals
