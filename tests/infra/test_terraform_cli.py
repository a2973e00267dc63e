"""The Terraform modules through the terraform binary itself, when the machine has it.

* ``terraform fmt -check -recursive`` over every module and example (no provider needed);
* ``terraform init -backend=false`` + ``terraform validate`` of the AWS module and of its
  example, with the ``hashicorp/aws`` provider from the filesystem mirror
  (``/opt/tf-plugins``, or ``OFFHOURS_TF_PLUGIN_DIR``);
* ``terraform plan`` of the AWS example against a moto server: the provider reads the
  account through STS and plans every resource. Step Functions stay off (the example's
  default): moto lacks ``ValidateStateMachineDefinition``, which the provider calls for a
  state machine.

The google and azurerm providers cannot be downloaded on this machine: those modules get
``fmt`` here and the static checks of test_terraform.py (python-hcl2), not ``validate``.
The modules read files beside them (``../../aws/offhours-policy.json``), so each run
works on a copy of ``infra/`` in a temporary folder and leaves no ``.terraform`` behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from infra_kit import ROOT, TERRAFORM

from sandbox.moto_server import FAKE_ENV, moto_server

TERRAFORM_BIN = shutil.which("terraform") or "/usr/local/bin/terraform"
PLUGIN_DIR = Path(os.environ.get("OFFHOURS_TF_PLUGIN_DIR", "/opt/tf-plugins"))

needs_terraform = pytest.mark.skipif(
    not Path(TERRAFORM_BIN).exists(), reason="terraform is not installed on this machine"
)
needs_aws_provider = pytest.mark.skipif(
    not (PLUGIN_DIR / "registry.terraform.io" / "hashicorp" / "aws").exists(),
    reason=f"no hashicorp/aws provider in the filesystem mirror {PLUGIN_DIR}",
)


def terraform(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    home = Path(tempfile.gettempdir()) / "offhours-terraform-home"
    home.mkdir(exist_ok=True)
    done = subprocess.run(
        [TERRAFORM_BIN, *args, "-no-color"],
        cwd=cwd,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),  # terraform writes a checkpoint file there
            "CHECKPOINT_DISABLE": "1",  # and would ask the network for a version check
            "TF_CLI_CONFIG_FILE": "/dev/null",  # no CLI config: nothing but the mirror
            "TF_IN_AUTOMATION": "1",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"terraform {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@needs_terraform
def test_fmt_check_every_module() -> None:
    terraform("fmt", "-check", "-recursive", "-diff", str(TERRAFORM), cwd=ROOT)


@pytest.fixture(scope="module")
def infra_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of infra/ with stand-in zips where the example expects dist/ (plan only
    hashes them)."""
    root = tmp_path_factory.mktemp("tf")
    shutil.copytree(ROOT / "infra", root / "infra", ignore=shutil.ignore_patterns(".terraform*"))
    (root / "dist").mkdir()
    for name in ("offhours-aws", "offhours-aws-digest"):
        with zipfile.ZipFile(root / "dist" / f"{name}.zip", "w") as archive:
            archive.writestr("functions/__init__.py", "")
    return root


def init(directory: Path) -> None:
    terraform("init", "-backend=false", "-input=false", f"-plugin-dir={PLUGIN_DIR}", cwd=directory)


@needs_terraform
@needs_aws_provider
def test_aws_module_validates(infra_copy: Path) -> None:
    module = infra_copy / "infra" / "terraform" / "aws"
    init(module)
    assert "configuration is valid" in terraform("validate", cwd=module)


@pytest.fixture(scope="module")
def aws_example(infra_copy: Path) -> Path:
    example = infra_copy / "infra" / "terraform" / "aws" / "examples" / "basic"
    init(example)
    return example


@needs_terraform
@needs_aws_provider
def test_aws_example_validates(aws_example: Path) -> None:
    assert "configuration is valid" in terraform("validate", cwd=aws_example)


@pytest.fixture(scope="module")
def aws_plan(aws_example: Path) -> Iterator[dict]:
    with moto_server() as url:
        env = {**FAKE_ENV, "AWS_ENDPOINT_URL": url, "AWS_REGION": "eu-west-1"}
        terraform("plan", "-input=false", "-out=plan.bin", cwd=aws_example, env=env)
        yield json.loads(terraform("show", "-json", "plan.bin", cwd=aws_example, env=env))


def planned(plan: dict) -> dict[str, dict]:
    return {
        change["address"]: change["change"]["after"]
        for change in plan["resource_changes"]
        if change["change"]["actions"] == ["create"]
    }


@needs_terraform
@needs_aws_provider
def test_aws_example_plans_against_moto(aws_plan: dict) -> None:
    resources = planned(aws_plan)
    scheduler = resources["module.offhours.aws_lambda_function.scheduler"]
    assert scheduler["handler"] == "functions.clouds.aws_lambda.handler"
    assert scheduler["runtime"] == "python3.12"
    # No reservation by default: an account at the default quota of 10 cannot reserve
    # any; the run lease keeps one run per target.
    assert scheduler["reserved_concurrent_executions"] == -1
    assert "module.offhours.aws_scheduler_schedule.run" in resources
    # Code through S3 (a direct upload is capped at 50 MB; the digest zip is near it).
    assert scheduler["filename"] is None and scheduler["s3_key"].startswith("artefacts/")
    package = resources["module.offhours.aws_s3_object.scheduler_package"]
    assert package["key"] == scheduler["s3_key"]
    assert not [a for a in resources if "aws_sfn_state_machine" in a]  # Step Functions off


@needs_terraform
@needs_aws_provider
def test_aws_example_denies_changes_to_protected_resources(aws_plan: dict) -> None:
    """The deny document as terraform renders it, evaluated: a stop of a schedule-tagged
    instance tagged Environment=PROD is denied, from the same set the function skips."""
    from iam_eval import Request, decide

    from schedules.protected import DEFAULT, ProtectedTags

    resources = planned(aws_plan)
    denies = json.loads(resources["module.offhours.aws_iam_policy.protected"]["policy"])
    # The allows depend on the bucket the plan has yet to create: the policy file's own.
    from test_iam_policies import VALUES, policy_text, render

    allows = render(policy_text(), {**VALUES, "TagKey": "schedule", "IdleTagKey": "idle-stop"})
    instance = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc"
    stop = Request("ec2:StopInstances", instance, {"schedule": "office-hours"})
    prod = Request("ec2:StopInstances", instance, {"schedule": "x", "Environment": "PROD"})
    assert decide([allows], prod) == "allow"  # the allows alone would let it through
    assert decide([allows, denies], stop) == "allow"
    assert decide([allows, denies], prod) == "explicit deny"
    rules = {
        key.removeprefix("aws:ResourceTag/"): values
        for s in denies["Statement"]
        for key, values in s["Condition"]["StringEqualsIgnoreCase"].items()
    }
    assert ProtectedTags.of(rules) == DEFAULT
    attachment = resources["module.offhours.aws_iam_role_policy_attachment.protected"]
    assert attachment is not None  # role and ARN are known only after apply
