"""The fake's in-memory cloud: resources as the JSON dicts the REST APIs return.

Every mutation happens under one lock; route handlers read and write through the
methods here. Resources are stored in the exact shape the API answers with, so a
handler mostly copies a dict out.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sandbox.gcp_fake import mig_members

COMPUTE_BASE = "https://www.googleapis.com/compute/v1"
# Compute Engine reports times in US Pacific time with an explicit offset; the fake uses a
# fixed -08:00 so clients must honour the offset.
_PACIFIC = timezone(timedelta(hours=-8))

Json = dict[str, Any]


class ApiError(Exception):
    """An error the fake answers with, in the ``{"error": {...}}`` shape of Google APIs."""

    def __init__(self, code: int, message: str, status: str = "", html: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or _STATUS.get(code, "UNKNOWN")
        self.html = html  # answered as an HTML page, as a proxy in front of the API does


_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def compute_time(at: datetime) -> str:
    return at.astimezone(_PACIFIC).isoformat(timespec="milliseconds")


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def zone_region(zone: str) -> str:
    return zone.rsplit("-", 1)[0]


@dataclass
class Fault:
    """Answer requests whose path contains ``path_part`` (and method matches) with an error."""

    path_part: str
    code: int
    message: str
    method: str = ""
    times: int | None = None  # None = every time
    after: int = 0  # let this many matching requests through first
    html: bool = False  # an HTML error page instead of the API's JSON error

    def matches(self, method: str, path: str) -> bool:
        return self.path_part in path and (not self.method or self.method == method)


@dataclass
class Progress:
    """A change the cloud accepted and carries out over the next polls of its operation:
    ``PENDING`` when accepted, ``RUNNING`` at the first poll, ``DONE`` at the second (then
    ``finish`` runs, or ``revert`` when the operation was made to fail). A held operation
    stays ``RUNNING`` until ``World.settle``."""

    finish: Callable[[], None]
    revert: Callable[[], None] | None = None
    error: tuple[str, str] | None = None  # (code, message)
    held: bool = False
    polls: int = 0
    step: str = "PENDING"

    def advance(self) -> bool:
        """One poll; True when this poll finished the operation."""
        if self.step == "DONE":
            return False
        self.polls += 1
        if self.held or self.polls < 2:
            self.step = "RUNNING"
            return False
        self.step = "DONE"
        if self.error is None:
            self.finish()
        elif self.revert is not None:
            self.revert()
        return True


@dataclass
class OperationFault:
    """How the next operation of one verb on one resource ends: failed, or held running."""

    code: str = ""
    message: str = ""
    hold: bool = False


@dataclass
class Predictions:
    """Prediction counts of one endpoint: dated points, and a steady count (``at=None``)."""

    steady: int = 0
    points: list[tuple[datetime, int]] = field(default_factory=list)

    def total(self, start: datetime, end: datetime) -> int:
        dated = sum(n for at, n in self.points if start <= at <= end)
        return dated + self.steady


class World:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.ids = itertools.count(1_000_001)
        self.projects: dict[str, Json] = {}
        self.folders: dict[str, str] = {}  # "folders/1" -> parent ("organizations/9", "folders/2")
        self.instances: dict[tuple[str, str, str], Json] = {}
        self.templates: dict[
            tuple[str, str, str], Json
        ] = {}  # (project, "global"|"regions/r", name)
        self.migs: dict[tuple[str, str, str], Json] = {}  # (project, "zones/z"|"regions/r", name)
        self.zone_operations: dict[tuple[str, str, str], Json] = {}
        self.region_operations: dict[tuple[str, str, str], Json] = {}
        self.resource_policies: dict[tuple[str, str, str], Json] = {}  # (project, region, name)
        self.workbench: dict[str, Json] = {}  # full name -> instance
        self.endpoints: dict[str, Json] = {}  # full name -> endpoint
        self.lro: dict[str, Json] = {}  # google.longrunning operations by name
        self.secrets: dict[tuple[str, str], list[bytes]] = {}  # (project, secret) -> versions
        self.predictions: dict[tuple[str, str], Predictions] = {}
        self.gauges: list[Any] = []  # sandbox.gcp_fake.gauges.Gauge
        self.faults: list[Fault] = []
        # Operation name -> the change it carries out; (resource name, verb) -> its fate.
        self.progress: dict[str, Progress] = {}
        self.operation_faults: dict[tuple[str, str], OperationFault] = {}
        self.compute_docs: dict[str, Json] = {}  # operation name -> zone/region Operation
        # MIG members a resize scheduled to create or delete (``mig_members``).
        self.member_actions: dict[tuple[str, str, str], str] = {}  # instance key -> action
        self.member_work: dict[tuple[str, str, str], mig_members.MemberWork] = {}
        self.member_holds: set[str] = set()  # group names whose next actions wait for settle
        self.log: list[tuple[str, str]] = []
        # Check every request against the published discovery documents (``contract``).
        self.validate = True

    # ---- common -------------------------------------------------------------------------
    def next_id(self) -> str:
        return str(next(self.ids))

    def project(self, project: str, parent: str = "") -> Json:
        with self.lock:
            if project not in self.projects:
                self.projects[project] = {
                    "name": f"projects/{self.next_id()}",
                    "projectId": project,
                    "displayName": project,
                    "state": "ACTIVE",
                    "parent": parent,
                }
            elif parent:
                self.projects[project]["parent"] = parent
            return self.projects[project]

    def check_project(self, project: str) -> None:
        if project not in self.projects:
            raise ApiError(404, f"The resource 'projects/{project}' was not found")

    def fault_for(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path) and fault.times != 0:
                    if fault.after > 0:
                        fault.after -= 1
                        continue
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    # ---- operations -----------------------------------------------------------------------
    def accept(
        self,
        resource: str,
        verb: str,
        finish: Callable[[], None],
        revert: Callable[[], None] | None = None,
    ) -> Progress:
        """The progress of an operation on ``resource`` (its short name) doing ``verb``."""
        fault = self.operation_faults.pop((resource, verb), None)
        progress = Progress(finish, revert)
        if fault is not None:
            progress.held = fault.hold
            if not fault.hold:
                progress.error = (fault.code, fault.message)
        return progress

    def settle(self) -> None:
        """Finish every operation still under way (as if enough time went by)."""
        with self.lock:
            for name, progress in self.progress.items():
                progress.held = False
                while progress.step != "DONE":
                    progress.advance()
                self._render(name)
            for key in list(self.member_work):
                mig_members.finish(self, key)

    def poll(self, name: str) -> None:
        """A client read operation ``name``: it moves one step on."""
        progress = self.progress.get(name)
        if progress is not None:
            progress.advance()
            self._render(name)

    def _render(self, name: str) -> None:
        progress = self.progress[name]
        if name in self.compute_docs:
            _render_compute(self.compute_docs[name], progress, compute_time(self.clock()))
        if name in self.lro:
            _render_longrunning(self.lro[name], progress)

    # ---- Compute Engine -----------------------------------------------------------------
    def add_instance(
        self,
        project: str,
        zone: str,
        name: str,
        machine_type: str,
        labels: Mapping[str, str] | None = None,
        status: str = "RUNNING",
        *,
        gpus: tuple[str, int] | None = None,
        metadata: Mapping[str, str] | None = None,
        started: datetime | None = None,
        local_ssds: int = 0,
        resource_policies: tuple[str, ...] = (),
    ) -> Json:
        self.project(project)
        now = self.clock()
        zone_url = f"{COMPUTE_BASE}/projects/{project}/zones/{zone}"
        instance: Json = {
            "kind": "compute#instance",
            "id": self.next_id(),
            "creationTimestamp": compute_time(now - timedelta(days=30)),
            "name": name,
            "zone": zone_url,
            "machineType": f"{zone_url}/machineTypes/{machine_type}",
            "status": status,
            "labels": dict(labels or {}),
            "labelFingerprint": "42WmSpB8rSM=",
            "selfLink": f"{zone_url}/instances/{name}",
            "scheduling": {"onHostMaintenance": "TERMINATE" if gpus or local_ssds else "MIGRATE"},
            "disks": _disks(name, local_ssds),
            "metadata": {
                "kind": "compute#metadata",
                "items": [{"key": k, "value": v} for k, v in (metadata or {}).items()],
            },
        }
        if gpus:
            kind, count = gpus
            instance["guestAccelerators"] = [
                {
                    "acceleratorType": f"{zone_url}/acceleratorTypes/{kind}",
                    "acceleratorCount": count,
                }
            ]
        if resource_policies:  # names of the region's policies (``add_resource_policy``)
            region = f"{COMPUTE_BASE}/projects/{project}/regions/{zone_region(zone)}"
            instance["resourcePolicies"] = [
                f"{region}/resourcePolicies/{p}" for p in resource_policies
            ]
        if status == "RUNNING":
            instance["lastStartTimestamp"] = compute_time(started or now - timedelta(hours=3))
        with self.lock:
            self.instances[(project, zone, name)] = instance
        return instance

    def add_resource_policy(
        self, project: str, region: str, name: str, instance_schedule: bool
    ) -> Json:
        """A resource policy: an instance schedule (start 08:00, stop 19:00 on weekdays) or
        a snapshot schedule (``ResourcePolicy``, compute v1)."""
        self.project(project)
        base = f"{COMPUTE_BASE}/projects/{project}/regions/{region}"
        policy: Json = {
            "kind": "compute#resourcePolicy",
            "id": self.next_id(),
            "name": name,
            "region": base,
            "selfLink": f"{base}/resourcePolicies/{name}",
            "status": "READY",
        }
        if instance_schedule:
            policy["instanceSchedulePolicy"] = {
                "vmStartSchedule": {"schedule": "0 8 * * 1-5"},
                "vmStopSchedule": {"schedule": "0 19 * * 1-5"},
                "timeZone": "Europe/Amsterdam",
            }
        else:
            policy["snapshotSchedulePolicy"] = {
                "schedule": {"dailySchedule": {"daysInCycle": 1, "startTime": "04:00"}}
            }
        with self.lock:
            self.resource_policies[(project, region, name)] = policy
        return policy

    def get_instance(self, project: str, zone: str, name: str) -> Json:
        self.check_project(project)
        try:
            return self.instances[(project, zone, name)]
        except KeyError:
            raise ApiError(
                404,
                f"The resource 'projects/{project}/zones/{zone}/instances/{name}' was not found",
            ) from None

    def add_template(
        self,
        project: str,
        name: str,
        machine_type: str,
        labels: Mapping[str, str] | None = None,
        region: str = "",
    ) -> Json:
        """A global instance template, or a regional one when ``region`` is given."""
        self.project(project)
        scope = f"regions/{region}" if region else "global"
        template: Json = {
            "kind": "compute#instanceTemplate",
            "id": self.next_id(),
            "name": name,
            "selfLink": f"{COMPUTE_BASE}/projects/{project}/{scope}/instanceTemplates/{name}",
            "properties": {"machineType": machine_type, "labels": dict(labels or {})},
        }
        if region:
            template["region"] = f"{COMPUTE_BASE}/projects/{project}/regions/{region}"
        with self.lock:
            self.templates[(project, scope, name)] = template
        return template

    def add_mig(
        self,
        project: str,
        location: str,
        name: str,
        template: str,
        size: int,
        *,
        autoscaled: bool = False,
        stateful_disk: str = "",
    ) -> Json:
        """A managed instance group; ``location`` is a zone or a region (``us-central1``);
        ``template`` a global template's name or ``regions/R/instanceTemplates/N``;
        ``stateful_disk``: a device name its stateful policy preserves."""
        self.project(project)
        regional = location.count("-") == 1
        scope = f"regions/{location}" if regional else f"zones/{location}"
        base = f"{COMPUTE_BASE}/projects/{project}/{scope}"
        template_path = template if "/" in template else f"global/instanceTemplates/{template}"
        mig: Json = {
            "kind": "compute#instanceGroupManager",
            "id": self.next_id(),
            "name": name,
            "baseInstanceName": name,
            "instanceTemplate": f"{COMPUTE_BASE}/projects/{project}/{template_path}",
            "instanceGroup": f"{base}/instanceGroups/{name}",
            "targetSize": 0,
            "status": {"isStable": True},
            "selfLink": f"{base}/instanceGroupManagers/{name}",
            "region" if regional else "zone": base,
        }
        if autoscaled:
            mig["status"]["autoscaler"] = f"{base}/autoscalers/{name}-as"
        if stateful_disk:  # StatefulPolicy / StatefulPolicyPreservedState (compute v1)
            mig["statefulPolicy"] = {
                "preservedState": {"disks": {stateful_disk: {"autoDelete": "NEVER"}}}
            }
            mig["status"]["stateful"] = {
                "hasStatefulConfig": True,
                "perInstanceConfigs": {"allEffective": True},
            }
        with self.lock:
            self.migs[(project, scope, name)] = mig
            self.resize_mig(project, scope, name, size)
        return mig

    def resize_mig(self, project: str, scope: str, name: str, size: int) -> Json:
        """Seed a group at ``size`` members, created at once (the API's resize only
        schedules its actions: ``mig_members.schedule``)."""
        with self.lock:
            key = (project, scope, name)
            if key not in self.migs:
                raise ApiError(
                    404,
                    f"The resource 'projects/{project}/{scope}/instanceGroupManagers/{name}' "
                    "was not found",
                )
            mig_members.schedule(self, key, size)
            mig_members.finish(self, key)
            return self.migs[key]

    def add_member(
        self, key: tuple[str, str, str], zone: str, name: str, status: str = "RUNNING"
    ) -> Json:
        """A member instance of the group ``key``, from its template's properties."""
        project, _, _ = key
        mig = self.migs[key]
        path = mig["instanceTemplate"].split(f"/projects/{project}/", 1)[1].split("/")
        template = self.templates.get((project, "/".join(path[:-2]), path[-1]))
        props: Json = template["properties"] if template else {"machineType": "e2-medium"}
        return self.add_instance(
            project,
            zone,
            name,
            props["machineType"],
            props.get("labels"),
            status,
            metadata={"created-by": mig["selfLink"]},
        )

    def compute_operation(
        self,
        project: str,
        scope: str,
        op_type: str,
        target: str,
        target_id: str,
        progress: Progress,
    ) -> Json:
        """A zone/region Operation, ``PENDING`` until polled (see ``Progress``)."""
        now = compute_time(self.clock())
        name = f"operation-{self.next_id()}-{op_type}"
        base = f"{COMPUTE_BASE}/projects/{project}/{scope}"
        operation: Json = {
            "kind": "compute#operation",
            "id": self.next_id(),
            "name": name,
            "operationType": op_type,
            "targetLink": target,
            "targetId": target_id,
            "status": "PENDING",
            "user": "offhours@fake.iam.gserviceaccount.com",
            "progress": 0,
            "insertTime": now,
            "selfLink": f"{base}/operations/{name}",
        }
        where = scope.split("/", 1)[1]
        if scope.startswith("zones/"):
            operation["zone"] = base
            self.zone_operations[(project, where, name)] = operation
        else:
            operation["region"] = base
            self.region_operations[(project, where, name)] = operation
        self.progress[name] = progress
        self.compute_docs[name] = operation
        return copy.deepcopy(operation)

    # ---- Vertex AI Workbench ------------------------------------------------------------
    def add_workbench(
        self,
        project: str,
        zone: str,
        name: str,
        machine_type: str,
        labels: Mapping[str, str] | None = None,
        state: str = "ACTIVE",
        *,
        gpus: tuple[str, int] | None = None,
    ) -> Json:
        self.project(project)
        now = rfc3339(self.clock())
        full = f"projects/{project}/locations/{zone}/instances/{name}"
        setup: Json = {"machineType": machine_type}
        if gpus:
            setup["acceleratorConfigs"] = [{"type": gpus[0], "coreCount": str(gpus[1])}]
        instance: Json = {
            "name": full,
            "gceSetup": setup,
            "proxyUri": f"{name}-dot-{zone_region(zone)}.notebooks.googleusercontent.com",
            "creator": "dev@example.com",
            "state": state,
            "healthState": "HEALTHY" if state == "ACTIVE" else "HEALTH_STATE_UNSPECIFIED",
            "labels": dict(labels or {}),
            "createTime": now,
            "updateTime": now,
            "id": self.next_id(),
        }
        with self.lock:
            self.workbench[full] = instance
        return instance

    def longrunning(
        self,
        name: str,
        metadata_type: str,
        response: Callable[[], Json],
        progress: Progress,
    ) -> Json:
        """A google.longrunning.Operation, not done until polled (see ``Progress``);
        ``response()`` is its result once done."""
        operation: Json = {
            "name": name,
            "metadata": {"@type": metadata_type, "createTime": rfc3339(self.clock())},
            "done": False,
        }
        finish = progress.finish

        def finish_and_answer() -> None:
            finish()
            self.lro[name]["response"] = response()

        progress.finish = finish_and_answer
        self.lro[name] = operation
        self.progress[name] = progress
        return copy.deepcopy(operation)

    # ---- Vertex AI endpoints ------------------------------------------------------------
    def add_endpoint(
        self,
        project: str,
        region: str,
        endpoint_id: str,
        display_name: str,
        labels: Mapping[str, str] | None = None,
        deployed_models: list[Json] | None = None,
        traffic_split: Mapping[str, int] | None = None,
    ) -> Json:
        """An endpoint with deployed models (``DeployedModel`` JSON; ``id`` required)."""
        self.project(project)
        now = self.clock()
        models = copy.deepcopy(deployed_models or [])
        for model in models:
            model.setdefault("createTime", rfc3339(now - timedelta(days=7)))
        split = dict(traffic_split or {})
        if models and not split:
            split = {models[0]["id"]: 100}
        endpoint: Json = {
            "name": f"projects/{project}/locations/{region}/endpoints/{endpoint_id}",
            "displayName": display_name,
            "deployedModels": models,
            "trafficSplit": split,
            "etag": "AMEw9yN",
            "labels": dict(labels or {}),
            "createTime": rfc3339(now - timedelta(days=30)),
            "updateTime": rfc3339(now - timedelta(days=7)),
        }
        with self.lock:
            self.endpoints[endpoint["name"]] = endpoint
        return endpoint


