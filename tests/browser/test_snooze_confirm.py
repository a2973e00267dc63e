"""A snooze link in a real browser: the confirmation page, the button, the tag in moto and
the next run's decision."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "snooze"))

from browser_kit import scroll_width
from snooze_kit import (
    OVERRIDE,
    aws_deployment,
    launch_box,
    ledger_rows,
    links_for,
    next_run,
    resource,
    state_of,
    tags_of,
)


@pytest.fixture(scope="module")
def deployment() -> Iterator[dict[str, Any]]:
    with aws_deployment() as deployed:
        yield deployed


def test_the_button_keeps_the_box_running_through_the_next_run(
    page: Any, deployment: dict[str, Any], capsys: Any
) -> None:
    ec2 = deployment["ec2"]
    box = launch_box(ec2, "gpu-train", {"schedule": "always-off", "owner": "ml@example.com"})
    now = datetime.now(UTC)
    stop = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    links = links_for(resource("ec2", box), stop, base=deployment["url"])

    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(links["keep-2h"])
    assert page.title() == "Keep this resource running?"
    assert "gpu-train" in page.inner_text("#facts")
    assert scroll_width(page) <= 400  # fits a phone
    assert OVERRIDE not in tags_of(ec2, box)  # opening the page changed nothing

    page.click("#confirm")
    page.wait_for_selector("#result")
    assert page.title() == "Kept running"
    until = stop + timedelta(hours=2)
    assert tags_of(ec2, box)[OVERRIDE] == f"running-until-{until:%Y%m%dt%H%M}z"
    assert [r["x_Action"] for r in ledger_rows(deployment["moto"]) if r["ResourceId"] == box] == [
        "snooze"
    ]

    # Opening the link again: it says it was used, and offers no button.
    page.goto(links["keep-2h"])
    assert page.title() == "This link was already used"
    assert page.locator("#confirm").count() == 0

    decisions = next_run(deployment["moto"], now + timedelta(minutes=15), capsys)
    assert decisions[box]["action"] == "skip" and "override" in decisions[box]["reason"]
    assert state_of(ec2, box) == "running"
