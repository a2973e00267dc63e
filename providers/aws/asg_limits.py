"""Auto Scaling groups offhours must not scale, and what keeps a group at zero overnight.

- A group behind an EKS managed node group (tags ``eks:nodegroup-name``,
  ``eks:cluster-name``) belongs to EKS: the node group's scaling configuration is the one to
  change ("Managed node groups", EKS User Guide; UpdateNodegroupConfig, EKS API
  2017-11-01). The ``eks-nodegroups`` kind schedules it.
- A warm pool whose instances are kept ``Running`` bills for them, and its size follows
  the group's maximum minus its desired capacity unless MaxGroupPreparedCapacity is set
  (PutWarmPool, Auto Scaling API 2011-01-01): at desired 0 it would hold up to the maximum,
  running. Stopped and hibernated pools only bill their volumes and are scheduled.
- Instances protected from scale-in are not terminated when the desired capacity drops
  ("the Auto Scaling group can't terminate the required number of instances until their
  instance scale-in protection settings are disabled", Auto Scaling User Guide, "Use
  instance scale-in protection"): at desired 0 they keep running and billing.
- Scaling policies never go below the minimum, but from a minimum of 0 an alarm can raise
  the group again at night, and a scheduled action sets its own sizes at its own time
  (Auto Scaling User Guide, "Suspend and resume Amazon EC2 Auto Scaling processes"): while
  the group is off, offhours suspends ``AlarmNotification`` and ``ScheduledActions`` for a
  group that has either, and resumes only the ones it suspended.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EKS_NODEGROUP_TAG = "eks:nodegroup-name"
EKS_CLUSTER_TAG = "eks:cluster-name"
PAUSED_PROCESSES = ("AlarmNotification", "ScheduledActions")


def unmanaged_reason(group: Mapping[str, Any], tags: Mapping[str, str]) -> str:
    """Why offhours leaves this group alone ("" when it schedules it)."""
    if EKS_NODEGROUP_TAG in tags or EKS_CLUSTER_TAG in tags:
        nodegroup = tags.get(EKS_NODEGROUP_TAG, "")
        cluster = tags.get(EKS_CLUSTER_TAG, "")
        named = f"EKS node group {nodegroup}" if nodegroup else f"EKS cluster {cluster}"
        return (
            f"{named}: schedule the node group (kind eks-nodegroups), "
            "not the Auto Scaling group EKS manages"
        )
    protected = [i for i in group.get("Instances", []) if i.get("ProtectedFromScaleIn")]
    if protected:
        return (
            f"{len(protected)} instance(s) protected from scale-in: at desired 0 Auto Scaling "
            "cannot terminate them and they keep running"
        )
    warm = group.get("WarmPoolConfiguration") or {}
    if warm.get("PoolState") == "Running":
        return (
            "warm pool keeps its instances running: at desired 0 it would grow to the "
            "group's maximum; set the pool to Stopped or Hibernated to schedule the group"
        )
    return ""


def processes_to_pause(autoscaling: Any, group: Mapping[str, Any]) -> list[str]:
    """The processes to suspend while the group is off: none without a scaling policy or
    scheduled action, and never one its owner suspended already."""
    name = group["AutoScalingGroupName"]
    policies = autoscaling.describe_policies(AutoScalingGroupName=name, MaxRecords=1)
    actions = autoscaling.describe_scheduled_actions(AutoScalingGroupName=name, MaxRecords=1)
    if not policies["ScalingPolicies"] and not actions["ScheduledUpdateGroupActions"]:
        return []
    suspended = {p["ProcessName"] for p in group.get("SuspendedProcesses", [])}
    return [p for p in PAUSED_PROCESSES if p not in suspended]
