output "address" {
  description = "Host name of the PostgreSQL endpoint (PGHOST)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "PostgreSQL port (PGPORT)."
  value       = aws_db_instance.this.port
}

output "database" {
  description = "Database name (PGDATABASE)."
  value       = aws_db_instance.this.db_name
}

output "master_secret_arn" {
  description = "Secrets Manager secret holding the master credentials (for the one-time role setup)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.this.id
}
