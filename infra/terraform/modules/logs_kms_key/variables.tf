variable "description" {
  description = "What the key encrypts (shown in the KMS console)."
  type        = string
}
