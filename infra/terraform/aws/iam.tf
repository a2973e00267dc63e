# Least privilege. The "resources" document is the same as infra/aws/offhours-policy.json,
# the OffhoursResourcePolicy in template.yaml and infra/aws/member-role.yaml: tests/infra
# checks they agree.

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

locals {
  # The tag-conditioned resource statements come from infra/aws/offhours-policy.json
  # itself (the SAM template and the member role inline the same statements), with this
  # deployment's tag keys, partition and account. The scheduler-only statements of that
  # file (ledger, member roles, organization) are written below, scoped to this stack.
  scheduler_only_sids = ["LedgerObjects", "LedgerListing", "EnterMemberAccounts", "ListOrganizationAccounts"]
  policy_text = replace(
    replace(
      replace(
        replace(file("${path.module}/../../aws/offhours-policy.json"), "Tag/schedule\"", "Tag/${var.tag_key}\""),
        "Tag/idle-stop\"", "Tag/${var.idle_tag_key}\""
      ),
      "/arn:aws:(ec2|autoscaling|ecs|rds|sagemaker):\\*:\\*:/", "arn:${local.partition}:$1:*:${local.account_id}:"
    ),
    "arn:aws:", "arn:${local.partition}:"
  )
  policy_file = jsondecode(local.policy_text)
  resource_policy = jsonencode({
    Version   = local.policy_file.Version
    Statement = [for s in local.policy_file.Statement : s if !contains(local.scheduler_only_sids, s.Sid)]
  })
}

data "aws_iam_policy_document" "scheduler_run" {
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.scheduler.arn}:*"]
  }

  statement {
    sid       = "LedgerObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.bucket_arn}/offhours/*"]
  }

  statement {
    sid       = "LedgerListing"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["offhours/*"]
    }
  }

  statement {
    sid       = "RunMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["offhours"]
    }
  }

  statement {
    sid       = "ReportFailures"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
  }

  dynamic "statement" {
    for_each = local.uses_members ? [1] : []
    content {
      sid       = "EnterMemberAccounts"
      actions   = ["sts:AssumeRole"]
      resources = ["arn:${local.partition}:iam::*:role/${var.member_role_name}"]
    }
  }

  dynamic "statement" {
    for_each = var.accounts_source == "organizations" ? [1] : []
    content {
      sid       = "ListOrganizationAccounts"
      actions   = ["organizations:ListAccounts", "organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name_prefix        = "${var.name}-scheduler-"
  description        = "offhours scheduler function"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "scheduler_resources" {
  name   = "OffhoursResourcePolicy"
  role   = aws_iam_role.scheduler.id
  policy = local.resource_policy
}

resource "aws_iam_role_policy" "scheduler_run" {
  name   = "OffhoursRunPolicy"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler_run.json
}

data "aws_iam_policy_document" "digest" {
  count = local.has_digest ? 1 : 0

  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.digest[0].arn}:*"]
  }

  statement {
    sid       = "ReadLedger"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/offhours/*"]
  }

  statement {
    sid       = "ListLedger"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["offhours/*"]
    }
  }

  statement {
    sid     = "SendDigestFromSenderOnly"
    actions = ["ses:SendEmail", "ses:SendRawEmail"]
    resources = [
      "arn:${local.partition}:ses:${local.region}:${local.account_id}:identity/${var.sender_email}",
      "arn:${local.partition}:ses:${local.region}:${local.account_id}:identity/${local.sender_domain}",
    ]

    condition {
      test     = "StringEquals"
      variable = "ses:FromAddress"
      values   = [var.sender_email]
    }
  }

  statement {
    sid       = "DigestMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["offhours"]
    }
  }

  statement {
    sid       = "ReportFailures"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
  }
}

resource "aws_iam_role" "digest" {
  count              = local.has_digest ? 1 : 0
  name_prefix        = "${var.name}-digest-"
  description        = "offhours weekly digest function"
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "digest" {
  count  = local.has_digest ? 1 : 0
  name   = "OffhoursDigestPolicy"
  role   = aws_iam_role.digest[0].id
  policy = data.aws_iam_policy_document.digest[0].json
}

data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "invoke" {
  statement {
    sid       = "InvokeFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = concat([aws_lambda_function.scheduler.arn], aws_lambda_function.digest[*].arn)
  }

  dynamic "statement" {
    for_each = var.enable_step_functions ? [1] : []
    content {
      sid       = "StartRuns"
      actions   = ["states:StartExecution"]
      resources = [aws_sfn_state_machine.run[0].arn]
    }
  }

  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
  }
}

resource "aws_iam_role" "invoke" {
  name_prefix        = "${var.name}-invoke-"
  description        = "EventBridge Scheduler invokes the offhours functions or state machine"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "invoke" {
  name   = "InvokeOffhours"
  role   = aws_iam_role.invoke.id
  policy = data.aws_iam_policy_document.invoke.json
}
