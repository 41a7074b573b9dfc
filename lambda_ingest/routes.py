"""The Lambda's routes (API Gateway HTTP API, payload v2): the same core as the local server, one
durable PutObject per kind before the answer, CloudWatch EMF metrics per request."""

from __future__ import annotations

from datetime import datetime, timezone

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from contract import layout
from lambda_ingest.auth import CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS
from lambda_ingest.pipeline import Collector, IngestRequest, IngestResult
from lambda_ingest.sink import RawObject, RawSink


def register(app: APIGatewayHttpResolver, collector: Collector, sink: RawSink, logger: Logger, metrics: Metrics) -> None:
    def cors_headers(origin: str | None) -> dict[str, str]:
        if origin is None or not collector.origins.allows(origin):
            return {"Vary": "Origin"}
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": CORS_EXPOSE_HEADERS, "Vary": "Origin"}

    @app.route("/v1/events", method="OPTIONS")
    def preflight() -> Response:
        origin = app.current_event.headers.get("origin")
        metrics.add_metric(name="Preflights", unit=MetricUnit.Count, value=1)
        if origin is not None and not collector.origins.allows(origin):
            return Response(403, "application/json", '{"error":"origin_not_allowed","message":"origin not allowed"}')
        return Response(204, None, "", {**cors_headers(origin), "Access-Control-Allow-Methods": "POST, OPTIONS",
                                         "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS, "Access-Control-Max-Age": "600"})

    @app.post("/v1/events")
    def post_events() -> Response:
        event = app.current_event
        headers = {k.lower(): v for k, v in (event.headers or {}).items()}
        request = IngestRequest(
            body=event.body or "",
            headers=headers,
            received_at=datetime.now(timezone.utc),
            request_id=event.request_context.request_id,
            query=event.query_string_parameters or {},
            is_base64=event.is_base64_encoded,
        )
        result = collector.handle(request)
        if result.needs_storage:
            result = store(result)
        elif result.status == 202:
            collector.committed(result)
        emit_metrics(result)
        logger.info("events collected" if result.status == 202 else "request refused", extra={
            "status": result.status, "accepted": result.body.get("accepted"), "reason": result.body.get("error"),
            "rejected": len(result.rejected_lines), "bytes": result.body_bytes})
        return Response(result.status, "application/json", result.response_bytes().decode(),
                        {**result.headers, **cors_headers(headers.get("origin")), "X-Request-Id": request.request_id})

    def store(result: IngestResult) -> IngestResult:
        objects = [RawObject(layout.EVENTS, result.received_at, result.event_lines),
                   RawObject(layout.REJECTED, result.received_at, result.rejected_lines)]
        try:
            sink.write_objects(objects)
        except Exception as exc:  # noqa: BLE001 - nothing is acknowledged; the client retries
            logger.exception("raw store write failed")
            return collector.storage_failed(result, exc)
        collector.committed(result)
        return result

    def emit_metrics(result: IngestResult) -> None:
        if result.status == 202:
            metrics.add_metric(name="AcceptedEvents", unit=MetricUnit.Count, value=len(result.event_ids))
            metrics.add_metric(name="DuplicateEvents", unit=MetricUnit.Count, value=result.body["duplicates"])
            metrics.add_metric(name="BodyBytes", unit=MetricUnit.Bytes, value=result.body_bytes)
        for reason in sorted(set(result.rejected_reasons)):
            with single_metric(name="RejectedEvents", unit=MetricUnit.Count, namespace=metrics.namespace,
                               value=result.rejected_reasons.count(reason)) as metric:
                metric.add_dimension(name="reason", value=reason)
        if result.status != 202:
            metrics.add_metric(name="RefusedRequests", unit=MetricUnit.Count, value=1)
            with single_metric(name="RefusedRequestsByReason", unit=MetricUnit.Count, namespace=metrics.namespace, value=1) as metric:
                metric.add_dimension(name="reason", value=str(result.body.get("error")))
