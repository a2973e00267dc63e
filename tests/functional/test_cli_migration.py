"""Moving over without retagging, on moto: boxes tagged as Cloud Custodian and
kube-downscaler tag them are planned and stopped by ``offhours run``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.cli.main import main
from sandbox.aws_fleet import Box, instance_states, launch

RANGE = "2026-11-26T14:00:00+00:00-2026-11-26T16:00:00+00:00"


def decisions(tmp_path: Path, at: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    args = ["run", "--region", "eu-west-1", "--ledger", str(tmp_path), "--at", at, "-o", "json"]
    assert main(args) == 0
    return {d["name"]: d for d in json.loads(capsys.readouterr().out)["decisions"]}


def test_peer_tag_values_are_scheduled(
    ec2: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    launch(ec2, Box("custodian", "t3.small", {"schedule": '"Offhours tz=PT"'}))
    launch(ec2, Box("escaped", "t3.small", {"schedule": "offu3du28M-Fu2c18u29u3btzu3dcet"}))
    launch(ec2, Box("window", "t3.small", {"schedule": RANGE}))
    launch(ec2, Box("always", "t3.small", {"schedule": "always"}))
    # Thursday 15:00 UTC: 07:00 in Seattle (the default on hour), 16:00 in Berlin.
    seen = decisions(tmp_path, "2026-11-26T15:00:00+00:00", capsys)
    assert {n: d["action"] for n, d in seen.items()} == {
        "custodian": "skip",
        "escaped": "skip",
        "window": "skip",
        "always": "skip",
    }
    assert all(not d["problem"] for d in seen.values())
    # 17:30 UTC: past 18:00 in Berlin, past the range's end; Seattle is still on.
    seen = decisions(tmp_path, "2026-11-26T17:30:00+00:00", capsys)
    assert instance_states(ec2) == {
        "custodian": "running",
        "escaped": "stopped",
        "window": "stopped",
        "always": "running",
    }
    # 03:00 UTC Friday is 19:00 Thursday in Seattle: Custodian's default off hour.
    decisions(tmp_path, "2026-11-27T03:00:00+00:00", capsys)
    assert instance_states(ec2)["custodian"] == "stopped"
