"""``offhours bill check`` on a week the reconcile job really ran on moto, against an
hourly FOCUS 1.2 export generated from the fleet's true running hours (focus_bill.py):
one instance the bill kept charging while the ledger says off, one covered by a Savings
Plan, one missing from the bill, one plain instance and an RDS database (whose bill line
is its DB instance ARN, the ledger's ResourceId)."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_kit import ACCOUNT, MONDAY, REGION, at, make_job, run, settings_for
from focus_bill import Billed, rows, write_csv

from functions.cli.main import main
from sandbox.aws_fleet import AMI

PRICES = {"leaky": 0.5, "committed": 0.4, "missing": 0.3, "plain": 0.2}
DB_PRICE = 0.25
# Off-periods the runs below make: weeknights 19:05 -> 08:05, the weekend to Monday 08:05.
OFF = [(at(d, 19, 5), at(d + 1, 8, 5)) for d in range(4)] + [(at(4, 19, 5), at(7, 8, 5))]
WEEK_END = MONDAY + timedelta(days=7)
OFF_HOURS = 4 * 13 + (WEEK_END - at(4, 19, 5)).total_seconds() / 3600  # clipped to W48


def running(extra_off: list[tuple[datetime, datetime]] | None = None) -> Any:
    """Hours run in the hour starting at ``begin``: all of it but the off time."""
    off = [p for p in OFF if p not in (extra_off or [])]

    def hours(begin: datetime) -> float:
        end = begin + timedelta(hours=1)
        down = sum(max(0.0, (min(end, e) - max(begin, s)).total_seconds()) for s, e in off)
        return 1.0 - down / 3600.0

    return hours


@pytest.fixture
def week(tmp_path: Path, clients: Any, clock: Any, calls: Any) -> dict[str, Any]:
    ids = {}
    for name, price in PRICES.items():
        tags = {"Name": name, "schedule": "office-hours", "hourly-cost": str(price)}
        (box,) = clients.ec2.run_instances(
            ImageId=AMI,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.medium",
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
                }
            ],
        )["Instances"]
        ids[name] = box["InstanceId"]
    clients.rds.create_db_instance(
        DBInstanceIdentifier="dev-postgres",
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        Tags=[
            {"Key": "schedule", "Value": "office-hours"},
            {"Key": "hourly-cost", "Value": "0.25"},
        ],
    )
    job = make_job(settings_for(tmp_path, ["ec2", "rds"]), clock, calls)
    for when in sorted({s for s, _ in OFF} | {e for _, e in OFF}):
        run(job, clock, when)
    leak = (at(2, 19, 5), at(3, 8, 5))  # Wednesday night: the bill says it ran
    fleet = [
        Billed(ids["leaky"], "leaky", PRICES["leaky"], running([leak])),
        Billed(
            ids["committed"],
            "committed",
            PRICES["committed"],
            running(),
            effective_share=0.4,
            commitment="arn:aws:savingsplans::123456789012:savingsplan/sp-1",
        ),
        Billed(ids["plain"], "plain", PRICES["plain"], running()),
        Billed(
            f"arn:aws:rds:{REGION}:{ACCOUNT}:db:dev-postgres",
            "dev-postgres",
            DB_PRICE,
            running(),
            service="Amazon Relational Database Service",
            resource_type="Database Instance",
        ),
        # Data transfer billed on the instance's own id in an off hour: not compute, so
        # listed apart, never counted as billed while off.
        Billed(
            ids["plain"],
            "plain",
            0.09,
            lambda begin: 1.0 if begin == at(1, 2) else 0.0,
            service="Amazon Elastic Compute Cloud",
            unit="GB",
            category="Networking",
        ),
        # A volume bills whether its instance runs or not: never compute, never claimed.
        Billed(
            "vol-0leaky",
            "leaky-root",
            0.011,
            lambda begin: 1.0,
            resource_type="Volume",
            unit="GB-Mo",
            category="Storage",
        ),
    ]
    period_end = datetime(2026, 12, 1, tzinfo=MONDAY.tzinfo)
    bill = write_csv(tmp_path / "bill" / "w48.csv", rows(fleet, MONDAY, 168, ACCOUNT, period_end))
    return {"ids": ids, "bill": bill, "ledger": tmp_path / "ledger"}


def check(week: dict[str, Any], capsys: Any, bill: Path | None = None, *more: str) -> Any:
    argv = ["bill", "check", "--week", "2026-W48", "--ledger", str(week["ledger"])]
    assert main([*argv, "--bill", str(bill or week["bill"]), *more]) == 0
    return capsys.readouterr().out


def test_each_claim_is_judged_by_the_bill(week: dict[str, Any], capsys: Any) -> None:
    result = json.loads(check(week, capsys, None, "-o", "json"))
    by_id = {r["resource_id"]: r for r in result["resources"]}
    ids = week["ids"]
    db = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:dev-postgres"
    assert set(by_id) == {*ids.values(), db}
    for name, price in PRICES.items():
        assert by_id[ids[name]]["claimed"] == pytest.approx(OFF_HOURS * price, abs=1e-3)
    status = {name: by_id[ids[name]]["status"] for name in PRICES}
    assert status == {
        "leaky": "billed-while-off",
        "committed": "covered-by-commitment",
        "missing": "not-in-bill",
        "plain": "confirmed",
    }
    assert by_id[db]["status"] == "confirmed"
    # Wednesday 20:00 to Thursday 08:00: twelve whole hours billed while off.
    assert by_id[ids["leaky"]]["billed_while_off"] == pytest.approx(12 * 0.5)
    assert by_id[ids["leaky"]]["net_savings"] == pytest.approx((OFF_HOURS - 12) * 0.5, abs=1e-3)
    # The Savings Plan's effective rate is 40 % of list: that is what the off hours saved.
    committed = by_id[ids["committed"]]
    assert committed["net_savings"] == pytest.approx(OFF_HOURS * 0.4 * 0.4, abs=1e-3)
    assert by_id[ids["plain"]]["net_savings"] == pytest.approx(OFF_HOURS * 0.2, abs=1e-3)
    assert by_id[ids["missing"]]["net_savings"] == 0
    totals = result["totals"]
    claimed = OFF_HOURS * (sum(PRICES.values()) + DB_PRICE)
    assert totals["claimed"] == pytest.approx(claimed, abs=1e-3)
    confirmed = (OFF_HOURS - 12) * 0.5 + OFF_HOURS * (0.16 + 0.2 + DB_PRICE)
    assert totals["confirmed"] == pytest.approx(confirmed, abs=1e-3)
    assert totals["billed_while_off"] == pytest.approx(6.0)
    window = result["window"]
    assert (window["start"], window["end"]) == ("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")
    assert window["covered"] is True and window["provisional"] is True


def test_the_table_says_how_much_the_bill_confirms(week: dict[str, Any], capsys: Any) -> None:
    out = check(week, capsys)
    claimed = OFF_HOURS * (sum(PRICES.values()) + DB_PRICE)
    confirmed = (OFF_HOURS - 12) * 0.5 + OFF_HOURS * (0.16 + 0.2 + DB_PRICE)
    assert f"The bill confirms ${confirmed:,.2f} of ${claimed:,.2f} claimed" in out
    assert "still provisional" in out
    assert "not-in-bill" in out and "missing" in out
    apart = out.split("Billed while off, not compute", 1)[1]
    assert f"{week['ids']['plain']}  $0.09" in apart


def test_gzip_and_parquet_exports_read_alike(
    week: dict[str, Any], capsys: Any, tmp_path: Path
) -> None:
    import duckdb

    plain = json.loads(check(week, capsys, None, "-o", "json"))
    folder = tmp_path / "exports"
    folder.mkdir()
    with week["bill"].open("rb") as src, gzip.open(folder / "part-1.csv.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    parquet = tmp_path / "w48.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{week['bill']}', nullstr='NULL')) TO '{parquet}'"
    ).fetchall()
    assert json.loads(check(week, capsys, folder, "-o", "json")) == plain
    assert json.loads(check(week, capsys, parquet, "-o", "json")) == plain


def test_a_bill_that_ends_before_the_window_is_said(
    week: dict[str, Any], capsys: Any, tmp_path: Path
) -> None:
    lines = week["bill"].read_text().splitlines()
    head = [lines[0]] + [
        line for line in lines[1:] if ",2026-11-26 " in line or ",2026-11-25 " in line
    ]
    short = tmp_path / "short.csv"
    short.write_text("\n".join(head) + "\n")
    result = json.loads(check(week, capsys, short, "-o", "json"))
    assert result["window"]["covered"] is False
    assert "not the whole window" in check(week, capsys, short)


def test_an_export_under_an_s3_prefix_is_read_through_the_store(
    week: dict[str, Any], capsys: Any, clients: Any
) -> None:
    """An AWS Data Exports delivery: objects under s3://bucket/prefix/…/ (moto S3)."""
    plain = json.loads(check(week, capsys, None, "-o", "json"))
    clients.s3.create_bucket(
        Bucket="billing", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    key = "focus/offhours/data/BILLING_PERIOD=2026-11/w48-00001.csv.gz"
    clients.s3.put_object(Bucket="billing", Key=key, Body=gzip.compress(week["bill"].read_bytes()))
    clients.s3.put_object(Bucket="billing", Key="focus/offhours/metadata/manifest.json", Body=b"{}")
    argv = ["bill", "check", "--week", "2026-W48", "--ledger", str(week["ledger"])]
    assert main([*argv, "--bill", "s3://billing/focus/offhours/", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == plain


def test_the_digest_says_what_the_bill_confirms(
    week: dict[str, Any], capsys: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """OFFHOURS_BILL configured: the digest runs the check (DuckDB is installed) and
    prints the confirmed share."""
    monkeypatch.setenv("OFFHOURS_BILL", str(week["bill"]))
    preview = tmp_path / "digest" / "digest.html"
    argv = ["digest", "--week", "2026-W48", "--ledger", str(week["ledger"])]
    assert main([*argv, "--preview", str(preview), "--at", "2026-11-30T09:00:00Z"]) == 0
    capsys.readouterr()
    claimed = OFF_HOURS * (sum(PRICES.values()) + DB_PRICE)
    confirmed = (OFF_HOURS - 12) * 0.5 + OFF_HOURS * (0.16 + 0.2 + DB_PRICE)
    line = f"The bill confirms ${confirmed:,.2f} of ${claimed:,.2f} claimed"
    assert line in preview.with_suffix(".txt").read_text()
    assert line in preview.read_text()
    # A preview from the command line changes nothing in the ledger's store; a check
    # with --save keeps its result there for the digests of cloud functions without DuckDB.
    kept = week["ledger"] / "bill" / "v1" / "last-check.json"
    assert not kept.exists()
    check(week, capsys, None, "--save")
    assert json.loads(kept.read_text())["totals"]["confirmed"] == pytest.approx(confirmed, abs=1e-3)
