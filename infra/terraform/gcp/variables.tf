variable "project_id" {
  description = "Project the function, scheduler, topic and bucket live in."
  type        = string
}

variable "region" {
  description = "Region of the function, the scheduler job and the buckets."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Prefix for every resource name."
  type        = string
  default     = "offhours"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "name: lowercase letters, digits and dashes, 2-21 characters, starting with a letter."
  }
}

variable "package_path" {
  description = "The GCP function artefact built by `python infra/package.py gcp` (dist/offhours-gcp.zip)."
  type        = string
}

variable "entry_point" {
  description = "Python function in main.py (re-exported from functions/clouds/gcp_main.py) that handles the Pub/Sub CloudEvent."
  type        = string
  default     = "reconcile_event"
}

variable "role_scope" {
  description = "Where the custom role is bound to the service account: project (this project, or var.projects) or folder (var.folder_id, needs var.organization_id)."
  type        = string
  default     = "project"

  validation {
    condition     = contains(["project", "folder"], var.role_scope)
    error_message = "role_scope must be project or folder."
  }
}

variable "projects" {
  description = "Projects to schedule (role_scope = project). Empty = var.project_id only."
  type        = list(string)
  default     = []
}

variable "folder_id" {
  description = "Folder whose projects are scheduled (role_scope = folder), digits only."
  type        = string
  default     = ""
}

variable "organization_id" {
  description = "Organization that holds the custom role when role_scope = folder, digits only."
  type        = string
  default     = ""
}

variable "tag_key" {
  description = "Label whose value names the schedule (GCP labels: lowercase letters, digits, - and _)."
  type        = string
  default     = "schedule"
}

variable "default_timezone" {
  description = "IANA time zone for schedules that do not name one."
  type        = string
  default     = "UTC"
}

variable "protected_tags" {
  description = "Never touch resources with these labels: key => values (keys and values compared ignoring case and surrounding spaces)."
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

variable "inventory_schedule" {
  description = "Cron (UTC) of the daily inventory job: every resource, scheduled or not, listed for the digest's opportunities."
  type        = string
  default     = "30 5 * * *"
}

variable "schedule_minutes" {
  description = "Run every N minutes, aligned to the clock."
  type        = number
  default     = 15

  validation {
    condition     = contains([5, 10, 15, 20, 30, 60], var.schedule_minutes)
    error_message = "schedule_minutes must be one of 5, 10, 15, 20, 30, 60."
  }
}

variable "existing_bucket_name" {
  description = "Write the ledger to this existing bucket (under offhours/) instead of creating one."
  type        = string
  default     = ""
}

variable "enable_apis" {
  description = "Enable the APIs the deployment needs (Cloud Functions, Run, Build, Eventarc, Pub/Sub, Scheduler, Artifact Registry)."
  type        = bool
  default     = true
}

variable "log_level" {
  description = "Log level of the function (DEBUG, INFO, WARNING, ERROR)."
  type        = string
  default     = "INFO"
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}
}
