"""A GCP project as a schedule scope: label the project ``schedule=office-hours`` and its
Compute Engine VMs follow it (the merge rule is ``providers/scopes.py``).

One Resource Manager ``projects.get`` per project and run
(``GET https://cloudresourcemanager.googleapis.com/v3/projects/{project}``, which answers
the ``Project`` with its ``labels``); the connection keeps the answer for the run.
"""

from __future__ import annotations

from providers.base import Scope
from providers.gcp import rest
from providers.gcp.connection import GcpConnection
from providers.scopes import scope_of

# IAM permission of projects.get.
PERMISSION = "resourcemanager.projects.get"


def read_project_scope(connection: GcpConnection, project: str) -> Scope | None:
    """The project's labels as a scope, or None when it has none."""
    url = f"{connection.base_url('cloudresourcemanager')}/projects/{project}"
    found = rest.call(connection.session(), "GET", url)
    return scope_of(f"project {project}", found.get("labels"))


def project_scope(connection: GcpConnection, project: str) -> Scope | None:
    """``read_project_scope``, once per connection (one run) whichever kinds ask."""
    return connection.once(
        f"project-scope/{project}", lambda: read_project_scope(connection, project)
    )
