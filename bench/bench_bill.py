"""Benchmark: ``offhours bill check`` over a generated FOCUS export of 1,000,000 rows.

The export is one week of hourly compute rows (CSV, FOCUS 1.2 columns) for enough EC2
instances to make ``--rows``; the first ``--claimed`` of them are off every night 19:00 to
08:00 UTC in both the ledger (one booking per night, written as the job lays objects
out) and the bill (no rows for those hours). The check runs in a fresh child process that
reports its own CPU time and peak memory (``VmHWM``, ``bench/meter.py``).

``python bench/bench_bill.py [--rows 1000000] [--claimed 1000] [--dir /tmp/offhours-bill]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledger.book import object_key, write_run  # noqa: E402
from ledger.record import Row  # noqa: E402
from providers.store import LocalStore  # noqa: E402

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
ACCOUNT = "123456789012"
PRICE = 0.1

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from bench.meter import peak_rss_mb
from functions.bill.run import check_bill
from providers.store import LocalStore
from datetime import datetime, UTC
start = datetime(2026, 11, 23, tzinfo=UTC); end = datetime(2026, 11, 30, tzinfo=UTC)
t0 = time.perf_counter()
result = check_bill(LocalStore({ledger!r}), {bill!r}, start, end).to_json()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall_s": time.perf_counter() - t0, "cpu_s": usage.ru_utime + usage.ru_stime,
  "peak_rss_mb": peak_rss_mb(), "totals": result["totals"],
  "statuses": sorted({{r["status"] for r in result["resources"]}})}}))
"""


def write_bill(path: Path, rows: int, claimed: int) -> int:
    import duckdb

    boxes = rows // 168 + 1
    sql = f"""
    COPY (
      SELECT 'AWS' AS ProviderName, '{ACCOUNT}' AS SubAccountId, 'eu-west-1' AS RegionId,
        printf('i-%017x', r) AS ResourceId, 'Virtual Machine' AS ResourceType,
        'Amazon Elastic Compute Cloud' AS ServiceName, 'Compute' AS ServiceCategory,
        'Usage' AS ChargeCategory,
        TIMESTAMP '2026-11-23 00:00:00' + to_hours(h) AS ChargePeriodStart,
        TIMESTAMP '2026-11-23 00:00:00' + to_hours(h + 1) AS ChargePeriodEnd,
        {PRICE} AS BilledCost, {PRICE} AS EffectiveCost, {PRICE} AS ListCost,
        1.0 AS ConsumedQuantity, 'Hours' AS ConsumedUnit, 'Hours' AS PricingUnit,
        TIMESTAMP '2026-12-01 00:00:00' AS BillingPeriodEnd,
        '{{"environment": "dev"}}' AS Tags
      FROM range({boxes}) t(r), range(168) s(h)
      WHERE r >= {claimed} OR (h % 24 >= 8 AND h % 24 < 19)
      LIMIT {rows}
    ) TO '{path}' (HEADER, DELIMITER ',')
    """
    duckdb.connect().execute(sql).fetchall()
    return rows


def write_ledger(root: Path, claimed: int) -> None:
    store = LocalStore(root)
    for night in range(7):
        start = MONDAY + timedelta(days=night, hours=19)
        end = start + timedelta(hours=13)
        key = object_key("aws", ACCOUNT, "eu-west-1", end)
        members = [
            Row(
                run_id=f"bench-{night}",
                recorded_at=end,
                provider="aws",
                account=ACCOUNT,
                region="eu-west-1",
                kind="ec2",
                resource_id=f"i-{r:017x}",
                resource_name=f"box-{r}",
                size="t3.medium",
                service="Amazon Elastic Compute Cloud",
                tags={"environment": "dev"},
                action="start",
                outcome="done",
                reason="office-hours: on",
                period_start=start,
                period_end=end,
                hourly_price=PRICE,
            ).to_dict()
            for r in range(claimed)
        ]
        write_run(store, key, members)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--claimed", type=int, default=1_000)
    parser.add_argument("--dir", default="/tmp/offhours-bill-bench")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    base = Path(args.dir)
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    t0 = time.perf_counter()
    bill = base / "focus.csv"
    write_bill(bill, args.rows, args.claimed)
    write_ledger(base / "ledger", args.claimed)
    made = time.perf_counter() - t0
    code = CHILD.format(root=str(ROOT), ledger=str(base / "ledger"), bill=str(bill))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    size = bill.stat().st_size / 1e6
    print(f"export: {args.rows:,} rows, {size:.0f} MB CSV, generated in {made:.1f} s")
    print(
        f"bill check: {report['wall_s']:.1f} s wall, {report['cpu_s']:.1f} s CPU, "
        f"peak RSS {report['peak_rss_mb']:.0f} MB; totals {report['totals']}; "
        f"statuses {report['statuses']}"
    )
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
