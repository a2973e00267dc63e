"""One identity on Google Cloud: credentials, lazily built clients, and the projects to visit.

Compute Engine goes through ``google-cloud-compute`` (REST transport); Workbench, Vertex AI,
Cloud Monitoring and Resource Manager through ``google-auth``'s AuthorizedSession. With
``config.endpoint_url`` set (the sandbox fake) every client talks to that one server,
anonymously; the fake mounts each service under its own prefix (``/notebooks/v2`` ...).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from providers.base import ProviderConfig, Target
from providers.gcp import rest

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
# service -> (real base URL, path prefix on the fake); ``{region}`` for regional services.
SERVICES = {
    "notebooks": ("https://notebooks.googleapis.com/v2", "/notebooks/v2"),
    "aiplatform": ("https://{region}-aiplatform.googleapis.com/v1", "/aiplatform/v1"),
    "monitoring": ("https://monitoring.googleapis.com/v3", "/monitoring/v3"),
    "cloudresourcemanager": (
        "https://cloudresourcemanager.googleapis.com/v3",
        "/cloudresourcemanager/v3",
    ),
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

    def __init__(self, config: ProviderConfig, credentials: Any = None) -> None:
        self.config = config
        self.regions: tuple[str, ...] = config.regions or DEFAULT_REGIONS
        self._credentials = credentials
        self._default_project = ""
        self._clients: dict[str, Any] = {}
        self._session: Any = None
        self._lock = threading.Lock()

    # ---- credentials and clients ------------------------------------------------------------
    def credentials(self) -> Any:
        with self._lock:
            if self._credentials is None:
                if self.config.endpoint_url:
                    from google.auth.credentials import AnonymousCredentials

                    self._credentials = AnonymousCredentials()
                else:
                    import google.auth

                    self._credentials, project = google.auth.default(scopes=list(SCOPES))
                    self._default_project = project or ""
            return self._credentials

    def compute(self, name: str) -> Any:
        """A ``google.cloud.compute_v1`` client by class name (``"InstancesClient"``), cached."""
        credentials = self.credentials()
        with self._lock:
            if name not in self._clients:
                from google.api_core.client_options import ClientOptions
                from google.cloud import compute_v1

                options = (
                    ClientOptions(api_endpoint=self.config.endpoint_url)
                    if self.config.endpoint_url
                    else None
                )
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

    def base_url(self, service: str, region: str = "") -> str:
        real, fake_prefix = SERVICES[service]
        if self.config.endpoint_url:
            return self.config.endpoint_url.rstrip("/") + fake_prefix
        return real.format(region=region)

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
        projects, pending, seen = [], [parent], set()
        while pending:
            node = pending.pop()
            if node in seen:
                continue
            seen.add(node)
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
