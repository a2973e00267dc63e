"""The contract every provider kind module implements.

A kind module (``providers/<cloud>/<kind>.py``) exposes one adapter class with
``discover(target)``, ``apply(decisions, dry_run)`` (through the apply engine,
``providers/apply.py``) and ``inventory(target)``. Everything here is plain
data: no SDK imports, no clock, no environment.

Outcomes: what one ``Result`` says happened, and what follows from it.

========  =====================================  ==================  =========================
outcome   meaning                                retried?            ledger
========  =====================================  ==================  =========================
done      the cloud confirmed the change: AWS    no                  a stop opens an off-period
          state ``stopping``/``stopped`` (or                         at ``Result.at``; a start
          the new capacity) in its answer, a                         closes one there and
          GCP operation ``DONE`` without                             books its savings
          ``error``, an Azure LRO ``Succeeded``
accepted  the cloud took the request but did     the next discovery  a row ``accepted``; the
          not confirm it before the adapter's    confirms or fails   period opens (or closes)
          deadline (an operation still           it                  when a later discovery
          ``RUNNING``)                                               observes the new state,
                                                                     at the accepted instant
failed    refused, or failed after acceptance    starts: yes, while  a row ``failed`` with the
          (an operation ending with ``error``,   the schedule says   cloud's error; nothing
          an LRO ``Failed``), or nothing saved   on; stops: the      booked
          to restore                             next run replans
skipped   nothing attempted (the plan said skip) no                  a row only for problems
                                                                     (bad tags)
dry-run   a dry run's planned action             no                  nothing: a dry run writes
                                                                     nothing
========  =====================================  ==================  =========================

An adapter never returns ``done`` for an operation it has not seen finish: an
operation still running at the deadline is ``accepted``. A bug (anything that is not
the SDK's error type) is not a result: it propagates with its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from providers.store import ObjectStore

T = TypeVar("T")


class ResourceState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    SCALED_DOWN = "scaled-down"
    TRANSITIONAL = "transitional"


class Action(StrEnum):
    STOP = "stop"
    START = "start"
    SCALE_DOWN = "scale-down"
    SCALE_UP = "scale-up"
    SKIP = "skip"


class Outcome(StrEnum):
    DONE = "done"
    # The cloud took the request; a later discovery confirms or fails it (table above).
    ACCEPTED = "accepted"
    DRY_RUN = "dry-run"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Target:
    """One unit of fan-out: AWS account x region, GCP project, Azure subscription."""

    provider: str
    account: str
    region: str = ""

    def __str__(self) -> str:
        return f"{self.provider}:{self.account}" + (f"/{self.region}" if self.region else "")


@dataclass(frozen=True)
class Price:
    """Hourly list price of a resource, and where the number came from."""

    hourly: float
    currency: str = "USD"
    source: str = ""


@dataclass(frozen=True, slots=True)
class Scope:
    """The place a resource lives in, when that place is tagged: an Azure resource group,
    a GCP project (its labels), an AWS account (its Organizations tags).

    ``label`` says it to a person ("resource group dev-rg"); ``tags`` are the scope's own;
    ``inherited`` the keys the resource took from it (its own tags win: see
    ``providers/scopes.py``).
    """

    label: str
    tags: Mapping[str, str]
    inherited: frozenset[str] = frozenset()


# Slots: a run keeps one per scheduled resource of a target (and the daily inventory one
# per resource), so no per-instance attribute dict.
@dataclass(frozen=True, slots=True)
class Resource:
    provider: str
    account: str
    region: str
    kind: str
    id: str
    name: str
    tags: Mapping[str, str]
    state: ResourceState
    size: str = ""
    price: Price | None = None
    # When the resource last went from stopped to running (EC2 LaunchTime, ...).
    # The planner uses it for the grace period after a manual start.
    started_at: datetime | None = None
    # Set by discover when the provider knows the resource must never be touched
    # by offhours (member of an Auto Scaling group, unstoppable spot, ...).
    unmanaged_reason: str = ""
    # Kinds that scale to zero instead of stopping report SCALED_DOWN as their off state.
    off_state: ResourceState = ResourceState.STOPPED
    # The service the resource bills under (FOCUS ServiceName), e.g. "Amazon EC2".
    service: str = ""
    # Set by discover for opt-in idle scaling (inference endpoints): the provider measured
    # no traffic over the resource's idle window, so the planner treats it as "off".
    idle: bool = False
    # What the idle rule measured ("idle: GPU max 2 % over 2 h (4 GPUs, 100 % coverage)",
    # "busy: ..."), for the decision's reason; empty where nothing was measured.
    idle_note: str = ""
    # An idle stop announced for this instant (the end of its notice window).
    idle_stop_at: datetime | None = None
    # Runs on a GPU or another accelerator (decided by the adapter from the SKU or the
    # attached accelerators): the digest names such untagged notebooks and endpoints.
    accelerator: bool = False
    # Provider-specific facts the adapter needs again in apply (hibernation support, ...).
    extra: Mapping[str, str] = field(default_factory=dict)
    # The tagged scope the resource inherits tags from (its tags above already merged).
    scope: Scope | None = None

    @property
    def key(self) -> str:
        """Stable identity across runs and targets."""
        return f"{self.provider}/{self.account}/{self.region}/{self.kind}/{self.id}"


@dataclass(frozen=True)
class Decision:
    resource: Resource
    action: Action
    reason: str
    schedule: str = ""
    hibernate: bool = False
    # A skip that reports a problem the owner must fix (bad tag): it goes to the ledger
    # and the digest, not only to the log.
    problem: bool = False
    # What asked for the action (the ledger's x_Trigger): ``schedule``, ``idle`` (the idle
    # rule), ``maintenance`` (a maintenance window), ``manual`` (wake).
    trigger: str = "schedule"


@dataclass(frozen=True)
class Result:
    decision: Decision
    outcome: Outcome
    at: datetime
    error: str = ""
    # A note from the adapter about how the action was carried out
    # ("hibernation not supported: stopped instead").
    detail: str = ""

    @property
    def resource(self) -> Resource:
        return self.decision.resource


@dataclass(frozen=True)
class ProviderConfig:
    """Where and how to reach one cloud. Filled from settings by ``functions/``."""

    # AWS account ids, GCP project ids or Azure subscription ids; empty = the caller's own
    # (AWS), or all visible (GCP under ``organization``, Azure subscriptions).
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    # AWS: role name assumed in member accounts.
    role_name: str = ""
    # AWS Organizations OU ids / GCP folder or organization id to list accounts under.
    organization: str = ""
    # Local emulator or fake (sandbox); empty means the real cloud endpoint.
    endpoint_url: str = ""
    max_workers: int = 8


@dataclass(frozen=True)
class AdapterOptions:
    """What every kind adapter is built with, besides its cloud's clients."""

    clock: Callable[[], datetime]
    tag_key: str = "schedule"
    # Opt-in tag for idle scaling (inference endpoints), value like ``60m``.
    idle_tag_key: str = "idle-stop"
    # The idle rule of VMs and notebooks (docs/idle.md): percent, and the warn-before-stop
    # window an idle resource must stay idle through.
    idle_threshold: float = 5.0
    idle_notice: timedelta = timedelta(minutes=15)
    # Where adapters keep what they must restore later (previous capacity, endpoint specs).
    state: ObjectStore | None = None
    batch_size: int = 50
    max_workers: int = 8


