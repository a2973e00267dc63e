"""Schedules by resource group, through the real job against the ARM fake.

Tag a resource group ``schedule=office-hours`` and its untagged VMs follow it; a VM's own
tag wins; ``schedule-override=opt-out`` on a VM still opts it out; ``environment=prod`` on
a group protects everything inside. The fake lists groups as Resource Groups - List
answers (Microsoft.Resources 2021-04-01, azure-rest-api-specs
``specification/resources/resource-manager/Microsoft.Resources/stable/2021-04-01/
resources.json``, ``ResourceGroups_List``: ``{"value": [{"id", "name", "type",
"location", "properties": {"provisioningState"}, "tags"}], "nextLink"}``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from azure_testkit import SUB

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from providers.base import Action
from sandbox.azure_fake import AzureFake

WEDNESDAY = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
SIZE, PLACE = "Standard_D2s_v5", "westeurope"


def _seed(fake: AzureFake) -> None:
    fake.add_resource_group(SUB, "dev-rg", PLACE, {"Schedule": "office-hours", "team": "web"})
    fake.add_resource_group(SUB, "prod-rg", PLACE, {"schedule": "office-hours", "env": "prod"})
    vms = {
        ("dev-rg", "web-1"): {},
        ("dev-rg", "web-2"): {"team": "api"},
        ("dev-rg", "late-1"): {"schedule": "extended-hours"},
        ("dev-rg", "kept-1"): {"schedule-override": "opt-out"},
        ("prod-rg", "prod-1"): {},
        ("prod-rg", "prod-2"): {"schedule": "office-hours", "env": "dev"},
        ("other-rg", "jumpbox"): {},
    }
    for (group, name), tags in vms.items():
        fake.add_vm(SUB, group, name, SIZE, PLACE, tags, started_at=LONG_AGO)
    # Azure ML: a compute takes its workspace's tags, the workspace its group's.
    fake.add_ml_compute(SUB, "dev-rg", "ws", "nb-1", "Standard_DS3_v2", PLACE)
    fake.add_ml_compute(
        SUB, "dev-rg", "ws-late", "nb-2", "Standard_DS3_v2", PLACE,
        workspace_tags={"schedule": "extended-hours"},
    )  # fmt: skip


def _on(hour: float, start: int, stop: int) -> bool:
    return start <= hour < stop


def test_a_tagged_resource_group_schedules_its_untagged_vms_over_a_day(
    fake: AzureFake, tmp_path: Any
) -> None:
    _seed(fake)
    settings = (
        Settings(providers=("azure",), ledger=str(tmp_path / "ledger"))
        .replace(azure_endpoint_url=fake.url)
        .replace(kinds=("vms", "ml-compute"))
    )
    reasons: dict[str, set[str]] = {}
    for step in range(29):  # hourly, Wednesday 05:00 to Thursday 09:00 UTC
        now = WEDNESDAY + timedelta(hours=step)
        report = reconcile(build_job(settings, lambda now=now: now))
        assert report.errors == []
        for decision in report.decisions:
            reasons.setdefault(decision.resource.name, set()).add(decision.reason)
        power = {name: fake.vm(name).power_state for name in ("web-1", "web-2", "late-1")}
        office, extended = _on(now.hour, 8, 19), _on(now.hour, 7, 22)
        assert power == {
            "web-1": "running" if office else "deallocated",
            "web-2": "running" if office else "deallocated",
            "late-1": "running" if extended else "deallocated",
        }, now
        assert fake.ml_compute("nb-1").state == ("Running" if office else "Stopped"), now
        assert fake.ml_compute("nb-2").state == ("Running" if extended else "Stopped"), now
        for name in ("kept-1", "prod-1", "prod-2", "jumpbox"):
            assert fake.vm(name).power_state == "running", (name, now)

    assert all("schedule from resource group dev-rg" in r for r in reasons["web-1"])
    assert not any("from resource group" in r for r in reasons["late-1"])
    assert all("schedule from resource group dev-rg" in r for r in reasons["ws/nb-1"])
    assert all("schedule from workspace ws-late" in r for r in reasons["ws-late/nb-2"])
    assert reasons["kept-1"] == {"opted out (schedule-override=opt-out)"}
    assert reasons["prod-1"] == {"protected: env=prod (on resource group prod-rg)"}
    assert reasons["prod-2"] == {"protected: env=prod (on resource group prod-rg)"}
    assert "jumpbox" not in reasons  # untagged, in an untagged group: not scheduled

    rows = list(read_records(build_job(settings, lambda: WEDNESDAY).store))
    done = [r for r in rows if r["x_Outcome"] == "done"]
    by_vm: dict[str, list[dict[str, Any]]] = {}
    for row in done:
        by_vm.setdefault(row["ResourceName"], []).append(row)
    assert set(by_vm) == {"web-1", "web-2", "late-1", "ws/nb-1", "ws-late/nb-2"}
    # Off Wed 05:00-08:00 and Wed 19:00-Thu 08:00: 16 hours booked on the two returns.
    web = by_vm["web-1"]
    assert [r["x_Action"] for r in sorted(web, key=lambda r: r["ChargePeriodEnd"])].count(
        Action.STOP.value
    ) == 2
    assert sum(float(r["x_AvoidedHours"] or 0) for r in web) == 16
    assert sum(float(r["x_AvoidedHours"] or 0) for r in by_vm["late-1"]) == 2 + 9
    # The group's tags ride along under the VM's own, as the VM's would.
    assert web[0]["Tags"]["team"] == "web" and web[0]["x_Schedule"] == "office-hours"
    assert by_vm["web-2"][0]["Tags"]["team"] == "api"
