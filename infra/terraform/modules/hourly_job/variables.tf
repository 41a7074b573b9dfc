variable "name" {
  description = "Name of the cluster, task family, schedule and roles (e.g. myshop-clickstream-hourly)."
  type        = string
}

variable "image" {
  description = "Container image with this repo installed (runs clickstream-hourly)."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository holding image."
  type        = string
}

variable "schedule_expression" {
  description = "When to run: five minutes past every hour, once the previous hour's partition is final."
  type        = string
  default     = "cron(5 * * * ? *)"
}

variable "lookback_hours" {
  description = "How far back each run lists partitions for late objects (clickstream-hourly --since)."
  type        = number
  default     = 3
}

variable "cpu" {
  description = "Fargate CPU units."
  type        = number
  default     = 512
}

variable "memory_mb" {
  description = "Fargate memory; the loader streams objects and stays under 300 MB."
  type        = number
  default     = 1024
}

variable "vpc_id" {
  description = "VPC the task runs in."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC (HTTPS egress to VPC endpoints / NAT)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the task."
  type        = list(string)
}

variable "warehouse_security_group_id" {
  description = "Security group of the warehouse (egress target on 5432)."
  type        = string
}

variable "raw_bucket_name" {
  description = "Name of the raw bucket."
  type        = string
}

variable "raw_bucket_arn" {
  description = "ARN of the raw bucket."
  type        = string
}

variable "raw_kms_key_arn" {
  description = "KMS key of the raw bucket."
  type        = string
}

variable "raw_prefix" {
  description = "Prefix of this site's raw store in the bucket, ending in / (empty for the root)."
  type        = string
  default     = ""
}

variable "db_host" {
  description = "PostgreSQL host (PGHOST)."
  type        = string
}

variable "db_port" {
  description = "PostgreSQL port (PGPORT)."
  type        = number
  default     = 5432
}

variable "db_name" {
  description = "PostgreSQL database (PGDATABASE)."
  type        = string
  default     = "clickstream"
}

variable "db_user" {
  description = "Login user of the job, a member of clickstream_loader and clickstream_transform."
  type        = string
}

variable "db_password_parameter_arn" {
  description = "ARN of the SSM SecureString parameter holding db_user's password."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the job's logs."
  type        = number
  default     = 365
}
