output "ledger_url" {
  description = "Where the ledger and run state are written."
  value       = "gs://${local.bucket_name}/offhours"
}

output "function_name" {
  description = "The Cloud Function; its logs hold every decision with its reason."
  value       = google_cloudfunctions2_function.offhours.name
}

output "service_account_email" {
  description = "Identity the function runs as (holds the offhours custom role)."
  value       = google_service_account.offhours.email
}

output "topic" {
  description = "Publish any message (e.g. {}) here to run once by hand."
  value       = google_pubsub_topic.run.id
}
