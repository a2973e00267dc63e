"""Is a GPU (or CPU) box idle? The pure rule, apart from every cloud's metrics API.

Idle means measured, never guessed:

- the **maximum** per-device utilisation over the whole window stays under the
  threshold (one busy GPU of four keeps the box running);
- at least ``coverage`` (default 90 %) of the window is covered by data on every
  device; a gap, a missing device or no data at all is ``unknown``, never idle;
- the window ends ``lag`` before now (metrics are published minutes late: a window
  that ends at ``now`` always looks short of data);
- a metric that sums over GPUs is divided by the number of GPUs it sums;
- a resource that came up less than one window ago is not idle (its window holds time
  it was off).

The tag grammar is here too (``idle-stop=2h``, ``idle-metric=gpu|cpu|auto``,
``idle-threshold=10``, ``idle-restart=next-on|manual``), so the adapters of every cloud and
the planner parse it the same way. No clock, no I/O, no SDK.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

METRIC_TAG = "idle-metric"
THRESHOLD_TAG = "idle-threshold"
RESTART_TAG = "idle-restart"
# The device name of one series whose values are already the maximum over every GPU.
ALL_DEVICES = "all"
_WINDOW = re.compile(r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?)?\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "h": 3600, "d": 86400}


class Signal(StrEnum):
    GPU = "gpu"
    CPU = "cpu"
    AUTO = "auto"


class Restart(StrEnum):
    """When an idle-stopped resource comes back by itself: at its schedule's next
    on-transition (``next-on``), or only when a person asks (``manual``)."""

    NEXT_ON = "next-on"
    MANUAL = "manual"


class Verdict(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Rule:
    """How idle is judged. ``threshold`` in percent (0-100)."""

    window: timedelta
    threshold: float = 5.0
    coverage: float = 0.9
    lag: timedelta = timedelta(minutes=5)

    def end(self, now: datetime) -> datetime:
        """Where the measured window ends: ``lag`` before now."""
        return now - self.lag

    def start(self, now: datetime) -> datetime:
        return self.end(now) - self.window


@dataclass(frozen=True)
class Series:
    """One device's samples: (instant the sample period starts, percent)."""

    device: str
    points: Sequence[tuple[datetime, float]]


@dataclass(frozen=True)
class Measurement:
    """What a metrics API returned for one resource and one signal.

    ``step``: the sample period asked for. ``summed_over``: how many GPUs each value
    sums (1 for per-device metrics); values are divided by it. ``devices``: how many
    devices the resource has, when the adapter knows (a missing device's series is a gap).
    """

    signal: Signal
    series: Sequence[Series]
    step: timedelta
    summed_over: int = 1
    devices: int = 0
    # Only part of the devices' data was read (the GPU busy at the last look, or the
    # busiest GPU each minute): enough to prove busy, never enough to call it idle.
    partial: bool = False


@dataclass(frozen=True)
class Judgement:
    """``recheck``: the first instant the verdict could turn idle (the busy point or the
    start has left the window, or enough new minutes could cover a window short of data);
    asking the cloud before then only costs money.
    ``busy_device``: the device of the latest busy point, the one to read first next time."""

    verdict: Verdict
    reason: str
    recheck: datetime | None = None
    busy_device: str = ""
    # Judged from some devices only (``Measurement.partial``): final only when busy.
    partial: bool = False

    @property
    def idle(self) -> bool:
        return self.verdict is Verdict.IDLE


def parse_window(text: str) -> timedelta:
    """``2h`` -> 2 hours; a bare number is minutes. ValueError with the forms that work."""
    match = _WINDOW.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a window: use minutes, hours or days like 60m, 2h, 1d")
    unit = (match.group(2) or "m")[0].lower()
    return timedelta(seconds=int(match.group(1)) * _UNITS[unit])


def parse_signal(tags: Mapping[str, str], accelerated: bool) -> Signal:
    """``idle-metric`` tag -> GPU or CPU; ``auto`` (or no tag) is GPU on an accelerated
    resource, else CPU. ValueError names the forms that work."""
    text = tags.get(METRIC_TAG, Signal.AUTO.value).strip().lower()
    try:
        signal = Signal(text)
    except ValueError:
        raise ValueError(f"{METRIC_TAG}={text!r}: use gpu, cpu or auto") from None
    if signal is Signal.AUTO:
        return Signal.GPU if accelerated else Signal.CPU
    return signal


def parse_threshold(tags: Mapping[str, str], default: float) -> float:
    """``idle-threshold=10`` (or ``10%``): the resource's own threshold in percent, above 0
    and under 100; ``default`` without the tag. ValueError names the forms that work."""
    text = tags.get(THRESHOLD_TAG)
    if text is None:
        return default
    try:
        value = float(text.strip().rstrip("%").strip())
    except ValueError:
        value = float("nan")
    if not 0 < value < 100:
        raise ValueError(f"{THRESHOLD_TAG}={text!r}: use a percent above 0 and under 100, like 10")
    return value


