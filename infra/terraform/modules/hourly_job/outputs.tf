output "security_group_id" {
  description = "Security group of the task (allow it on the warehouse)."
  value       = aws_security_group.this.id
}

output "log_group_name" {
  description = "Log group of the job's JSON logs (for metric filters and alarms)."
  value       = aws_cloudwatch_log_group.this.name
}

output "cluster_name" {
  description = "ECS cluster running the job."
  value       = aws_ecs_cluster.this.name
}

output "task_role_arn" {
  description = "Role of the running job."
  value       = aws_iam_role.task.arn
}
