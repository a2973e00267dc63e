output "function_app_name" {
  description = "The function app; its Application Insights traces hold every decision with its reason."
  value       = local.function_app_name
}

output "ledger_url" {
  description = "Where the ledger and run state are written."
  value       = local.app_settings.OFFHOURS_LEDGER
}

output "principal_id" {
  description = "Object id of the function's managed identity (holds the offhours custom role)."
  value       = local.principal_id
}

output "application_insights_name" {
  description = "Where to read the logs."
  value       = azurerm_application_insights.offhours.name
}

output "resource_group_name" {
  description = "Resource group holding every offhours resource."
  value       = azurerm_resource_group.offhours.name
}
