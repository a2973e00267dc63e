# The packages go to Lambda through S3 (a direct upload is capped at 50 MB), so neither
# zip's size ever decides a deploy. Keys carry the zip's hash: a new build is a new object.
resource "aws_s3_object" "scheduler_package" {
  bucket      = local.bucket_name
  key         = "artefacts/offhours-aws-${filesha256(var.package_path)}.zip"
  source      = var.package_path
  source_hash = filemd5(var.package_path)
  tags        = var.tags
}

resource "aws_s3_object" "digest_package" {
  count       = local.has_digest ? 1 : 0
  bucket      = local.bucket_name
  key         = "artefacts/offhours-aws-digest-${filesha256(var.digest_package_path)}.zip"
  source      = var.digest_package_path
  source_hash = filemd5(var.digest_package_path)
  tags        = var.tags
}

resource "aws_lambda_function" "scheduler" {
  function_name    = "${var.name}-scheduler"
  description      = "offhours scheduler (reconcile every schedule-tagged resource)"
  s3_bucket        = aws_s3_object.scheduler_package.bucket
  s3_key           = aws_s3_object.scheduler_package.key
  source_code_hash = filebase64sha256(var.package_path)
  handler          = "functions.clouds.aws_lambda.handler"
  runtime          = "python3.12"
  architectures    = ["arm64"]
  memory_size      = 512
  timeout          = 900
  role             = aws_iam_role.scheduler.arn

  # -1 = no reservation (the default): the run lease keeps one run per target.
  reserved_concurrent_executions = var.reserve_concurrency ? (var.enable_step_functions ? var.map_max_concurrency : 1) : -1

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.scheduler.name
  }

  environment {
    variables = local.scheduler_env
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.scheduler_run, aws_iam_role_policy_attachment.protected]
}

resource "aws_lambda_function_event_invoke_config" "scheduler" {
  function_name = aws_lambda_function.scheduler.function_name
  # A run older than one interval is superseded by the next one.
  maximum_event_age_in_seconds = 900
  maximum_retry_attempts       = 1

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}

resource "aws_lambda_function" "digest" {
  count            = local.has_digest ? 1 : 0
  function_name    = "${var.name}-digest"
  description      = "offhours weekly savings digest"
  s3_bucket        = aws_s3_object.digest_package[0].bucket
  s3_key           = aws_s3_object.digest_package[0].key
  source_code_hash = filebase64sha256(var.digest_package_path)
  handler          = "functions.clouds.aws_lambda.digest_handler"
  runtime          = "python3.12"
  architectures    = ["arm64"]
  memory_size      = 1024
  timeout          = 300
  role             = aws_iam_role.digest[0].arn

  reserved_concurrent_executions = var.reserve_concurrency ? 1 : -1

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.digest[0].name
  }

  environment {
    variables = local.digest_env
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.digest]
}

resource "aws_lambda_function_event_invoke_config" "digest" {
  count                        = local.has_digest ? 1 : 0
  function_name                = aws_lambda_function.digest[0].function_name
  maximum_event_age_in_seconds = 3600
  maximum_retry_attempts       = 2

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}

resource "aws_scheduler_schedule" "run" {
  name                         = "${var.name}-run"
  description                  = "offhours reconcile run"
  schedule_expression          = local.schedule_expression
  schedule_expression_timezone = "UTC"
  state                        = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.enable_step_functions ? aws_sfn_state_machine.run[0].arn : aws_lambda_function.scheduler.arn
    role_arn = aws_iam_role.invoke.arn
    input    = local.schedule_input

    retry_policy {
      maximum_event_age_in_seconds = 300
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.failures.arn
    }
  }
}

# The daily inventory (every resource, scheduled or not, for the digest's opportunities)
# goes to the function itself, also with Step Functions on.
resource "aws_scheduler_schedule" "inventory" {
  name                         = "${var.name}-inventory"
  description                  = "offhours daily inventory"
  schedule_expression          = var.inventory_schedule
  schedule_expression_timezone = "UTC"
  state                        = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.scheduler.arn
    role_arn = aws_iam_role.invoke.arn
    input    = local.inventory_input

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.failures.arn
    }
  }
}

resource "aws_scheduler_schedule" "digest" {
  count                        = local.has_digest ? 1 : 0
  name                         = "${var.name}-digest"
  description                  = "offhours weekly digest"
  schedule_expression          = var.digest_schedule
  schedule_expression_timezone = var.digest_timezone
  state                        = "ENABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.digest[0].arn
    role_arn = aws_iam_role.invoke.arn
    input    = local.schedule_input

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.failures.arn
    }
  }
}

# ------------------------------------------------------------------ optional fan-out

data "aws_iam_policy_document" "states_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "states" {
  statement {
    sid       = "InvokeScheduler"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.scheduler.arn, "${aws_lambda_function.scheduler.arn}:*"]
  }

  statement {
    sid       = "DistributedMapChildren"
    actions   = ["states:StartExecution"]
    resources = ["arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name}-run"]
  }

  statement {
    sid       = "DistributedMapChildrenStatus"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = ["arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${var.name}-run/*"]
  }
}

resource "aws_iam_role" "states" {
  count              = var.enable_step_functions ? 1 : 0
  name_prefix        = "${var.name}-states-"
  description        = "offhours state machine (distributed Map over targets)"
  assume_role_policy = data.aws_iam_policy_document.states_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "states" {
  count  = var.enable_step_functions ? 1 : 0
  name   = "RunTargets"
  role   = aws_iam_role.states[0].id
  policy = data.aws_iam_policy_document.states.json
}

resource "aws_sfn_state_machine" "run" {
  count    = var.enable_step_functions ? 1 : 0
  name     = "${var.name}-run"
  type     = "STANDARD"
  role_arn = aws_iam_role.states[0].arn
  definition = templatefile("${path.module}/../../aws/state-machine.asl.json", {
    SchedulerFunctionArn = aws_lambda_function.scheduler.arn
    MapMaxConcurrency    = var.map_max_concurrency
    MapMaxItemsPerBatch  = var.map_max_items_per_batch
    Partition            = local.partition
  })
  tags = var.tags
}
