"""``offhours explain``: one resource's tag, schedule, desired state, next change, reason."""

from __future__ import annotations

import schedules
from functions.reconcile import RunReport
from functions.settings import Settings
from providers.base import Decision


def find(report: RunReport, wanted: str) -> Decision | None:
    for decision in report.decisions:
        if wanted in (decision.resource.id, decision.resource.name):
            return decision
    return None


def explain(report: RunReport, wanted: str, settings: Settings) -> str | None:
    decision = find(report, wanted)
    if decision is None:
        return None
    resource = decision.resource
    lines = [
        f"resource:   {resource.provider} {resource.kind} {resource.id} ({resource.name})",
        f"where:      account {resource.account}, region {resource.region or '-'}",
        f"state:      {resource.state.value}",
        f"size/price: {resource.size or '-'} / "
        + (
            f"{resource.price.hourly:.4f} {resource.price.currency}/h ({resource.price.source})"
            if resource.price
            else "price unknown"
        ),
    ]
    spec = resource.tags.get(settings.tag_key)
    lines.append(
        f"tag:        {settings.tag_key}={spec}"
        if spec
        else f"tag:        no {settings.tag_key} tag"
    )
    override = resource.tags.get(settings.override_key)
    if override:
        lines.append(f"override:   {settings.override_key}={override}")
    if spec:
        lines.extend(_schedule_lines(spec, settings, report))
    lines.append(f"decision:   {decision.action.value}: {decision.reason}")
    return "\n".join(lines)


def _schedule_lines(spec: str, settings: Settings, report: RunReport) -> list[str]:
    try:
        schedule = schedules.load_catalog(settings.catalog, settings.default_tz).resolve(spec)
    except schedules.ScheduleError as err:
        return [f"schedule:   invalid: {err}"]
    nxt = schedules.next_transition(schedule, report.now)
    change = f"{nxt[0].isoformat()} -> {nxt[1].value}" if nxt else "never"
    if schedule.sides is schedules.Sides.BOTH:
        kind = schedule.timezone
        desired = schedules.desired_state(schedule, report.now).value
    else:
        kind = f"{schedule.timezone}, {schedule.sides.value}"
        desired = _one_sided_desired(schedule, report)
        side = "stop" if schedule.sides is schedules.Sides.STOP_ONLY else "start"
        change = f"{nxt[0].isoformat()} -> {side}" if nxt else "never"
    return [
        f"schedule:   {schedule.name or spec} ({kind})",
        f"desired:    {desired} at {report.now.isoformat()}",
        f"next:       {change}",
    ]


def _one_sided_desired(schedule: schedules.Schedule, report: RunReport) -> str:
    switch = schedules.switch_at(schedule, report.now)
    if switch is None:
        return "as-is (outside every catch-up window: offhours leaves it as it is)"
    return (
        f"{switch.state.value} (catching up the switch at {switch.at.isoformat()} "
        f"until {switch.until.isoformat()})"
    )
