"""AWS Lambda entry point for POST /v1/events behind an API Gateway HTTP API (payload v2).

Configuration comes from the environment Terraform sets (see README.md). Module level = once per
container: the compiled validator, the dedupe cache and the S3 client are reused across invocations.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths

from lambda_ingest import routes
from lambda_ingest.metrics import NAMESPACE
from lambda_ingest.pipeline import Collector
from lambda_ingest.settings import Settings
from lambda_ingest.sink import RawSink

settings = Settings.from_env()
logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "clickstream-ingest"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE))
app = APIGatewayHttpResolver()
routes.register(app, Collector(settings), RawSink(settings.raw_uri), logger, metrics)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
