# Alarms from the proposal's "Observability & alerting": API 5xx, ingest Lambda errors and throttles,
# failed hourly runs, and warehouse freshness, all to one encrypted SNS topic.

resource "aws_kms_key" "this" {
  #checkov:skip=CKV2_AWS_64:the default key policy (account root) applies; principals get the key through scoped IAM policies
  description         = "clickstream alarms topic (${var.name})"
  enable_key_rotation = true
}

resource "aws_sns_topic" "this" {
  name              = var.name
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  # Any non-zero count of these in five minutes is worth a page.
  ingest_alarms = {
    ingest-5xx = {
      description = "POST /v1/events answered 5xx: acknowledged events may be at risk."
      namespace   = "AWS/ApiGateway"
      metric      = "5xx"
      dimensions  = { ApiId = var.api_id }
    }
    ingest-errors = {
      description = "The ingest Lambda failed invocations."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = var.ingest_function_name }
    }
    ingest-throttles = {
      description = "The ingest Lambda was throttled: raise reserved concurrency or the stage limits."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = { FunctionName = var.ingest_function_name }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "ingest" {
  for_each            = local.ingest_alarms
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
}

# The hourly job logs one JSON line per run with its status; failed or partial runs become a metric.
resource "aws_cloudwatch_log_metric_filter" "hourly_failed" {
  name           = "${var.name}-hourly-failed"
  log_group_name = var.hourly_log_group_name
  pattern        = "{ ($.status = \"failed\") || ($.status = \"partial\") }"

  metric_transformation {
    name      = "HourlyRunsFailed"
    namespace = "Clickstream"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "hourly_failed" {
  alarm_name          = "${var.name}-hourly-failed"
  alarm_description   = "A clickstream-hourly run failed or was partial (see ops.load_runs and the job's logs)."
  namespace           = "Clickstream"
  metric_name         = "HourlyRunsFailed"
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]
}

# No successful run for two hours: the warehouse is going stale (freshness SLO).
resource "aws_cloudwatch_log_metric_filter" "hourly_succeeded" {
  name           = "${var.name}-hourly-succeeded"
  log_group_name = var.hourly_log_group_name
  pattern        = "{ $.status = \"succeeded\" }"

  metric_transformation {
    name      = "HourlyRunsSucceeded"
    namespace = "Clickstream"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "stale_warehouse" {
  alarm_name          = "${var.name}-warehouse-stale"
  alarm_description   = "No successful hourly run in the last two hours."
  namespace           = "Clickstream"
  metric_name         = "HourlyRunsSucceeded"
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.this.arn]
}
