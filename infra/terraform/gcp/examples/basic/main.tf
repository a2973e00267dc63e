# Dry-run offhours for one project. Build the artefact first:
#   python infra/package.py gcp        (writes dist/offhours-gcp.zip)
# then: terraform init && terraform apply -var project_id=my-project

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0.0, < 8.0.0"
    }
  }
}

variable "project_id" {
  description = "Project to deploy offhours into and schedule."
  type        = string
}

provider "google" {
  project = var.project_id
  region  = "europe-west1"
}

module "offhours" {
  source = "../.."

  project_id       = var.project_id
  package_path     = "${path.module}/../../../../../dist/offhours-gcp.zip"
  default_timezone = "Europe/London"
  dry_run          = true
}

output "ledger_url" {
  description = "Where the ledger is written."
  value       = module.offhours.ledger_url
}

output "function_name" {
  description = "Read the first plan in this function's logs."
  value       = module.offhours.function_name
}
