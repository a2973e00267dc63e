output "ledger_url" {
  description = "Where the ledger and run state are written."
  value       = local.ledger_url
}

output "ledger_bucket" {
  description = "Name of the ledger bucket (created or existing)."
  value       = local.bucket_name
}

output "scheduler_function_name" {
  description = "The scheduler function; invoke it by hand with {\"scheduled_time\": \"2026-11-30T08:00:00Z\"}."
  value       = aws_lambda_function.scheduler.function_name
}

output "scheduler_log_group" {
  description = "Every decision the scheduler makes, with its reason."
  value       = aws_cloudwatch_log_group.scheduler.name
}

output "scheduler_role_arn" {
  description = "Pass to infra/aws/member-role.yaml (SchedulerRoleArn) in each member account."
  value       = aws_iam_role.scheduler.arn
}

output "failure_queue_url" {
  description = "Runs that failed after retries land here."
  value       = aws_sqs_queue.failures.url
}

output "digest_function_name" {
  description = "The digest function, when sender_email is set."
  value       = one(aws_lambda_function.digest[*].function_name)
}

output "state_machine_arn" {
  description = "The fan-out state machine, when enable_step_functions is true."
  value       = one(aws_sfn_state_machine.run[*].arn)
}
