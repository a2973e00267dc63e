variable "name" {
  description = "Prefix for every resource name (functions, roles, queue, log groups, state machine)."
  type        = string
  default     = "offhours"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name: lowercase letters, digits and dashes, 2-31 characters, starting with a letter."
  }
}

variable "package_path" {
  description = "The AWS function artefact built by `python infra/package.py aws` (dist/offhours-aws.zip)."
  type        = string
}

variable "digest_package_path" {
  description = "The digest function artefact (dist/offhours-aws-digest.zip: the scheduler's plus Jinja2). Used only when sender_email is set."
  type        = string
  default     = ""
}

variable "tag_key" {
  description = "Tag whose value names the schedule. The IAM policy lets offhours stop/start only resources carrying it."
  type        = string
  default     = "schedule"
}

variable "idle_tag_key" {
  description = "Opt-in tag for scaling idle inference endpoints to zero; the IAM policy accepts it besides tag_key."
  type        = string
  default     = "idle-stop"
}

variable "idle_threshold_percent" {
  description = "A VM or notebook tagged idle-stop is idle when its busiest GPU (or its CPU) stays under this percent over its window; a resource's idle-threshold tag sets its own."
  type        = number
  default     = 5

  validation {
    condition     = var.idle_threshold_percent > 0 && var.idle_threshold_percent < 100
    error_message = "idle_threshold_percent must be above 0 and under 100."
  }
}

variable "idle_notice_minutes" {
  description = "An idle VM or notebook is stopped only if still idle this many minutes after its notice (0: at the first idle look)."
  type        = number
  default     = 15

  validation {
    condition     = var.idle_notice_minutes >= 0 && var.idle_notice_minutes <= 1440 && floor(var.idle_notice_minutes) == var.idle_notice_minutes
    error_message = "idle_notice_minutes must be a whole number from 0 to 1440."
  }
}

variable "default_timezone" {
  description = "IANA time zone for schedules that do not name one."
  type        = string
  default     = "UTC"
}

variable "protected_tags" {
  description = "Never touch resources with these tags: key => values (keys and values compared ignoring case and surrounding spaces). The same set makes the explicit IAM denies of the scheduler role."
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
  description = "Run every N minutes, aligned to the clock."
  type        = number
  default     = 15

  validation {
    condition     = contains([5, 10, 15, 20, 30, 60], var.schedule_minutes)
    error_message = "schedule_minutes must be one of 5, 10, 15, 20, 30, 60."
  }
}

variable "regions" {
  description = "Regions to schedule. Empty = the provider's region only."
  type        = list(string)
  default     = []
}

variable "accounts_source" {
  description = "this-account, list (var.accounts) or organizations (var.accounts = OU ids, empty for every active account)."
  type        = string
  default     = "this-account"

  validation {
    condition     = contains(["this-account", "list", "organizations"], var.accounts_source)
    error_message = "accounts_source must be this-account, list or organizations."
  }
}

variable "accounts" {
  description = "list: account ids. organizations: OU ids (ou-...), empty for every active account."
  type        = list(string)
  default     = []
}

variable "member_role_name" {
  description = "Role assumed in each member account (infra/aws/member-role.yaml)."
  type        = string
  default     = "offhours-member"
}

variable "sender_email" {
  description = "Verified SES identity the weekly digest is sent from. Empty = no digest function."
  type        = string
  default     = ""
}

variable "digest_recipients" {
  description = "Addresses that receive the weekly digest."
  type        = list(string)
  default     = []
}

variable "inventory_schedule" {
  description = "EventBridge Scheduler expression (UTC) of the daily inventory: every resource, scheduled or not, listed for the digest's opportunities."
  type        = string
  default     = "cron(30 5 * * ? *)"
}

variable "digest_schedule" {
  description = "EventBridge Scheduler expression for the weekly digest."
  type        = string
  default     = "cron(0 8 ? * MON *)"
}

variable "digest_timezone" {
  description = "IANA time zone the digest schedule is evaluated in."
  type        = string
  default     = "UTC"
}

variable "existing_bucket_name" {
  description = "Write the ledger to this existing bucket (under offhours/) instead of creating one."
  type        = string
  default     = ""
}

variable "enable_step_functions" {
  description = "Fan out (account, region) targets through a Step Functions distributed Map, one Lambda invocation per batch of targets."
  type        = bool
  default     = false
}

variable "map_max_concurrency" {
  description = "With enable_step_functions, batches of targets run at once (and the scheduler's reserved concurrency with reserve_concurrency)."
  type        = number
  default     = 10
}

variable "map_max_items_per_batch" {
  description = "With enable_step_functions, the targets one invocation runs (the Map's ItemBatcher): one Lambda invocation and one state transition a batch; targets a batch cannot start in time are deferred to the next run."
  type        = number
  default     = 50
  validation {
    condition     = var.map_max_items_per_batch >= 1 && var.map_max_items_per_batch <= 200 && floor(var.map_max_items_per_batch) == var.map_max_items_per_batch
    error_message = "map_max_items_per_batch must be a whole number from 1 to 200."
  }
}

variable "reserve_concurrency" {
  description = "Reserve concurrency for the functions (scheduler 1, or map_max_concurrency with Step Functions; digest 1). Off by default: accounts at the default quota of 10 cannot reserve any, and the run lease keeps one run per target either way."
  type        = bool
  default     = false
}

variable "log_level" {
  description = "Powertools log level (DEBUG, INFO, WARNING, ERROR)."
  type        = string
  default     = "INFO"
}

variable "log_retention_days" {
  description = "How long the function logs (every decision, with its reason) are kept."
  type        = number
  default     = 365
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify. Empty = alarms without actions."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}
