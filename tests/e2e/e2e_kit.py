"""The installed ``offhours`` console script against a moto server on loopback.

Every test runs the real entry point as a subprocess, so what it checks is what an
engineer at a terminal sees: the exit code, stdout, and a stderr of one line at most.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.aws_fleet import Box, launch
from sandbox.moto_server import FAKE_ENV

REGION = "eu-west-1"
EVENING = "2026-11-23T20:00:00+00:00"  # a Monday, after office hours
SCRIPT = Path(sys.executable).with_name("offhours")
# The console script runs this tree's code, whichever checkout the package was installed from.
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Cli:
    """Runs ``offhours`` with an environment that can reach only the moto server."""

    url: str
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # The tree under test, when it is not the one the console script was installed from.
            "HOME": str(self.home),
            "PYTHONPATH": str(ROOT),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.url,
            "OFFHOURS_AWS_ENDPOINT_URL": self.url,
            "OFFHOURS_STORE_ENDPOINT_URL": self.url,
            "NO_PROXY": "127.0.0.1,localhost",
            # The seeded kinds only: discovering the other AWS kinds finds nothing, slowly.
            "OFFHOURS_KINDS": "ec2,rds,aurora,asg",
            **FAKE_ENV,
        }
        env.update(extra)
        return {k: v for k, v in env.items() if v != ""}

    def __call__(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *args],
            capture_output=True,
            text=True,
            env=self.env(**(env or {})),
            timeout=timeout,
            check=False,
        )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (and proof there is no traceback)."""
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(err.splitlines()) == 1, proc.stderr
    return err


@dataclass
class World:
    """What was seeded in moto, and a way to read every resource's state back."""

    clients: Mapping[str, Any]
    ids: Mapping[str, str]

    def states(self) -> dict[str, Any]:
        ec2, rds, asg = self.clients["ec2"], self.clients["rds"], self.clients["autoscaling"]
        found: dict[str, Any] = {}
        for page in ec2.get_paginator("describe_instances").paginate():
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
                    name = tags.get("Name", instance["InstanceId"])
                    found[f"ec2:{name}"] = instance["State"]["Name"]
        for db in rds.describe_db_instances()["DBInstances"]:
            found[f"rds:{db['DBInstanceIdentifier']}"] = db["DBInstanceStatus"]
        for group in asg.describe_auto_scaling_groups()["AutoScalingGroups"]:
            found[f"asg:{group['AutoScalingGroupName']}"] = (
                group["MinSize"],
                group["DesiredCapacity"],
                group["MaxSize"],
            )
        return found


FLEET = [
    Box("dev-a", "t3.medium", {"schedule": "office-hours", "team": "web"}),
    Box("dev-b", "t3.large", {"schedule": "office-hours", "team": "web"}),
    Box("dev-c", "m5.large", {"schedule": "office-hours", "team": "data"}),
    Box("asleep", "t3.medium", {"schedule": "office-hours", "team": "data"}, running=False),
    Box("prod", "t3.medium", {"schedule": "office-hours", "environment": "prod"}),
    Box(
        "long-tag",
        "t3.small",
        {"schedule": "mon-fry 09:00-17:00 Europe/London with a very long tail of words"},
    ),
]


def seed(clients: Mapping[str, Any]) -> dict[str, str]:
    from sandbox.aws_more import seed_databases, seed_group

    ids = {box.name: launch(clients["ec2"], box) for box in FLEET}
    ids.update(seed_databases(clients["rds"]))
    ids.update(seed_group(clients["ec2"], clients["autoscaling"], REGION))
    return ids


def tree(path: Path) -> list[str]:
    """Every file and directory under ``path`` (empty when it does not exist)."""
    if not path.exists():
        return []
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))
