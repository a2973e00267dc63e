variable "name" {
  description = "Prefix for every resource name."
  type        = string
  default     = "offhours"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.name))
    error_message = "name: lowercase letters, digits and dashes, 2-16 characters, starting with a letter."
  }
}

variable "location" {
  description = "Azure region of the function app, its plan and the storage account."
  type        = string
  default     = "westeurope"
}

variable "resource_group_name" {
  description = "Resource group to create for offhours."
  type        = string
  default     = "offhours"
}

variable "package_path" {
  description = "The Azure function artefact built by `python infra/package.py azure` (dist/offhours-azure.zip)."
  type        = string
}

variable "package_url_start" {
  description = "Start of the read-only SAS the app reads its package through (WEBSITE_RUN_FROM_PACKAGE, plan consumption)."
  type        = string
  default     = "2026-01-01T00:00:00Z"
}

variable "package_url_expiry" {
  description = "Expiry of that SAS: the app cannot load its package after it. Rotate by applying with a later date."
  type        = string
  default     = "2028-01-01T00:00:00Z"
}

variable "plan" {
  description = "consumption (Linux Y1, run from package_path uploaded as a blob: WEBSITE_RUN_FROM_PACKAGE=<URL>) or flex (Flex Consumption FC1, deploy the zip after apply with `az functionapp deployment source config-zip`)."
  type        = string
  default     = "consumption"

  validation {
    condition     = contains(["consumption", "flex"], var.plan)
    error_message = "plan must be consumption or flex."
  }
}

variable "python_version" {
  description = "Python version of the function app."
  type        = string
  default     = "3.12"
}

variable "subscription_ids" {
  description = "Subscriptions to schedule; the custom role is assigned at each one's scope. Empty = the provider's subscription."
  type        = list(string)
  default     = []
}

variable "tag_key" {
  description = "Tag whose value names the schedule."
  type        = string
  default     = "schedule"
}

variable "default_timezone" {
  description = "IANA time zone for schedules that do not name one."
  type        = string
  default     = "UTC"
}

variable "action_scopes" {
  description = "Resource groups (/subscriptions/<id>/resourceGroups/<name>) where offhours may change resources: deallocate and start VMs, scale scale sets and AKS node pools, stop and start ML compute instances and AKS clusters. Empty = every scheduled subscription. Reads stay subscription-wide, so discovery still lists (and reports) everything."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.action_scopes : can(regex("^/subscriptions/[0-9A-Fa-f-]{36}/resourceGroups/[^/]+$", s))])
    error_message = "action_scopes: resource group IDs, /subscriptions/<subscription id>/resourceGroups/<name>."
  }
}

variable "protected_tags" {
  description = "Never touch resources with these tags: key => values (keys and values compared ignoring case and surrounding spaces)."
  type        = map(list(string))
  default = {
    environment = ["prod", "production"]
    env         = ["prod", "production"]
    stage       = ["prod", "production"]
  }

  validation {
    condition = length(var.protected_tags) >= 1 && length(var.protected_tags) <= 5 && alltrue([
      for key, values in var.protected_tags :
      can(regex("^[A-Za-z0-9_.:/+@-]{1,128}$", key)) && length(values) > 0 &&
      alltrue([for value in values : can(regex("^[A-Za-z0-9_.:/+@-]{1,256}$", value))])
    ])
    error_message = "protected_tags: 1 to 5 keys, each with at least one value; letters, digits and _.:/+@- only."
  }
}

variable "dry_run" {
  description = "true = plan and log only, change nothing. Set to false once the plan in the logs looks right."
  type        = bool
  default     = true
}

variable "schedule_minutes" {
  description = "Run every N minutes, aligned to the clock (the timer's NCRONTAB is derived from it)."
  type        = number
  default     = 15

  validation {
    condition     = contains([5, 10, 15, 20, 30, 60], var.schedule_minutes)
    error_message = "schedule_minutes must be one of 5, 10, 15, 20, 30, 60."
  }
}

variable "digest_cron" {
  description = "NCRONTAB (six fields, UTC unless WEBSITE_TIME_ZONE is set) of the weekly digest timer."
  type        = string
  default     = "0 0 8 * * Mon"
}

variable "inventory_cron" {
  description = "NCRONTAB (six fields) of the daily inventory timer: every resource, scheduled or not, listed for the digest's opportunities."
  type        = string
  default     = "0 30 5 * * *"
}

variable "digest_to" {
  description = "Addresses that receive the weekly digest. Empty = the digest is rendered but not sent."
  type        = list(string)
  default     = []
}

variable "digest_sender" {
  description = "From address of the weekly digest."
  type        = string
  default     = ""
}

variable "smtp_host" {
  description = "SMTP relay for the digest (Azure Communication Services, SendGrid, your own)."
  type        = string
  default     = ""
}

variable "smtp_port" {
  description = "SMTP port (STARTTLS)."
  type        = number
  default     = 587
}

variable "smtp_username" {
  description = "SMTP user name."
  type        = string
  default     = ""
}

variable "smtp_password_reference" {
  description = "Key Vault reference for the SMTP password, e.g. @Microsoft.KeyVault(SecretUri=https://VAULT.vault.azure.net/secrets/smtp/). Never the password itself."
  type        = string
  default     = ""
  sensitive   = true
}

variable "log_level" {
  description = "Log level of the function (DEBUG, INFO, WARNING, ERROR)."
  type        = string
  default     = "INFO"
}

variable "log_retention_days" {
  description = "Retention of the Log Analytics workspace behind Application Insights (where the plan is read)."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
