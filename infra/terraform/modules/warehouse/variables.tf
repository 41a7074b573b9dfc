variable "name" {
  description = "Identifier of the RDS instance and its companions (e.g. myshop-clickstream)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the warehouse."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two AZs) for the DB subnet group."
  type        = list(string)
}

variable "allowed_security_group_ids" {
  description = "Security groups allowed to reach PostgreSQL (hourly job, dashboards)."
  type        = list(string)
  default     = []
}

variable "instance_class" {
  description = "RDS instance class; a t4g.small carries a small shop's hourly batches."
  type        = string
  default     = "db.t4g.small"
}

variable "storage_gb" {
  description = "Initial gp3 storage."
  type        = number
  default     = 50
}

variable "max_storage_gb" {
  description = "Storage autoscaling ceiling."
  type        = number
  default     = 200
}

variable "multi_az" {
  description = "Standby in a second AZ (doubles the instance cost)."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery)."
  type        = number
  default     = 7
}
