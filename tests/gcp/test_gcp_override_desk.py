"""The snooze function's GCP side against the fake: reading one VM live, setting its
override label through ``setLabels`` (fingerprint conflicts, refusals, operations that end
badly), and the signing key from Secret Manager."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import google_crc32c
import pytest
from gcp_helpers import OTHER_PROJECT, PROJECT, SCHEDULE, ZONE

from providers.gcp import override_tag, secrets
from providers.gcp.connection import GcpConnection
from providers.gcp.override_tag import GcpOverrideDesk
from providers.override_desk import CannotSnooze, DeskError, ResourceNotFound
from sandbox.gcp_fake import GcpFake

VM = f"projects/{PROJECT}/zones/{ZONE}/instances/dev"
OVERRIDE = "schedule-override"
KEY = b"k" * 32


@pytest.fixture
def desk(fake: GcpFake, connection: GcpConnection, clock: Any, built: Any) -> GcpOverrideDesk:
    built.permissions.update(override_tag.PERMISSIONS, secrets.PERMISSIONS)
    fake.add_instance(PROJECT, ZONE, "dev", "e2-medium", {**SCHEDULE, "team": "web"})
    return GcpOverrideDesk(connection, clock)


def _labels(fake: GcpFake) -> dict[str, str]:
    return dict(fake.instance(PROJECT, ZONE, "dev")["labels"])


def test_override_label_is_added_beside_the_others(fake: GcpFake, desk: GcpOverrideDesk) -> None:
    resource = desk.read(PROJECT, "europe-west4", "instances", VM)

    desk.write_override(resource, OVERRIDE, "running-until-2026-11-23t2100z")

    assert resource.name == "dev" and resource.tags == {**SCHEDULE, "team": "web"}
    assert _labels(fake) == {**SCHEDULE, "team": "web", OVERRIDE: "running-until-2026-11-23t2100z"}


def test_a_label_changed_in_between_is_read_again_and_kept(
    fake: GcpFake, desk: GcpOverrideDesk
) -> None:
    resource = desk.read(PROJECT, "europe-west4", "instances", VM)
    fake.fail("instances/dev/setLabels", 412, "Labels fingerprint invalid", times=1)

    desk.write_override(resource, OVERRIDE, "running-until-x")

    assert _labels(fake)[OVERRIDE] == "running-until-x"


def test_labels_that_keep_changing_give_up_after_a_second_read(
    fake: GcpFake, desk: GcpOverrideDesk
) -> None:
    resource = desk.read(PROJECT, "europe-west4", "instances", VM)
    fake.fail("instances/dev/setLabels", 412, "Labels fingerprint invalid", times=2)

    with pytest.raises(DeskError, match="labels kept changing: 412"):
        desk.write_override(resource, OVERRIDE, "running-until-x")
    assert OVERRIDE not in _labels(fake)


def test_refused_or_failed_set_labels_is_a_desk_error(fake: GcpFake, desk: GcpOverrideDesk) -> None:
    resource = desk.read(PROJECT, "europe-west4", "instances", VM)
    fake.fail("instances/dev/setLabels", 403, "compute.instances.setLabels denied", times=1)

    with pytest.raises(DeskError, match=r"403 .*setLabels denied"):
        desk.write_override(resource, OVERRIDE, "running-until-x")

    fake.fail_operation("dev", "setLabels", "Label quota exceeded.")
    with pytest.raises(DeskError, match=r"setLabels did not finish: .*Label quota exceeded"):
        desk.write_override(resource, OVERRIDE, "running-until-x")
    assert OVERRIDE not in _labels(fake)


def test_what_cannot_be_read_is_said_plainly(fake: GcpFake, desk: GcpOverrideDesk) -> None:
    gone = f"projects/{PROJECT}/zones/{ZONE}/instances/gone"
    with pytest.raises(ResourceNotFound, match="no instance 'gone'"):
        desk.read(PROJECT, "europe-west4", "instances", gone)
    with pytest.raises(ResourceNotFound, match="not a Compute Engine instance"):
        desk.read(PROJECT, "europe-west4", "instances", "projects/p/instances/x")
    with pytest.raises(CannotSnooze, match="instance template"):
        desk.read(PROJECT, "europe-west4", "instance-groups", VM)
    with pytest.raises(CannotSnooze, match="'gke-clusters'"):
        desk.read(PROJECT, "europe-west4", "gke-clusters", VM)
    with pytest.raises(CannotSnooze, match=f"names project {OTHER_PROJECT}"):
        desk.read(OTHER_PROJECT, "europe-west4", "instances", VM)
    fake.deny_project(PROJECT)
    with pytest.raises(DeskError, match=r"^403"):
        desk.read(PROJECT, "europe-west4", "instances", VM)


def test_the_key_is_read_from_secret_manager(fake: GcpFake, desk: GcpOverrideDesk) -> None:
    fake.add_secret(PROJECT, "snooze", b"short")
    fake.add_secret(PROJECT, "snooze", KEY)
    client = secrets.secret_client(desk.connection)
    name = f"projects/{PROJECT}/secrets/snooze"

    assert secrets.read_key(name, client) == KEY
    with pytest.raises(secrets.SecretError, match="shorter than 32 bytes"):
        secrets.read_key(f"{name}/versions/1", client)
    with pytest.raises(secrets.SecretError, match=r"cannot read the snooze key .*not found"):
        secrets.read_key(f"projects/{PROJECT}/secrets/missing", client)


def test_a_key_damaged_in_transit_is_refused() -> None:
    # The fake always sends a right checksum: a client answering a wrong one stands in
    # for a corrupted response.
    answer = SimpleNamespace(
        payload=SimpleNamespace(data=KEY, data_crc32c=google_crc32c.value(KEY) ^ 1)
    )
    client = SimpleNamespace(access_secret_version=lambda name: answer)

    with pytest.raises(secrets.SecretError, match="CRC32C mismatch"):
        secrets.read_key("projects/p/secrets/s", client)