def _disks(name: str, local_ssds: int) -> list[Json]:
    """A boot persistent disk and ``local_ssds`` Local SSDs (``AttachedDisk``, compute v1:
    a Local SSD is ``type: SCRATCH``, 375 GB, NVMe or SCSI)."""
    boot: Json = {
        "kind": "compute#attachedDisk",
        "type": "PERSISTENT",
        "mode": "READ_WRITE",
        "boot": True,
        "index": 0,
        "deviceName": name,
        "autoDelete": True,
        "interface": "SCSI",
        "diskSizeGb": "20",
    }
    scratch = [
        {
            "kind": "compute#attachedDisk",
            "type": "SCRATCH",
            "mode": "READ_WRITE",
            "boot": False,
            "index": i + 1,
            "deviceName": f"local-ssd-{i}",
            "autoDelete": True,
            "interface": "NVME",
            "diskSizeGb": "375",
        }
        for i in range(local_ssds)
    ]
    return [boot, *scratch]


def has_local_ssd(instance: Json) -> bool:
    return any(d.get("type") == "SCRATCH" for d in instance.get("disks", []))


def _render_compute(operation: Json, progress: Progress, now: str) -> None:
    operation["status"] = progress.step
    if progress.step == "RUNNING":
        operation.setdefault("startTime", now)
        operation["progress"] = 50
    elif progress.step == "DONE" and "endTime" not in operation:
        operation.setdefault("startTime", now)
        operation["progress"] = 100
        operation["endTime"] = now
        if progress.error is not None:
            code, message = progress.error
            operation["error"] = {"errors": [{"code": code, "message": message}]}
            operation["httpErrorStatusCode"] = 400
            operation["httpErrorMessage"] = "BAD REQUEST"


def _render_longrunning(operation: Json, progress: Progress) -> None:
    if progress.step != "DONE" or operation["done"]:
        return
    operation["done"] = True
    if progress.error is not None:
        operation.pop("response", None)
        operation["error"] = {"code": 9, "message": progress.error[1]}  # FAILED_PRECONDITION
