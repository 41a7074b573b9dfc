output "arn" {
  description = "ARN of the key (kms_key_id of log groups, kms_key_arn of a Lambda)."
  value       = aws_kms_key.this.arn
}