class KindAdapter(Protocol):
    """What ``providers.<cloud>.<kind>`` adapters provide."""

    kind: str
    # Every cloud permission the adapter's calls need (``ec2:StopInstances``,
    # ``compute.instances.stop``, ``Microsoft.Compute/virtualMachines/deallocate/action``).
    # Tests check the shipped IAM policy / custom roles cover these, and that the calls
    # made against the fakes stay inside them.
    permissions: tuple[str, ...]

    def discover(self, target: Target) -> Iterable[Resource]: ...

    def apply(self, decisions: Sequence[Decision], dry_run: bool) -> Iterable[Result]: ...

    def inventory(self, target: Target) -> Iterable[Resource]:
        """Every resource of the kind in ``target``, scheduled or not (the digest's
        opportunities), each with its ``accelerator`` flag. Called once a day."""
        ...


def dry_run_results(decisions: Sequence[Decision], at: datetime) -> list[Result]:
    """What every adapter returns for a dry run: the plan, untouched."""
    return [
        Result(d, Outcome.SKIPPED if d.action is Action.SKIP else Outcome.DRY_RUN, at)
        for d in decisions
    ]


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Connection(Protocol):
    """A cloud reached with one identity: hands out SDK clients and lists targets.

    Built by ``providers.<cloud>.connection.connect(config)``; SDK clients are created
    lazily inside it, never at import time.
    """

    provider: str

    def targets(self) -> Sequence[Target]: ...


def state_key(resource: Resource, name: str) -> str:
    """Object-store key for what an adapter must remember about one resource.

    Example: ``state/v1/provider=aws/account=1234/region=eu-west-1/kind=asg/<id>/capacity.json``.
    Resource ids are kept readable; characters that are unsafe in object keys are escaped.
    """
    safe_id = "".join(c if c.isalnum() or c in "-_.=" else f"~{ord(c):02x}" for c in resource.id)
    return (
        f"state/v1/provider={resource.provider}/account={resource.account}/"
        f"region={resource.region or 'global'}/kind={resource.kind}/{safe_id}/{name}"
    )
