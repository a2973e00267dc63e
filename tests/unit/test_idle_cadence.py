"""How often and how much the idle pass reads (``providers/idle_check.py``): a probe of one
series proves a box busy; only a probe that shows no work has every device read, and a
partial read never makes a box idle. Plus the per-resource tags the pass validates
(``idle-threshold``, ``idle-restart``) and the settings it takes from the adapters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from providers.base import AdapterOptions, Resource, ResourceState, Target
from providers.idle_check import IdleSettings, Look, Want, check, judge_target
from providers.idle_rule import ALL_DEVICES, Measurement, Rule, Series, Signal, judge
from providers.metering import Meter, MeteredStore
from providers.store import LocalStore

NOW = datetime(2026, 11, 25, 16, 10, tzinfo=UTC)
STEP = timedelta(minutes=1)


def box(name: str, **tags: str) -> Resource:
    return Resource(
        provider="aws",
        account="1",
        region="r",
        kind="ec2",
        id=name,
        name=name,
        tags={"idle-stop": "2h", **tags},
        state=ResourceState.RUNNING,
        started_at=NOW - timedelta(days=1),
        accelerator=True,
    )


class Gpus:
    """A metrics API over four GPUs per box that honours probes the way the GCP reader
    does: ``all`` -> the busiest GPU minute by minute (one series), a device -> that GPU
    alone, nothing -> every GPU. Logs what each read asked for, as (id, probe)."""

    def __init__(self, percent: Mapping[str, Sequence[float]]) -> None:
        self.percent = percent
        self.reads: list[list[tuple[str, str]]] = []
        self.now = NOW

    def __call__(self, wants: Sequence[Want]) -> dict[str, Measurement]:
        self.reads.append([(w.resource_id, w.probe) for w in wants])
        return {w.resource_id: self._measured(w) for w in wants}

    def _measured(self, want: Want) -> Measurement:
        start = want.rule.start(self.now)
        gpus = dict(enumerate(self.percent[want.resource_id]))

        def series(device: str, value: float) -> Series:
            return Series(device, [(start + i * STEP, value) for i in range(120)])

        if want.probe == ALL_DEVICES:
            return Measurement(
                want.signal, [series(ALL_DEVICES, max(gpus.values()))], STEP, partial=True
            )
        if want.probe:
            one = series(want.probe, gpus[int(want.probe)])
            return Measurement(want.signal, [one], STEP, partial=True)
        return Measurement(want.signal, [series(str(g), v) for g, v in gpus.items()], STEP)


def test_a_first_look_proves_busy_from_one_series_and_remembers_the_busy_gpu() -> None:
    read, looks = Gpus({"a": [1.0, 1.0, 80.0, 1.0]}), dict[str, Look]()
    [got] = check([box("a")], NOW, read, IdleSettings(), looks)
    assert read.reads == [[("a", ALL_DEVICES)]]
    assert got.idle_note.startswith("busy: GPU max 80 % over 2 h (the busiest GPU each minute")
    assert looks[box("a").key].device == ALL_DEVICES


def test_a_recheck_reads_the_gpu_busy_last_alone_while_it_stays_busy() -> None:
    read = Gpus({"a": [1.0, 1.0, 80.0, 1.0]})
    key = box("a").key
    looks = {key: Look(NOW - timedelta(minutes=1), "busy: …", device="2")}
    [got] = check([box("a")], NOW, read, IdleSettings(), looks)
    assert read.reads == [[("a", "2")]]
    assert got.idle_note.startswith("busy: GPU max 80 % over 2 h (GPU 2 alone, 100 % coverage)")
    assert looks[key].device == "2" and looks[key].recheck > NOW


def test_a_probe_that_shows_no_work_has_every_gpu_read_before_any_verdict() -> None:
    read = Gpus({"quiet": [0.0] * 4, "moved": [0.0, 0.0, 0.0, 60.0]})
    boxes = [box("quiet"), box("moved")]
    looks = {b.key: Look(NOW - timedelta(minutes=1), "busy: …", device="2") for b in boxes}
    quiet, moved = check(boxes, NOW, read, IdleSettings(), looks)
    # The probe of GPU 2 shows no work on either: one more call reads every GPU of both.
    assert read.reads == [[("quiet", "2"), ("moved", "2")], [("quiet", ""), ("moved", "")]]
    assert not moved.idle and moved.idle_note.startswith("busy: GPU max 60 % over 2 h (4 GPUs")
    assert quiet.idle_note.startswith("idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)")
    assert looks[moved.key].device == "3"


def test_a_pending_stop_is_confirmed_from_every_gpu() -> None:
    read = Gpus({"a": [0.0] * 4})
    looks = {box("a").key: Look(NOW, "idle: …", NOW - timedelta(minutes=15))}
    [got] = check([box("a")], NOW, read, IdleSettings(), looks)
    assert read.reads == [[("a", "")]]
    assert got.idle


def test_a_partial_read_is_never_idle() -> None:
    rule = Rule(timedelta(hours=2))
    start = rule.start(NOW)
    quiet = Series("0", [(start + i * STEP, 0.0) for i in range(120)])
    verdict = judge(Measurement(Signal.GPU, [quiet], STEP, partial=True), rule, NOW)
    assert not verdict.idle and verdict.partial
    assert verdict.reason.endswith("the other devices unread")


def test_the_resource_s_own_threshold_tag() -> None:
    read = Gpus({"loose": [8.0] * 4, "default": [8.0] * 4})
    loose, default = check(
        [box("loose", **{"idle-threshold": "10"}), box("default")], NOW, read, IdleSettings()
    )
    assert loose.idle and loose.idle_note.startswith("idle: GPU max 8 %")
    assert not default.idle and default.idle_note.startswith("busy: GPU max 8 %")


def test_bad_threshold_and_restart_tags_make_only_that_resource_unmanaged() -> None:
    read = Gpus({"good": [0.0] * 4})
    boxes = [
        box("zero", **{"idle-threshold": "0"}),
        box("words", **{"idle-threshold": "low"}),
        box("restart", **{"idle-restart": "never"}),
        box("good", **{"idle-restart": "manual", "idle-threshold": "10%"}),
    ]
    zero, words, restart, good = check(boxes, NOW, read, IdleSettings())
    assert zero.unmanaged_reason == (
        "bad idle tags: idle-threshold='0': use a percent above 0 and under 100, like 10"
    )
    assert words.unmanaged_reason.startswith("bad idle tags: idle-threshold='low'")
    assert restart.unmanaged_reason == (
        "bad idle tags: idle-restart='never': use next-on or manual"
    )
    assert good.idle and not good.unmanaged_reason


def test_the_settings_come_from_the_adapter_options() -> None:
    options = AdapterOptions(
        clock=lambda: NOW, idle_threshold=12.5, idle_notice=timedelta(minutes=30)
    )
    settings = IdleSettings.of(options)
    assert (settings.threshold, settings.notice) == (12.5, timedelta(minutes=30))
    read = Gpus({"a": [10.0] * 4})
    [first] = check([box("a")], NOW, read, settings, {})
    assert first.idle_stop_at == NOW + timedelta(minutes=30)


def test_a_box_without_data_is_asked_again_only_when_new_minutes_could_cover_its_window() -> None:
    """No data over 2 h: 90 % of the window must fill with new minutes first (108 min)."""
    read, looks = Gpus({}), dict[str, Look]()

    def nothing(wants: Sequence[Want]) -> dict[str, Measurement]:
        read.reads.append([(w.resource_id, w.probe) for w in wants])
        return {}

    [first] = check([box("a")], NOW, nothing, IdleSettings(), looks)
    assert first.idle_note == "idle unknown: no GPU data over 2 h"
    assert looks[box("a").key].recheck == NOW + timedelta(minutes=108)
    [later] = check([box("a")], NOW + timedelta(minutes=105), nothing, IdleSettings(), looks)
    assert len(read.reads) == 1
    assert later.idle_note.startswith("idle unknown: no GPU data over 2 h (last look; next after")
    check([box("a")], NOW + timedelta(minutes=108), nothing, IdleSettings(), looks)
    assert len(read.reads) == 2


def test_a_run_that_learns_nothing_new_writes_no_looks(tmp_path: Any) -> None:
    """The looks object is written when a verdict changes, not on every run: a box still
    inside its busy verdict's recheck window costs no PUT (``judge_target``)."""
    meter = Meter()
    store = MeteredStore(LocalStore(str(tmp_path)), meter)
    options = AdapterOptions(clock=lambda: NOW, state=store)
    target = Target("aws", "1", "r")
    read = Gpus({"a": [1.0, 1.0, 80.0, 1.0]})

    judge_target(options, target, [box("a")], NOW, read)
    assert meter.counts().get("store_writes") == 1  # the first busy verdict is kept
    for later in (NOW + timedelta(minutes=15), NOW + timedelta(minutes=30)):
        read.now = later
        [got] = judge_target(options, target, [box("a")], later, read).values()
        assert "(last look;" in got.idle_note  # the kept verdict, no metrics read
    assert meter.counts().get("store_writes") == 1 and len(read.reads) == 1
