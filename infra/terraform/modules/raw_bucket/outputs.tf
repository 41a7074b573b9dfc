output "bucket_name" {
  description = "Name of the raw bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the raw bucket."
  value       = aws_s3_bucket.this.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the raw objects (writers and readers need kms:GenerateDataKey / kms:Decrypt)."
  value       = aws_kms_key.this.arn
}
