"""The idle pass shared by every adapter: what is asked for, what is remembered between
runs (busy verdicts, pending stops), the notice window, and failures as "unknown"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from providers.base import Resource, ResourceState
from providers.idle_check import (
    IdleSettings,
    Look,
    MetricsUnavailable,
    Want,
    check,
    load_looks,
    save_looks,
)
from providers.idle_rule import Measurement, Series, Signal
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


class Reader:
    """Answers every GPU with ``percent`` for every minute of the window; logs the asks."""

    def __init__(self, percent: Mapping[str, float]) -> None:
        self.percent = percent
        self.asked: list[list[str]] = []
        self.signals: dict[str, Signal] = {}

    def __call__(self, wants: Sequence[Want]) -> dict[str, Measurement]:
        self.asked.append([w.resource_id for w in wants])
        self.signals.update({w.resource_id: w.signal for w in wants})
        out = {}
        for w in wants:
            start = w.rule.start(self.now)
            points = [(start + i * STEP, self.percent[w.resource_id]) for i in range(120)]
            out[w.resource_id] = Measurement(w.signal, [Series("0", points)], STEP)
        return out

    now = NOW


def test_a_busy_box_is_not_asked_again_before_its_busy_minute_leaves_the_window() -> None:
    read, looks = Reader({"a": 90.0}), dict[str, Look]()
    [first] = check([box("a")], NOW, read, IdleSettings(), looks)
    assert first.idle_note.startswith("busy: GPU max 90 %")
    read.now = NOW + timedelta(minutes=15)
    [again] = check([box("a")], read.now, read, IdleSettings(), looks)
    assert read.asked == [["a"]]  # not asked the second time
    assert (
        again.idle_note.startswith("busy: GPU max 90 %")
        and "(last look; next after" in again.idle_note
    )


def test_an_idle_box_is_stopped_only_at_the_end_of_its_notice_window() -> None:
    read, looks = Reader({"a": 0.0}), dict[str, Look]()
    [first] = check([box("a")], NOW, read, IdleSettings(), looks)
    assert not first.idle and first.idle_stop_at == NOW + timedelta(minutes=15)
    read.now = NOW + timedelta(minutes=15)
    [second] = check([box("a")], read.now, read, IdleSettings(), looks)
    assert second.idle and second.idle_note.startswith("idle: GPU max 0 %")
    assert looks == {}


def test_without_memory_there_is_no_notice_window() -> None:
    [got] = check([box("a")], NOW, Reader({"a": 0.0}), IdleSettings(), None)
    assert got.idle


def test_bad_tags_make_only_that_resource_unmanaged() -> None:
    read = Reader({"good": 0.0})
    bad, good = check(
        [box("bad", **{"idle-stop": "soon"}), box("good")], NOW, read, IdleSettings(), None
    )
    assert bad.unmanaged_reason.startswith("bad idle tags: 'soon' is not a window")
    assert good.idle and read.asked == [["good"]]


def test_a_failing_metrics_api_makes_every_asked_resource_unknown() -> None:
    def failing(wants: Sequence[Want]) -> dict[str, Measurement]:
        raise MetricsUnavailable("ThrottlingException")

    [got] = check([box("a")], NOW, failing, IdleSettings(), {})
    assert not got.idle
    assert got.idle_note == "idle unknown: metrics unreadable (ThrottlingException)"


def test_stopped_and_young_boxes_are_not_asked() -> None:
    read = Reader({})
    stopped = replace(box("s"), state=ResourceState.STOPPED)
    young = replace(box("y"), started_at=NOW - timedelta(minutes=30))
    _, got = check([stopped, young], NOW, read, IdleSettings(), {})
    assert read.asked == []
    assert got.idle_note.startswith("not idle: up since Wed 15:40 UTC, under 2 h")


def test_looks_survive_the_store(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    looks = {"k": Look(NOW, "busy: …", NOW - timedelta(minutes=5))}
    save_looks(store, "state/v1/idle/looks.json", looks)
    assert load_looks(store, "state/v1/idle/looks.json") == looks
    assert load_looks(None, "x") is None
    store.put("state/v1/idle/broken.json", b"{not json")
    assert load_looks(store, "state/v1/idle/broken.json") == {}


def test_gpu_on_an_accelerated_box_unless_tagged_cpu() -> None:
    read = Reader({"a": 0.0, "b": 0.0})
    [a, _] = check([box("a", **{"idle-metric": "cpu"}), box("b")], NOW, read, IdleSettings(), None)
    assert read.signals == {"a": Signal.CPU, "b": Signal.GPU}
    assert a.idle_note == "idle: CPU max 0 % over 2 h (100 % coverage)"
