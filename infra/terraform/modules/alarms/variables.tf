variable "name" {
  description = "Prefix of the topic and alarm names."
  type        = string
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic."
  type        = list(string)
  default     = []
}

variable "api_id" {
  description = "Id of the ingest HTTP API."
  type        = string
}

variable "ingest_function_name" {
  description = "Name of the ingest Lambda."
  type        = string
}

variable "hourly_log_group_name" {
  description = "Log group of the hourly job."
  type        = string
}
