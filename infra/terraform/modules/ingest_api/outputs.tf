output "endpoint" {
  description = "URL the SDK posts to (append /v1/events)."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_id" {
  description = "Id of the HTTP API (for alarms)."
  value       = aws_apigatewayv2_api.this.id
}

output "function_name" {
  description = "Name of the ingest Lambda (for alarms)."
  value       = aws_lambda_function.this.function_name
}

output "role_arn" {
  description = "ARN of the ingest Lambda's role."
  value       = aws_iam_role.this.arn
}
