"""One identity on Google Cloud: credentials, lazily built clients, and the projects to visit.

Compute Engine goes through ``google-cloud-compute`` (REST transport); Workbench, Vertex AI,
Cloud Monitoring and Resource Manager through ``google-auth``'s AuthorizedSession.
Credentials are always Application Default Credentials (or the ones passed in).

``config.endpoint_url`` names a forwarding endpoint (a gateway, or the local fake): every
request for ``https://HOST/PATH`` goes to ``{endpoint_url}/HOST/PATH`` instead, regional
hosts included, with the same credentials.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from providers.apply import Budget, Deadline, apply_deadline
from providers.base import ProviderConfig, Target
from providers.gcp import rest

T = TypeVar("T")

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
COMPUTE = "https://compute.googleapis.com"
# service -> base URL; ``{region}`` for regional services.
SERVICES = {
    "notebooks": "https://notebooks.googleapis.com/v2",
    "aiplatform": "https://{region}-aiplatform.googleapis.com/v1",
    "monitoring": "https://monitoring.googleapis.com/v3",
    "cloudresourcemanager": "https://cloudresourcemanager.googleapis.com/v3",
}
# Regions searched for Vertex AI endpoints when the config names none.
DEFAULT_REGIONS = (
    "us-central1",
    "us-east1",
    "us-east4",
    "us-west1",
    "europe-west1",
    "europe-west2",
    "europe-west4",
    "asia-northeast1",
    "asia-southeast1",
)


class GcpConnection:
    provider = "gcp"
    # What ``targets()`` needs when projects are listed under a folder or organization.
    permissions = ("resourcemanager.projects.list", "resourcemanager.folders.list")

    def __init__(
        self,
        config: ProviderConfig,
        credentials: Any = None,
        *,
        operation_timeout: float = 240.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        # How long one apply waits for the operations it started; still running after
        # that, an action is recorded accepted and the next discovery settles it.
        self.operation_timeout = operation_timeout
        # What the job has left (set by the job): an apply never waits past it.
        self.budget: Budget | None = None
        self._monotonic = monotonic
        self._sleep = sleep
        self.regions: tuple[str, ...] = config.regions or DEFAULT_REGIONS
        self._credentials = credentials
        self._default_project = ""
        self._clients: dict[str, Any] = {}
        self._session: Any = None
        self._lock = threading.Lock()
        self._once: dict[str, Any] = {}

    # ---- credentials and clients ------------------------------------------------------------
    def credentials(self) -> Any:
        with self._lock:
            if self._credentials is None:
                import google.auth

                self._credentials, project = google.auth.default(scopes=list(SCOPES))
                self._default_project = project or ""
            return self._credentials

    def deadline(self) -> Deadline:
        """The deadline of one apply's waiting, starting now: ``operation_timeout``, or
        what the job's budget leaves if that is less."""
        return apply_deadline(self.operation_timeout, self.budget, self._monotonic, self._sleep)

    def release(self, target: Target) -> None:
        """Nothing to forget: the clients and the session serve every project alike, and
        what is read once per project (its labels) is a few bytes."""

    def compute(self, name: str) -> Any:
        """A ``google.cloud.compute_v1`` client by class name (``"InstancesClient"``), cached."""
        credentials = self.credentials()
        with self._lock:
            if name not in self._clients:
                from google.api_core.client_options import ClientOptions
                from google.cloud import compute_v1

                options = ClientOptions(api_endpoint=self._through(COMPUTE))
                factory = getattr(compute_v1, name)
                self._clients[name] = factory(
                    credentials=credentials, transport="rest", client_options=options
                )
            return self._clients[name]

    def session(self) -> Any:
        """An AuthorizedSession (a ``requests.Session``) for the JSON REST APIs."""
        credentials = self.credentials()
        with self._lock:
            if self._session is None:
                from google.auth.transport.requests import AuthorizedSession

                self._session = AuthorizedSession(credentials)
            return self._session

    def once(self, key: str, read: Callable[[], T]) -> T:
        """``read()`` the first time ``key`` is asked for, its answer after that: what a run
        reads once per target whichever kinds need it (a project's labels)."""
        with self._lock:
            if key in self._once:
                cached: T = self._once[key]
                return cached
        value = read()
        with self._lock:
            self._once.setdefault(key, value)
        return value

    def base_url(self, service: str, region: str = "") -> str:
        return self._through(SERVICES[service].format(region=region))

    def _through(self, url: str) -> str:
        """``url`` itself, or through the forwarding endpoint: ``{endpoint}/HOST/PATH``."""
        if not self.config.endpoint_url:
            return url
        return f"{self.config.endpoint_url.rstrip('/')}/{url.removeprefix('https://')}"

    # ---- targets ----------------------------------------------------------------------------
    def targets(self) -> Sequence[Target]:
        if self.config.accounts:
            projects = list(self.config.accounts)
        elif self.config.organization:
            projects = self._projects_under(_parent(self.config.organization))
        else:
            self.credentials()
            projects = [self._default_project] if self._default_project else []
        return [Target("gcp", p) for p in dict.fromkeys(projects)]

    def _projects_under(self, parent: str) -> list[str]:
        """Active projects under a folder or organization, walking sub-folders."""
        base, session = self.base_url("cloudresourcemanager"), self.session()
        # The hierarchy is a tree: each folder is listed once, under its one parent.
        projects, pending = [], [parent]
        while pending:
            node = pending.pop()
            for project in rest.paged(session, f"{base}/projects", "projects", {"parent": node}):
                if project.get("state", "ACTIVE") == "ACTIVE":
                    projects.append(project["projectId"])
            folders = rest.paged(session, f"{base}/folders", "folders", {"parent": node})
            pending.extend(f["name"] for f in folders if f.get("state", "ACTIVE") == "ACTIVE")
        return sorted(projects)


def _parent(organization: str) -> str:
    """``folders/123`` and ``organizations/456`` as given; a bare number is an organization."""
    if organization.startswith(("folders/", "organizations/")):
        return organization
    return f"organizations/{organization}"


def connect(config: ProviderConfig) -> GcpConnection:
    return GcpConnection(config)


if TYPE_CHECKING:  # mypy holds the connection to everything the job uses of it
    from providers.base import Connection

    _CHECKED: type[Connection] = GcpConnection
