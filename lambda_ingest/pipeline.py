"""The processing core shared by the Lambda handler and the local server.

    auth -> decode body (base64 / gzip / limits) -> envelope -> per event: validate -> dedupe -> PII scrub
    -> enrich -> NDJSON lines for the sink

`Collector.handle()` never raises for anything a client sent: it returns an IngestResult with the
status and body to answer. The caller writes `result.event_lines` / `result.rejected_lines` durably,
then calls `committed(result)` (or `storage_failed(result)`) before answering.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping

import orjson

from lambda_ingest.auth import OriginPolicy, RateLimiter, TokenVerifier, WriteKeys
from lambda_ingest.dedupe import RecentIds
from lambda_ingest.enrich import RequestContext, collect, format_timestamp, user_agent_info
from lambda_ingest.errors import IngestError
from lambda_ingest.metrics import IngestMetrics
from lambda_ingest.pii import Scrubber
from lambda_ingest.settings import Settings
from lambda_ingest.validate import BAD_TIMESTAMP, COLLECTOR_ERROR, EventRejected, EventValidator, parse_timestamp

logger = logging.getLogger("lambda_ingest.pipeline")
JSON_TYPES = {"", "application/json", "text/plain", "application/octet-stream"}
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_ENVELOPE_KEYS = frozenset({"events", "sent_at"})


@dataclass(slots=True)
class IngestRequest:
    body: bytes | str
    headers: Mapping[str, str]          # lower-case names
    received_at: datetime               # aware, UTC
    request_id: str
    query: Mapping[str, str] = field(default_factory=dict)
    is_base64: bool = False


@dataclass(slots=True)
class IngestResult:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    received_at: datetime | None = None
    event_lines: list[bytes] = field(default_factory=list)     # collected_event NDJSON lines
    rejected_lines: list[bytes] = field(default_factory=list)  # rejected_event NDJSON lines
    event_ids: list[str] = field(default_factory=list)
    rejected_reasons: list[str] = field(default_factory=list)
    body_bytes: int = 0

    @property
    def needs_storage(self) -> bool:
        return bool(self.event_lines or self.rejected_lines)

    def response_bytes(self) -> bytes:
        return orjson.dumps(self.body)


def safe_request_id(candidate: str | None, fallback: str) -> str:
    """A client-supplied correlation id only when it is short and plain."""
    return candidate if candidate and _REQUEST_ID_RE.match(candidate) else fallback


class Collector:
    def __init__(self, settings: Settings, metrics: IngestMetrics | None = None):
        self.settings = settings
        self.metrics = metrics or IngestMetrics()
        self.origins = OriginPolicy(settings.allowed_origins)
        self.write_keys = WriteKeys(settings.write_keys)
        self.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        self.tokens = TokenVerifier(settings)
        self.validator = EventValidator()
        self.scrubber = Scrubber(settings.pii_hmac_key)
        self.recent = RecentIds(settings.dedupe_ttl_seconds, settings.dedupe_max_ids)
        user_agent_info("Mozilla/5.0")  # load ua-parser's rules now, not in the first request

    # -- request level -------------------------------------------------------------------------------

    def authorize(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        """Origin, write key, rate limit, bearer token; returns the verified user id (token sub) if any."""
        self.origins.check(headers.get("origin"))
        key = self.write_keys.check(headers.get("x-write-key") or query.get("write_key"))
        self.rate_limiter.check(key)
        authorization = headers.get("authorization")
        return self.tokens.verify(authorization) if authorization else None

    def decode_body(self, body: bytes | str, headers: Mapping[str, str], is_base64: bool) -> bytes:
        limit = self.settings.max_body_bytes
        if isinstance(body, str):
            if is_base64:
                body = body.encode("ascii", "replace")
            else:
                body = body.encode("utf-8", "surrogatepass")
        if is_base64:
            if len(body) > limit * 4 // 3 + 8:
                raise IngestError(413, "body_too_large", f"the body is larger than {limit} bytes")
            try:
                body = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise IngestError(400, "bad_base64", "the body is flagged base64 but is not valid base64") from None
        refusal = _content_type_refusal(headers.get("content-type", ""))
        if refusal is not None:
            raise IngestError(415, "unsupported_media_type", refusal)
        encoding = headers.get("content-encoding")
        if encoding:
            encoding = encoding.strip().lower()
            if encoding in ("gzip", "x-gzip", "deflate"):
                body = _inflate(body, limit, wbits=(16 + zlib.MAX_WBITS) if encoding != "deflate" else zlib.MAX_WBITS)
            elif encoding not in ("", "identity"):
                raise IngestError(415, "unsupported_content_encoding", "Content-Encoding must be gzip, deflate or identity")
        if len(body) > limit:
            raise IngestError(413, "body_too_large", f"the body is larger than {limit} bytes")
        return body

    def parse_envelope(self, body: bytes) -> tuple[list[Any], str | None]:
        """The events of a batch envelope ({"events": [...], "sent_at": ...}) or of a single event object."""
        if not body or body.isspace():
            raise IngestError(400, "empty_body", "the body is empty: send {\"events\": [...]} or one event object")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise IngestError(400, "invalid_json", f"the body is not valid UTF-8 JSON: {exc}") from None
        if not isinstance(data, dict):
            raise IngestError(400, "not_an_object", "the body must be a JSON object: {\"events\": [...]} or one event")
        if "events" not in data:
            return [data], None
        events = data["events"]
        extra = set(data) - _ENVELOPE_KEYS if len(data) > 1 else ()
        if extra:
            raise IngestError(400, "invalid_envelope", f"unknown envelope fields: {', '.join(sorted(map(str, extra)))[:200]}")
        if not isinstance(events, list):
            raise IngestError(400, "invalid_envelope", "events must be an array")
        if not events:
            raise IngestError(400, "invalid_envelope", "events is empty")
        if len(events) > self.settings.max_batch_events:
            raise IngestError(413, "too_many_events", f"{len(events)} events in one batch; the limit is {self.settings.max_batch_events}")
        sent_at = data.get("sent_at")
        if sent_at is not None:
            try:
                if not isinstance(sent_at, str) or len(sent_at) > 40:
                    raise ValueError("not a string")
                parse_timestamp(sent_at)
            except ValueError:
                raise IngestError(400, "invalid_envelope", "sent_at must be an RFC 3339 timestamp") from None
        return events, sent_at

    def context(self, headers: Mapping[str, str], received_at: datetime, request_id: str,
                token_user_id: str | None, batch_sent_at: str | None) -> RequestContext:
        country = headers.get("cloudfront-viewer-country")
        if country:
            country = country.strip().upper()
            if not _COUNTRY_RE.match(country):
                country = None
        user_agent = headers.get("user-agent")
        # Positional arguments, in RequestContext's field order: a frozen dataclass built with keywords costs twice as much.
        return RequestContext(received_at, format_timestamp(received_at), request_id,
                              user_agent[:1024] if user_agent else None, country or None, token_user_id, batch_sent_at)

    def handle(self, request: IngestRequest) -> IngestResult:
        received_at = request.received_at
        try:
            token_user_id = self.authorize(request.headers, request.query)
            body = self.decode_body(request.body, request.headers, request.is_base64)
            self.metrics.bytes_received += len(body)
            events, batch_sent_at = self.parse_envelope(body)
        except IngestError as exc:
            self.metrics.requests[exc.status] += 1
            return IngestResult(exc.status, exc.body(request.request_id), dict(exc.headers), received_at)
        ctx = self.context(request.headers, received_at, request.request_id, token_user_id, batch_sent_at)
        result = self.process_events(events, ctx, body)
        result.body_bytes = len(body)
        return result

    # -- event level ---------------------------------------------------------------------------------

    def process_events(self, events: list[Any], ctx: RequestContext, body: bytes | None = None) -> IngestResult:
        """`body`, when given, is the request body the events were decoded from: the PII scrub skips its email tests on
        identifiers when the body holds nothing an email could be made of (no @, %40, %2540, nor a backslash escape)."""
        # The hot loop (every accepted event passes here): names bound once, the generated fast checks called inline.
        fast_checks, validate, recent, seen_at = self.validator.fast_checks, self.validator.validate, self.recent, self.recent.seen_at
        scrub, emails = self.scrubber.event, body is None or _body_may_hold_email(body)
        dumps, append_newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        received_text = ctx.received_text or format_timestamp(ctx.received_at)
        event_lines: list[bytes] = []
        event_ids: list[str] = []
        rejected_lines: list[bytes] = []
        rejected: list[dict] = []
        reasons: list[str] = []
        seen_here: set[str] = set()
        duplicates = 0
        index = -1
        for event in events:
            index += 1
            try:
                # validator.accepts(event), inlined: the type's generated check when there is one, else fastjsonschema
                # (which raises EventRejected); collect() parses ts / sent_at and raises ValueError if unusable.
                event_type = event.get("event_type") if type(event) is dict else None
                check = fast_checks.get(event_type) if type(event_type) is str else None
                if check is None or not check(event):
                    validate(event, False)
                event_id = event["event_id"]
                if event_id in seen_here or (seen_at(event_id) is not None and event_id in recent):
                    duplicates += 1
                    continue
                record = collect(scrub(event, emails), ctx)
            except EventRejected as exc:
                reason, error = exc.reason, exc.error
            except (ValueError, OverflowError) as exc:   # a timestamp that passes the regex but is no date
                reason, error = BAD_TIMESTAMP, f"data.ts or data.sent_at is not a valid RFC 3339 timestamp: {exc}"[:2048]
            except Exception as exc:  # noqa: BLE001 - a bug must not take the other events down (nor be lost)
                logger.exception("event processing failed", extra={"request_id": ctx.request_id, "event_index": index})
                reason, error = COLLECTOR_ERROR, f"the collector failed on this event: {type(exc).__name__}"
            else:
                seen_here.add(event_id)
                event_ids.append(event_id)
                event_lines.append(dumps(record, option=append_newline))
                continue
            raw_id = event.get("event_id") if isinstance(event, dict) else None
            event_id = self.scrubber.email_only(raw_id[:128]) if isinstance(raw_id, str) else None
            error = self.scrubber.text(error)[:2048]
            rejected.append({"index": index, "event_id": event_id, "reason": reason, "error": error})
            reasons.append(reason)
            rejected_lines.append(orjson.dumps({
                "received_at": received_text,
                "request_id": ctx.request_id,
                "reason": reason,
                "error": error,
                "event_index": index,
                "event_id": event_id,
                "payload": self._dead_letter_payload(event),
            }, option=orjson.OPT_APPEND_NEWLINE))
        body = {
            "request_id": ctx.request_id,
            "accepted": len(event_lines) + duplicates,
            "duplicates": duplicates,
            "rejected": rejected,
        }
        return IngestResult(202, body, {}, ctx.received_at, event_lines, rejected_lines, event_ids, reasons)

    def _dead_letter_payload(self, event: Any) -> Any:
        try:
            return self.scrubber.anything(event)
        except Exception:  # noqa: BLE001 - keep the reason line even if the payload cannot be kept safely
            logger.exception("cannot scrub a rejected payload; dropping the payload")
            return None

    def committed(self, result: IngestResult) -> None:
        """The result's lines are durably stored: remember its event_ids and count it."""
        self.recent.add_many(result.event_ids)
        m = self.metrics
        m.requests[result.status] += 1
        m.events_accepted += len(result.event_ids)
        m.events_duplicate += result.body.get("duplicates", 0) if result.status == 202 else 0
        if result.rejected_reasons:  # Counter.update is Python code even for an empty list
            m.events_rejected.update(result.rejected_reasons)

    def storage_failed(self, result: IngestResult, exc: BaseException) -> IngestResult:
        """Nothing was acknowledged: tell the client to retry (its event_ids are not marked as seen)."""
        self.metrics.requests[503] += 1
        self.metrics.flush_failures += 1
        return IngestResult(
            503,
            {"error": "storage_unavailable", "message": f"the raw store could not be written, retry: {type(exc).__name__}",
             "request_id": result.body.get("request_id")},
            {"Retry-After": "1"},
            result.received_at,
        )


