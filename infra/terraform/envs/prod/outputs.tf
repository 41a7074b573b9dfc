output "ingest_endpoint" {
  description = "Base URL for the SDK's endpoint option (append /v1/events)."
  value       = module.ingest_api.endpoint
}

output "raw_uri" {
  description = "CLICKSTREAM_RAW_URI of this deployment."
  value       = "s3://${module.raw_bucket.bucket_name}"
}

output "warehouse_host" {
  description = "PGHOST of the warehouse."
  value       = module.warehouse.address
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.alarms.topic_arn
}
