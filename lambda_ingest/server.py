"""The local collector: an ASGI app (served by uvicorn) running the same core as the Lambda handler.

POST /v1/events is a plain ASGI endpoint (it is the hot path); /healthz, /metrics and /openapi.json are
Starlette routes. CORS: allowed origins get Access-Control-Allow-Origin and a working preflight.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sys
import uuid
from datetime import datetime, timezone

import orjson
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from lambda_ingest.auth import CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS
from lambda_ingest.errors import IngestError
from lambda_ingest.openapi import openapi_document
from lambda_ingest.pipeline import Collector, IngestRequest, IngestResult, safe_request_id
from lambda_ingest.settings import Settings
from lambda_ingest.sink import GroupCommitSink, RawSink

logger = logging.getLogger("lambda_ingest.server")

EVENTS_PATH = "/v1/events"


class EventsEndpoint:
    """ASGI endpoint for /v1/events: read the body, run the core, wait for the durable write, answer."""

    def __init__(self, collector: Collector, sink: GroupCommitSink):
        self.collector = collector
        self.sink = sink
        # Read a little more than the limit so "too large" can be told apart; base64 bodies are 4/3 larger.
        self.max_read = collector.settings.max_body_bytes * 4 // 3 + 1024
        # Request ids: a random per-process prefix and a counter (unique, and cheaper than uuid4 per request).
        self._id_prefix = uuid.uuid4().hex[:12]
        self._requests = itertools.count(1)

    async def __call__(self, scope, receive, send) -> None:
        received_at = datetime.now(timezone.utc)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        client_request_id = headers.get("x-request-id")
        request_id = f"{self._id_prefix}-{next(self._requests):x}"
        if client_request_id:
            request_id = safe_request_id(client_request_id, request_id)
        origin = headers.get("origin")
        cors = self._cors_headers(origin) if origin is not None else _VARY_ORIGIN
        method = scope["method"]
        if method == "OPTIONS":
            await self._preflight(send, origin, cors)
            return
        if method != "POST":
            await _send(send, 405, orjson.dumps({"error": "method_not_allowed", "message": "use POST", "request_id": request_id}),
                        [(b"allow", b"POST, OPTIONS"), *cors])
            return
        sink = self.sink
        sink.busy_requests += 1
        try:
            # Read the whole body, then run the core (inline here: one coroutine less per request).
            try:
                body = await self._read_body(receive, headers)
            except IngestError as exc:
                self.collector.metrics.requests[exc.status] += 1
                result = IngestResult(exc.status, exc.body(request_id), dict(exc.headers), received_at)
            else:
                query_string = scope.get("query_string")
                encoding = headers.get("content-transfer-encoding")
                result = self.collector.handle(IngestRequest(
                    body, headers, received_at, request_id, _query(query_string) if query_string else {},
                    encoding is not None and encoding.strip().lower() == "base64"))
        finally:
            sink.busy_requests -= 1
        if result.needs_storage:
            try:
                await sink.store(result.event_lines, result.rejected_lines, received_at)
            except Exception as exc:  # noqa: BLE001 - the raw store failed: nothing is acknowledged
                logger.error("raw store write failed", extra={"request_id": request_id, "error": repr(exc)})
                result = self.collector.storage_failed(result, exc)
            else:
                self.collector.committed(result)
        else:
            if result.status == 202:
                self.collector.committed(result)
            sink.poke()
        if result.status >= 400:
            logger.info("request refused", extra={"request_id": request_id, "status": result.status,
                                                  "reason": result.body.get("error")})
        headers_out = [(b"x-request-id", request_id.encode()), *cors]
        if result.headers:
            headers_out += [(k.lower().encode(), v.encode()) for k, v in result.headers.items()]
        await _send(send, result.status, result.response_bytes(), headers_out)

    async def _read_body(self, receive, headers) -> bytes:
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_read:
            raise IngestError(413, "body_too_large", f"the body is larger than {self.collector.settings.max_body_bytes} bytes")
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body", False):  # the whole body at once
            body = message.get("body", b"")
            if len(body) > self.max_read:
                raise IngestError(413, "body_too_large", f"the body is larger than {self.collector.settings.max_body_bytes} bytes")
            return body
        chunks, size = [], 0
        while True:
            if message["type"] == "http.disconnect":
                raise IngestError(400, "client_disconnected", "the client went away before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_read:
                raise IngestError(413, "body_too_large", f"the body is larger than {self.collector.settings.max_body_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
            message = await receive()

    def _cors_headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        if origin is None or not self.collector.origins.allows(origin):
            return _VARY_ORIGIN
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-expose-headers", CORS_EXPOSE_HEADERS.encode()),
            (b"vary", b"Origin"),
        ]

    async def _preflight(self, send, origin: str | None, cors) -> None:
        if origin is not None and not self.collector.origins.allows(origin):
            body = orjson.dumps({"error": "origin_not_allowed", "message": "this origin is not in CLICKSTREAM_ALLOWED_ORIGINS"})
            await _send(send, 403, body, cors)
            return
        await _send(send, 204, b"", [
            *cors,
            (b"access-control-allow-methods", b"POST, OPTIONS"),
            (b"access-control-allow-headers", CORS_ALLOW_HEADERS.encode()),
            (b"access-control-max-age", b"600"),
        ], content_type=None)


_VARY_ORIGIN = ((b"vary", b"Origin"),)  # the CORS headers of a request without an allowed Origin (shared, read-only)


async def _send(send, status: int, body: bytes, headers: list[tuple[bytes, bytes]], content_type: bytes | None = b"application/json") -> None:
    all_headers = [(b"content-length", b"%d" % len(body)), *headers]
    if content_type:
        all_headers.append((b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


def _query(raw: bytes) -> dict[str, str]:
    if not raw:
        return {}
    from urllib.parse import parse_qsl

    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


def create_app(settings: Settings | None = None) -> "CollectorApp":
    return CollectorApp(settings or Settings.from_env())


class CollectorApp:
    """The ASGI app: /v1/events straight to EventsEndpoint, everything else (and lifespan) to Starlette."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.collector = Collector(settings)
        metrics = self.collector.metrics

        def on_flush(seconds: float) -> None:
            metrics.record_flush(seconds, self.sink.writer.objects_written, self.sink.writer.bytes_written)

        self.raw_sink = RawSink(settings.raw_uri)
        self.sink = GroupCommitSink(self.raw_sink, settings.flush_interval_ms / 1000, settings.flush_max_bytes, on_flush,
                                    max_in_flight=settings.flush_concurrency)
        self.events = EventsEndpoint(self.collector, self.sink)

        async def healthz(request):
            return JSONResponse({"status": "ok", "raw_uri": self.raw_sink.root,
                                 "write_keys_required": self.collector.write_keys.required})

        async def metrics_text(request):
            return PlainTextResponse(metrics.prometheus(), media_type="text/plain; version=0.0.4")

        async def openapi(request):
            return Response(orjson.dumps(openapi_document()), media_type="application/json")

        @contextlib.asynccontextmanager
        async def lifespan(app):
            # The flush threads take the GIL back after each syscall (open, write, fsync, rename ...). With
            # Python's default 5 ms switch interval a busy event loop made each take wait up to 5 ms: a
            # 10 ms fsync became a ~45 ms flush (p50, measured). 0.5 ms keeps flushes near the disk's speed.
            sys.setswitchinterval(0.0005)
            for warning in settings.warnings():
                logger.warning(warning)
            swept = await asyncio.to_thread(self.raw_sink.sweep_temp_files, datetime.now(timezone.utc))
            if swept:
                logger.info("removed temp files of unacknowledged writes", extra={"files": swept})
            recovered = await asyncio.to_thread(self.sink.recover)
            if recovered:
                logger.info("sealed the open segments a collector that stopped left", extra={"objects": recovered})
            logger.info("collector ready", extra={"raw_uri": self.raw_sink.root})
            yield
            await self.sink.close()

        self.starlette = Starlette(
            routes=[
                Route("/healthz", healthz, methods=["GET"]),
                Route("/metrics", metrics_text, methods=["GET"]),
                Route("/openapi.json", openapi, methods=["GET"]),
            ],
            lifespan=lifespan,
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == EVENTS_PATH:
            await self.events(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)
