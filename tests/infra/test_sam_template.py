"""template.yaml: what the SAM application deploys, resolved for chosen parameters."""

from __future__ import annotations

import json
import re

import pytest
from infra_kit import STATE_MACHINE, TEMPLATE, Resolver, load_cfn


@pytest.fixture(scope="module")
def template() -> dict:
    return load_cfn(TEMPLATE)


def resources(template: dict, **params: str) -> dict:
    return Resolver(template, params).resources()


def test_scheduler_function_shape(template: dict) -> None:
    fn = resources(template)["SchedulerFunction"]["Properties"]
    assert fn["Handler"] == "functions.clouds.aws_lambda.handler"
    assert fn["Runtime"] in ("python3.11", "python3.12")
    assert fn["Architectures"] == ["arm64"]
    # Off by default (an account at the default quota of 10 cannot reserve any); the
    # run lease in the ledger store keeps one run per target.
    assert "ReservedConcurrentExecutions" not in fn
    reserved = resources(template, ReserveConcurrency="true")["SchedulerFunction"]["Properties"]
    assert reserved["ReservedConcurrentExecutions"] == 1
    on_failure = fn["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    assert fn["LoggingConfig"]["LogGroup"] == "<SchedulerLogGroup>"
    env = fn["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "offhours"
    assert env["LOG_LEVEL"] == "INFO"


def test_safe_defaults(template: dict) -> None:
    params = template["Parameters"]
    assert params["DryRun"]["Default"] == "true"
    assert params["TagKey"]["Default"] == "schedule"
    assert params["ProtectedTagKeys"]["Default"] == "environment,env,stage"
    assert params["ProtectedTagValues"]["Default"] == "prod,production"
    assert params["AccountsSource"]["AllowedValues"] == ["this-account", "list", "organizations"]
    assert params["ScheduleMinutes"]["Default"] == 15
    assert params["EnableStepFunctions"]["Default"] == "false"
    env = resources(template)["SchedulerFunction"]["Properties"]["Environment"]["Variables"]
    assert env["OFFHOURS_DRY_RUN"] == "true"
    assert env["OFFHOURS_AWS_REGIONS"] == "eu-west-1"  # this stack's region only
    assert env["OFFHOURS_AWS_ROLE_NAME"] == ""  # no member accounts by default


@pytest.mark.parametrize(
    ("source", "accounts", "expected"),
    [
        ("this-account", "", {"OFFHOURS_AWS_ACCOUNTS": "", "OFFHOURS_AWS_ORGANIZATION": ""}),
        (
            "list",
            "111111111111,222222222222",
            {"OFFHOURS_AWS_ACCOUNTS": "111111111111,222222222222"},
        ),
        ("organizations", "", {"OFFHOURS_AWS_ORGANIZATION": "all", "OFFHOURS_AWS_ACCOUNTS": ""}),
        ("organizations", "ou-ab12-cdef3456", {"OFFHOURS_AWS_ORGANIZATION": "ou-ab12-cdef3456"}),
    ],
)
def test_accounts_source_maps_to_settings(
    template: dict, source: str, accounts: str, expected: dict
) -> None:
    fn = resources(template, AccountsSource=source, Accounts=accounts)["SchedulerFunction"]
    env = fn["Properties"]["Environment"]["Variables"]
    for key, value in expected.items():
        assert env[key] == value
    assert env["OFFHOURS_AWS_ROLE_NAME"] == ("" if source == "this-account" else "offhours-member")


def test_run_schedule_passes_the_scheduled_time(template: dict) -> None:
    trigger = resources(template)["RunTrigger"]["Properties"]
    assert trigger["ScheduleExpression"] == "cron(0/15 * * * ? *)"
    assert trigger["Target"]["Arn"] == "<SchedulerFunction.Arn>"
    assert json.loads(trigger["Target"]["Input"]) == {
        "scheduled_time": "<aws.scheduler.scheduled-time>"
    }
    assert trigger["Target"]["DeadLetterConfig"]["Arn"] == "<FailureQueue.Arn>"
    hourly = resources(template, ScheduleMinutes="60")["RunTrigger"]["Properties"]
    assert hourly["ScheduleExpression"] == "cron(0 * * * ? *)"


def test_digest_only_with_a_sender(template: dict) -> None:
    assert "DigestFunction" not in resources(template)
    deployed = resources(
        template,
        SenderEmail="offhours@example.com",
        DigestRecipients="finops@example.com",
        DigestTimezone="Europe/London",
    )
    fn = deployed["DigestFunction"]["Properties"]
    assert fn["Handler"] == "functions.clouds.aws_lambda.digest_handler"
    env = fn["Environment"]["Variables"]
    assert env["OFFHOURS_DIGEST_TO"] == "finops@example.com"
    assert env["OFFHOURS_DIGEST_SENDER"] == "offhours@example.com"
    trigger = deployed["DigestTrigger"]["Properties"]
    assert trigger["ScheduleExpressionTimezone"] == "Europe/London"
    assert trigger["ScheduleExpression"] == "cron(0 8 ? * MON *)"


def test_ledger_bucket_is_locked_down(template: dict) -> None:
    deployed = resources(template)
    bucket = deployed["LedgerBucket"]["Properties"]
    sse = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    state = rules["expire-old-state-versions"]
    assert state["Prefix"] == "offhours/state/"
    assert state["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    (deny,) = deployed["LedgerBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    env = deployed["SchedulerFunction"]["Properties"]["Environment"]["Variables"]
    assert env["OFFHOURS_LEDGER"] == "s3://<LedgerBucket>/offhours"


def test_existing_bucket_replaces_the_created_one(template: dict) -> None:
    deployed = resources(template, ExistingBucketName="acme-finops")
    assert "LedgerBucket" not in deployed and "LedgerBucketPolicy" not in deployed
    env = deployed["SchedulerFunction"]["Properties"]["Environment"]["Variables"]
    assert env["OFFHOURS_LEDGER"] == "s3://acme-finops/offhours"


def test_failure_queue_is_encrypted(template: dict) -> None:
    queue = resources(template)["FailureQueue"]["Properties"]
    assert queue.get("SqsManagedSseEnabled") is True or queue.get("KmsMasterKeyId")


def test_log_groups_have_retention(template: dict) -> None:
    deployed = resources(template, SenderEmail="a@example.com", DigestRecipients="b@example.com")
    groups = [r for r in deployed.values() if r["Type"] == "AWS::Logs::LogGroup"]
    assert len(groups) == 3  # scheduler, digest, snooze links
    assert all(int(g["Properties"]["RetentionInDays"]) > 0 for g in groups)


def test_alarms_on_errors_and_on_a_missed_run(template: dict) -> None:
    deployed = resources(template)
    alarms = {
        n: r["Properties"] for n, r in deployed.items() if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    errors = alarms["SchedulerErrorsAlarm"]
    assert (errors["MetricName"], errors["ComparisonOperator"]) == (
        "Errors",
        "GreaterThanOrEqualToThreshold",
    )
    missed = alarms["SchedulerMissedRunAlarm"]
    assert missed["MetricName"] == "Invocations"
    assert missed["ComparisonOperator"] == "LessThanThreshold" and missed["Threshold"] == 1
    assert missed["TreatMissingData"] == "breaching"
    assert missed["Period"] == 900  # one 15-minute interval
    assert "AlarmActions" not in missed
    topic = "arn:aws:sns:eu-west-1:123456789012:ops"
    with_topic = resources(template, AlarmTopicArn=topic)["SchedulerMissedRunAlarm"]["Properties"]
    assert with_topic["AlarmActions"] == [topic]


def test_step_functions_fan_out(template: dict) -> None:
    assert "RunStateMachine" not in resources(template)
    deployed = resources(template, EnableStepFunctions="true")
    machine = deployed["RunStateMachine"]["Properties"]
    assert deployed["RunTrigger"]["Properties"]["Target"]["Arn"] == "<RunStateMachine>"
    assert "ReservedConcurrentExecutions" not in deployed["SchedulerFunction"]["Properties"]
    reserved = resources(template, EnableStepFunctions="true", ReserveConcurrency="true")
    assert reserved["SchedulerFunction"]["Properties"]["ReservedConcurrentExecutions"] == "10"
    assert machine["DefinitionUri"] == "infra/aws/state-machine.asl.json"
    definition = STATE_MACHINE.read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", definition))
    assert placeholders == set(machine["DefinitionSubstitutions"])


def test_state_machine_definition() -> None:
    """The Map batches its items (Step Functions Developer Guide, "ItemBatcher (Map)"):
    each child gets ``{"Items": [...], "BatchInput": {...}}`` and its one Task hands the
    handler ``{"scheduled_time": ..., "targets": [{account, region}, ...]}``."""
    asl = json.loads(STATE_MACHINE.read_text())
    listing = asl["States"][asl["StartAt"]]
    assert listing["Parameters"]["Payload"]["action"] == "list-targets"
    fan_out = asl["States"][listing["Next"]]
    assert fan_out["Type"] == "Map"
    assert fan_out["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert fan_out["ItemsPath"] == "$.targets"
    assert "ItemSelector" not in fan_out  # each item is a target as listed
    assert fan_out["ItemBatcher"] == {
        "MaxItemsPerBatchPath": "$.max_items_per_batch",
        "BatchInput": {"scheduled_time.$": "$.scheduled_time"},
    }
    # The batch size is the deployment's parameter, a number by the time the Map reads it.
    selected = listing["ResultSelector"]["max_items_per_batch.$"]
    assert selected == "States.StringToJson('${MapMaxItemsPerBatch}')"
    (task,) = fan_out["ItemProcessor"]["States"].values()
    assert task["Parameters"]["FunctionName"] == "${SchedulerFunctionArn}"
    assert task["Parameters"]["Payload"] == {
        "scheduled_time.$": "$.BatchInput.scheduled_time",
        "targets.$": "$.Items",
    }


def test_batch_size_parameter(template: dict) -> None:
    """MapMaxItemsPerBatch reaches the definition, with the default own_cost prices."""
    from functions.jobs.own_cost import ITEMS_PER_BATCH

    parameter = template["Parameters"]["MapMaxItemsPerBatch"]
    assert parameter["Default"] == ITEMS_PER_BATCH and parameter["MinValue"] == 1
    machine = resources(template, EnableStepFunctions="true")["RunStateMachine"]["Properties"]
    assert machine["DefinitionSubstitutions"]["MapMaxItemsPerBatch"] == str(ITEMS_PER_BATCH)
    deployed = resources(template, EnableStepFunctions="true", MapMaxItemsPerBatch="20")
    substitutions = deployed["RunStateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert substitutions["MapMaxItemsPerBatch"] == "20"
