variable "region" {
  description = "AWS region of the deployment."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource name (e.g. myshop-clickstream)."
  type        = string
}

variable "access_log_bucket" {
  description = "Existing bucket for S3 access logs of the raw bucket; null disables them."
  type        = string
  default     = null
}

variable "ingest_package_path" {
  description = "Path of the ingest Lambda zip."
  type        = string
}

variable "write_keys" {
  description = "Write keys the shop's SDK sends in X-Write-Key."
  type        = list(string)
  sensitive   = true
}

variable "allowed_origins" {
  description = "The shop's origins (CORS allowlist)."
  type        = list(string)
}

variable "cognito_jwks_url" {
  description = "JWKS URL of the shop's Cognito user pool; null when shoppers never log in."
  type        = string
  default     = null
}

variable "cognito_issuer" {
  description = "Issuer URL of the Cognito user pool."
  type        = string
  default     = null
}

variable "cognito_client_id" {
  description = "Cognito app client id (the tokens' audience)."
  type        = string
  default     = null
}

variable "pii_hmac_key" {
  description = "Secret for keyed hashing of personal data found in events."
  type        = string
  sensitive   = true
}

variable "image" {
  description = "Container image with clickstream installed, for the hourly job."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ECR repository of image."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the warehouse and the hourly job."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of that VPC."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in at least two AZs."
  type        = list(string)
}

variable "dashboard_security_group_ids" {
  description = "Security groups of the dashboard hosts allowed to reach PostgreSQL."
  type        = list(string)
  default     = []
}

variable "hourly_db_user" {
  description = "PostgreSQL login of the hourly job (member of clickstream_loader and clickstream_transform)."
  type        = string
  default     = "clickstream_hourly"
}

variable "hourly_db_password_parameter_arn" {
  description = "SSM SecureString parameter with that login's password."
  type        = string
}

variable "alarm_emails" {
  description = "Who gets the alarms."
  type        = list(string)
  default     = []
}
