"""``bill opportunities`` on a generated hourly FOCUS 1.2 export (one week): which
resources a schedule would save on, ranked, and never a protected one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from functions.cli.main import main

AZURE_VM = (
    "/subscriptions/s-1/resourcegroups/rg-dev/providers/microsoft.compute/virtualmachines/dev-vm"
)
# resource id -> (hourly effective cost, tags JSON, hours of the day billed)
FLEET: dict[str, tuple[float, str, str]] = {
    "i-0dev": (0.10, '{"env": "dev"}', "all"),
    "i-0staging": (0.40, '{"Environment": "STAGING"}', "all"),
    "i-0untagged": (0.05, "NULL", "all"),
    "i-0prod": (1.00, '{"environment": "Production"}', "all"),
    "i-0office": (0.20, '{"env": "dev"}', "office"),
    "i-0team": (0.30, '{"team": "web"}', "all"),
    "vol-0disk": (0.01, '{"env": "dev"}', "all"),
    AZURE_VM: (0.20, '{"Env": "test"}', "all"),
}


def write_export(path: Path) -> None:
    values = ", ".join(
        f"('{rid}', {cost}, '{tags}', '{hours}')" for rid, (cost, tags, hours) in FLEET.items()
    )
    sql = f"""
    COPY (
      SELECT CASE WHEN rid LIKE '/subscriptions/%' THEN 'Microsoft' ELSE 'AWS' END AS ProviderName,
        rid AS ResourceId,
        CASE WHEN rid LIKE 'vol-%' THEN 'Storage' ELSE 'Compute' END AS ServiceCategory,
        CASE WHEN rid LIKE 'vol-%' THEN 'Volume' ELSE 'Virtual Machine' END AS ResourceType,
        'Usage' AS ChargeCategory,
        TIMESTAMP '2026-11-16 00:00:00' + to_hours(h) AS ChargePeriodStart,
        TIMESTAMP '2026-11-16 00:00:00' + to_hours(h + 1) AS ChargePeriodEnd,
        cost AS BilledCost, cost AS EffectiveCost, cost AS ListCost, 1.0 AS ConsumedQuantity,
        CASE WHEN rid LIKE 'vol-%' THEN 'GB-Mo' ELSE 'Hours' END AS ConsumedUnit,
        CASE WHEN tags = 'NULL' THEN NULL ELSE tags END AS Tags
      FROM (VALUES {values}) f(rid, cost, tags, hours), range(168) t(h)
      WHERE hours = 'all' OR (h % 24 BETWEEN 8 AND 18 AND h < 120)
    ) TO '{path}' (HEADER)
    """
    duckdb.connect().execute(sql).fetchall()


@pytest.fixture
def found(tmp_path: Path, capsys: Any) -> dict[str, Any]:
    export = tmp_path / "week.csv"
    write_export(export)
    assert main(["bill", "opportunities", "--bill", str(export), "-o", "json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_non_production_and_untagged_resources_billed_around_the_clock(
    found: dict[str, Any],
) -> None:
    ranked = [o["resource_id"] for o in found["opportunities"]]
    # Production is protected, office hours only is not around the clock, a team tag
    # says nothing about the environment, a volume is no kind offhours schedules.
    assert ranked == ["i-0staging", AZURE_VM, "i-0dev", "i-0untagged"]
    by_id = {o["resource_id"]: o for o in found["opportunities"]}
    share = found["off_share"]
    # office-hours: Monday to Friday 08:00-19:00, so 113 of 168 hours off.
    assert share == pytest.approx(113 / 168, abs=1e-4)
    assert by_id["i-0dev"]["monthly_cost"] == pytest.approx(73.0)
    assert by_id["i-0dev"]["monthly_savings"] == pytest.approx(73.0 * share, abs=0.01)
    assert by_id["i-0staging"]["reason"].startswith("tagged Environment=STAGING")
    assert by_id["i-0untagged"]["reason"].startswith("untagged")
    assert by_id[AZURE_VM]["kind"] == "vms" and by_id[AZURE_VM]["provider"] == "azure"
    assert {o["kind"] for o in found["opportunities"]} == {"ec2", "vms"}


def test_spend_by_type_and_untagged(found: dict[str, Any]) -> None:
    assert found["top_resource_types"][0]["resource_type"] == "Virtual Machine"
    assert found["untagged_cost"] == pytest.approx(0.05 * 168)


def test_focus_1_3_and_snake_case_column_names_read_alike(
    tmp_path: Path, capsys: Any, found: dict[str, Any]
) -> None:
    """FOCUS 1.3 deprecates ProviderName for ServiceProviderName; some exports spell
    columns in snake case. Both read as the 1.2 names."""
    export = tmp_path / "week.csv"
    header, body = export.read_text().split("\n", 1)
    renamed = header.replace("ProviderName", "ServiceProviderName")
    renamed = renamed.replace("ChargePeriodStart", "charge_period_start")
    renamed = renamed.replace("EffectiveCost", "effective_cost")
    other = tmp_path / "renamed.csv"
    other.write_text(renamed + "\n" + body)
    assert main(["bill", "opportunities", "--bill", str(other), "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == found
