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

The tag grammar is here too (``idle-stop=2h``, ``idle-metric=gpu|cpu|auto``), so the
adapters of every cloud parse it the same way. No clock, no I/O, no SDK.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

METRIC_TAG = "idle-metric"
# The device name of one series whose values are already the maximum over every GPU.
ALL_DEVICES = "all"
_WINDOW = re.compile(r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?)?\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "h": 3600, "d": 86400}


class Signal(StrEnum):
    GPU = "gpu"
    CPU = "cpu"
    AUTO = "auto"


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


@dataclass(frozen=True)
class Judgement:
    """``recheck``: the first instant the verdict could turn idle (the busy point or the
    start has left the window); asking the cloud before then only costs money."""

    verdict: Verdict
    reason: str
    recheck: datetime | None = None

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
        return Judgement(Verdict.UNKNOWN, f"idle unknown: no {name} data over {span}")
    per_device = [_in_window(s, start, end) for s in measurement.series]
    divisor = max(1, measurement.summed_over)
    peak = max((v / divisor for points in per_device for _, v in points), default=0.0)
    expected = max(1, int(rule.window / measurement.step))
    covered = [len({at for at, _ in points}) / expected for points in per_device]
    missing = max(0, measurement.devices - len(per_device)) if divisor == 1 else 0
    coverage = min(*covered, 1.0) if not missing else 0.0
    count = max(len(per_device), measurement.devices, divisor if divisor > 1 else 0)
    combined = [s.device for s in measurement.series] == [ALL_DEVICES] and divisor == 1
    devices = f"all {name}s, " if combined and name != "CPU" else _devices(name, count)
    measured = f"{devices}{coverage * 100:.0f} % coverage"
    what = f"{name} max {peak:.0f} % over {span} ({measured})"
    if peak >= rule.threshold:
        last = max(at for points in per_device for at, v in points if v / divisor >= rule.threshold)
        recheck = last + measurement.step + rule.window + rule.lag
        return Judgement(Verdict.BUSY, f"busy: {what}", recheck)
    if coverage < rule.coverage:
        wanted = f"{rule.coverage * 100:.0f} %"
        return Judgement(Verdict.UNKNOWN, f"idle unknown: {what}, under the {wanted} needed")
    return Judgement(Verdict.IDLE, f"idle: {what}")


def _in_window(series: Series, start: datetime, end: datetime) -> list[tuple[datetime, float]]:
    return [(at, value) for at, value in series.points if start <= at < end]


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
