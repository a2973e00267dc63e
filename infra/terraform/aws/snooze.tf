# The snooze links (docs/snooze.md): a Lambda function URL without IAM auth, because the
# HMAC-signed, expiring, single-use token in each link is the authorisation. Its role reads
# the signing key, one resource at a time, and may write only the override tag.

variable "snooze_links" {
  description = "Serve the one-click snooze links (a Lambda function URL and its signing-key secret)."
  type        = bool
  default     = true
}

variable "snooze_max_hours" {
  description = "The longest a snooze link keeps a resource running, in hours from its confirmation (1-168)."
  type        = number
  default     = 24

  validation {
    condition     = var.snooze_max_hours >= 1 && var.snooze_max_hours <= 168
    error_message = "snooze_max_hours must be between 1 and 168."
  }
}

locals {
  snooze_count = var.snooze_links ? 1 : 0

  snooze_env = {
    POWERTOOLS_SERVICE_NAME    = "offhours"
    LOG_LEVEL                  = var.log_level
    OFFHOURS_PROVIDERS         = "aws"
    OFFHOURS_LEDGER            = local.ledger_url
    OFFHOURS_TAG_KEY           = var.tag_key
    OFFHOURS_DEFAULT_TZ        = var.default_timezone
    OFFHOURS_PROTECTED         = local.protected_text
    OFFHOURS_SNOOZE_KEY_SECRET = one(aws_secretsmanager_secret.snooze_key[*].arn)
    OFFHOURS_SNOOZE_MAX_HOURS  = tostring(var.snooze_max_hours)
  }
}

resource "aws_secretsmanager_secret" "snooze_key" {
  #checkov:skip=CKV_AWS_149:the signing key is encrypted with the AWS managed key; a CMK adds key-policy work and no reader
  #checkov:skip=CKV2_AWS_57:rotating the key invalidates the links already sent; rotate by hand between notice windows
  count       = local.snooze_count
  name_prefix = "${var.name}-snooze-key-"
  description = "offhours snooze links signing key (HMAC-SHA256)"
  tags        = var.tags
}

# Generated at apply time and written write-only: the key never lands in the state.
ephemeral "aws_secretsmanager_random_password" "snooze_key" {
  count               = local.snooze_count
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "snooze_key" {
  count                    = local.snooze_count
  secret_id                = aws_secretsmanager_secret.snooze_key[0].id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.snooze_key[0].random_password
  secret_string_wo_version = 1
}

resource "aws_cloudwatch_log_group" "snooze" {
  count             = local.snooze_count
  name              = "/offhours/${var.name}/snooze"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

data "aws_iam_policy_document" "snooze" {
  count = local.snooze_count

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.snooze[0].arn}:*"]
  }

  statement {
    sid       = "ReadSnoozeKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.snooze_key[0].arn]
  }

  statement {
    sid       = "ReadOneResource"
    actions   = ["ec2:DescribeInstances", "autoscaling:DescribeAutoScalingGroups", "tag:GetResources"]
    resources = ["*"]
  }

  statement {
    sid = "WriteOnlyTheOverrideTag"
    actions = [
      "tag:TagResources",
      "ec2:CreateTags",
      "autoscaling:CreateOrUpdateTags",
      "rds:AddTagsToResource",
      "sagemaker:AddTags",
      "ecs:TagResource",
    ]
    resources = ["*"]

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "aws:TagKeys"
      values   = ["schedule-override"]
    }

    condition {
      test     = "Null"
      variable = "aws:TagKeys"
      values   = ["false"]
    }
  }

  statement {
    sid     = "UsedLinksAndSnoozeRows"
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [
      "${local.bucket_arn}/offhours/snooze/*",
      "${local.bucket_arn}/offhours/ledger/*",
    ]
  }

  # Without it a missing object reads as AccessDenied, not as absent.
  statement {
    sid       = "ListSnoozePrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["offhours/snooze/*", "offhours/ledger/*"]
    }
  }
}

resource "aws_iam_role" "snooze" {
  count              = local.snooze_count
  name               = "${var.name}-snooze"
  description        = "offhours snooze links (read one resource, write its override tag)"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "snooze" {
  count  = local.snooze_count
  name   = "offhours-snooze"
  role   = aws_iam_role.snooze[0].id
  policy = data.aws_iam_policy_document.snooze[0].json
}

resource "aws_lambda_function" "snooze" {
  count            = local.snooze_count
  function_name    = "${var.name}-snooze"
  description      = "offhours snooze links (keep one resource running, by a signed link)"
  s3_bucket        = aws_s3_object.scheduler_package.bucket
  s3_key           = aws_s3_object.scheduler_package.key
  source_code_hash = filebase64sha256(var.package_path)
  handler          = "functions.clouds.aws_snooze.handler"
  runtime          = "python3.12"
  architectures    = ["arm64"]
  memory_size      = 256
  timeout          = 15
  role             = aws_iam_role.snooze[0].arn

  # A public URL: cap what a flood of requests can cost.
  reserved_concurrent_executions = var.reserve_concurrency ? 2 : -1

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.snooze[0].name
  }

  environment {
    variables = local.snooze_env
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.snooze]
}

resource "aws_lambda_function_url" "snooze" {
  #checkov:skip=CKV_AWS_258:the link's HMAC-signed, expiring, single-use token is the authorisation; mail recipients have no AWS identity
  count              = local.snooze_count
  function_name      = aws_lambda_function.snooze[0].function_name
  authorization_type = "NONE"
}

output "snooze_url" {
  description = "The base URL of the snooze links (the notices' link maker takes it); empty without snooze_links."
  value       = var.snooze_links ? aws_lambda_function_url.snooze[0].function_url : ""
}

output "snooze_key_secret_arn" {
  description = "The snooze links' signing key; the notices sign with the same secret. Empty without snooze_links."
  value       = var.snooze_links ? aws_secretsmanager_secret.snooze_key[0].arn : ""
}

# The scheduler signs the snooze links of its notices: it reads the key, nothing more.
data "aws_iam_policy_document" "scheduler_snooze_key" {
  count = local.snooze_count
  statement {
    sid       = "ReadSnoozeKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.snooze_key[0].arn]
  }
}

resource "aws_iam_role_policy" "scheduler_snooze_key" {
  count  = local.snooze_count
  name   = "offhours-read-snooze-key"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler_snooze_key[0].json
}
