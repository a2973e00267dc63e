"""Names shared by the GCP tests (the fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from providers.base import Action, Decision, Resource

PROJECT = "dev-project"
OTHER_PROJECT = "other-project"
ZONE = "europe-west4-a"
REGION = "europe-west4"
SCHEDULE = {"schedule": "office-hours"}


def decide(resources: list[Resource], action: Action, **extra: object) -> list[Decision]:
    return [Decision(r, action, f"test: {action}", **extra) for r in resources]  # type: ignore[arg-type]


def by_name(resources: list[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}


def restored(store: Any, resource: Any) -> dict[str, Any] | None:
    """What the restore store holds for ``resource`` (``None`` when nothing)."""
    from providers.restore import RestoreStore

    return RestoreStore(store).load(resource)
