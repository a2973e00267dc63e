"""The demo's AWS edge resources, one evening of the demo week on the embedded AWS (moto
with the documented refusals): the EKS node group goes down through EKS, while its Auto
Scaling group, the instance-store box and the stop-protected box are left alone, and the
report says why."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from functions.cli.demo import DemoResult, print_report, simulate
from ledger.book import read_records
from providers.store import LocalStore

EVENING = datetime(2026, 11, 16, 18, 45, tzinfo=UTC)  # the demo's Monday, before 19:00


def test_the_demo_schedules_the_node_group_and_says_why_it_left_the_others(
    tmp_path: Path,
) -> None:
    """EKS User Guide, "Managed node groups" (EKS API 2017-11-01, UpdateNodegroupConfig);
    EC2 API reference 2016-11-15, StopInstances (instance store-backed instances cannot be
    stopped)."""
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    week = simulate("aws", ledger, EVENING, EVENING + timedelta(minutes=30))
    reasons = {(a.kind, a.name): a.reason for a in week.left_alone}
    eks_group = [name for kind, name in reasons if kind == "asg"]
    assert len(eks_group) == 1 and eks_group[0].startswith("eks-")
    assert reasons[("asg", eks_group[0])].startswith("EKS node group gpu-nodes: schedule")
    assert reasons[("ec2", "scratch-nvme")] == (
        "instance-store root device: AWS cannot stop it, only terminate it"
    )
    assert reasons[("ec2", "locked-box")].startswith("stop protection (DisableApiStop) is on")
    booked = {
        (r["ResourceName"], r["x_Action"], r["x_Outcome"]) for r in read_records(LocalStore(ledger))
    }
    assert ("gpu-nodes", "scale-down", "done") in booked
    assert not [b for b in booked if b[0] in (eks_group[0], "scratch-nvme")]
    # The one refusal that taught it, booked as failed; nothing saved.
    assert [b for b in booked if b[0] == "locked-box"] == [("locked-box", "stop", "failed")]

    report = io.StringIO()
    result = DemoResult(tmp_path, EVENING, EVENING, 3, [], left_alone=sorted(week.left_alone))
    print_report(result, report)
    text = report.getvalue()
    assert "left alone (the cloud cannot stop these, or another kind schedules them):" in text
    assert "scratch-nvme             instance-store root device" in text
    assert "EKS node group gpu-nodes: schedule the node group (kind eks-nodegroups)" in text
