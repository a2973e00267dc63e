"""An Auto Scaling group has no bill line of its own: ``bill check`` judges its claim by
its instances' lines, which carry the AWS-generated cost allocation tag
``aws:autoscaling:groupName`` (Amazon EC2 Auto Scaling User Guide, "Tag Auto Scaling
groups and instances"; CUR 2.0 spells tag keys in snake case, read alike)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from ledger_rows import booking

from functions.bill import source
from functions.bill.check import check
from functions.bill.claims import claims
from providers.bill_ids import identify

MON = datetime(2026, 11, 16, tzinfo=UTC)
END = MON + timedelta(days=7)
ACCOUNT, REGION = "111111111111", "eu-west-1"
NIGHTS = [
    (MON + timedelta(days=d, hours=19), MON + timedelta(days=d + 1, hours=8)) for d in range(4)
]


def group_row(name: str, start: datetime, end: datetime, kind: str = "asg") -> dict[str, object]:
    row = booking(name, start, end, 0.2, kind=kind, account=ACCOUNT, region=REGION)
    row["ResourceId"] = identify("aws", ACCOUNT, REGION, kind, name).resource_id
    return row


def off(at: datetime) -> bool:
    return any(s <= at < e for s, e in NIGHTS) or at >= NIGHTS[-1][1] + timedelta(hours=11)


def write_bill(path: Path, group: str, tag_key: str, left_behind: int) -> None:
    """Two members at $0.10 an hour; ``left_behind`` hours of the first night one member
    kept billing (the scale-down left it running)."""
    rows = []
    for h in range(168):
        begin = MON + timedelta(hours=h)
        for member in ("i-0a", "i-0b"):
            stray = member == "i-0b" and NIGHTS[0][0] + timedelta(hours=1) <= begin
            stray = stray and begin < NIGHTS[0][0] + timedelta(hours=1 + left_behind)
            if off(begin) and not stray:
                continue
            rows.append(
                {
                    "ProviderName": "AWS",
                    "ResourceId": member,
                    "ServiceCategory": "Compute",
                    "ChargeCategory": "Usage",
                    "ChargePeriodStart": begin.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ChargePeriodEnd": (begin + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "BilledCost": "0.1",
                    "EffectiveCost": "0.1",
                    "ListCost": "0.1",
                    "ConsumedQuantity": "1",
                    "ConsumedUnit": "Hours",
                    "Tags": json.dumps({tag_key: group, "team": "web"}),
                }
            )
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("tag_key", ["aws:autoscaling:groupName", "aws_autoscaling_group_name"])
def test_a_group_is_judged_by_its_members_lines(tmp_path: Path, tag_key: str) -> None:
    path = tmp_path / "bill.csv"
    write_bill(path, "web-workers", tag_key, left_behind=3)
    con = duckdb.connect()
    source.load(con, path)
    found = claims([group_row("web-workers", s, e) for s, e in NIGHTS], MON, END)
    (item,) = check(con, found, MON, END).resources
    assert item.status == "billed-while-off"
    assert item.billed_while_off == pytest.approx(0.3)
    # The group's rate is both members' cost per hour: $0.20, as the ledger priced it.
    assert item.net_savings == pytest.approx(4 * 13 * 0.2 - 0.3)


def test_a_group_whose_members_stopped_is_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "bill.csv"
    write_bill(path, "web-workers", "aws:autoscaling:groupName", left_behind=0)
    con = duckdb.connect()
    source.load(con, path)
    found = claims([group_row("web-workers", s, e) for s, e in NIGHTS], MON, END)
    assert [r.status for r in check(con, found, MON, END).resources] == ["confirmed"]


def test_an_ecs_service_is_judged_by_its_tasks_lines(tmp_path: Path) -> None:
    """Fargate tasks bill under task ARNs, tagged with their service's name when the
    service propagates ECS managed tags."""
    path = tmp_path / "bill.csv"
    write_bill(path, "api", "aws:ecs:serviceName", left_behind=2)
    con = duckdb.connect()
    source.load(con, path)
    found = claims([group_row("dev/api", s, e, kind="ecs") for s, e in NIGHTS], MON, END)
    (item,) = check(con, found, MON, END).resources
    assert (item.status, item.billed_while_off) == ("billed-while-off", pytest.approx(0.2))
