"""Helpers for the AWS kind tests: fixed instants, reconcile jobs, and a log of every AWS
API call each adapter makes (to check it against the adapter's declared permissions)."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.jobs.reconcile import Job, RunReport, reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from providers.aws import maintenance_windows, targets
from providers.base import Decision, Resource, ResourceState, Result, Target, state_key

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TARGET = Target("aws", ACCOUNT, REGION)
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # office-hours in UTC: Mon-Fri 08:00-19:00
# botocore service name -> IAM action prefix, where they differ.
_IAM_PREFIX = {"resourcegroupstaggingapi": "tag"}
OUTSIDE = "(targets)"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


class CallLog:
    """Records ``service:Operation`` for every call made through a connection's clients,
    attributed to the adapter that was running (``OUTSIDE`` for target listing)."""

    def __init__(self) -> None:
        self.calls: dict[str, set[str]] = {}
        # Outside the adapters: listing targets, and the one SSM maintenance-window
        # listing per target.
        self.permissions: dict[str, set[str]] = {
            OUTSIDE: set(targets.PERMISSIONS) | set(maintenance_windows.PERMISSIONS)
        }
        # A context variable, not a thread-local: the apply engine runs handlers on pool
        # threads in a copy of the caller's context.
        self._owner: contextvars.ContextVar[str] = contextvars.ContextVar("owner", default=OUTSIDE)
        self._hooked: set[int] = set()

    def attach(self, connection: Any) -> Any:
        original = connection.client

        def client(service: str, target: Target) -> Any:
            made = original(service, target)
            if id(made) not in self._hooked:
                self._hooked.add(id(made))
                prefix = _IAM_PREFIX.get(service, service)
                made.meta.events.register("before-call", self._recorder(prefix))
            return made

        connection.client = client
        return connection

    def track(self, adapter: Any) -> Any:
        self.permissions[adapter.kind] = set(adapter.permissions)
        return _Tracked(adapter, self)

    def record(self, action: str) -> None:
        owner = self._owner.get()
        self.calls.setdefault(owner, set()).add(action)

    @contextmanager
    def owner(self, kind: str) -> Iterator[None]:
        token = self._owner.set(kind)
        try:
            yield
        finally:
            self._owner.reset(token)

    def undeclared(self) -> dict[str, set[str]]:
        return {
            owner: extra
            for owner, actions in self.calls.items()
            if (extra := actions - self.permissions.get(owner, set()))
        }

    def _recorder(self, prefix: str) -> Any:
        def before_call(model: Any, **_: Any) -> None:
            self.record(f"{prefix}:{model.name}")

        return before_call


class _Tracked:
    """An adapter whose calls are attributed to its kind."""

    def __init__(self, inner: Any, log: CallLog) -> None:
        self.inner = inner
        self.log = log
        self.kind = inner.kind
        self.permissions = inner.permissions

    def discover(self, target: Target) -> list[Resource]:
        with self.log.owner(self.kind):
            return list(self.inner.discover(target))

    def apply(self, decisions: Any, dry_run: bool) -> list[Result]:
        with self.log.owner(self.kind):
            return list(self.inner.apply(decisions, dry_run))

    def inventory(self, target: Target) -> list[Resource]:
        with self.log.owner(self.kind):
            return list(self.inner.inventory(target))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def settings_for(tmp_path: Any, kinds: Iterable[str], **changes: Any) -> Settings:
    return Settings(
        providers=("aws",), ledger=str(tmp_path / "ledger"), kinds=tuple(kinds), **changes
    ).replace(aws_regions=(REGION,))


def make_job(
    settings: Settings, clock: Any, log: CallLog, connection: Any = None, **kwargs: Any
) -> Job:
    """A reconcile job whose AWS calls are logged per adapter."""
    connection = log.attach(connection or connect(settings, "aws"))
    job = build_job(settings, clock, connections={"aws": connection}, **kwargs)
    for adapters in job.adapters.values():
        adapters[:] = [log.track(a) for a in adapters]  # type: ignore[index]
    return job


def run(job: Job, clock: Any, when: datetime) -> RunReport:
    clock.now = when
    return reconcile(job)


def rows(job: Job, **match: Any) -> list[dict[str, Any]]:
    """Ledger rows matching ``match``; still-off checkpoints only when asked for."""
    found = list(read_records(job.store))
    if "x_Action" not in match:
        found = [r for r in found if r["x_Action"] != "still-off"]
    return [r for r in found if all(r.get(k) == v for k, v in match.items())]


def decision_for(report: RunReport, name: str) -> Decision:
    return next(d for d in report.decisions if d.resource.name == name)


def result_for(report: RunReport, name: str) -> Result:
    return next(r for r in report.results if r.resource.name == name)


def saved(job: Job, kind: str, resource_id: str) -> dict[str, Any] | None:
    """What the restore store holds for one resource (``None`` when nothing)."""
    account = job.connections["aws"].targets()[0].account
    probe = Resource("aws", account, REGION, kind, resource_id, "", {}, ResourceState.RUNNING)
    raw = job.store.get(state_key(probe, "restore.json"))
    if raw is None:
        return None
    data: dict[str, Any] = json.loads(raw)["data"]
    return data


def refuse(
    client: Any, operation: str, code: str, message: str = "", status: int = 400, times: int = 1
) -> None:
    """The next ``times`` calls of ``operation`` on ``client`` answer an AWS error, parsed
    by botocore into its ClientError as a real one is (moto is never asked)."""
    from types import SimpleNamespace

    left = [times]

    def answer(model: Any, **_: Any) -> Any:
        if model.name != operation or left[0] == 0:
            return None
        left[0] -= 1
        parsed = {
            "Error": {"Code": code, "Message": message or f"refused: {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return SimpleNamespace(status_code=status, headers={}), parsed

    client.meta.events.register("before-call", answer)
