"""Constants and small helpers for the Azure tests (a uniquely named module, importable
from every test file; ``conftest`` is not, when several test folders have one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from providers.base import Action, Decision, Resource, Target

NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # a Wednesday evening: off hours
SUB = "00000000-0000-4000-8000-000000000001"
SUB2 = "00000000-0000-4000-8000-000000000002"
OFFICE = {"schedule": "office-hours"}


def target(subscription: str = SUB) -> Target:
    return Target("azure", subscription)


def decide(resources: Sequence[Resource], action: Action) -> list[Decision]:
    return [Decision(r, action, f"test: {action.value}") for r in resources]


def by_name(resources: Sequence[Resource]) -> dict[str, Resource]:
    return {r.name: r for r in resources}
