"""Readers accept every older row layout; newer ones are refused with a clear error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledger_rows import booking, write_rows

from ledger.book import encode
from ledger.record import SCHEMA_VERSION
from ledger.schema import COLUMN_NAMES
from ledger.summary import window_summary
from ledger.versions import LedgerVersionError, upgrade
from providers.store import LocalStore

MON = datetime(2026, 11, 23, tzinfo=UTC)

# The hand-made pre-release layout (docs/ledger.md, "Versions and upgrades").
V0_ROW = {
    "at": "2026-11-24T08:00:00Z",
    "provider": "aws",
    "account": "111111111111",
    "region": "eu-west-1",
    "kind": "ec2",
    "resource": "i-0old",
    "name": "legacy-dev",
    "action": "start",
    "outcome": "done",
    "reason": "office-hours: on",
    "schedule": "office-hours",
    "off_from": "2026-11-23T19:00:00Z",
    "off_to": "2026-11-24T08:00:00Z",
    "price": 0.2,
    "currency": "USD",
    "tags": {"team": "web"},
}


def test_v0_row_is_upgraded_to_every_v1_column() -> None:
    row = upgrade(V0_ROW)
    assert set(row) == set(COLUMN_NAMES)
    assert row["x_SchemaVersion"] == SCHEMA_VERSION
    assert row["ChargePeriodStart"] == "2026-11-23T19:00:00Z"
    assert row["ResourceId"] == "i-0old"
    assert row["x_AvoidedHours"] == 13
    assert row["x_EstimatedSavings"] == pytest.approx(2.6)
    assert row["Tags"] == {"team": "web"}


def test_v0_and_v1_objects_in_one_store_add_up(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put(
        "ledger/v0/provider=aws/account=111111111111/date=2026-11-24/old.jsonl.gz",
        encode([V0_ROW]),
    )
    write_rows(store, [booking("i-new", MON + timedelta(hours=19), MON + timedelta(hours=32), 1.0)])
    items = {i.resource_id: i for i in window_summary(store, MON, MON + timedelta(days=7))}
    assert items["i-0old"].saved == pytest.approx(2.6)
    assert items["i-new"].saved == pytest.approx(13.0)


def test_current_row_missing_an_added_column_gets_its_empty_value() -> None:
    row = booking("i-1", MON, MON + timedelta(hours=1), 1.0)
    del row["x_Detail"], row["Tags"]
    upgraded = upgrade(row)
    assert upgraded["x_Detail"] == ""
    assert upgraded["Tags"] == {}


def test_row_from_a_newer_offhours_is_refused() -> None:
    row = {**booking("i-1", MON, MON + timedelta(hours=1), 1.0), "x_SchemaVersion": "v2"}
    with pytest.raises(LedgerVersionError, match="upgrade offhours"):
        upgrade(row)


def test_rows_written_before_x_kind_are_named_as_the_bill_does() -> None:
    """A v1 row from before ``x_Kind`` kept the kind in ``ResourceType`` and the RDS
    identifier in ``ResourceId``; read with the clouds' rule it carries the DB instance
    ARN (Amazon RDS User Guide, "Constructing an ARN for Amazon RDS")."""
    from providers.bill_ids import identify

    old = {k: v for k, v in booking("dev-postgres", MON, MON + timedelta(hours=2), 0.5).items()}
    old.update(ResourceId="dev-postgres", ResourceType="rds")
    old.pop("x_Kind"), old.pop("x_ApiResourceId")
    row = upgrade(old, identify)
    assert row["ResourceId"] == f"arn:aws:rds:eu-west-1:{old['SubAccountId']}:db:dev-postgres"
    assert row["ResourceType"] == "Database Instance"
    assert (row["x_Kind"], row["x_ApiResourceId"]) == ("rds", "dev-postgres")
    bare = upgrade(old)
    assert (bare["ResourceId"], bare["x_Kind"]) == ("dev-postgres", "rds")


# A snooze row as offhours wrote it before the kept-running columns (issue 26: dev-alice,
# kept running 2 h at $0.0462 an hour, in the savings columns).
OLD_SNOOZE = {
    **booking("i-alice", MON, MON, 0.0462),
    "ChargePeriodStart": "2026-11-23T19:00:00Z",
    "ChargePeriodEnd": "2026-11-23T21:00:00Z",
    "x_Action": "snooze",
    "x_AvoidedHours": 2.0,
    "x_EstimatedSavings": 0.0924,
}
for _name in ("x_KeptRunningHours", "x_KeptRunningCost", "x_PeriodId"):
    del OLD_SNOOZE[_name]


def test_an_old_snooze_row_moves_its_hours_out_of_the_savings_columns() -> None:
    row = upgrade(OLD_SNOOZE)
    assert (row["x_AvoidedHours"], row["x_EstimatedSavings"]) == (0.0, 0.0)
    assert row["x_KeptRunningHours"] == 2.0
    assert row["x_KeptRunningCost"] == pytest.approx(0.0924)
    assert row["x_PeriodId"] == ""


def test_an_old_booking_gets_the_period_id_its_stop_would_carry_now() -> None:
    stop = booking("i-1", MON, MON, 1.0, action="stop")
    old = booking("i-1", MON, MON + timedelta(hours=13), 1.0)
    for name in ("x_KeptRunningHours", "x_KeptRunningCost", "x_PeriodId"):
        del old[name]
    row = upgrade(old)
    assert row["x_PeriodId"] == stop["x_PeriodId"] != ""
    assert (row["x_KeptRunningHours"], row["x_EstimatedSavings"]) == (0.0, 13.0)
