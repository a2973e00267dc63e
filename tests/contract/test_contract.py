"""One contract for every registered kind on every cloud (providers/base.py's outcome
table), against moto or the kind's fake in sandbox/. Each case reads the resource's real
state from the fake afterwards, not only the ``Result``:

- discover finds the schedule-tagged resource, running, as its kind;
- stop (or scale-down) turns it off: ``done``; start (or scale-up) brings it back: ``done``;
- a dry run returns the plan (``dry-run``, a skip ``skipped``) and leaves it running;
- a stop the cloud refuses is ``failed`` with the cloud's error, and changes nothing;
- a stop of something already off at apply time is ``skipped``;
- a start of a resource at zero with no saved size is ``failed``: "no saved size";
- a long-running operation seen finished is ``done``, still running at the deadline
  ``accepted`` (the deadline the job's time budget sets), ended in error ``failed``;
- a kind that stops what is idle (inference endpoints) says idle only of a resource
  with no traffic in its window.

A case a kind does not meet would be listed in ``PENDING`` and run as a strict xfail (a
strict xfail turns into a failure the day the case passes); today every kind meets every
case, so the set is empty.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from contract_kit import NOW, REGISTERED, adapter_for, subject_for
from subjects import SUBJECTS, Subject

from providers.apply import Budget
from providers.base import Action, Decision, Outcome, Resource, ResourceState, Result

_names = itertools.count()
UNIFIED = "the adapter does not meet this contract case yet"

# Cases a kind does not meet yet, as (case, cloud, kind): each runs as a strict xfail.
PENDING: set[tuple[str, str, str]] = set()


def unique(subject: Subject) -> str:
    return f"ct-{subject.kind.replace('-', '')[:10]}-{next(_names)}"


def found(subject: Subject, name: str) -> Resource:
    listed = subject.listed_name(name)
    resources = [r for r in adapter_for(subject).discover(subject.target) if r.name == listed]
    assert len(resources) == 1, f"{name}: discovered {len(resources)} times"
    return resources[0]


def off_action(resource: Resource) -> Action:
    scaled = resource.off_state is ResourceState.SCALED_DOWN
    return Action.SCALE_DOWN if scaled else Action.STOP


def on_action(resource: Resource) -> Action:
    scaled = resource.off_state is ResourceState.SCALED_DOWN
    return Action.SCALE_UP if scaled else Action.START


def apply(subject: Subject, resource: Resource, action: Action) -> Result:
    decisions: Sequence[Decision] = [Decision(resource, action, f"contract: {action}")]
    (result,) = adapter_for(subject).apply(decisions, dry_run=False)
    assert result.decision.resource.key == resource.key
    assert result.at == NOW
    return result


def cases(case: str, only: str = "") -> list[object]:
    """Every registered kind for ``case`` (those whose subject has the ``only`` trait), with
    strict xfail on the pending ones. A kind with no subject stays in, and fails."""
    params: list[object] = []
    for cloud, kind in REGISTERED:
        subject = SUBJECTS.get((cloud, kind))
        if only and subject is not None and not getattr(subject, only):
            continue
        marks = []
        if (case, cloud, kind) in PENDING:
            marks.append(pytest.mark.xfail(strict=True, reason=UNIFIED))
        params.append(pytest.param((cloud, kind), id=f"{cloud}-{kind}", marks=marks))
    return params


@pytest.fixture
def chosen(request: pytest.FixtureRequest) -> Subject:
    cloud, kind = request.param
    return subject_for(request, cloud, kind)


@pytest.mark.parametrize("chosen", cases("discover"), indirect=True)
def test_discover_finds_the_tagged_resource_running(chosen: Subject) -> None:
    name = unique(chosen)
    chosen.make(name)
    resource = found(chosen, name)
    assert (resource.provider, resource.kind) == (chosen.cloud, chosen.kind)
    assert resource.state is ResourceState.RUNNING
    assert resource.tags.get("schedule") == "office-hours"
    assert not resource.unmanaged_reason


@pytest.mark.parametrize("chosen", cases("stop-start"), indirect=True)
def test_stop_then_start_are_done_and_the_cloud_agrees(chosen: Subject) -> None:
    name = unique(chosen)
    chosen.make(name)
    resource = found(chosen, name)

    stopped = apply(chosen, resource, off_action(resource))
    assert stopped.outcome is Outcome.DONE, stopped.error
    assert not chosen.is_on(name)
    resource = found(chosen, name)
    assert resource.state is resource.off_state

    started = apply(chosen, resource, on_action(resource))
    assert started.outcome is Outcome.DONE, started.error
    assert chosen.is_on(name)
    assert found(chosen, name).state is ResourceState.RUNNING


@pytest.mark.parametrize("chosen", cases("dry-run"), indirect=True)
def test_a_dry_run_returns_the_plan_and_changes_nothing(chosen: Subject) -> None:
    name = unique(chosen)
    chosen.make(name)
    resource = found(chosen, name)
    decisions = [
        Decision(resource, off_action(resource), "contract: dry run"),
        Decision(resource, Action.SKIP, "contract: dry run skip"),
    ]
    results = list(adapter_for(chosen).apply(decisions, dry_run=True))
    assert [(r.outcome, r.at) for r in results] == [(Outcome.DRY_RUN, NOW), (Outcome.SKIPPED, NOW)]
    assert chosen.is_on(name)
    assert found(chosen, name).state is ResourceState.RUNNING


@pytest.mark.parametrize("chosen", cases("failure"), indirect=True)
def test_a_refused_stop_is_failed_and_changes_nothing(chosen: Subject) -> None:
    name = unique(chosen)
    chosen.make(name)
    resource = found(chosen, name)
    chosen.refuse_next_stop(name)
    result = apply(chosen, resource, off_action(resource))
    assert result.outcome is Outcome.FAILED
    assert result.error
    assert chosen.is_on(name)


@pytest.mark.parametrize("chosen", cases("already-off"), indirect=True)
def test_a_stop_of_something_already_off_is_skipped(chosen: Subject) -> None:
    name = unique(chosen)
    chosen.make(name)
    resource = found(chosen, name)  # seen running by discovery ...
    chosen.turn_off_by_hand(name)  # ... and off by the time apply runs
    result = apply(chosen, resource, off_action(resource))
    assert result.outcome is Outcome.SKIPPED, (result.outcome, result.error, result.detail)
    assert not chosen.is_on(name)


@pytest.mark.parametrize("chosen", cases("missing-restore", "scales_to_zero"), indirect=True)
def test_a_start_with_no_saved_size_is_failed(chosen: Subject) -> None:
    name = unique(chosen)
    chosen.make_at_zero(name)
    resource = found(chosen, name)
    chosen.lose_saved_state(name)
    result = apply(chosen, resource, on_action(resource))
    assert result.outcome is Outcome.FAILED
    assert "no saved size" in result.error
    assert not chosen.is_on(name)


@pytest.mark.parametrize("chosen", cases("idle", "measures_idle"), indirect=True)
def test_only_a_resource_with_no_traffic_in_its_window_is_idle(chosen: Subject) -> None:
    quiet, busy = unique(chosen), unique(chosen)
    chosen.make(quiet)
    chosen.make(busy)
    chosen.serve(busy)
    assert found(chosen, quiet).idle
    assert not found(chosen, busy).idle
    assert found(chosen, busy).state is ResourceState.RUNNING


@pytest.mark.parametrize("chosen", cases("operation-running", "long_running"), indirect=True)
def test_an_operation_still_running_at_the_deadline_is_accepted(chosen: Subject) -> None:
    """On the start side, where every kind makes one call (a stop may save its size
    first, and a save not confirmed is rightly a failure, tested in each cloud's suite)."""
    name = unique(chosen)
    chosen.make(name)
    resource = found(chosen, name)
    assert apply(chosen, resource, off_action(resource)).outcome is Outcome.DONE
    resource = found(chosen, name)
    chosen.hold(name, chosen.start_verb)
    with _deadline_now(chosen):
        result = apply(chosen, resource, on_action(resource))
    try:
        assert result.outcome is Outcome.ACCEPTED, (result.outcome, result.error)
        assert not chosen.is_on(name) or found(chosen, name).state is ResourceState.TRANSITIONAL
    finally:
        chosen.world.fake.settle()
    assert chosen.is_on(name)  # the cloud finished it later


@pytest.mark.parametrize("chosen", cases("operation-error", "long_running"), indirect=True)
def test_an_operation_ending_in_error_is_failed(chosen: Subject) -> None:
    name = unique(chosen)
    chosen.make(name)
    resource = found(chosen, name)
    chosen.fail_operation(name)
    result = apply(chosen, resource, off_action(resource))
    assert result.outcome is Outcome.FAILED
    assert result.error
    assert chosen.is_on(name)


class _deadline_now:
    """The job's time budget is spent (what it has left is its margin for the finish):
    the adapter's deadline for waiting on operations is now, whatever its own wait."""

    def __init__(self, subject: Subject) -> None:
        self.connection = subject.connection

    def __enter__(self) -> None:
        self.connection.budget = Budget(lambda: 30.0, margin=30.0)

    def __exit__(self, *_: object) -> None:
        self.connection.budget = None
