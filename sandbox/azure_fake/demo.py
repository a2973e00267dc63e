"""The demo's Azure subscription: a small, realistic fleet in the local ARM fake.

with start_azure_fake() as fake:
    seed_demo_subscription(fake)
    os.environ.update(fake.credential_env())  # DefaultAzureCredential: the fake's tenant
    connection = connect(ProviderConfig(endpoint_url=fake.url))
"""

from __future__ import annotations

from datetime import timedelta

from sandbox.azure_fake.model import FakeAgentPool
from sandbox.azure_fake.server import AzureFake

DEMO_SUBSCRIPTION = "5ca1ab1e-0ff0-4a0e-9d0e-00000000de70"
DEMO_REGION = "westeurope"


def seed_demo_subscription(fake: AzureFake, subscription: str = DEMO_SUBSCRIPTION) -> None:
    """Dev VMs of several sizes, a GPU notebook VM, a powered-off (still billing) build box,
    an untagged jumpbox, a protected production VM, a CI runner on an ephemeral OS disk
    (which Azure cannot deallocate: offhours leaves it alone and says why), a scale set, an
    Azure ML compute instance, an AKS cluster stopped whole and one scaled by node pools."""
    fake.add_subscription(subscription, "offhours demo")
    # Everything running was started days ago (no grace period for a recent manual start).
    started = fake.clock() - timedelta(days=3)
    rg, region = "dev-rg", DEMO_REGION
    office = {"schedule": "office-hours"}
    vms = [
        # (resource group, name, size, tags, power state, hibernation enabled)
        (rg, "dev-web-1", "Standard_D2s_v5", {**office, "team": "web"}, "running", False),
        (
            rg, "dev-api-1", "Standard_D4s_v5",
            {"Schedule": "extended-hours", "team": "web"}, "running", False,
        ),
        (rg, "dev-db-1", "Standard_E4s_v5", {**office, "team": "data"}, "running", False),
        # Powered off from inside the guest: still allocated, still billing.
        (rg, "build-agent", "Standard_B2ms", {**office, "team": "platform"}, "stopped", False),
        (
            "ml-rg", "gpu-notebook-ana", "Standard_NC6s_v3",
            {**office, "team": "ml", "offhours-hibernate": "true"}, "running", True,
        ),
        (rg, "jumpbox", "Standard_B1s", {"team": "platform"}, "running", False),
        (
            "prod-rg", "prod-api-1", "Standard_D8s_v5",
            {**office, "Environment": "Prod", "team": "web"}, "running", False,
        ),
    ]  # fmt: skip
    for group, name, size, tags, power, hibernation in vms:
        fake.add_vm(
            subscription, group, name, size, region, tags, power, hibernation, started_at=started
        )
    fake.add_vm(
        subscription, rg, "ci-runner-ephemeral", "Standard_D4ds_v5", region,
        {**office, "team": "platform"}, started_at=started, ephemeral_placement="ResourceDisk",
    )  # fmt: skip
    fake.add_scale_set(
        subscription, rg, "dev-workers", "Standard_D2s_v5", region, {**office, "team": "web"}, 3
    )
    fake.add_ml_compute(
        subscription,
        "ml-rg",
        "ml-research",
        "ana-t4",
        "STANDARD_NC4AS_T4_V3",
        region,
        tags={"team": "ml"},
        workspace_tags=office,
    )
    fake.add_aks(subscription, rg, "dev-aks", region, {**office, "team": "platform"})
    fake.add_aks(
        subscription,
        "ml-rg",
        "ml-aks",
        region,
        {**office, "team": "ml", "offhours-aks-mode": "nodepools"},
        pools=[
            FakeAgentPool("system", 1, "Standard_D2s_v5", mode="System"),
            FakeAgentPool("cpu", 2, "Standard_D4s_v5"),
            FakeAgentPool(
                "gpu", 1, "Standard_NC4as_T4_v3", enable_auto_scaling=True, min_count=1, max_count=3
            ),
        ],
    )
