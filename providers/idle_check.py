"""The idle pass every VM and notebook adapter runs at the end of discovery.

For each running resource with the opt-in tag (``idle-stop=2h``, optional
``idle-metric=gpu|cpu|auto``) it asks the adapter's metrics reader for the signal over the
window, judges it with ``providers/idle_rule.py`` and returns the resource with ``idle``
and ``idle_note`` (the measured sentence) set. Bad tags make the resource unmanaged with a
reason the owner can act on; the rest of the fleet is judged as usual.

Cost: metrics reads are billed per series asked, so a resource whose last look found it
busy, too young or short of data is not asked again before the instant that verdict could
change (``Judgement.recheck``); when it is, one series is read first (a probe: the device
busy last, or the busiest device each minute), and every device only if that one shows
no work. Those instants and devices are kept per target in the adapters' state store
(``looks.json``), a few bytes per resource.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from providers.base import AdapterOptions, Resource, ResourceState, Target
from providers.idle_rule import (
    ALL_DEVICES,
    Judgement,
    Measurement,
    Rule,
    Signal,
    Verdict,
    judge,
    parse_restart,
    parse_signal,
    parse_threshold,
    parse_window,
)
from providers.store import ObjectStore, StoreError

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Want:
    """One resource the reader must measure. ``probe``: read only this device (the one
    busy at the last look), or for ``all`` the busiest device each minute where the API
    can reduce across devices, and mark the answer ``Measurement.partial``; a reader that
    ignores it and reads every device is correct, only dearer."""

    resource_id: str
    signal: Signal
    rule: Rule
    probe: str = ""


@dataclass(frozen=True)
class Look:
    """A busy verdict and the first instant it could turn idle (``device``: the device
    busy last, read alone first next time); or (``pending``) the instant a resource was
    first found idle: it is stopped once it is still idle at the end of the notice window
    that began then."""

    recheck: datetime
    reason: str
    pending: datetime | None = None
    device: str = ""


Reader = Callable[[Sequence[Want]], Mapping[str, Measurement]]


class MetricsUnavailable(Exception):
    """The metrics API refused or failed: every resource asked about is "unknown"."""


@dataclass(frozen=True)
class IdleSettings:
    tag_key: str = "idle-stop"
    # Percent; a resource's ``idle-threshold`` tag sets its own.
    threshold: float = 5.0
    # Warned first: an idle resource is stopped only if still idle this long after.
    notice: timedelta = timedelta(minutes=15)

    @classmethod
    def of(cls, options: AdapterOptions) -> IdleSettings:
        return cls(options.idle_tag_key, options.idle_threshold, options.idle_notice)


def check(
    resources: Sequence[Resource],
    now: datetime,
    read: Reader,
    settings: IdleSettings,
    looks: dict[str, Look] | None = None,
) -> list[Resource]:
    """``looks``: resource key -> the last busy verdict and the instant before which it
    cannot change, or a pending idle stop; updated in place with this run's verdicts.
    ``None``: nothing is remembered between runs (no store), so there is no notice window:
    an idle resource is stopped at once."""
    remembered = looks is not None
    looks = looks if looks is not None else {}
    wants: dict[str, tuple[Want, Resource]] = {}
    done: dict[str, Resource] = {}
    for resource in resources:
        settled = _settled(resource, now, settings, looks)
        if isinstance(settled, Resource):
            done[resource.key] = settled
        elif settled is not None:
            wants[resource.key] = (settled, resource)
    try:
        verdicts = _measure(read, {key: want for key, (want, _) in wants.items()}, now)
    except MetricsUnavailable as err:
        note = f"idle unknown: metrics unreadable ({err})"
        done.update({key: replace(r, idle_note=note) for key, (_, r) in wants.items()})
        return [done.get(r.key, r) for r in resources]
    for key, (_, resource) in wants.items():
        verdict = verdicts[key]
        if verdict.idle and remembered and settings.notice > timedelta(0):
            done[key] = _noticed(resource, looks, verdict, now, settings.notice)
            continue
        _remember(looks, key, verdict)
        done[key] = replace(resource, idle=verdict.idle, idle_note=verdict.reason)
    return [done.get(r.key, r) for r in resources]


def _measure(read: Reader, wants: Mapping[str, Want], now: datetime) -> dict[str, Judgement]:
    """Probes first: one series (one GPU's, or the busiest GPU's minute by minute) proves a
    resource busy at a quarter of the metrics billed for four; only a partial read that
    shows no work costs a second read, of every device, in one more call for all such
    resources. A reader that ignores the probe answers in full, and that answer stands."""
    verdicts = _judged(read, wants, now) if wants else {}
    again = {
        key: replace(want, probe="")
        for key, want in wants.items()
        if verdicts[key].partial and verdicts[key].verdict is not Verdict.BUSY
    }
    if again:
        verdicts.update(_judged(read, again, now))
    return verdicts


def _judged(read: Reader, wants: Mapping[str, Want], now: datetime) -> dict[str, Judgement]:
    measured = read(list(wants.values()))
    verdicts = {}
    for key, want in wants.items():
        got = measured.get(want.resource_id) or Measurement(want.signal, [], _MINUTE)
        verdicts[key] = judge(got, want.rule, now)
    return verdicts


def _noticed(
    resource: Resource, looks: dict[str, Look], verdict: Judgement, now: datetime, notice: timedelta
) -> Resource:
    """Idle now: stopped if it was already idle a whole notice window ago, else the stop
    is announced for the end of the window (and cancelled if it is used before then)."""
    look = looks.get(resource.key)
    pending = look.pending if look is not None and look.pending is not None else now
    if now >= pending + notice:
        looks.pop(resource.key, None)
        return replace(resource, idle=True, idle_note=verdict.reason)
    looks[resource.key] = Look(now, verdict.reason, pending)
    stop_at = pending + notice
    note = f"{verdict.reason}; stops at {stop_at:%a %H:%M} UTC if still idle"
    return replace(resource, idle_note=note, idle_stop_at=stop_at)


def _settled(
    resource: Resource, now: datetime, settings: IdleSettings, looks: dict[str, Look]
) -> Resource | Want | None:
    """The resource as it is (nothing to measure), or what to ask the reader for."""
    text = resource.tags.get(settings.tag_key)
    if text is None or resource.unmanaged_reason:
        return resource
    try:
        threshold = parse_threshold(resource.tags, settings.threshold)
        rule = Rule(parse_window(text), threshold=threshold)
        signal = parse_signal(resource.tags, resource.accelerator)
        parse_restart(resource.tags)  # read by the planner; refused here, once, if bad
    except ValueError as err:
        return replace(resource, unmanaged_reason=f"bad idle tags: {err}")
    if resource.state is not ResourceState.RUNNING:
        return resource
    if resource.started_at is not None and resource.started_at > rule.start(now):
        young = judge(Measurement(signal, [], _MINUTE), rule, now, resource.started_at)
        return replace(resource, idle_note=young.reason)
    look = looks.get(resource.key)
    if look is not None and look.recheck > now:
        note = f"{look.reason} (last look; next after {look.recheck:%a %H:%M} UTC)"
        return replace(resource, idle_note=note)
    return Want(resource.id, signal, rule, _probe(signal, look))


def _probe(signal: Signal, look: Look | None) -> str:
    """What to read first: the device busy at the last look; on a first look, the busiest
    device minute by minute where the API can reduce across devices (``all``); nothing
    (every device) for a CPU or a pending stop, which only every device can confirm."""
    if signal is not Signal.GPU:
        return ""
    if look is None:
        return ALL_DEVICES
    return look.device


def _remember(looks: dict[str, Look], key: str, verdict: Judgement) -> None:
    """A busy or short-of-data verdict holds until its recheck instant (a partial read that
    shows no work has none: its full read follows in the same run)."""
    if not verdict.idle and verdict.recheck is not None:
        looks[key] = Look(verdict.recheck, verdict.reason, device=verdict.busy_device)
    else:
        looks.pop(key, None)


def judge_target(
    options: AdapterOptions,
    target: Target,
    tagged: Sequence[Resource],
    now: datetime,
    read: Reader,
) -> dict[str, Resource]:
    """One target's idle pass over its tagged resources of one kind, by resource key: the
    last runs' looks read, each resource judged, the looks written back only when they
    changed (a run that learns nothing new writes nothing: each PUT is billed)."""
    key = looks_key(target, tagged[0].kind)
    looks = load_looks(options.state, key)
    before = dict(looks) if looks is not None else None
    judged = {r.key: r for r in check(tagged, now, read, IdleSettings.of(options), looks)}
    if looks != before:
        save_looks(options.state, key, looks)
    return judged


def looks_key(target: Target, kind: str) -> str:
    region = target.region or "global"
    return (
        f"state/v1/idle/provider={target.provider}/account={target.account}/"
        f"region={region}/kind={kind}/looks.json"
    )


def _look(raw: Sequence[str | None]) -> Look:
    pending = raw[2] if len(raw) > 2 else None
    return Look(
        datetime.fromisoformat(str(raw[0])),
        str(raw[1]),
        datetime.fromisoformat(pending) if pending else None,
        str(raw[3] or "") if len(raw) > 3 else "",
    )


def load_looks(store: ObjectStore | None, key: str) -> dict[str, Look] | None:
    """The last runs' verdicts; nothing (measure everything) if unreadable; ``None``
    without a store (nothing can be remembered)."""
    if store is None:
        return None
    try:
        data = store.get(key)
        raw = json.loads(data) if data else {}
        return {k: _look(v) for k, v in raw.items()}
    except (StoreError, ValueError, TypeError, AttributeError, IndexError, KeyError):
        return {}


def save_looks(store: ObjectStore | None, key: str, looks: Mapping[str, Look] | None) -> None:
    """Best effort: a lost write costs one extra metrics read (or restarts a notice
    window), never a wrong stop."""
    if store is None or looks is None:
        return
    raw = {
        k: [
            v.recheck.isoformat(),
            v.reason,
            v.pending.isoformat() if v.pending else None,
            v.device,
        ]
        for k, v in sorted(looks.items())
    }
    try:
        store.put(key, json.dumps(raw).encode())
    except StoreError:
        return
