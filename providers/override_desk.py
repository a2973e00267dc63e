"""What a snooze needs from a cloud: read one resource live, set its override tag.

Each cloud implements ``OverrideDesk`` in ``providers/<cloud>/override_tag.py`` with the
least privilege a snooze function holds (read the one resource, write only the override
tag). The errors are the desk's vocabulary for the HTTP pages; the cloud's own error is
kept as the cause.
"""

from __future__ import annotations

from typing import Protocol

from providers.base import Resource


class DeskError(Exception):
    """The cloud refused or could not be reached; nothing was changed."""


class ResourceNotFound(DeskError):
    """No such resource (deleted since the link was sent, or a wrong id)."""


class CannotSnooze(DeskError):
    """This kind of resource cannot carry an override set by a snooze link."""


class OverrideDesk(Protocol):
    provider: str

    def read(self, account: str, region: str, kind: str, resource_id: str) -> Resource:
        """The resource as the cloud sees it now (tags, state, size, price if known)."""

    def write_override(self, resource: Resource, key: str, value: str) -> None:
        """Set one tag (label) on the resource, leaving every other tag as it is."""
