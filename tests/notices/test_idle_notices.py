"""An idle stop is announced like a scheduled one: a resource the idle rule found idle
gets its notice for the end of the idle notice window, with the measurement as reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import schedules
from functions.jobs.notices.model import NoticeConfig
from functions.jobs.notices.planning import due_notices
from functions.jobs.planner import Policy, plan
from providers.base import Resource, ResourceState

WED_1610 = datetime(2026, 11, 25, 16, 10, tzinfo=UTC)  # inside office hours
CATALOG = schedules.load_catalog((), default_tz="UTC")
TAGS = {"schedule": "office-hours", "idle-stop": "2h", "owner": "ana@example.com"}
NOTE = "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage); stops at Wed 16:25 UTC if still idle"


def test_a_pending_idle_stop_is_announced_to_the_owner() -> None:
    pending = Resource(
        "aws", "1", "eu-west-1", "ec2", "i-1", "gpu-idle", TAGS, ResourceState.RUNNING,
        idle_note=NOTE, idle_stop_at=WED_1610 + timedelta(minutes=15),
    )  # fmt: skip
    quiet = replace(pending, id="i-2", name="gpu-train", idle_note="busy: …", idle_stop_at=None)
    resources = [pending, quiet]
    decisions = plan(resources, WED_1610, WED_1610 - timedelta(minutes=15), CATALOG, Policy())
    notices, _ = due_notices(
        resources, decisions, WED_1610, CATALOG, Policy(), NoticeConfig(email=True)
    )
    [notice] = notices
    assert notice.resource.name == "gpu-idle"
    assert notice.stop_at == datetime(2026, 11, 25, 16, 25, tzinfo=UTC)
    assert notice.reason == NOTE
    assert [r.address for r in notice.recipients] == ["ana@example.com"]
