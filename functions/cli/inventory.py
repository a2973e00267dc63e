"""``offhours inventory``: the daily inventory job from a terminal.

Lists every target's resources, scheduled or not, and writes one snapshot per target
for the digest's opportunities (``functions/jobs/inventory.py``). ``--dry-run`` lists and
writes nothing (the ledger location is read through a read-only store).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from functions.cli import display
from functions.cli.main import instant
from functions.cli.run import (
    add_output_flag,
    add_settings_flags,
    job_for,
    readonly_store,
    require_targets,
    settings_from,
    ticker,
)
from functions.jobs.inventory import InventoryRun, item_of, take_inventory
from ledger.inventory import resource_to_dict

COLUMNS = ("KIND", "NAME", "STATE", "SIZE", "SCHEDULED")
WIDE_COLUMNS = ("TARGET", "RESOURCE", *COLUMNS)


def register(subparsers: Any) -> None:
    inventory = subparsers.add_parser(
        "inventory", help="list every resource, scheduled or not, for the digest's opportunities"
    )
    add_settings_flags(inventory)
    add_output_flag(inventory)
    inventory.add_argument("--dry-run", action="store_true", help="list; write no snapshot")
    inventory.set_defaults(handler=_inventory)


def _inventory(args: argparse.Namespace) -> int:
    settings = settings_from(args, dry_run=args.dry_run or None)
    now = instant(args.at)
    job = job_for(settings, now, store=readonly_store(settings) if settings.dry_run else None)
    with display.progress("listing resources…") as update:
        run = take_inventory(job, now, on_target_done=ticker(update) if update else None)
    require_targets(run.targets)
    show_inventory(run, args.output, settings.tag_key, args.wide)
    return 1 if run.errors else 0


def records(run: InventoryRun, tag_key: str) -> list[dict[str, Any]]:
    """One record per resource: the snapshot's fields, its target and whether it is
    scheduled (carries the schedule tag)."""
    return [
        {"target": str(t.target), **resource_to_dict(item_of(r)), "scheduled": tag_key in r.tags}
        for t in run.targets
        for r in t.resources
    ]


def show_inventory(run: InventoryRun, output: str, tag_key: str, wide: bool = False) -> None:
    rows = records(run, tag_key)
    if output == "json":
        display.write_json(
            {
                "schema": "offhours.inventory/v1",
                "at": run.now.isoformat(),
                "dry_run": run.dry_run,
                "targets": [
                    {
                        "target": str(t.target),
                        "resources": len(t.resources),
                        "untagged": len(t.untagged(tag_key)),
                        "snapshot": t.snapshot_key or None,
                        "errors": t.errors,
                    }
                    for t in run.targets
                ],
                "resources": rows,
                "errors": run.errors,
            }
        )
    elif output == "csv":
        flat = [{k: v for k, v in r.items() if not isinstance(v, dict | list)} for r in rows]
        display.write_csv(list(flat[0]) if flat else ["target", "id"], flat)
    else:
        columns = WIDE_COLUMNS if wide else COLUMNS
        total = {"NAME": f"{len(rows)} resources"}
        total["SCHEDULED"] = f"{sum(1 for r in rows if r['scheduled'])} yes"
        cells = [_cells(r, columns) for r in rows]
        display.table(columns, cells, total=display.total_row(columns, total))
        _summary(run, tag_key)
    for error in run.errors:
        display.say(f"offhours: {error}", "red", stream=sys.stderr)


def _cells(record: dict[str, Any], columns: tuple[str, ...]) -> tuple[str, ...]:
    cells = {
        "TARGET": record["target"],
        "RESOURCE": record["id"],
        "KIND": record["kind"],
        "NAME": record["name"] or record["id"],
        "STATE": record["state"],
        "SIZE": record["size"],
        "SCHEDULED": "yes" if record["scheduled"] else "no",
    }
    return tuple(cells[c] for c in columns)


def _summary(run: InventoryRun, tag_key: str) -> None:
    untagged = sum(len(t.untagged(tag_key)) for t in run.targets)
    mode = " (dry run: no snapshot written)" if run.dry_run else ""
    print(
        f"\ninventory: {len(run.resources)} resources in {len(run.targets)} targets, "
        f"{untagged} without a {tag_key!r} tag{mode}"
    )
    for key in sorted(t.snapshot_key for t in run.targets if t.snapshot_key):
        print(f"snapshot: {key}")
