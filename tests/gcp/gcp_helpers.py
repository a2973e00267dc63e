"""Names shared by the GCP tests (the fixtures live in conftest.py)."""

from __future__ import annotations

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
