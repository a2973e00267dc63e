"""The idle rule: maximum per device, coverage, lag, summed metrics, young resources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.idle_rule import (
    Measurement,
    Rule,
    Series,
    Signal,
    Verdict,
    judge,
    parse_signal,
    parse_window,
)

NOW = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # a Wednesday afternoon
RULE = Rule(window=timedelta(hours=2))
STEP = timedelta(minutes=1)


def minutes(
    values: list[float], rule: Rule = RULE, start: datetime | None = None
) -> list[tuple[datetime, float]]:
    first = start or rule.start(NOW)
    return [(first + i * STEP, v) for i, v in enumerate(values)]


def gpus(*columns: list[float]) -> Measurement:
    series = [Series(str(i), minutes(c)) for i, c in enumerate(columns)]
    return Measurement(Signal.GPU, series, STEP)


def test_four_quiet_gpus_are_idle_and_the_reason_names_the_measurement() -> None:
    quiet = [2.0] * 120
    got = judge(gpus(quiet, quiet, quiet, quiet), RULE, NOW)
    assert got.verdict is Verdict.IDLE
    assert got.reason == "idle: GPU max 2 % over 2 h (4 GPUs, 100 % coverage)"


def test_one_busy_gpu_of_four_keeps_the_box_running() -> None:
    quiet = [0.0] * 120
    got = judge(gpus(quiet, quiet, [0.0] * 60 + [80.0] + [0.0] * 59, quiet), RULE, NOW)
    assert got.verdict is Verdict.BUSY
    assert "GPU max 80 %" in got.reason
    # The busy minute 14:55-14:56 leaves the window [now - 5 min - 2 h, now - 5 min) at 17:01.
    assert got.recheck == datetime(2026, 11, 25, 17, 1, tzinfo=UTC)


def test_the_maximum_not_the_average_decides() -> None:
    # Average 0.8 %, one minute at 95 %: a job ran.
    got = judge(gpus([0.0] * 119 + [95.0]), RULE, NOW)
    assert got.verdict is Verdict.BUSY


def test_a_gap_in_the_data_is_unknown_never_idle() -> None:
    half = [0.0] * 60  # the agent stopped publishing an hour ago
    got = judge(gpus(half), RULE, NOW)
    assert got.verdict is Verdict.UNKNOWN
    assert "50 % coverage" in got.reason


def test_no_data_at_all_is_unknown() -> None:
    got = judge(Measurement(Signal.GPU, [], STEP), RULE, NOW)
    assert got.verdict is Verdict.UNKNOWN


def test_a_gpu_that_publishes_nothing_is_a_gap() -> None:
    measurement = Measurement(Signal.GPU, [Series("0", minutes([0.0] * 120))], STEP, devices=4)
    assert judge(measurement, RULE, NOW).verdict is Verdict.UNKNOWN


def test_ninety_percent_coverage_is_enough() -> None:
    points = minutes([1.0] * 120)
    sparse = [p for i, p in enumerate(points) if i % 10 != 0]  # 108 of 120 minutes
    got = judge(Measurement(Signal.GPU, [Series("0", sparse)], STEP), RULE, NOW)
    assert got.verdict is Verdict.IDLE


def test_a_summed_metric_is_divided_by_its_gpus() -> None:
    # 4 GPUs at 3 % each, published as one series summing them: 12 %, per GPU 3 %.
    summed = Measurement(Signal.GPU, [Series("all", minutes([12.0] * 120))], STEP, summed_over=4)
    got = judge(summed, RULE, NOW)
    assert got.verdict is Verdict.IDLE
    assert got.reason.startswith("idle: GPU max 3 % over 2 h (4 GPUs,")


def test_the_window_ends_before_now_by_the_publication_lag() -> None:
    # Points inside the last five minutes are not in the window: a late point cannot
    # make the window look short, and the window [start, now - lag) is full.
    points = minutes([0.0] * 125)
    got = judge(Measurement(Signal.GPU, [Series("0", points)], STEP), RULE, NOW)
    assert got.verdict is Verdict.IDLE
    assert RULE.end(NOW) == NOW - timedelta(minutes=5)


def test_a_resource_up_for_less_than_one_window_is_not_idle() -> None:
    got = judge(gpus([0.0] * 120), RULE, NOW, up_since=NOW - timedelta(minutes=90))
    assert got.verdict is Verdict.BUSY
    assert "up since" in got.reason


def test_cpu_reason() -> None:
    cpu = Measurement(Signal.CPU, [Series("cpu", minutes([1.0] * 120))], STEP)
    assert judge(cpu, RULE, NOW).reason == "idle: CPU max 1 % over 2 h (100 % coverage)"


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="zone-aware"):
        judge(gpus([0.0]), RULE, datetime(2026, 11, 25, 16, 0))


@pytest.mark.parametrize(
    ("tags", "accelerated", "signal"),
    [
        ({}, True, Signal.GPU),
        ({}, False, Signal.CPU),
        ({"idle-metric": "auto"}, True, Signal.GPU),
        ({"idle-metric": "CPU"}, True, Signal.CPU),
        ({"idle-metric": "gpu"}, False, Signal.GPU),
    ],
)
def test_signal_from_the_tag(tags: dict[str, str], accelerated: bool, signal: Signal) -> None:
    assert parse_signal(tags, accelerated) is signal


def test_bad_tags_say_what_works() -> None:
    with pytest.raises(ValueError, match="gpu, cpu or auto"):
        parse_signal({"idle-metric": "memory"}, True)
    with pytest.raises(ValueError, match="like 60m, 2h, 1d"):
        parse_window("soon")
    assert parse_window("2h") == timedelta(hours=2)


values = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(
    columns=st.lists(st.lists(values, min_size=0, max_size=130), min_size=1, max_size=8),
    gpu=st.integers(min_value=0, max_value=7),
    minute=st.integers(min_value=0, max_value=119),
    high=st.floats(min_value=5.0, max_value=100.0, allow_nan=False),
)
def test_one_point_over_the_threshold_inside_the_window_never_stops(
    columns: list[list[float]], gpu: int, minute: int, high: float
) -> None:
    """Property: whatever else the series hold (gaps, quiet minutes, extra devices),
    one sample at or over the threshold inside the window means no stop."""
    series = [Series(str(i), minutes(c)) for i, c in enumerate(columns)]
    hot = series[gpu % len(series)]
    at = RULE.start(NOW) + minute * STEP
    series[gpu % len(series)] = Series(hot.device, [*hot.points, (at, high)])
    got = judge(Measurement(Signal.GPU, series, STEP), RULE, NOW)
    assert got.verdict is not Verdict.IDLE


@settings(max_examples=200, deadline=None)
@given(
    column=st.lists(st.floats(min_value=0.0, max_value=4.99), min_size=0, max_size=120),
    gpus_summed=st.integers(min_value=1, max_value=8),
)
def test_idle_only_with_coverage(column: list[float], gpus_summed: int) -> None:
    """Property: a verdict of idle always rests on at least 90 % of the window."""
    summed = [v * gpus_summed for v in column]
    got = judge(
        Measurement(Signal.GPU, [Series("0", minutes(summed))], STEP, summed_over=gpus_summed),
        RULE,
        NOW,
    )
    assert got.idle == (len(column) >= 108)
