"""What the fake checks in each request, from the published REST contracts: the enums,
value ranges and known members of the operations offhours calls. A request outside the
contract gets ARM's 400 (``InvalidParameter`` / ``InvalidRequestContent``), as Azure
answers it, so a test fails if an adapter ever sends one.

Sources (github.com/Azure/azure-rest-api-specs): Compute ``virtualMachine.json`` and
``virtualMachineScaleSet.json`` (stable 2025-04-01: ``InstanceViewTypes``,
``VirtualMachineScaleSetUpdate``, ``Sku``), Container Service ``managedClusters.json``
(stable 2025-05-01: ``AgentPoolMode``, ``AgentPoolType``, ``OSType``,
``ManagedClusterAgentPoolProfileProperties``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.azure_fake.wire import FakeError

EXPAND_VM = {"instanceview", "userdata", "resiliencyview"}  # InstanceViewTypes
BOOLEAN_QUERY = {"true", "false"}
# VirtualMachineScaleSetUpdate's members (anything else cannot be deserialized).
SCALE_SET_UPDATE = {"sku", "plan", "properties", "identity", "zones", "tags", "placement"}
SKU = {"name", "tier", "capacity"}
POOL_MODES = {"system", "user", "gateway"}
POOL_TYPES = {"virtualmachinescalesets", "availabilityset", "virtualmachines"}
OS_TYPES = {"linux", "windows"}
MAX_POOL_COUNT = 1000  # ``count``: 0..1000 for user pools, 1..1000 for system pools


def invalid(message: str) -> FakeError:
    return FakeError(400, "InvalidParameter", message)


def unreadable(member: str, kind: str) -> FakeError:
    return FakeError(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: "
        f"Could not find member '{member}' on object of type '{kind}'.",
    )


def check_boolean_query(query: Mapping[str, str], name: str) -> None:
    value = query.get(name)
    if value is not None and value.lower() not in BOOLEAN_QUERY:
        raise invalid(f"The value '{value}' of query parameter '{name}' is not a boolean.")


def check_vm_expand(query: Mapping[str, str]) -> None:
    value = query.get("$expand")
    if value is not None and value.lower() not in EXPAND_VM:
        raise invalid(f"The value '{value}' of '$expand' is not one of {sorted(EXPAND_VM)}.")


def check_action_body(body: Any, action: str) -> None:
    """Power actions (deallocate, start, stop) take their options in the query, no body."""
    if body:
        raise FakeError(400, "InvalidRequestContent", f"'{action}' takes no request body.")


def check_scale_set_update(body: Mapping[str, Any]) -> None:
    for member in body:
        if member not in SCALE_SET_UPDATE:
            raise unreadable(member, "VirtualMachineScaleSetUpdate")
    sku = body.get("sku")
    if sku is None:
        return
    for member in sku:
        if member not in SKU:
            raise unreadable(member, "Sku")
    capacity = sku.get("capacity")
    if capacity is not None and (type(capacity) is not int or capacity < 0):
        raise invalid(f"Invalid capacity {capacity!r}: an integer of 0 or more.")


def check_agent_pool(body: Mapping[str, Any]) -> None:
    """An agent pool PUT: a ``properties`` object (the parameter the operation requires),
    its enums and the node-count range."""
    props = body.get("properties")
    if not isinstance(props, dict):
        raise FakeError(
            400, "InvalidRequestContent", "The request body must be an AgentPool with properties."
        )
    for name, allowed in (("mode", POOL_MODES), ("type", POOL_TYPES), ("osType", OS_TYPES)):
        value = props.get(name)
        if value is not None and str(value).lower() not in allowed:
            raise invalid(f"The value '{value}' of '{name}' is not valid.")
    for name in ("count", "minCount", "maxCount"):
        value = props.get(name)
        if value is not None and (type(value) is not int or not 0 <= value <= MAX_POOL_COUNT):
            raise invalid(f"'{name}' must be an integer from 0 to {MAX_POOL_COUNT}.")
    if props.get("enableAutoScaling") not in (None, True, False):
        raise invalid("'enableAutoScaling' must be a boolean.")