@lru_cache(maxsize=256)  # senders use a handful of Content-Type values; a verdict per distinct string
def _content_type_refusal(content_type: str) -> str | None:
    """Why this Content-Type is refused (415), or None when the body is to be read as UTF-8 JSON."""
    media_type, _, params = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        return "send the body as application/json or text/plain (a JSON document)"
    charset = params.strip().lower()
    if charset.startswith("charset=") and charset[8:].strip('"') not in ("utf-8", "utf8"):
        return "the body must be UTF-8"
    return None


def _body_may_hold_email(body: bytes) -> bool:
    """False when no string decoded from this JSON body can hold an email as pii.EMAIL_RE finds them: it needs @, %40
    or %2540, and JSON can spell any character as a \\u escape. One-byte tests first (memchr: ~0.2 us for 12 KB; a
    search for a longer needle costs ~40x that), the longer ones only when a % is there."""
    return b"@" in body or b"\\" in body or (b"%" in body and (b"%40" in body or b"%2540" in body))


def _inflate(body: bytes, limit: int, wbits: int) -> bytes:
    """Decompress with a hard output cap (a 1 KB gzip bomb must not become 1 GB in memory)."""
    decompressor = zlib.decompressobj(wbits)
    try:
        out = decompressor.decompress(body, limit + 1)
    except zlib.error as exc:
        raise IngestError(400, "bad_compression", f"the body is not valid {'gzip' if wbits > 15 else 'deflate'}: {exc}") from None
    if len(out) > limit or decompressor.unconsumed_tail:
        raise IngestError(413, "body_too_large", f"the decompressed body is larger than {limit} bytes")
    if not decompressor.eof:
        raise IngestError(400, "bad_compression", "the compressed body is truncated")
    return out
