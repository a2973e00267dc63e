"""A small, realistic GCP fleet for ``offhours demo`` (and tests that want one)."""

from __future__ import annotations

from providers.gcp.local_ssd import OPT_IN_LABEL
from sandbox.gcp_fake.server import GcpFake

DEMO_PROJECT = "offhours-demo"
ZONE = "europe-west4-a"
REGION = "europe-west4"
OFFICE = {"schedule": "office-hours", "team": "platform"}


def seed_demo_project(fake: GcpFake, project: str = DEMO_PROJECT) -> None:
    """Dev VMs of several sizes, a GPU notebook box, an unlabelled VM, a protected prod VM, a
    MIG scheduled through its template, a Workbench instance, an idle endpoint, and two VMs
    with a Local SSD: one left running (its owner has not accepted losing the disk's data),
    one whose owner has (stopped with the data discarded)."""
    fake.add_project(project)
    fake.add_instance(project, ZONE, "dev-alice", "e2-standard-4", OFFICE)
    fake.add_instance(project, ZONE, "dev-bob", "n2-standard-8", {**OFFICE, "team": "data"})
    fake.add_instance(project, ZONE, "ci-runner", "c3-standard-8", {**OFFICE, "team": "build"})
    fake.add_instance(
        project, "us-central1-a", "dev-carol", "n2d-standard-4", {**OFFICE, "team": "web"}
    )
    fake.add_instance(
        project,
        ZONE,
        "gpu-notebook",
        "g2-standard-8",
        {"schedule": "office-hours", "team": "ml", "purpose": "notebook"},
        gpus=("nvidia-l4", 1),
    )
    fake.add_instance(
        project,
        ZONE,
        "gpu-scratch",
        "g2-standard-8",
        {**OFFICE, "team": "ml"},
        local_ssds=1,
        gpus=("nvidia-l4", 1),
    )
    fake.add_instance(
        project,
        ZONE,
        "etl-cache",
        "n2-standard-8",
        {**OFFICE, "team": "data", OPT_IN_LABEL: "true"},
        local_ssds=2,
    )
    fake.add_instance(project, ZONE, "bastion", "e2-micro", {"team": "platform"})
    fake.add_instance(
        project,
        ZONE,
        "api-prod",
        "n2-standard-4",
        {"schedule": "office-hours", "environment": "prod"},
    )
    fake.add_template(project, "render-workers-v3", "n2-standard-4", {**OFFICE, "team": "render"})
    fake.add_mig(project, ZONE, "render-workers", "render-workers-v3", 3)
    fake.add_workbench(
        project,
        ZONE,
        "ml-workbench",
        "n1-standard-4",
        {"schedule": "office-hours", "team": "ml"},
        gpus=("NVIDIA_TESLA_T4", 1),
    )
    fake.add_endpoint(
        project,
        REGION,
        "4242424242",
        "churn-model",
        {"idle-stop": "60m", "team": "ml"},
        deployed_models=[
            {
                "id": "7001",
                "model": f"projects/{project}/locations/{REGION}/models/churn",
                "displayName": "churn-v7",
                "dedicatedResources": {
                    "machineSpec": {
                        "machineType": "n1-standard-4",
                        "acceleratorType": "NVIDIA_TESLA_T4",
                        "acceleratorCount": 1,
                    },
                    "minReplicaCount": 1,
                    "maxReplicaCount": 2,
                },
            }
        ],
    )
    fake.set_prediction_count(project, "4242424242", 0)
