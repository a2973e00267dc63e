"""The apply engine every adapter runs through (``providers/apply.py``), on its own: what
each kind of handler answer becomes, isolation that lets a bug through, bounded
parallelism, bisected batches and the monotonic deadline. No cloud and no wall time: the
deadline's clock moves only when it sleeps."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from providers.apply import (
    AlreadyOff,
    Deadline,
    Engine,
    Refused,
    Settled,
    Started,
    StillRunning,
    wait_for,
)
from providers.base import Action, Decision, Outcome, Resource, ResourceState
from providers.store import StoreUnavailable

NOW = datetime(2026, 12, 1, 19, 5, tzinfo=UTC)


class CloudError(Exception):
    """Stands for an SDK's error type (ClientError, GoogleAPICallError, AzureError)."""


def engine(max_workers: int = 4) -> Engine:
    return Engine("things", lambda: NOW, (CloudError,), lambda e: f"cloud: {e}", max_workers)


def decision(name: str, action: Action = Action.STOP) -> Decision:
    resource = Resource("x", "acct", "r1", "things", name, name, {}, ResourceState.RUNNING)
    return Decision(resource, action, "test")


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Op:
    """An operation that finishes (or fails) after ``reads`` reads."""

    def __init__(self, reads: int, error: str = "") -> None:
        self.reads = reads
        self.error = error

    def settle(self, deadline: Deadline) -> Settled:
        left, finished = deadline.wait(self.reads, lambda n: n - 1, lambda n: n <= 0)
        if not finished:
            return Settled(Outcome.ACCEPTED, f"{left} reads to go")
        if self.error:
            return Settled(Outcome.FAILED, "op", self.error)
        return Settled(Outcome.DONE, "op")


def test_every_kind_of_answer_becomes_its_outcome_in_the_decisions_order() -> None:
    ticker = Ticker()
    deadline = Deadline.after(1.0, ticker, ticker.sleep)
    done_after: list[str] = []

    def forget(name: str, note: str = "") -> Any:
        return lambda: done_after.append(name) or note

    def stop(d: Decision) -> Started | Settled | str:
        match d.resource.id:
            case "plain":
                return "stopped"
            case "settled":
                return Settled(Outcome.ACCEPTED, "queued")
            case "quick":
                return Started(Op(2), "stop", forget("quick", "forgotten"))
            case "slow":
                return Started(Op(10_000), "stop", forget("slow"))
            case "broken-op":
                return Started(Op(1, "ZONE_RESOURCE_POOL_EXHAUSTED"), "stop")
            case "off":
                raise AlreadyOff("at zero")
            case "refused":
                raise Refused("no saved size to restore")
            case "store":
                raise StoreUnavailable("bucket down")
            case "cloud":
                raise CloudError("AccessDenied")
            case _:
                raise StillRunning("saving still in progress")

    names = ["plain", "settled", "quick", "slow", "broken-op", "off", "refused", "store", "cloud"]
    decisions = [decision(n) for n in names] + [decision("waiting"), decision("skip", Action.SKIP)]
    decisions.append(decision("up", Action.SCALE_UP))
    results = engine().run(decisions, {Action.STOP: stop}, deadline)

    assert [r.resource.id for r in results] == [d.resource.id for d in decisions]
    got = {r.resource.id: (r.outcome, r.error, r.detail) for r in results}
    assert got["plain"] == (Outcome.DONE, "", "stopped")
    assert got["settled"] == (Outcome.ACCEPTED, "", "queued")
    assert got["quick"] == (Outcome.DONE, "", "stop; op; forgotten")
    assert got["slow"][0] is Outcome.ACCEPTED and "reads to go" in got["slow"][2]
    assert got["broken-op"] == (Outcome.FAILED, "ZONE_RESOURCE_POOL_EXHAUSTED", "stop; op")
    assert got["off"] == (Outcome.SKIPPED, "", "already off: at zero")
    assert got["refused"] == (Outcome.FAILED, "no saved size to restore", "")
    assert got["store"] == (Outcome.FAILED, "cloud: bucket down", "")
    assert got["cloud"] == (Outcome.FAILED, "cloud: AccessDenied", "")
    assert got["waiting"] == (Outcome.ACCEPTED, "", "saving still in progress")
    assert got["skip"] == (Outcome.SKIPPED, "", "")
    assert got["up"] == (Outcome.FAILED, "things cannot scale-up", "")
    # What follows a restore runs only once the operation was seen done.
    assert done_after == ["quick"]
    assert ticker.now <= 1.0  # waited up to the deadline, never past it


