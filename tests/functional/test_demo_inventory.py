"""The demo takes the inventory once a simulated day (its scheduling runs take none), so
its digest still shows the opportunities: one morning on the embedded AWS (whose fleet
has a forgotten untagged dev box) around the inventory's hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from functions.cli.demo import INVENTORY_AT, simulate
from functions.jobs.digest import render_digest
from ledger.inventory import read_inventory
from providers.store import LocalStore

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
INVENTORY = MONDAY.replace(hour=INVENTORY_AT[0], minute=INVENTORY_AT[1])


def test_the_demo_inventories_once_a_day_and_its_digest_shows_opportunities(
    tmp_path: Path,
) -> None:
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    store = LocalStore(ledger)
    simulate("aws", ledger, INVENTORY - timedelta(minutes=15), INVENTORY)
    (snapshot,) = read_inventory(store)
    # Taken by the inventory at its hour, not by the first scheduling run 15 minutes before.
    assert snapshot.taken_at == INVENTORY
    assert any("schedule" not in r.tags for r in snapshot.resources)
    (html, *_) = render_digest(store, MONDAY, MONDAY + timedelta(days=7), tmp_path / "digest")
    assert html.name == "digest.html"
    page = html.read_text()
    assert "Opportunities: running with no schedule" in page and "dev-legacy-untagged" in page
    # The footer names the ledger the digest was read from, and it is there.
    assert (ledger / "ledger" / "v1").resolve().as_uri() in page
    assert (ledger / "ledger" / "v1").is_dir()
