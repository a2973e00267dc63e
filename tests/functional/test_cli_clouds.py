"""``offhours plan/run/explain --provider gcp|azure`` against the local fakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.cli.main import main
from sandbox.azure_fake import start_azure_fake
from sandbox.gcp_fake import start_gcp_fake

EVENING = "2026-11-23T20:00:00+00:00"  # a Monday, after office hours (UTC)


def test_gcp_plan_run_explain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with start_gcp_fake() as fake:
        fake.add_project("dev-project")
        fake.add_instance(
            "dev-project", "europe-west4-a", "dev-vm", "e2-standard-4", {"schedule": "office-hours"}
        )
        monkeypatch.setenv("OFFHOURS_GCP_ENDPOINT_URL", fake.url)
        for name, value in fake.credential_env(tmp_path).items():  # ADC: the fake's key
            monkeypatch.setenv(name, value)
        common = (
            "--provider",
            "gcp",
            "--project",
            "dev-project",
            "--ledger",
            str(tmp_path),
            "--at",
            EVENING,
        )
        assert main(["plan", *common]) == 0
        assert "office-hours: off since Mon 19:00 UTC" in capsys.readouterr().out
        assert fake.instance("dev-project", "europe-west4-a", "dev-vm")["status"] == "RUNNING"
        assert main(["run", *common]) == 0
        assert fake.instance("dev-project", "europe-west4-a", "dev-vm")["status"] == "TERMINATED"
        capsys.readouterr()
        assert main(["explain", "dev-vm", *common]) == 0
        assert "desired:    stopped" in capsys.readouterr().out


def test_azure_plan_run_explain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    subscription = "00000000-0000-0000-0000-0000000000bb"
    with start_azure_fake() as fake:
        fake.add_subscription(subscription, "dev")
        fake.add_vm(
            subscription,
            "rg",
            "dev-vm",
            "Standard_D2s_v5",
            "westeurope",
            {"schedule": "office-hours"},
        )
        monkeypatch.setenv("OFFHOURS_AZURE_ENDPOINT_URL", fake.url)
        for name, value in fake.credential_env().items():  # the fake's Entra ID tenant
            monkeypatch.setenv(name, value)
        common = (
            "--provider",
            "azure",
            "--subscription",
            subscription,
            "--ledger",
            str(tmp_path),
            "--at",
            EVENING,
        )
        assert main(["plan", *common]) == 0
        assert "office-hours: off since Mon 19:00 UTC" in capsys.readouterr().out
        assert main(["run", *common]) == 0
        assert fake.vm("dev-vm").power_state == "deallocated"
        capsys.readouterr()
        assert main(["explain", "dev-vm", *common]) == 0
        assert "decision:   skip: office-hours: off since Mon 19:00 UTC; already off" in (
            capsys.readouterr().out
        )
