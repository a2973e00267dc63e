# Dry-run offhours in one account and region. Build the artefact first:
#   python infra/package.py aws        (writes dist/offhours-aws.zip and -digest.zip)
# then: terraform init && terraform apply

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region to deploy offhours into (and, by default, the only region it schedules)."
  type        = string
  default     = "eu-west-1"
}

module "offhours" {
  source = "../.."

  package_path        = "${path.module}/../../../../../dist/offhours-aws.zip"
  digest_package_path = "${path.module}/../../../../../dist/offhours-aws-digest.zip"
  default_timezone    = "Europe/London"
  dry_run             = true
  tags                = { project = "offhours" }
}

output "ledger_url" {
  description = "Where the ledger is written."
  value       = module.offhours.ledger_url
}

output "scheduler_log_group" {
  description = "Read the first plan here."
  value       = module.offhours.scheduler_log_group
}
