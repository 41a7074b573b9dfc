# POST /v1/events: API Gateway HTTP API (payload v2) -> the ingest Lambda (lambda_ingest.handler).
# The Lambda may only PutObject under events/ and rejected/ of the raw bucket and write its own logs.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  log_group_arn = "arn:aws:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${var.name}"
}

module "key" {
  source      = "../logs_kms_key"
  description = "clickstream ingest (${var.name}): Lambda environment and log groups"
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

data "aws_iam_policy_document" "lambda" {
  statement {
    sid     = "WriteRawObjects"
    actions = ["s3:PutObject"]
    resources = [
      "${var.raw_bucket_arn}/${var.raw_prefix}events/*",
      "${var.raw_bucket_arn}/${var.raw_prefix}rejected/*",
    ]
  }
  statement {
    sid       = "EncryptRawObjects"
    actions   = ["kms:GenerateDataKey"]
    resources = [var.raw_kms_key_arn]
  }
  statement {
    sid       = "DecryptEnvironment"
    actions   = ["kms:Decrypt"]
    resources = [module.key.arn]
  }
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray has no resource-level permissions
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-lambda"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.lambda.json
}

resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.arn
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:invoked synchronously by API Gateway; a DLQ only serves async invocations (rejected events go to the rejected/ prefix)
  #checkov:skip=CKV_AWS_117:reaches only S3 and needs no VPC; a VPC would add a NAT gateway to a two-dollar bill
  #checkov:skip=CKV_AWS_272:code signing is left to the deployer's pipeline (add aws_lambda_code_signing_config there)
  function_name                  = var.name
  role                           = aws_iam_role.this.arn
  runtime                        = "python3.11"
  architectures                  = ["arm64"]
  handler                        = "lambda_ingest.handler.lambda_handler"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  memory_size                    = var.memory_mb
  timeout                        = 10
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = module.key.arn

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = {
      CLICKSTREAM_RAW_URI         = "s3://${var.raw_bucket_name}/${trimsuffix(var.raw_prefix, "/")}"
      CLICKSTREAM_WRITE_KEYS      = join(",", var.write_keys)
      CLICKSTREAM_ALLOWED_ORIGINS = join(",", var.allowed_origins)
      CLICKSTREAM_JWKS_URL        = var.jwks_url == null ? "" : var.jwks_url
      CLICKSTREAM_JWT_ISSUER      = var.jwt_issuer == null ? "" : var.jwt_issuer
      CLICKSTREAM_JWT_AUDIENCE    = var.jwt_audience == null ? "" : var.jwt_audience
      CLICKSTREAM_PII_HMAC_KEY    = var.pii_hmac_key
      POWERTOOLS_SERVICE_NAME     = "clickstream-ingest"
      POWERTOOLS_METRICS_NAMESPACE = "Clickstream"
    }
  }

  depends_on = [aws_cloudwatch_log_group.lambda]
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins = var.allowed_origins
    allow_methods = ["POST", "OPTIONS"]
    allow_headers = ["content-type", "x-write-key", "authorization"]
    max_age       = 3600
  }
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.this.invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "events" {
  #checkov:skip=CKV_AWS_309:anonymous shoppers have no token; the Lambda checks the write key and verifies Cognito JWTs itself
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = "POST /v1/events"
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
  authorization_type = "NONE" # the Lambda checks the write key and, when present, the Cognito JWT
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = module.key.arn
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttle_burst
    throttling_rate_limit  = var.throttle_rate
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    # No source IP: the product never stores IP addresses.
    format = jsonencode({
      requestId = "$context.requestId"
      time      = "$context.requestTime"
      route     = "$context.routeKey"
      status    = "$context.status"
      latencyMs = "$context.responseLatency"
      bytes     = "$context.responseLength"
    })
  }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*/v1/events"
}
