"""The contract every provider kind module implements.

A kind module (``providers/<cloud>/<kind>.py``) exposes one adapter class with
``discover(target)``, ``apply(decisions, dry_run)`` and ``inventory(target)``. Its
``apply`` is ``providers.apply.Applier``'s: a dry run returns the plan untouched there,
and otherwise the adapter's ``act(decisions)`` runs them through the apply engine.
Everything here is plain data: no SDK imports, no clock, no environment.

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

    from providers.apply import Budget, Deadline
    from providers.metering import Meter
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


# The actions that turn a resource off (the ledger's off-periods open at them).
OFF_ACTIONS: frozenset[Action] = frozenset({Action.STOP, Action.SCALE_DOWN})
ON_ACTIONS: frozenset[Action] = frozenset({Action.START, Action.SCALE_UP})


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
    # The kinds whose saved objects (``providers/restore.py`` ``saved_for_kind``) the
    # target's state says may exist: discovery lists only those. None: list every kind
    # (no state read, or the daily sweep). Not part of the target's identity.
    saved_kinds: frozenset[str] | None = field(default=None, compare=False, repr=False)

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


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it (and the variable, file or
    flag it came from). The one error type of every settings class: the job's
    (``functions/settings.py``) and each cloud's own (``providers/<cloud>/settings.py``).
    ``setting`` is the name of the one setting at fault, when there is one."""

    def __init__(self, message: str, setting: str = "") -> None:
        super().__init__(message)
        self.setting = setting


class CloudSettings(Protocol):
    """One cloud's own settings: a frozen dataclass in ``providers/<cloud>/settings.py``,
    named in ``providers.SETTINGS``. Its fields are the settings ``<cloud>_<field>``
    (``OFFHOURS_AWS_REGIONS``, ``aws_regions:`` in a config file, ``--region``), read and
    converted by ``functions/settings.py`` like every other setting; a new cloud adds its
    class and one registry line, not a field of the job's settings."""

    def validate(self) -> None:
        """Refuse a value that cannot work (``ConfigError`` naming ``<cloud>_<field>``)."""
        ...

    def provider_config(self, max_workers: int) -> ProviderConfig:
        """Where and how its connection reaches the cloud."""
        ...


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
    # The run's billable-call counter (providers/metering.py): idle readers add their
    # metrics reads to it. None when nobody counts (tools, most tests).
    meter: Meter | None = None


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


def tagged(resources: Iterable[Resource], tag_key: str) -> list[Resource]:
    """The resources carrying ``tag_key``: discovery of a kind whose API cannot filter by
    tag, out of its inventory."""
    return [r for r in resources if tag_key in r.tags]


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Connection(Protocol):
    """A cloud reached with one identity: what the job uses of it, all of it.

    Built by ``providers.<cloud>.connection.connect(config)`` (``providers.CONNECTIONS``).
    SDK clients are created lazily inside it, never at import time; how they are asked
    for differs per cloud (``AwsConnection.client(service, target)``,
    ``GcpConnection.compute(name)`` / ``session()``, ``AzureConnection.compute(subscription)``
    / ``arm()``), so only that cloud's adapters, price source, override desk and readers
    call them, typed with the cloud's own connection class. The job never does.
    """

    provider: str
    # What the job has left (its platform's time less a margin), set by the job once per
    # run; every apply's ``deadline()`` is cut to it. None: no limit.
    budget: Budget | None

    def targets(self) -> Sequence[Target]:
        """The units of fan-out this identity schedules (accounts x regions, projects,
        subscriptions)."""
        ...

    def deadline(self) -> Deadline:
        """How long one apply may wait for the cloud, starting now: the connection's own
        wait for its operations, cut to ``budget``."""
        ...

    def release(self, target: Target) -> None:
        """Forget what was kept for a finished target (its clients and their HTTP pools),
        so memory follows the workers, not the fleet. Called once per target."""
        ...


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
