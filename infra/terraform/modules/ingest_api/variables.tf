variable "name" {
  description = "Name of the Lambda function and HTTP API (e.g. myshop-clickstream-ingest)."
  type        = string
}

variable "package_path" {
  description = "Path of the Lambda deployment zip (this repo's lambda_ingest + contract + dependencies, built for arm64)."
  type        = string
}

variable "raw_bucket_name" {
  description = "Name of the raw bucket (raw_bucket module)."
  type        = string
}

variable "raw_bucket_arn" {
  description = "ARN of the raw bucket (raw_bucket module)."
  type        = string
}

variable "raw_kms_key_arn" {
  description = "KMS key of the raw bucket (raw_bucket module)."
  type        = string
}

variable "raw_prefix" {
  description = "Prefix under the bucket for this site's raw store, ending in / (empty for the bucket root)."
  type        = string
  default     = ""
}

variable "write_keys" {
  description = "Per-site write keys accepted in X-Write-Key (anonymous traffic)."
  type        = list(string)
  sensitive   = true
}

variable "allowed_origins" {
  description = "Origins allowed by CORS (the shop's site), e.g. [\"https://shop.example.com\"]."
  type        = list(string)
}

variable "jwks_url" {
  description = "JWKS URL of the Cognito user pool whose ID tokens set user_id; null disables JWT verification."
  type        = string
  default     = null
}

variable "jwt_issuer" {
  description = "Expected iss claim of bearer tokens (the Cognito user pool URL)."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "Expected aud claim of bearer tokens (the Cognito app client id)."
  type        = string
  default     = null
}

variable "pii_hmac_key" {
  description = "Secret for keyed hashing of personal data found in events (emails, phones)."
  type        = string
  sensitive   = true
}

variable "memory_mb" {
  description = "Lambda memory; 256 MB is plenty and keeps the cost per million events low."
  type        = number
  default     = 256
}

variable "reserved_concurrency" {
  description = "Upper bound of concurrent ingest invocations (protects the account and the bill)."
  type        = number
  default     = 50
}

variable "throttle_rate" {
  description = "Steady-state requests per second allowed by the API stage."
  type        = number
  default     = 500
}

variable "throttle_burst" {
  description = "Burst of requests allowed by the API stage."
  type        = number
  default     = 1000
}

variable "log_retention_days" {
  description = "Retention of the Lambda and API access logs."
  type        = number
  default     = 365
}
