"""Routes a snooze function calls: ``instances.setLabels`` and Secret Manager's
``versions.access``.

Shapes follow the Compute Engine v1 reference (``POST .../instances/NAME/setLabels`` with
``{"labels", "labelFingerprint"}``: a stale fingerprint is 412 conditionNotMet, the answer
an Operation done at its second read) and the Secret Manager v1 reference
(``GET projects/P/secrets/S/versions/V:access`` -> ``{"name", "payload": {"data",
"dataCrc32c"}}``, data base64, the checksum a decimal int64 string; ``latest`` names the
newest enabled version).
"""

from __future__ import annotations

import base64
import hashlib

import google_crc32c

from sandbox.gcp_fake.compute import Params, Z
from sandbox.gcp_fake.world import ApiError, Json, World

SECRETS = r"/secretmanager/v1/projects/(?P<project>[^/]+)/secrets/(?P<secret>[^/]+)"


def fingerprint(labels: dict[str, str]) -> str:
    digest = hashlib.sha256(repr(sorted(labels.items())).encode()).digest()[:8]
    return base64.b64encode(digest).decode()


def set_labels(world: World, params: Params, query: Params, body: Json) -> Json:
    project, zone = params["project"], params["zone"]
    with world.lock:
        instance = world.get_instance(project, zone, params["name"])
        if body.get("labelFingerprint") != instance["labelFingerprint"]:
            raise ApiError(
                412,
                "Labels fingerprint either invalid or resource labels have changed",
                "conditionNotMet",
            )
        labels = dict(body.get("labels") or {})

        def finish() -> None:
            instance["labels"] = labels
            instance["labelFingerprint"] = fingerprint(labels)

        progress = world.accept(instance["name"], "setLabels", finish)
        return world.compute_operation(
            project, f"zones/{zone}", "setLabels", instance["selfLink"], instance["id"], progress
        )


def access_secret(world: World, params: Params, query: Params, body: Json) -> Json:
    project, secret, version = params["project"], params["secret"], params["version"]
    versions = world.secrets.get((project, secret))
    if not versions:
        raise ApiError(
            404, f"Secret [projects/{project}/secrets/{secret}] not found or has no versions."
        )
    number = len(versions) if version == "latest" else int(version) if version.isdigit() else 0
    if not 0 < number <= len(versions):
        raise ApiError(404, f"Secret Version [{version}] not found.")
    data = versions[number - 1]
    return {
        "name": f"projects/{project}/secrets/{secret}/versions/{number}",
        "payload": {
            "data": base64.b64encode(data).decode(),
            "dataCrc32c": str(google_crc32c.value(data)),
        },
    }


ROUTES = [
    ("POST", Z + r"/instances/(?P<name>[^/]+)/setLabels", set_labels),
    ("GET", SECRETS + r"/versions/(?P<version>[^/:]+):access", access_secret),
]
