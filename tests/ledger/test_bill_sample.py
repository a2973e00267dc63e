"""``bill check`` and ``bill opportunities`` on the FinOps Foundation's public FOCUS 1.0
sample (``../shared/data/focus-sample-1.0/focus_sample.csv``, CC BY 4.0, read in place
beside its licence file): 1,000 rows from AWS, Microsoft and Oracle with ``NULL``
literals, anonymised ids, rows billed at zero EffectiveCost and a Savings Plan. The
ids claimed below are the sample's own; the Azure one is written in ARM's case while the
sample lowercases it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ledger_rows import booking, write_rows

from functions.cli.main import main
from providers.store import LocalStore

ROOT = Path(__file__).resolve().parents[2]
# ``../shared`` beside the checkout (CI); a worktree one level deeper finds it one up.
CSV = next(
    (
        up / "shared" / "data" / "focus-sample-1.0" / "focus_sample.csv"
        for up in (ROOT.parent, ROOT.parent.parent)
        if (up / "shared" / "data" / "focus-sample-1.0" / "focus_sample.csv").exists()
    ),
    ROOT.parent / "shared" / "data" / "focus-sample-1.0" / "focus_sample.csv",
)
AKS = (
    "/subscriptions/9ec51cfd-5ca7-4d76-8101-dd0a4abc5674/resourceGroups/AnalyticsEngine/"
    "providers/Microsoft.ContainerService/managedClusters/AnalyticsEngine"
)

pytestmark = pytest.mark.skipif(not CSV.exists(), reason="the shared FOCUS sample is not here")


def sep(day: int, hour: int) -> datetime:
    return datetime(2024, 9, day, hour, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    rows = [
        # Covered by the sample's Savings Plan: its on-hour has EffectiveCost 0, list 0.0464.
        booking("i-0lbaaa6a98751b841", sep(3, 19), sep(4, 4), 0.0464),
        # The sample bills it $2.00 (BilledCost) for 22:00-23:00 on 18 Sep, inside the claim.
        booking("i-021f2ebl49063f9l1", sep(18, 19), sep(19, 7), 2.0),
        booking("i-0notinthebill0000", sep(10, 19), sep(11, 7), 0.1),
        booking(AKS, sep(1, 0), sep(1, 6), 0.0094, provider="azure", kind="aks"),
    ]
    write_rows(LocalStore(tmp_path / "ledger"), rows)
    return tmp_path / "ledger"


def run(capsys: Any, *argv: str) -> dict[str, Any]:
    assert main([*argv, "-o", "json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_check_reads_the_sample_and_judges_each_claim(ledger: Path, capsys: Any) -> None:
    argv = ("bill", "check", "--from", "2024-09-01", "--to", "2024-09-30", "--ledger", str(ledger))
    result = run(capsys, *argv, "--bill", str(CSV))
    status = {r["resource_id"]: r["status"] for r in result["resources"]}
    assert status == {
        "i-0lbaaa6a98751b841": "covered-by-commitment",
        "i-021f2ebl49063f9l1": "billed-while-off",
        "i-0notinthebill0000": "not-in-bill",
        AKS: "confirmed",
    }
    by_id = {r["resource_id"]: r for r in result["resources"]}
    assert by_id["i-021f2ebl49063f9l1"]["billed_while_off"] == pytest.approx(2.0)
    assert by_id["i-0lbaaa6a98751b841"]["net_savings"] == 0
    # 168 units/hour for $1.58088: the cluster's own effective rate, six hours off.
    assert by_id[AKS]["net_savings"] == pytest.approx(6 * 1.58088 / 168, abs=1e-4)
    window = result["window"]
    assert window["covered"] is True
    assert (window["bill_start"], window["bill_end"]) == (
        "2024-09-01T00:00:00Z",
        "2024-10-01T00:00:00Z",
    )


def test_opportunities_on_the_sample(capsys: Any) -> None:
    """The sample holds a few rows per resource over a month: no resource shows a bill
    around the clock, so nothing is proposed; its spend by type and untagged spend are."""
    result = run(capsys, "bill", "opportunities", "--bill", str(CSV))
    assert result["opportunities"] == []
    assert result["top_resource_types"][0] == {"resource_type": "instance", "cost": 16.0}
    assert [t["resource_type"] for t in result["top_resource_types"][:3]] == [
        "instance",
        "Kubernetes service",
        "MySQL server",
    ]
    assert result["total_cost"] == pytest.approx(17.98, abs=0.01)
    assert result["untagged_cost"] == pytest.approx(0.0)
