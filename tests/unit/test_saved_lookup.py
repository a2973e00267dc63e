"""Which kinds a run lists saved objects for, from the target's state alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from functions.jobs.saved_lookup import saved_kinds
from ledger.run_state import ActionIntent, OffPeriod, TargetState

NOW = datetime(2026, 11, 23, 19, 20, tzinfo=UTC)
ENDPOINT = "aws/123456789012/eu-west-1/sagemaker-endpoints/scoring"
INSTANCE = "aws/123456789012/eu-west-1/ec2/i-0abc"
GROUP = "gcp/dev-project//instance-groups/zones/europe-west1-b/web"


def period() -> OffPeriod:
    return OffPeriod(NOW - timedelta(hours=1), 0.5, "USD", "bundled", "office-hours", "stop")


def test_a_state_never_written_lists_every_kind() -> None:
    assert saved_kinds(TargetState(), NOW) is None


def test_the_first_run_of_a_utc_day_lists_every_kind() -> None:
    yesterday = TargetState(last_run=NOW.replace(hour=0, minute=0) - timedelta(minutes=15))
    assert saved_kinds(yesterday, NOW.replace(hour=0, minute=5)) is None
    # Midnight in UTC, not in the run's own zone.
    ahead = timezone(timedelta(hours=5))
    same_utc_day = TargetState(last_run=datetime(2026, 11, 24, 0, 30, tzinfo=ahead))
    assert saved_kinds(same_utc_day, datetime(2026, 11, 23, 20, 0, tzinfo=UTC)) == frozenset()


def test_a_quiet_state_lists_nothing() -> None:
    assert saved_kinds(TargetState(last_run=NOW - timedelta(minutes=15)), NOW) == frozenset()


def test_open_periods_and_intents_name_their_kinds() -> None:
    state = TargetState(
        last_run=NOW - timedelta(minutes=15),
        off={ENDPOINT: period(), GROUP: period()},
        intents={INSTANCE: ActionIntent("run-1", "stop", NOW - timedelta(minutes=15))},
    )
    assert saved_kinds(state, NOW) == {"sagemaker-endpoints", "ec2", "instance-groups"}
