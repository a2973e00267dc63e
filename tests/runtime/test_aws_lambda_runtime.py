"""The AWS scheduler zip, run the way the Lambda python3.12 runtime runs it, against moto.

What is reproduced of the runtime: AWS's own runtime interface client (awslambdaric, from
.venv-tools/lambda-runtime, the folder that plays /var/runtime with the boto3 the runtime
provides) polls a local Runtime API for events and posts the handler's answers; the
interpreter is ``python3.12 -S`` with only the unzipped artefact (the task root) and the
runtime folder on its path; the task root is mounted read-only (as /var/task is) when
the machine allows a private mount namespace; the environment is the one template.yaml
gives SchedulerFunction, plus what Lambda itself sets (AWS_LAMBDA_*, AWS_REGION,
credentials). The events are what EventBridge Scheduler delivers: the target Input of
RunTrigger with ``<aws.scheduler.scheduled-time>`` filled in.

Not reproduced: the arm64 architecture (the zip is built for x86_64 with
``--arch x86_64``, same files and dependency versions), the Lambda sandbox's other limits,
CloudWatch (the log lines are read from the process's stdout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lambda_runtime_api import RuntimeApi, runtime_api
from runtime_kit import LAMBDA_RUNTIME, ROOT, build, clean_env, python312, unzip

from sandbox.moto_server import FAKE_ENV, moto_server

sys.path.insert(0, str(ROOT / "tests" / "infra"))
from infra_kit import TEMPLATE, Resolver, load_cfn

PYTHON = python312()
pytestmark = [
    pytest.mark.skipif(PYTHON is None, reason="no python3.12 on this machine (Lambda runtime)"),
    pytest.mark.skipif(
        not (LAMBDA_RUNTIME / "awslambdaric").exists(),
        reason="awslambdaric is not installed: run .ci/install-tools.sh (make tools)",
    ),
]

REGION = "eu-west-1"
BUCKET = "offhours-ledger-smoke"
# Monday 21:00 UTC: office-hours is off.
SCHEDULED = "2026-11-23T21:00:00Z"
SCHEDULER_INPUT = load_cfn(TEMPLATE)["Resources"]["RunTrigger"]["Properties"]["Target"]["Input"]


def scheduler_event(at: str = SCHEDULED) -> dict[str, Any]:
    filled = SCHEDULER_INPUT.replace("<aws.scheduler.scheduled-time>", at)
    event: dict[str, Any] = json.loads(filled)
    return event


def template_env(**params: str) -> dict[str, str]:
    resources = Resolver(load_cfn(TEMPLATE), params).resources()
    variables = resources["SchedulerFunction"]["Properties"]["Environment"]["Variables"]
    env = {k: str(v) for k, v in variables.items()}
    env["OFFHOURS_LEDGER"] = env["OFFHOURS_LEDGER"].replace("<LedgerBucket>", BUCKET)
    return env


def can_mount_read_only() -> bool:
    if not shutil.which("unshare"):
        return False
    done = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture(scope="module")
def task_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("aws-dist")
    build("aws", out, "offhours-aws")
    return unzip(out / "offhours-aws.zip", tmp_path_factory.mktemp("var-task"))


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    import boto3

    from sandbox.aws_fleet import AMI, set_launch_time

    with moto_server() as url:
        kwargs = {"endpoint_url": url, "region_name": REGION, **_credentials()}
        ec2 = boto3.client("ec2", **kwargs)
        s3 = boto3.client("s3", **kwargs)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        ids = {}
        for name, tags in {
            "dev-box": {"schedule": "office-hours"},
            "prod-box": {"schedule": "office-hours", "environment": "prod"},
        }.items():
            tag_list = [{"Key": "Name", "Value": name}] + [
                {"Key": k, "Value": v} for k, v in tags.items()
            ]
            launched = ec2.run_instances(
                ImageId=AMI,
                MinCount=1,
                MaxCount=1,
                InstanceType="t3.medium",
                TagSpecifications=[{"ResourceType": "instance", "Tags": tag_list}],
            )
            ids[name] = launched["Instances"][0]["InstanceId"]
            set_launch_time(ids[name], datetime(2026, 11, 23, 7, tzinfo=UTC), region=REGION)
        yield {"url": url, "ec2": ec2, "s3": s3, "ids": ids}


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
        "aws_session_token": FAKE_ENV["AWS_SESSION_TOKEN"],
    }


def state(aws: dict[str, Any], name: str) -> str:
    found = aws["ec2"].describe_instances(InstanceIds=[aws["ids"][name]])
    value: str = found["Reservations"][0]["Instances"][0]["State"]["Name"]
    return value


def ledger_keys(aws: dict[str, Any]) -> set[str]:
    listed = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="offhours/ledger/")
    return {o["Key"] for o in listed.get("Contents", [])}


@contextmanager
def lambda_process(
    task: Path, aws: dict[str, Any], env: dict[str, str], log: Path
) -> Iterator[RuntimeApi]:
    """One execution environment: init once, then as many invocations as the test sends."""
    assert PYTHON is not None
    handler = "functions.clouds.aws_lambda.handler"
    with runtime_api() as api:
        process_env = clean_env(
            **env,
            **FAKE_ENV,
            _HANDLER=handler,
            LAMBDA_TASK_ROOT=str(task),
            LAMBDA_RUNTIME_DIR=str(LAMBDA_RUNTIME),
            PYTHONPATH=os.pathsep.join([str(task), str(LAMBDA_RUNTIME)]),
            AWS_LAMBDA_RUNTIME_API=api.address,
            AWS_LAMBDA_FUNCTION_NAME="offhours-scheduler",
            AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
            AWS_LAMBDA_LOG_GROUP_NAME="/offhours/offhours/scheduler",
            AWS_LAMBDA_LOG_STREAM_NAME="smoke",
            AWS_EXECUTION_ENV="AWS_Lambda_python3.12",
            AWS_REGION=REGION,
            AWS_DEFAULT_REGION=REGION,
            AWS_ENDPOINT_URL=aws["url"],
            TZ=":UTC",
        )
        command = [PYTHON, "-S", "-m", "awslambdaric", handler]
        if can_mount_read_only():
            # /var/task is read-only on Lambda: nothing may be written next to the code.
            mount = f'mount --bind -o ro {task} {task} && exec "$@"'
            command = ["unshare", "-m", "sh", "-c", mount, "sh", *command]
        with log.open("w") as sink:
            process = subprocess.Popen(
                command, cwd=task, env=process_env, stdout=sink, stderr=subprocess.STDOUT
            )
            try:
                yield api
            finally:
                process.terminate()
                process.wait(timeout=20)


def json_lines(log: Path) -> list[dict[str, Any]]:
    """Every line the function printed; each must be JSON (Powertools logs, EMF)."""
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a plain-text line in the function's log: {line!r}") from None
    return parsed


def metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The EMF blobs' metric values by name."""
    found: dict[str, Any] = {}
    for record in records:
        emf = record.get("_aws", {}).get("CloudWatchMetrics")
        if emf:
            assert emf[0]["Namespace"] == "offhours"
            for metric in emf[0]["Metrics"]:
                value = record[metric["Name"]]
                found[metric["Name"]] = value[0] if isinstance(value, list) else value
    return found


