"""Read one raw object: stream-decompress (isal's igzip), split lines, decode, check, yield COPY rows.

The fast path decodes each events line with a msgspec decoder typed from the contract's raw columns: one
C pass parses the line, picks the typed columns and checks their JSON types and required keys. A line
that fails goes to the quarantine list (line number, reason, raw text; the reason comes from a plain
orjson parse and our own checks) and the rest of the object goes on. If PostgreSQL still refuses a row
(a malformed uuid or timestamp, an integer beyond 64 bits), the loader rereads the object with
strict=True, which also checks those values the way PostgreSQL will, so the bad line is quarantined too.
Values stay the strings JSON gave us: building datetimes/UUIDs per row would halve the load rate, and
PostgreSQL parses them anyway.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from typing import BinaryIO, Iterator

import msgspec
import orjson
from isal import igzip, isal_zlib

import contract
from contract import layout

CHUNK_BYTES = 1 << 20  # decompressed bytes per read: memory stays flat whatever the object size
BIGINT = 2**63

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIMESTAMP_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)"
)

# Errors that mean "these bytes are not a (complete) gzip stream": the object is corrupt, not the network.
NoneType = type(None)
_UNSEEN = object()
_JSON_TYPES = {
    "text": str,
    "uuid": str,
    "timestamptz": str,
    "bigint": int,
    "boolean": bool,
    "double precision": float,
}
_JSON_TYPE_NAMES = {
    "text": "a string",
    "uuid": "a uuid string",
    "timestamptz": "an RFC 3339 timestamp string",
    "bigint": "a 64-bit integer",
    "boolean": "a boolean",
    "double precision": "a number",
}

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
        self.type_verdicts: dict[tuple, str | None] = {}
        # Typed decoder of the columns (events only: a rejected line also needs its untyped payload).
        self.decoder = None
        if not self.required_untyped:
            required = {self.names[i] for i in self.required}
            fields = [
                (name, _JSON_TYPES[t]) if name in required else (name, _JSON_TYPES[t] | None, None)
                for name, t in self.columns
            ]
            struct = msgspec.defstruct(f"{definition}_columns", fields, kw_only=True, gc=False)
            self.decoder = msgspec.json.Decoder(struct)


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


def _type_error(spec: RawKind, types: tuple) -> str | None:
    """Why values of these JSON types would not fit the typed columns, or None (cached per type tuple)."""
    for i in spec.required:
        if types[i] is NoneType:
            return f"missing required key {spec.names[i]}"
    for i, (name, pg_type) in enumerate(spec.columns):
        if types[i] is not NoneType and types[i] is not _JSON_TYPES[pg_type]:
            return f"{name}: expected {_JSON_TYPE_NAMES[pg_type]}, got {types[i].__name__}"
    return None


def _value_error(spec: RawKind, vals: list) -> str | None:
    """The value checks PostgreSQL would make, for an object it refused on the fast path (strict mode)."""
    for i in spec.uuid_idx:
        if vals[i] is not None and not _UUID_RE.fullmatch(vals[i]):
            return f"{spec.names[i]}: not a uuid"
    for i in spec.timestamp_idx:
        if vals[i] is not None:
            if not _TIMESTAMP_RE.fullmatch(vals[i]):
                return f"{spec.names[i]}: not an RFC 3339 timestamp"
            try:
                datetime.fromisoformat(vals[i])
            except ValueError:
                return f"{spec.names[i]}: timestamp out of range"
    for i in spec.bigint_idx:
        if vals[i] is not None and not -BIGINT <= vals[i] < BIGINT:
            return f"{spec.names[i]}: not a 64-bit integer"
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

    def _quarantine(self, line_no: int, reason: str, line: bytes) -> None:
        text = line.decode("utf-8", errors="replace").replace("\x00", "\\u0000")
        self.quarantined.append((line_no, reason, text))

    def _checked(self, line: bytes) -> tuple[list | None, object, str | None]:
        """(typed values, parsed line, None) or (None, None, why the line cannot load); the general path."""
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return None, None, f"not JSON: {exc}"
        if type(obj) is not dict:
            return None, None, f"not a JSON object: {type(obj).__name__}"
        spec = self.spec
        vals = list(map(obj.get, spec.names))
        # The JSON types of a line's columns take few shapes: check each shape once.
        types = tuple(map(type, vals))
        reason = spec.type_verdicts.get(types, _UNSEEN)
        if reason is _UNSEEN:
            reason = _type_error(spec, types)
            if len(spec.type_verdicts) < 4096:
                spec.type_verdicts[types] = reason
        if reason is None:
            missing = [k for k in spec.required_untyped if k not in obj]
            reason = f"missing required key {missing[0]}" if missing else None
        return (None, None, reason) if reason else (vals, obj, None)

    def rows(self) -> Iterator[list]:
        spec, extra, strict = self.spec, self.extra, self.strict
        # Strict mode takes the general path: a full orjson parse, as jsonb will parse the payload.
        decode = spec.decoder.decode if spec.decoder and not strict else None
        astuple = msgspec.structs.astuple
        for line_no, line in iter_lines(self.stream):
            if not line:
                continue
            vals = None
            if decode is not None:
                try:
                    vals = list(astuple(decode(line)))
                except msgspec.DecodeError as exc:  # includes ValidationError
                    if line.isspace():
                        continue
                    # Say why in our words; msgspec's own words if it is stricter than our checks.
                    _, _, reason = self._checked(line)
                    self._quarantine(line_no, reason or f"invalid: {exc}", line)
                    continue
            else:
                if line.isspace():
                    continue
                vals, obj, reason = self._checked(line)
                if reason is not None:
                    self._quarantine(line_no, reason, line)
                    continue
            if b"\\u0000" in line:  # PostgreSQL text and jsonb cannot hold NUL
                self._quarantine(line_no, "contains \\u0000, which PostgreSQL cannot store", line)
                continue
            if strict:
                reason = _value_error(spec, vals)
                if reason is not None:
                    self._quarantine(line_no, reason, line)
                    continue
            vals.append(line.decode() if spec.payload_is_line else orjson.dumps(obj["payload"]).decode())
            vals.append(line_no)
            vals.extend(extra)
            yield vals