def test_a_bug_is_not_a_result() -> None:
    def stop(d: Decision) -> str:
        raise KeyError("InstanceId")

    with pytest.raises(KeyError, match="InstanceId"):
        engine().run([decision("a")], {Action.STOP: stop})


def test_at_most_max_workers_handlers_run_at_once() -> None:
    lock = threading.Lock()
    running = 0
    most = 0
    gate = threading.Barrier(3, timeout=30)

    def stop(d: Decision) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        if d.resource.id in ("a", "b", "c"):
            gate.wait()  # three at once are possible...
        with lock:
            running -= 1
        return ""

    results = engine(max_workers=3).run([decision(n) for n in "abcdefgh"], {Action.STOP: stop})
    assert [r.outcome for r in results] == [Outcome.DONE] * 8
    assert most == 3  # ...and never more


def test_a_refused_batch_is_bisected_down_to_the_bad_resource() -> None:
    calls: list[list[str]] = []

    def stop(batch: list[Decision]) -> set[str]:
        ids = [d.resource.id for d in batch]
        calls.append(ids)
        if "bad" in ids:
            raise CloudError("IncorrectInstanceState")
        return {"d"} & set(ids)  # already stopped by someone else

    decisions = [decision(n) for n in ("a", "b", "bad", "c", "d")]
    results = engine().run_batches(decisions, stop, batch_size=4)

    assert {r.resource.id: r.outcome for r in results} == {
        "a": Outcome.DONE,
        "b": Outcome.DONE,
        "bad": Outcome.FAILED,
        "c": Outcome.DONE,
        "d": Outcome.SKIPPED,
    }
    assert results[-1].detail == "already off"
    assert next(r for r in results if r.resource.id == "bad").error == (
        "cloud: IncorrectInstanceState"
    )
    # One call per batch when all is well (["d"]); halves only where a batch was refused.
    assert calls == [["a", "b", "bad", "c"], ["a", "b"], ["bad", "c"], ["bad"], ["c"], ["d"]]


def test_a_bug_in_a_batch_call_is_not_a_result() -> None:
    def stop(batch: list[Decision]) -> set[str]:
        raise TypeError("unexpected keyword")

    with pytest.raises(TypeError):
        engine().run_batches([decision("a")], stop, batch_size=10)


def test_the_deadline_reads_first_at_once_then_backs_off() -> None:
    ticker = Ticker()
    deadline = Deadline.after(1.0, ticker, ticker.sleep)
    reads: list[float] = []

    def read(n: int) -> int:
        reads.append(ticker.now)
        return n - 1

    assert deadline.wait(3, read, lambda n: n <= 0) == (0, True)
    assert reads == pytest.approx([0.0, 0.05, 0.15])
    assert deadline.remaining() == pytest.approx(0.85)
    late = Deadline.after(0.0, ticker, ticker.sleep)
    assert late.wait(5, read, lambda n: n <= 0) == (4, False)  # one read, then the deadline
    assert late.remaining() == 0.0


def test_wait_for_a_step_that_a_later_one_depends_on() -> None:
    ticker = Ticker()
    deadline = Deadline.after(1.0, ticker, ticker.sleep)
    wait_for(Op(1), deadline, "saving")  # done: returns
    with pytest.raises(Refused, match="saving: QUOTA"):
        wait_for(Op(1, "QUOTA"), deadline, "saving")
    with pytest.raises(StillRunning, match="saving still in progress"):
        wait_for(Op(10_000), deadline, "saving")


def test_handlers_run_in_the_callers_context() -> None:
    import contextvars

    who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")
    seen: list[str] = []

    def stop(d: Decision) -> Any:
        seen.append(who.get())
        return ""

    who.set("reconcile")
    engine().run([decision("a"), decision("b")], {Action.STOP: stop})
    assert seen == ["reconcile", "reconcile"]