def parse_restart(tags: Mapping[str, str]) -> Restart:
    """``idle-restart`` tag -> when an idle stop ends by itself (default ``next-on``)."""
    text = tags.get(RESTART_TAG, Restart.NEXT_ON.value).strip().lower()
    try:
        return Restart(text)
    except ValueError:
        raise ValueError(f"{RESTART_TAG}={text!r}: use next-on or manual") from None


def judge(
    measurement: Measurement,
    rule: Rule,
    now: datetime,
    up_since: datetime | None = None,
) -> Judgement:
    """The verdict for one resource, with a sentence that names what was measured."""
    if now.tzinfo is None:
        raise ValueError("judge needs a zone-aware instant")
    start, end = rule.start(now), rule.end(now)
    name = measurement.signal.value.upper()
    span = _span(rule.window)
    if up_since is not None and up_since > start:
        reason = f"not idle: up since {up_since:%a %H:%M} UTC, under {span}"
        return Judgement(Verdict.BUSY, reason, up_since + rule.window + rule.lag)
    if not measurement.series:
        reason = f"idle unknown: no {name} data over {span}"
        return Judgement(Verdict.UNKNOWN, reason, _covered_by(rule, now, 0.0))
    divisor = max(1, measurement.summed_over)
    scans = [_scan(s, start, end, divisor, rule.threshold) for s in measurement.series]
    peak = max(scan.peak for scan in scans)
    expected = max(1, int(rule.window / measurement.step))
    missing = max(0, measurement.devices - len(scans)) if divisor == 1 else 0
    coverage = min(*(scan.covered / expected for scan in scans), 1.0) if not missing else 0.0
    what = f"{name} max {peak:.0f} % over {span} ({_measured(measurement, scans, coverage)})"
    busy = [(scan.last_busy, scan.device) for scan in scans if scan.last_busy is not None]
    if busy:
        last, device = max(busy)
        recheck = last + measurement.step + rule.window + rule.lag
        return Judgement(Verdict.BUSY, f"busy: {what}", recheck, device, measurement.partial)
    if measurement.partial:
        reason = f"idle unknown: {what}, the other devices unread"
        return Judgement(Verdict.UNKNOWN, reason, partial=True)
    if coverage < rule.coverage:
        wanted = f"{rule.coverage * 100:.0f} %"
        reason = f"idle unknown: {what}, under the {wanted} needed"
        return Judgement(Verdict.UNKNOWN, reason, _covered_by(rule, now, coverage))
    return Judgement(Verdict.IDLE, f"idle: {what}")


def _covered_by(rule: Rule, now: datetime, coverage: float) -> datetime:
    """The first instant a window short of data could be covered enough: each minute the
    window moves on adds at most one minute of data. (Data published later than the lag
    for minutes already inside the window can only be seen at that instant: a later stop,
    never a wrong one.)"""
    return now + max(0.0, rule.coverage - coverage) * rule.window


@dataclass(frozen=True)
class _Scan:
    """One device's series over the window: its peak, its minutes with data, and its
    last minute at or over the threshold."""

    device: str
    peak: float
    covered: int
    last_busy: datetime | None


def _scan(series: Series, start: datetime, end: datetime, divisor: int, threshold: float) -> _Scan:
    """One pass over the points (the hot loop of every read)."""
    seen: set[datetime] = set()
    peak = 0.0
    last: datetime | None = None
    for at, raw in series.points:
        if start <= at < end:
            seen.add(at)
            value = raw / divisor if divisor != 1 else raw
            peak = value if value > peak else peak
            if value >= threshold and (last is None or at > last):
                last = at
    return _Scan(series.device, peak, len(seen), last)


def _measured(measurement: Measurement, scans: Sequence[_Scan], coverage: float) -> str:
    """ "4 GPUs, 100 % coverage"; "all GPUs, …" for a combined series; what a partial read
    looked at."""
    name = measurement.signal.value.upper()
    divisor = max(1, measurement.summed_over)
    count = max(len(scans), measurement.devices, divisor if divisor > 1 else 0)
    combined = [s.device for s in scans] == [ALL_DEVICES] and divisor == 1
    devices = f"all {name}s, " if combined and name != "CPU" else _devices(name, count)
    if measurement.partial:
        devices = (
            f"the busiest {name} each minute, "
            if combined
            else f"{name} {', '.join(s.device for s in scans)} alone, "
        )
    return f"{devices}{coverage * 100:.0f} % coverage"


def _devices(name: str, count: int) -> str:
    if name == "CPU":
        return ""
    return f"{count} {name}" + ("s, " if count != 1 else ", ")


def _span(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min"
