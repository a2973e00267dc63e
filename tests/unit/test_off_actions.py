"""The actions that turn a resource off are named once per room: ``providers.base`` for
decisions and results, ``ledger.record`` for the rows' ``x_Action`` text. They agree."""

from __future__ import annotations

from ledger.record import OFF_ACTIONS as ROW_OFF_ACTIONS
from ledger.record import ON_ACTIONS as ROW_ON_ACTIONS
from providers.base import OFF_ACTIONS, Action


def test_the_ledger_names_the_same_off_actions_as_the_contract() -> None:
    assert {a.value for a in OFF_ACTIONS} == set(ROW_OFF_ACTIONS) == {"stop", "scale-down"}


def test_every_action_is_off_on_or_skip_exactly_once() -> None:
    on = {Action(a) for a in ROW_ON_ACTIONS}
    assert OFF_ACTIONS.isdisjoint(on)
    assert OFF_ACTIONS | on | {Action.SKIP} == set(Action)
