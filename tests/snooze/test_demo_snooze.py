"""The demo's snooze step on the demo's dev-alice (the demo fleet's box, seeded alone to keep
the test cheap): the tag is set, the pages are written and the ledger has the row the
week's digest reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from functions.cli.demo import SNOOZE_AT, SimClock, _snooze_step
from ledger.book import read_records
from providers.store import LocalStore
from sandbox.aws_fleet import demo_fleet, seed

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


def test_the_demo_snoozes_dev_alice_through_the_lambda_handler(tmp_path: Path) -> None:
    import boto3

    clock = SimClock(MONDAY + SNOOZE_AT)
    store = LocalStore(tmp_path / "ledger")
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        seed(ec2, [b for b in demo_fleet(MONDAY) if b.name == "dev-alice"], MONDAY)
        _snooze_step(clock, store, tmp_path / "snooze")()
        [reservation] = ec2.describe_instances(
            Filters=[{"Name": "tag:Name", "Values": ["dev-alice"]}]
        )["Reservations"]
        tags = {t["Key"]: t["Value"] for t in reservation["Instances"][0]["Tags"]}
    assert tags["schedule-override"] == "running-until-20261119t2100z"
    assert "Keep this resource running?" in (tmp_path / "snooze" / "confirm.html").read_text()
    assert "Kept running" in (tmp_path / "snooze" / "done.html").read_text()
    [row] = list(read_records(store))
    assert (row["x_Action"], row["ResourceName"], row["x_Detail"]) == (
        "snooze",
        "dev-alice",
        "requested by alice@example.com",
    )
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == (
        "2026-11-19T19:00:00Z",
        "2026-11-19T21:00:00Z",
    )