def test_dry_run_changes_nothing_and_logs_json(
    task_root: Path, aws: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "dry-run.log"
    with lambda_process(task_root, aws, template_env(), log) as api:
        answer = api.invoke(scheduler_event())
    assert answer.error is None, answer.error
    assert answer.response["dry_run"] is True
    assert answer.response["errors"] == []
    assert answer.response["actions"] == {"stop-dry-run": 1}
    assert state(aws, "dev-box") == "running"
    assert ledger_keys(aws) == set()
    records = json_lines(log)
    decisions = [r for r in records if r.get("message") == "decision"]
    assert {r["resource_name"] for r in decisions} >= {"dev-box", "prod-box"}
    assert all(r["service"] == "offhours" and r["function_request_id"] for r in decisions)
    assert metrics(records)["ResourcesStopped"] == 0


def test_acting_then_a_retried_event_books_nothing_twice(
    task_root: Path, aws: dict[str, Any], tmp_path: Path
) -> None:
    log = tmp_path / "act.log"
    env = template_env(DryRun="false")
    with lambda_process(task_root, aws, env, log) as api:
        first = api.invoke(scheduler_event())
        assert first.error is None, first.error
        assert (
            first.response["actions"].get("stop-done", 0)
            + first.response["actions"].get("stop-accepted", 0)
            == 1
        )
        assert state(aws, "dev-box") == "stopped"
        assert state(aws, "prod-box") == "running"  # protected
        written = ledger_keys(aws)
        assert written

        # EventBridge Scheduler retries with the same Input: a run of its own (run ids are
        # unique per invocation) at the same instant, which finds nothing left to do.
        retried = api.invoke(scheduler_event())
        assert retried.error is None, retried.error
        assert retried.response["run_id"] != first.response["run_id"]
        assert retried.response["run_id"][:16] == first.response["run_id"][:16]
        assert not [k for k in retried.response["actions"] if k.startswith("stop")]
        assert ledger_keys(aws) == written
        assert state(aws, "dev-box") == "stopped"
    assert metrics(json_lines(log))["ResourcesStopped"] == 0  # the retry's blob is the last


def test_list_targets_step_logs_only_json(
    task_root: Path, aws: dict[str, Any], tmp_path: Path
) -> None:
    """The first step of the Step Functions fan-out; Powertools used to print a plain-text
    "No application metrics to publish" warning for it."""
    log = tmp_path / "list-targets.log"
    event = {"action": "list-targets", **scheduler_event()}
    with lambda_process(task_root, aws, template_env(), log) as api:
        answer = api.invoke(event)
    assert answer.error is None, answer.error
    assert answer.response["targets"] == [{"account": "123456789012", "region": REGION}]
    json_lines(log)


def test_a_fan_out_batch_from_the_shipped_state_machine_acts(
    task_root: Path, aws: dict[str, Any], tmp_path: Path
) -> None:
    """The list-targets step, then the Map's child event as the shipped definition builds
    it (``sandbox/step_functions.py``: ItemBatcher, then the child Task's payload), both
    through the runtime: the batch is one run over its targets."""
    from sandbox.step_functions import FanOut, substitute

    definition = (ROOT / "infra" / "aws" / "state-machine.asl.json").read_text()
    values = {"SchedulerFunctionArn": "arn", "MapMaxConcurrency": "10", "Partition": "aws"}
    fan_out = FanOut(substitute(definition, {**values, "MapMaxItemsPerBatch": "50"}))
    # The next evening, the box back on (an earlier test of this module stopped it).
    aws["ec2"].start_instances(InstanceIds=[aws["ids"]["dev-box"]])
    with lambda_process(task_root, aws, template_env(DryRun="false"), tmp_path / "fan.log") as api:
        listed = api.invoke(fan_out.listing_event(scheduler_event("2026-11-24T21:00:00Z")))
        assert listed.error is None, listed.error
        (batch,) = fan_out.child_events(listed.response)
        assert batch["targets"] == [{"account": "123456789012", "region": REGION}]
        answer = api.invoke(batch)
    assert answer.error is None, answer.error
    assert answer.response["errors"] == [] and answer.response["deferred"] == []
    actions = answer.response["actions"]
    assert actions.get("stop-done", 0) + actions.get("stop-accepted", 0) == 1
    assert (state(aws, "dev-box"), state(aws, "prod-box")) == ("stopped", "running")
    assert ledger_keys(aws)
