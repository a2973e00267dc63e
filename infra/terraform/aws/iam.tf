# Least privilege. infra/aws/offhours-policy.json is the single source of the scheduler's
# statements (template.yaml and infra/aws/member-role.yaml inline the same ones): this
# module reads it, fills its placeholders and grants every statement (the member-role and
# organization ones only when this deployment uses them). tests/infra checks it.

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
  ledger_prefix = "offhours"
  # The placeholders of offhours-policy.json (CloudFormation !Sub style, so the SAM
  # template and the member role use the same text) and this deployment's values.
  policy_values = {
    "AWS::Partition" = local.partition
    "AWS::AccountId" = local.account_id
    TagKey           = var.tag_key
    IdleTagKey       = var.idle_tag_key
    LedgerBucket     = local.bucket_name
    LedgerPrefix     = local.ledger_prefix
    MemberRoleName   = var.member_role_name
  }
  policy_text = replace(replace(replace(replace(replace(replace(replace(
    file("${path.module}/../../aws/offhours-policy.json"),
    "$${AWS::Partition}", local.policy_values["AWS::Partition"]),
    "$${AWS::AccountId}", local.policy_values["AWS::AccountId"]),
    "$${TagKey}", local.policy_values.TagKey),
    "$${IdleTagKey}", local.policy_values.IdleTagKey),
    "$${LedgerBucket}", local.policy_values.LedgerBucket),
    "$${LedgerPrefix}", local.policy_values.LedgerPrefix),
    "$${MemberRoleName}", local.policy_values.MemberRoleName
  )
  policy_file = jsondecode(local.policy_text)
  # Statements only a scheduler that reaches member accounts needs.
  unused_sids = concat(
    local.uses_members ? [] : ["EnterMemberAccounts"],
    var.accounts_source == "organizations" ? [] : ["ListOrganizationAccounts"],
  )
  scheduler_policy = jsonencode({
    Version   = local.policy_file.Version
    Statement = [for s in local.policy_file.Statement : s if !contains(local.unused_sids, s.Sid)]
  })
}

# Explicit denies on the protected tags (var.protected_tags, the set the scheduler skips):
# defence in depth under offhours' own check. One statement per key, since conditions on
# several keys in one statement would all have to hold; the actions are every change the
# policy file grants on a tagged resource. Tag keys in IAM conditions ignore case, and
# StringEqualsIgnoreCase makes the values ignore it too. A managed policy: a role's inline
# policies share one 10,240-character quota. template.yaml and member-role.yaml carry the
# same denies (ProtectedTagsPolicy); tests/infra checks all three.
locals {
  # From the file as written: its actions carry no placeholder, so they are known at plan.
  protected_actions = sort(distinct(flatten([
    for s in jsondecode(file("${path.module}/../../aws/offhours-policy.json")).Statement : s.Action
    if length(regexall("aws:(Resource|Request)Tag/", jsonencode(try(s.Condition, {})))) > 0
  ])))
  protected_keys = sort(keys(var.protected_tags))
}

data "aws_iam_policy_document" "protected" {
  dynamic "statement" {
    for_each = var.protected_tags

    content {
      sid       = "DenyProtectedTag${index(local.protected_keys, statement.key) + 1}"
      effect    = "Deny"
      actions   = local.protected_actions
      resources = ["*"]

      condition {
        test     = "StringEqualsIgnoreCase"
        variable = "aws:ResourceTag/${statement.key}"
        values   = statement.value
      }
    }
  }
}

resource "aws_iam_policy" "protected" {
  name_prefix = "${var.name}-protected-"
  description = "offhours never changes resources tagged as protected"
  policy      = data.aws_iam_policy_document.protected.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "protected" {
  role       = aws_iam_role.scheduler.name
  policy_arn = aws_iam_policy.protected.arn
}

# Stack plumbing (logs, metrics, failure queue): not in offhours-policy.json.
data "aws_iam_policy_document" "scheduler_run" {
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.scheduler.arn}:*"]
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
  policy = local.scheduler_policy

  lifecycle {
    precondition {
      condition     = !strcontains(local.policy_text, "$")
      error_message = "infra/aws/offhours-policy.json has a placeholder this module does not fill."
    }
  }
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
