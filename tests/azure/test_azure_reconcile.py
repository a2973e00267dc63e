"""End to end: the reconcile job with every Azure adapter over the demo subscription."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job
from providers.base import Outcome
from sandbox.azure_fake.demo import seed_demo_subscription

EVENING = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # Wednesday, after office hours
MORNING = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)  # Thursday, office hours began 08:00


def _run(fake, tmp_path, now):
    settings = Settings(providers=("azure",), ledger=str(tmp_path / "ledger")).replace(
        azure_endpoint_url=fake.url
    )
    return reconcile(build_job(settings, clock=lambda: now))


def test_an_evening_and_the_next_morning(fake, tmp_path):
    seed_demo_subscription(fake)
    evening = _run(fake, tmp_path, EVENING)
    assert evening.errors == []
    failed = [r for r in evening.results if r.outcome is Outcome.FAILED]
    assert failed == [], [(r.resource.name, r.error) for r in failed]
    assert fake.vm("dev-web-1").power_state == "deallocated"
    assert fake.vm("build-agent").power_state == "deallocated"  # was only powered off
    assert fake.vm("gpu-notebook-ana").hibernated
    assert fake.vm("dev-api-1").power_state == "running"  # extended-hours: still on
    assert fake.vm("prod-api-1").power_state == "running"  # protected
    assert fake.vm("jumpbox").power_state == "running"  # untagged
    assert fake.vm("ci-runner-ephemeral").power_state == "running"  # cannot be deallocated
    assert fake.scale_set("dev-workers").capacity == 0
    assert fake.ml_compute("ana-t4").state == "Stopped"
    assert fake.aks("dev-aks").power_state == "Stopped"
    assert {p.name: p.count for p in fake.aks("ml-aks").pools.values()} == {
        "system": 1,
        "cpu": 0,
        "gpu": 0,
    }
    assert any((tmp_path / "ledger").rglob("*.jsonl.gz"))

    morning = _run(fake, tmp_path, MORNING)
    assert morning.errors == []
    assert [r for r in morning.results if r.outcome is Outcome.FAILED] == []
    assert fake.vm("dev-web-1").power_state == "running"
    assert fake.vm("build-agent").power_state == "running"
    assert fake.scale_set("dev-workers").capacity == 3
    assert fake.ml_compute("ana-t4").state == "Running"
    assert fake.aks("dev-aks").power_state == "Running"
    pools = fake.aks("ml-aks").pools
    assert (pools["cpu"].count, pools["gpu"].count, pools["gpu"].enable_auto_scaling) == (
        2,
        1,
        True,
    )


def test_a_forbidden_subscription_is_reported_and_the_others_run(fake, tmp_path):
    seed_demo_subscription(fake)
    fake.add_vm("00000000-0000-4000-8000-0000000000aa", "rg", "x", "Standard_B2s", "eastus")
    fake.deny_subscription("00000000-0000-4000-8000-0000000000aa")
    report = _run(fake, tmp_path, EVENING)
    denied = [t for t in report.targets if t.target.account.endswith("aa")]
    assert len(denied) == 1
    inventory = [e for e in denied[0].errors if "inventory failed" in e]
    assert len(denied[0].errors) - len(inventory) == 4  # one per kind
    assert len(inventory) in (0, 4)  # and one per kind's inventory, when one is due
    assert all("AuthorizationFailed" in e for e in denied[0].errors)
    assert fake.vm("dev-web-1").power_state == "deallocated"
