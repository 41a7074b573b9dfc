variable "name" {
  description = "Bucket name, globally unique (e.g. myshop-clickstream-raw)."
  type        = string
}

variable "access_log_bucket" {
  description = "Bucket that receives S3 server access logs; null disables access logging."
  type        = string
  default     = null
}

variable "infrequent_access_after_days" {
  description = "Days after which raw objects move to STANDARD_IA (the loader only re-reads the last few hours)."
  type        = number
  default     = 30
}

variable "glacier_after_days" {
  description = "Days after which raw objects move to Glacier Instant Retrieval."
  type        = number
  default     = 365
}

variable "expire_after_days" {
  description = "Days after which raw objects are deleted (the warehouse keeps the loaded rows)."
  type        = number
  default     = 730
}
