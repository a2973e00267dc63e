# offhours on AWS: the same resources as template.yaml (SAM), as a Terraform module.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id  = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  region      = data.aws_region.current.name
  create_bkt  = var.existing_bucket_name == ""
  bucket_name = local.create_bkt ? aws_s3_bucket.ledger[0].id : var.existing_bucket_name
  bucket_arn  = "arn:${local.partition}:s3:::${local.bucket_name}"
  ledger_url  = "s3://${local.bucket_name}/offhours"

  uses_members  = var.accounts_source != "this-account"
  has_digest    = var.sender_email != ""
  sender_domain = local.has_digest ? split("@", var.sender_email)[1] : ""
  interval      = var.schedule_minutes * 60

  schedule_expression = var.schedule_minutes == 60 ? "cron(0 * * * ? *)" : "cron(0/${var.schedule_minutes} * * * ? *)"
  # EventBridge Scheduler fills in the instant the run was scheduled for; the handler uses
  # it as `now`, so a retried invocation is the same run.
  schedule_input  = jsonencode({ scheduled_time = "<aws.scheduler.scheduled-time>" })
  inventory_input = jsonencode({ action = "inventory", scheduled_time = "<aws.scheduler.scheduled-time>" })

  protected_text = join(",", [for key, values in var.protected_tags : "${key}=${join("|", values)}"])

  scheduler_env = {
    POWERTOOLS_SERVICE_NAME         = "offhours"
    POWERTOOLS_METRICS_NAMESPACE    = "offhours"
    LOG_LEVEL                       = var.log_level
    OFFHOURS_PROVIDERS              = "aws"
    OFFHOURS_LEDGER                 = local.ledger_url
    OFFHOURS_TAG_KEY                = var.tag_key
    OFFHOURS_IDLE_TAG_KEY           = var.idle_tag_key
    OFFHOURS_IDLE_THRESHOLD_PERCENT = tostring(var.idle_threshold_percent)
    OFFHOURS_IDLE_NOTICE_MINUTES    = tostring(var.idle_notice_minutes)
    OFFHOURS_DEFAULT_TZ             = var.default_timezone
    OFFHOURS_PROTECTED              = local.protected_text
    OFFHOURS_DRY_RUN                = tostring(var.dry_run)
    OFFHOURS_AWS_REGIONS            = join(",", length(var.regions) > 0 ? var.regions : [local.region])
    OFFHOURS_AWS_ACCOUNTS           = var.accounts_source == "list" ? join(",", var.accounts) : ""
    OFFHOURS_AWS_ORGANIZATION       = var.accounts_source == "organizations" ? (length(var.accounts) > 0 ? join(",", var.accounts) : "all") : ""
    OFFHOURS_AWS_ROLE_NAME          = local.uses_members ? var.member_role_name : ""
    # Notices carry snooze links when the module serves them (snooze.tf).
    OFFHOURS_SNOOZE_URL        = var.snooze_links ? aws_lambda_function_url.snooze[0].function_url : ""
    OFFHOURS_SNOOZE_KEY_SECRET = var.snooze_links ? aws_secretsmanager_secret.snooze_key[0].arn : ""
  }

  digest_env = {
    POWERTOOLS_SERVICE_NAME      = "offhours"
    POWERTOOLS_METRICS_NAMESPACE = "offhours"
    LOG_LEVEL                    = var.log_level
    OFFHOURS_LEDGER              = local.ledger_url
    OFFHOURS_DIGEST_TZ           = var.digest_timezone
    # A target with no scheduling run for two of these is named in the digest.
    OFFHOURS_RUN_INTERVAL_MINUTES = tostring(var.schedule_minutes)
    OFFHOURS_PROTECTED            = local.scheduler_env.OFFHOURS_PROTECTED
    OFFHOURS_DIGEST_TRANSPORT     = "ses"
    OFFHOURS_DIGEST_SENDER        = var.sender_email
    OFFHOURS_DIGEST_TO            = join(",", var.digest_recipients)
  }

  alarm_actions = var.alarm_topic_arn == "" ? [] : [var.alarm_topic_arn]
}

# ------------------------------------------------------------------ ledger bucket

resource "aws_s3_bucket" "ledger" {
  count         = local.create_bkt ? 1 : 0
  bucket_prefix = "${var.name}-ledger-"
  tags          = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "ledger" {
  count  = local.create_bkt ? 1 : 0
  bucket = aws_s3_bucket.ledger[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "ledger" {
  count  = local.create_bkt ? 1 : 0
  bucket = aws_s3_bucket.ledger[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "ledger" {
  count                   = local.create_bkt ? 1 : 0
  bucket                  = aws_s3_bucket.ledger[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "ledger" {
  count  = local.create_bkt ? 1 : 0
  bucket = aws_s3_bucket.ledger[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "ledger" {
  count  = local.create_bkt ? 1 : 0
  bucket = aws_s3_bucket.ledger[0].id

  # Run state is rewritten every run: keep old versions a month for debugging.
  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {
      prefix = "offhours/state/"
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.ledger]
}

data "aws_iam_policy_document" "tls_only" {
  count = local.create_bkt ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.ledger[0].arn, "${aws_s3_bucket.ledger[0].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "ledger" {
  count  = local.create_bkt ? 1 : 0
  bucket = aws_s3_bucket.ledger[0].id
  policy = data.aws_iam_policy_document.tls_only[0].json

  depends_on = [aws_s3_bucket_public_access_block.ledger]
}

# ------------------------------------------------------------------ failures and logs

resource "aws_sqs_queue" "failures" {
  name                      = "${var.name}-failures"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  tags                      = var.tags
}

resource "aws_cloudwatch_log_group" "scheduler" {
  name              = "/offhours/${var.name}/scheduler"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "digest" {
  count             = local.has_digest ? 1 : 0
  name              = "/offhours/${var.name}/digest"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}
