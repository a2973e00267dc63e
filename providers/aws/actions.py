"""Acting on resources one call each (databases, groups, services, notebooks, endpoints).

EC2 stops and starts whole batches (``batches.py``); most other AWS APIs take a single
resource per call. ``apply_each`` runs one handler per decision and turns every failure
into a FAILED result carrying the AWS error code, so one bad resource never ends the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from ledger.store import StoreError
from providers.aws.batches import error_text
from providers.base import Action, Decision, Outcome, Resource, Result, Target

# A handler acts on one resource and returns a note for the ledger ("" when none).
Handler = Callable[[Decision], str]


class ActionError(Exception):
    """The adapter refused to act (nothing saved to restore, recreation data missing, ...)."""


def aws_errors() -> tuple[type[Exception], ...]:
    """The errors an AWS call raises for a refused or failed request (for ``except``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


def target_of(resource: Resource) -> Target:
    return Target(resource.provider, resource.account, resource.region)


def apply_each(
    decisions: Sequence[Decision],
    handlers: Mapping[Action, Handler],
    clock: Callable[[], datetime],
    kind: str,
) -> list[Result]:
    return [_one(decision, handlers, clock, kind) for decision in decisions]


def _one(
    decision: Decision,
    handlers: Mapping[Action, Handler],
    clock: Callable[[], datetime],
    kind: str,
) -> Result:
    if decision.action is Action.SKIP:
        return Result(decision, Outcome.SKIPPED, clock())
    handler = handlers.get(decision.action)
    if handler is None:
        return Result(decision, Outcome.FAILED, clock(), error=f"{kind} cannot {decision.action}")
    expected: tuple[type[Exception], ...] = (*aws_errors(), StoreError, ActionError)
    try:
        detail = handler(decision)
    except expected as err:
        return Result(decision, Outcome.FAILED, clock(), error=error_text(err))
    return Result(decision, Outcome.DONE, clock(), detail=detail)


def join_notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
