# Dry-run offhours for the current subscription. Build the artefact first:
#   python infra/package.py azure      (writes dist/offhours-azure.zip)
# then: az login && terraform init && terraform apply

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 4.21.0, < 5.0.0"
    }
  }
}

provider "azurerm" {
  features {}
}

module "offhours" {
  source = "../.."

  package_path     = "${path.module}/../../../../../dist/offhours-azure.zip"
  default_timezone = "Europe/London"
  dry_run          = true
  tags             = { project = "offhours" }
}

output "function_app_name" {
  description = "Read the first plan in this app's Application Insights traces."
  value       = module.offhours.function_app_name
}

output "ledger_url" {
  description = "Where the ledger is written."
  value       = module.offhours.ledger_url
}
