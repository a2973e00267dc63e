"""The daily inventory has a trigger of its own on every cloud, and it reaches the handler
code's inventory dispatch: ``{"action": "inventory"}`` for the Lambda and the Cloud
Function, the ``inventory`` timer's ``%OFFHOURS_INVENTORY_CRON%`` for the Azure app."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from infra_kit import TEMPLATE, TERRAFORM, Resolver, blocks, load_cfn, load_hcl


def _resource(module: str, file: str, kind: str, name: str) -> dict[str, Any]:
    parsed = load_hcl(TERRAFORM / module / file)
    (body,) = [b[name] for k, b in blocks(parsed, "resource") if k == kind and name in b]
    return body


def test_sam_runs_the_inventory_daily_through_the_function() -> None:
    template = load_cfn(TEMPLATE)
    for step_functions in ("false", "true"):
        deployed = Resolver(template, {"EnableStepFunctions": step_functions}).resources()
        trigger = deployed["InventoryTrigger"]["Properties"]
        assert trigger["ScheduleExpression"] == "cron(30 5 * * ? *)"
        assert trigger["Target"]["Arn"] == "<SchedulerFunction.Arn>"
        assert json.loads(trigger["Target"]["Input"]) == {
            "action": "inventory",
            "scheduled_time": "<aws.scheduler.scheduled-time>",
        }
        assert trigger["Target"]["DeadLetterConfig"]["Arn"] == "<FailureQueue.Arn>"
    assert "InventorySchedule" in template["Parameters"]


def test_terraform_aws_schedules_the_inventory() -> None:
    schedule = _resource("aws", "functions.tf", "aws_scheduler_schedule", "inventory")
    assert schedule["schedule_expression"] == "${var.inventory_schedule}"
    (target,) = schedule["target"]
    assert target["arn"] == "${aws_lambda_function.scheduler.arn}"
    assert target["input"] == "${local.inventory_input}"
    main = (TERRAFORM / "aws" / "main.tf").read_text()
    assert re.search(r'inventory_input\s*=\s*jsonencode\(\{ action = "inventory",', main)


def test_terraform_gcp_publishes_the_inventory_body() -> None:
    from functions.clouds.gcp_main import event_action

    job = _resource("gcp", "main.tf", "google_cloud_scheduler_job", "inventory")
    assert job["schedule"] == "${var.inventory_schedule}"
    (target,) = job["pubsub_target"]
    assert target["topic_name"] == "${google_pubsub_topic.run.id}"  # the scheduler's function
    assert re.fullmatch(
        r"\$\{base64encode\(jsonencode\(\{\s*action\s*=\s*\"inventory\"\s*\}\)\)\}", target["data"]
    )
    # What jsonencode({ action = "inventory" }) publishes, as the function receives it.
    data = base64.b64encode(b'{"action":"inventory"}').decode()
    event = type("Event", (), {"data": {"message": {"data": data}}})()
    assert event_action(event) == "inventory"


def test_terraform_azure_sets_the_inventory_timer() -> None:
    main = (TERRAFORM / "azure" / "main.tf").read_text()
    assert re.search(r"OFFHOURS_INVENTORY_CRON\s*=\s*var.inventory_cron", main)
