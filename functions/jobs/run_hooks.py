"""What a target's run does beside scheduling, as hooks its phases call.

The crash-safe run (``functions/jobs/target_run.py``) knows when things happen, never
what: a hook is called at fixed points and returns values. Two exist:

* ``Wake`` (``offhours wake``): plans only the named resources, lets only their starts
  through, and is no scheduled run (the start side's transitions still wait for one).
* ``Notices`` (warn-before-stop): due with the plan, claimed in the intents write
  before anything is sent, sent after acting, their fate recorded in the finish write.

Changing either edits this module (or the notice package), not the crash-safety core.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

import schedules
from functions.jobs.planner import Policy
from ledger.run_state import TargetState
from providers.base import ON_ACTIONS, Action, Decision, Resource

if TYPE_CHECKING:
    from functions.jobs.notices import NoticeOutcome, NoticeStep


@dataclass(frozen=True)
class PlanView:
    """What a hook may look at when the plan is made."""

    resources: Sequence[Resource]
    decisions: Sequence[Decision]
    now: datetime
    catalog: schedules.Catalog
    policy: Policy
    state: TargetState


class Hook:
    """Every call point, doing nothing: a hook overrides the ones it needs."""

    # Names the planner brings back now whatever the schedule says.
    woken: frozenset[str] = frozenset()
    # False: the run leaves ``last_run`` and ``kind_runs`` where they were.
    advances_runs: bool = True

    def scope(self, resources: list[Resource]) -> list[Resource]:
        """The resources to plan."""
        return resources

    def adjust(self, decisions: list[Decision]) -> list[Decision]:
        """The plan as the hook lets it act."""
        return decisions

    def due(self, view: PlanView) -> tuple[list[NoticeOutcome], list[str]]:
        """Notices due with this plan, and warnings."""
        return [], []

    def claim(
        self, state: TargetState, due: list[NoticeOutcome], run_id: str, now: datetime
    ) -> list[NoticeOutcome]:
        """Inside the intents write, before anything is sent."""
        return due

    def send(self, claimed: list[NoticeOutcome], now: datetime) -> list[NoticeOutcome]:
        """After acting."""
        return claimed

    def record(self, state: TargetState, sent: list[NoticeOutcome], run_id: str) -> None:
        """Inside the finish write."""


@dataclass(frozen=True)
class Wake(Hook):
    woken: frozenset[str]
    advances_runs: bool = False

    def scope(self, resources: list[Resource]) -> list[Resource]:
        # The others keep their pending transitions for the next scheduled run.
        return [r for r in resources if r.id in self.woken or r.name in self.woken]

    def adjust(self, decisions: list[Decision]) -> list[Decision]:
        # A wake never stops anything.
        return [d if d.action in ON_ACTIONS else replace(d, action=Action.SKIP) for d in decisions]


@dataclass(frozen=True)
class Notices(Hook):
    step: NoticeStep

    def due(self, view: PlanView) -> tuple[list[NoticeOutcome], list[str]]:
        return self.step.due(
            view.resources, view.decisions, view.now, view.catalog, view.policy, view.state
        )

    def claim(
        self, state: TargetState, due: list[NoticeOutcome], run_id: str, now: datetime
    ) -> list[NoticeOutcome]:
        return self.step.claim(state, due, run_id, now)

    def send(self, claimed: list[NoticeOutcome], now: datetime) -> list[NoticeOutcome]:
        return self.step.send(claimed, now)

    def record(self, state: TargetState, sent: list[NoticeOutcome], run_id: str) -> None:
        self.step.record(state, sent, run_id)


def hooks_for(wake: frozenset[str], notices: NoticeStep | None) -> tuple[Hook, ...]:
    """A wake run sends no notices (it stops nothing); a scheduled run sends them when
    a channel is configured."""
    if wake:
        return (Wake(wake),)
    return (Notices(notices),) if notices else ()
