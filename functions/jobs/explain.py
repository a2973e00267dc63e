"""``offhours explain``: one resource's tag, schedule, desired state, next change, reason.

``explain_record`` is the JSON document (schema ``offhours.explain/v1``); ``explain`` is
the same facts as aligned lines for a person, with the full reason (the plan table shows
only its first sentence).
"""

from __future__ import annotations

from typing import Any

import schedules
from functions.jobs.reconcile import RunReport
from functions.settings import Settings
from providers.base import Decision


def find(report: RunReport, wanted: str) -> Decision | None:
    for decision in report.decisions:
        if wanted in (decision.resource.id, decision.resource.name):
            return decision
    return None


def explain_record(report: RunReport, wanted: str, settings: Settings) -> dict[str, Any] | None:
    decision = find(report, wanted)
    if decision is None:
        return None
    resource = decision.resource
    spec = resource.tags.get(settings.tag_key)
    record: dict[str, Any] = {
        "provider": resource.provider,
        "kind": resource.kind,
        "id": resource.id,
        "name": resource.name,
        "account": resource.account,
        "region": resource.region,
        "state": resource.state.value,
        "size": resource.size or None,
        "hourly_price": resource.price.hourly if resource.price else None,
        "currency": resource.price.currency if resource.price else None,
        "price_source": resource.price.source if resource.price else None,
        "tag_key": settings.tag_key,
        "tag": spec,
        "override": resource.tags.get(settings.override_key),
        "schedule": None,
        "timezone": None,
        "schedule_error": None,
        "desired": None,
        "at": report.now.isoformat(),
        "next_change": None,
        "next_state": None,
        "action": decision.action.value,
        "reason": decision.reason,
        "problem": decision.problem,
    }
    if spec:
        record.update(_schedule_facts(spec, settings, report))
    return record


def explain(report: RunReport, wanted: str, settings: Settings) -> str | None:
    r = explain_record(report, wanted, settings)
    if r is None:
        return None
    price = (
        f"{r['hourly_price']:.4f} {r['currency']}/h ({r['price_source']})"
        if r["hourly_price"] is not None
        else "price unknown"
    )
    lines = [
        f"resource:   {r['provider']} {r['kind']} {r['id']} ({r['name']})",
        f"where:      account {r['account']}, region {r['region'] or '-'}",
        f"state:      {r['state']}",
        f"size/price: {r['size'] or '-'} / {price}",
        f"tag:        {r['tag_key']}={r['tag']}"
        if r["tag"]
        else f"tag:        no {r['tag_key']} tag",
    ]
    if r["override"]:
        lines.append(f"override:   {settings.override_key}={r['override']}")
    if r["schedule_error"]:
        lines.append(f"schedule:   invalid: {r['schedule_error']}")
    elif r["schedule"]:
        change = f"{r['next_change']} -> {r['next_state']}" if r["next_change"] else "never"
        lines += [
            f"schedule:   {r['schedule']} ({r['timezone']})",
            f"desired:    {r['desired']} at {r['at']}",
            f"next:       {change}",
        ]
    lines.append(f"decision:   {r['action']}: {r['reason']}")
    return "\n".join(lines)


def _schedule_facts(spec: str, settings: Settings, report: RunReport) -> dict[str, Any]:
    try:
        schedule = schedules.load_catalog(settings.catalog, settings.default_tz).resolve(spec)
    except schedules.ScheduleError as err:
        return {"schedule_error": str(err)}
    nxt = schedules.next_transition(schedule, report.now)
    record: dict[str, Any] = {
        "schedule": schedule.name or spec,
        "timezone": schedule.timezone,
        "next_change": nxt[0].isoformat() if nxt else None,
    }
    if schedule.sides is schedules.Sides.BOTH:
        record["desired"] = schedules.desired_state(schedule, report.now).value
        record["next_state"] = nxt[1].value if nxt else None
    else:
        record["timezone"] = f"{schedule.timezone}, {schedule.sides.value}"
        record["desired"] = _one_sided_desired(schedule, report)
        record["next_state"] = "stop" if schedule.sides is schedules.Sides.STOP_ONLY else "start"
    return record


def _one_sided_desired(schedule: schedules.Schedule, report: RunReport) -> str:
    switch = schedules.switch_at(schedule, report.now)
    if switch is None:
        return "as-is (outside every catch-up window: offhours leaves it as it is)"
    return (
        f"{switch.state.value} (catching up the switch at {switch.at.isoformat()} "
        f"until {switch.until.isoformat()})"
    )
