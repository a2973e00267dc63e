"""What ran on a busy GPU VM, for the reason only: the Ops Agent's per-process GPU metric.

``agent.googleapis.com/gpu/processes/utilization`` (GAUGE, DOUBLE, percent, on
``gce_instance``; labels ``pid``, ``owner``, ``command_line``, ``gpu_number``, ``model``,
``uuid``: https://cloud.google.com/monitoring/api/metrics_opsagent, the ``gpu`` group) is a
process's utilisation over its lifetime, not per minute, so it never decides anything: the
device metric (``agent.googleapis.com/gpu/utilization``) alone says idle or busy. A VM the
device metric found busy on this run gets the command lines seen in its window appended to
its reason, busiest first: "busy: GPU max 93 % over 2 h (4 GPUs, 100 % coverage) (python
train.py)". One ``projects.timeSeries.list`` per project and 100 such VMs; a failed read
leaves the reasons as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from providers.base import AdapterOptions, Resource, Target
from providers.gcp import rest
from providers.gcp.utilisation import Calls, rfc3339
from providers.idle_rule import Rule, parse_window
from providers.metering import add_calls

METRIC = "agent.googleapis.com/gpu/processes/utilization"
_BUSY = "busy: GPU "
_PER_REQUEST = 100
_SHOWN = 2  # command lines named per VM
_LONGEST = 60  # characters of one command line


def name_work(
    connection: Any, options: AdapterOptions, target: Target, resources: list[Resource]
) -> list[Resource]:
    """``resources`` with the processes named on the ones found busy by GPU this run
    (``extra["instance_id"]``: the VM's numeric id)."""
    busy = [r for r in resources if _fresh_busy(r) and r.extra.get("instance_id")]
    if not busy:
        return resources
    now, calls = options.clock(), Calls()
    try:
        seen = _commands(connection, target.account, busy, options.idle_tag_key, now, calls)
    except rest.GcpApiError:
        return resources
    finally:
        add_calls(options.meter, "monitoring", calls)
    named = {}
    for resource in busy:
        commands = seen.get(resource.extra["instance_id"], [])
        if commands:
            named[resource.key] = replace(
                resource, idle_note=f"{resource.idle_note} ({', '.join(commands[:_SHOWN])})"
            )
    return [named.get(r.key, r) for r in resources]


def _fresh_busy(resource: Resource) -> bool:
    """Measured busy by GPU on this run (a remembered verdict names no new reading)."""
    return resource.idle_note.startswith(_BUSY) and "(last look;" not in resource.idle_note


def _commands(
    connection: Any,
    project: str,
    busy: Sequence[Resource],
    tag_key: str,
    now: datetime,
    calls: Calls,
) -> dict[str, list[str]]:
    """Instance id -> command lines seen over its window, busiest first."""
    peaks: dict[str, dict[str, float]] = {}
    windows: dict[Rule, list[str]] = {}
    for resource in busy:
        rule = Rule(parse_window(resource.tags[tag_key]))
        windows.setdefault(rule, []).append(resource.extra["instance_id"])
    url = f"{connection.base_url('monitoring')}/projects/{project}/timeSeries"
    for rule, ids in windows.items():
        for start in range(0, len(ids), _PER_REQUEST):
            listed = ", ".join(f'"{i}"' for i in ids[start : start + _PER_REQUEST])
            params = {
                "filter": (
                    f'metric.type = "{METRIC}" AND resource.type = "gce_instance"'
                    f" AND resource.labels.instance_id = one_of({listed})"
                ),
                "interval.startTime": rfc3339(rule.start(now)),
                "interval.endTime": rfc3339(rule.end(now)),
                "aggregation.alignmentPeriod": f"{int(rule.window.total_seconds())}s",
                "aggregation.perSeriesAligner": "ALIGN_MAX",
            }
            calls.requests += 1  # billed by the series returned, as the device reads
            for item in rest.paged(connection.session(), url, "timeSeries", params):
                calls.series_returned += 1
                _add(peaks, item)
    return {
        vm: [c for c, _ in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))]
        for vm, found in peaks.items()
    }


def _add(peaks: dict[str, dict[str, float]], item: dict[str, Any]) -> None:
    instance_id = str(item.get("resource", {}).get("labels", {}).get("instance_id", ""))
    command = " ".join(
        str(item.get("metric", {}).get("labels", {}).get("command_line", "")).split()
    )
    if not instance_id or not command:
        return
    command = command if len(command) <= _LONGEST else command[: _LONGEST - 1] + "…"
    values = [p.get("value", {}).get("doubleValue", 0.0) for p in item.get("points", [])]
    peak = max((float(v) for v in values), default=0.0)
    found = peaks.setdefault(instance_id, {})
    found[command] = max(peak, found.get(command, 0.0))
